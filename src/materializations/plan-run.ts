import { ProjectError, throwIfAny, type SparkifyError } from '../errors.js';
import type { Dialect, ExistingRelation, Step } from '../adapters/adapter.js';
import type { GraphNode, Manifest, Relation } from '../types.js';
import { loadedSourcesOf } from './incremental.js';
import { materializationOf } from './index.js';
import type { NodePlan } from './materialization.js';

export { helperRelationName, OLD_SUFFIX, TMP_SUFFIX, type NodePlan } from './materialization.js';

/** Names of helper relations (helperRelationName()); a model or source may not have one, as runs drop leftovers by it. */
export const HELPER_RELATION = /__sparkify_(?:tmp|old)(?:_[0-9a-f]{8})?$/;

export interface Plan {
  /** run before any node: schemas, and leftovers of crashed runs */
  setup: Step[];
  nodes: NodePlan[];
  /** parent ids of each planned node, restricted to the plan */
  parents: Record<string, string[]>;
}

export interface PlanOptions {
  fullRefresh?: boolean;
  /**
   * build: the children of a tested node wait for its tests (so a failing test skips them), and
   * each node's tests come right after it
   */
  testsGateChildren?: boolean;
}

const key = (r: { schema: string; name: string }) => `${r.schema}.${r.name}`;

/**
 * Decides, for each selected node, the statements that build it on this dialect. Pure: the
 * relations that already exist are an argument, so every decision is testable without a database.
 */
export function planRun(manifest: Manifest, selected: string[], existing: ExistingRelation[], dialect: Dialect, opts: PlanOptions = {}): Plan {
  if (dialect.foldsIdentifierCase) existing = inManifestCase(manifest, existing);
  const exists = new Map(existing.map((r) => [key(r), r.type]));
  const chosen = new Set(selected);
  const errors: SparkifyError[] = [];
  const skips = new Map<string, string>();

  for (const id of selected) {
    const node = manifest.nodes[id]!;
    // a unit test reads its fixtures, not its model's inputs
    if (node.resourceType === 'test' && node.testType === 'unit') continue;
    for (const parentId of manifest.parentMap[id] ?? []) {
      if (chosen.has(parentId)) continue;
      const parent = manifest.nodes[parentId]!;
      if (!exists.has(key(parent.relation)) && node.resourceType === 'test' && opts.testsGateChildren) {
        // build: a test selected through one parent (eager) whose other parent is neither built nor selected
        skips.set(id, `skipped: ${label(parent)} is not built yet and not selected`);
      } else if (!exists.has(key(parent.relation))) {
        errors.push(
          new ProjectError(`${label(node)} depends on ${label(parent)}, whose relation ${key(parent.relation)} does not exist yet`, {
            file: node.file,
            node: node.name,
            hint:
              parent.resourceType === 'seed'
                ? `load it first: sparkify seed --select ${parent.name}`
                : `build it first: sparkify ${node.resourceType === 'test' ? 'build' : 'run'} --select +${node.resourceType === 'source' ? `source:${node.sourceName}.${node.name}` : node.name}`,
          }),
        );
      }
    }
    if (node.resourceType === 'source' && !node.table.location && !exists.has(key(node.relation))) {
      errors.push(new ProjectError(`source ${node.sourceName}.${node.name} has no location and its table ${key(node.relation)} does not exist`, { file: node.file, line: node.table.line, hint: 'give it a location: in sources.yml so sparkify loads it, or create the table' }));
    }
  }
  throwIfAny(errors);

  // a test's relation is where it stores failures: its schema is made only when it does
  const schemas = [...new Set(selected.filter((id) => { const n = manifest.nodes[id]!; return n.resourceType !== 'test' || (n.config.store_failures && n.testType !== 'unit'); }).map((id) => manifest.nodes[id]!.relation.schema))].sort();
  const setup: Step[] = schemas.map((s) => ({ kind: 'sql', sql: dialect.createSchema(s) }));
  // created before the loads start, so that two sources rejecting lines at once do not race to create it
  if (selected.some((id) => { const n = manifest.nodes[id]!; return n.resourceType === 'source' && (n.table.copy?.maxErrors ?? 0) > 0 && n.table.location; })) {
    if (!schemas.includes(manifest.target.schema)) setup.push({ kind: 'sql', sql: dialect.createSchema(manifest.target.schema) });
    setup.push({ kind: 'sql', sql: dialect.createLoadErrorsTable(manifest.target.schema) });
  }
  // the load ledger and the watermarks, for incremental sources and the models that read them
  if (selected.some((id) => { const n = manifest.nodes[id]!; return (n.resourceType === 'source' && n.table.location && n.table.copy?.mode === 'incremental') || (n.resourceType === 'model' && n.config.materialized === 'incremental' && loadedSourcesOf(n, manifest).tracked.length > 0); })) {
    if (!schemas.includes(manifest.target.schema) && !setup.some((s) => s.kind === 'sql' && s.sql === dialect.createSchema(manifest.target.schema))) setup.push({ kind: 'sql', sql: dialect.createSchema(manifest.target.schema) });
    for (const sql of dialect.createLedgerTables(manifest.target.schema)) setup.push({ kind: 'sql', sql });
  }
  for (const r of existing) {
    if (schemas.includes(r.schema) && HELPER_RELATION.test(r.name)) {
      setup.push({ kind: 'sql', sql: dialect.dropRelation(r, r.type) });
    }
  }

  const nodes: NodePlan[] = [];
  const parents: Record<string, string[]> = {};
  const order = opts.testsGateChildren ? testsAfterTheirNodes(manifest, chosen) : manifest.order.filter((id) => chosen.has(id));
  for (const id of order) {
    const node = manifest.nodes[id]!;
    parents[id] = (manifest.parentMap[id] ?? []).filter((p) => chosen.has(p));
    const plan = materializationOf(node).plan(node, dialect, { existing: exists.get(key(node.relation)), fullRefresh: opts.fullRefresh === true, manifest });
    if (plan) nodes.push(skips.has(id) ? { ...plan, skip: skips.get(id) } : plan);
  }
  if (opts.testsGateChildren) addTestEdges(manifest, chosen, parents, new Set(skips.keys()));
  return { setup, nodes, parents };
}

/** The order of a build: each node, then its tests (those whose last parent in the order it is). */
function testsAfterTheirNodes(manifest: Manifest, chosen: Set<string>): string[] {
  const position = new Map(manifest.order.map((id, i) => [id, i]));
  const testsAfter = new Map<string, string[]>();
  const free: string[] = [];
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    if (!chosen.has(id) || n.resourceType !== 'test') continue;
    if (n.testType === 'unit') continue;
    const ps = (manifest.parentMap[id] ?? []).filter((p) => chosen.has(p));
    if (ps.length === 0) free.push(id);
    else {
      const last = ps.reduce((a, b) => (position.get(a)! > position.get(b)! ? a : b));
      testsAfter.set(last, [...(testsAfter.get(last) ?? []), id]);
    }
  }
  const out: string[] = [...free];
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    if (!chosen.has(id) || n.resourceType === 'test') continue;
    // unit tests run before the model they test
    for (const t of manifest.childMap[id] ?? []) {
      const tn = manifest.nodes[t];
      if (chosen.has(t) && tn?.resourceType === 'test' && tn.testType === 'unit') out.push(t);
    }
    out.push(id, ...(testsAfter.get(id) ?? []));
  }
  return out;
}

/**
 * dbt's build graph: a test gates the children of the nodes it tests, unless such a child is one of
 * the test's parents or an ancestor of one (which would be a cycle). A unit test gates its model.
 */
function addTestEdges(manifest: Manifest, chosen: Set<string>, parents: Record<string, string[]>, skipped: Set<string>): void {
  const ancestors = (id: string, seen = new Set<string>()): Set<string> => {
    for (const p of manifest.parentMap[id] ?? []) if (!seen.has(p)) { seen.add(p); ancestors(p, seen); }
    return seen;
  };
  for (const id of Object.keys(parents)) {
    const t = manifest.nodes[id]!;
    // a test that cannot run gates nothing
    if (t.resourceType !== 'test' || skipped.has(id)) continue;
    if (t.testType === 'unit') {
      if (t.attachedTo && parents[t.attachedTo]) {
        parents[t.attachedTo]!.push(id);
        parents[id] = [];
      }
      continue;
    }
    const testParents = parents[id]!;
    const upstream = new Set<string>();
    for (const p of testParents) for (const a of ancestors(p)) upstream.add(a);
    for (const p of testParents) {
      for (const child of manifest.childMap[p] ?? []) {
        if (!chosen.has(child) || child === id || manifest.nodes[child]?.resourceType === 'test') continue;
        if (testParents.includes(child) || upstream.has(child)) continue;
        if (!parents[child]!.includes(id)) parents[child]!.push(id);
      }
    }
  }
}

/** On an engine that folds names to lower case, a model named MixedCase exists as mixedcase: match them up. */
function inManifestCase(manifest: Manifest, existing: ExistingRelation[]): ExistingRelation[] {
  const byLower = new Map<string, Relation>();
  for (const n of Object.values(manifest.nodes)) byLower.set(key(n.relation).toLowerCase(), n.relation);
  return existing.map((r) => {
    const m = byLower.get(key(r).toLowerCase());
    return m ? { ...r, schema: m.schema, name: m.name } : r;
  });
}

function label(n: GraphNode): string {
  return n.resourceType === 'source' ? `source ${n.sourceName}.${n.name}` : `${n.resourceType} ${n.name}`;
}
