import { ProjectError, throwIfAny, type SparkifyError } from '../errors.js';
import type { Dialect, ExistingRelation, Step } from '../adapters/adapter.js';
import type { GraphNode, Manifest, ModelNode, Relation, SourceNode } from '../types.js';

export const TMP_SUFFIX = '__sparkify_tmp';
export const OLD_SUFFIX = '__sparkify_old';

export interface NodePlan {
  id: string;
  name: string;
  resourceType: 'model' | 'source';
  materialization: string;
  relation: Relation;
  steps: Step[];
  /** steps that remove what a failed build left behind */
  onFailure: Step[];
}

export interface Plan {
  /** run before any node: schemas, and leftovers of crashed runs */
  setup: Step[];
  nodes: NodePlan[];
  /** parent ids of each planned node, restricted to the plan */
  parents: Record<string, string[]>;
}

export interface PlanOptions {
  fullRefresh?: boolean;
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

  for (const id of selected) {
    const node = manifest.nodes[id]!;
    for (const parentId of manifest.parentMap[id] ?? []) {
      if (chosen.has(parentId)) continue;
      const parent = manifest.nodes[parentId]!;
      if (!exists.has(key(parent.relation))) {
        errors.push(
          new ProjectError(`${label(node)} depends on ${label(parent)}, whose relation ${key(parent.relation)} does not exist yet`, {
            file: node.file,
            node: node.name,
            hint: `build it first: sparkify run --select +${node.resourceType === 'model' ? node.name : `source:${(node as SourceNode).sourceName}.${node.name}`}`,
          }),
        );
      }
    }
    if (node.resourceType === 'source' && !node.table.location && !exists.has(key(node.relation))) {
      errors.push(new ProjectError(`source ${node.sourceName}.${node.name} has no location and its table ${key(node.relation)} does not exist`, { file: node.file, line: node.table.line, hint: 'give it a location: in sources.yml so sparkify loads it, or create the table' }));
    }
  }
  throwIfAny(errors);

  const schemas = [...new Set(selected.map((id) => manifest.nodes[id]!.relation.schema))].sort();
  const setup: Step[] = schemas.map((s) => ({ kind: 'sql', sql: dialect.createSchema(s) }));
  // created before the loads start, so that two sources rejecting lines at once do not race to create it
  if (selected.some((id) => { const n = manifest.nodes[id]!; return n.resourceType === 'source' && (n.table.copy?.maxErrors ?? 0) > 0 && n.table.location; })) {
    if (!schemas.includes(manifest.target.schema)) setup.push({ kind: 'sql', sql: dialect.createSchema(manifest.target.schema) });
    setup.push({ kind: 'sql', sql: dialect.createLoadErrorsTable(manifest.target.schema) });
  }
  for (const r of existing) {
    if (schemas.includes(r.schema) && (r.name.endsWith(TMP_SUFFIX) || r.name.endsWith(OLD_SUFFIX))) {
      setup.push({ kind: 'sql', sql: dialect.dropRelation(r, r.type) });
    }
  }

  const nodes: NodePlan[] = [];
  const parents: Record<string, string[]> = {};
  for (const id of manifest.order) {
    if (!chosen.has(id)) continue;
    const node = manifest.nodes[id]!;
    parents[id] = (manifest.parentMap[id] ?? []).filter((p) => chosen.has(p));
    const plan = planNode(node, exists, dialect, opts);
    if (plan) nodes.push(plan);
  }
  return { setup, nodes, parents };
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
  return n.resourceType === 'model' ? `model ${n.name}` : `source ${n.sourceName}.${n.name}`;
}

function planNode(node: GraphNode, exists: Map<string, 'table' | 'view'>, d: Dialect, opts: PlanOptions): NodePlan | undefined {
  const rel = node.relation;
  const tmp = { schema: rel.schema, name: rel.name + TMP_SUFFIX };
  const onFailure: Step[] = [{ kind: 'sql', sql: d.dropRelation(tmp, 'table') }];
  const base = { id: node.id, name: node.name, resourceType: node.resourceType, relation: rel, onFailure };
  if (node.resourceType === 'source') {
    const copy = node.table.copy;
    if (!node.table.location || !copy) return undefined;
    return {
      ...base,
      materialization: 'copy',
      steps: [{ kind: 'sql', sql: d.dropRelation(tmp, 'table') }, ...d.loadSource(node.table, tmp, copy), ...analyze(tmp, d), ...swapIn(tmp, rel, exists, d), { kind: 'count', sql: d.countRows(rel) }],
    };
  }
  const m = node as ModelNode;
  const current = exists.get(key(rel));
  switch (m.config.materialized) {
    case 'view':
      return {
        ...base,
        materialization: 'view',
        onFailure: [],
        steps:
          current === 'table'
            ? [{ kind: 'transaction', statements: [d.dropRelation(rel, 'table'), d.createView(rel, m.compiledSql, m.config, false)] }]
            : [{ kind: 'sql', sql: d.createView(rel, m.compiledSql, m.config, true) }],
      };
    case 'incremental':
      if (current === 'table' && !opts.fullRefresh && m.config.full_refresh !== true) {
        return { ...base, materialization: 'incremental', steps: [...incrementalSteps(m, tmp, d), { kind: 'count', sql: d.countRows(rel) }] };
      }
    // falls through: the first build, or a full refresh, builds the whole table
    case 'table':
      return {
        ...base,
        materialization: m.config.materialized,
        steps: [
          { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
          { kind: 'sql', sql: d.createTableAs(tmp, m.compiledSql, m.config) },
          ...analyze(tmp, d),
          ...swapIn(tmp, rel, exists, d),
          { kind: 'count', sql: d.countRows(rel) },
        ],
      };
  }
}

function analyze(r: Relation, d: Dialect): Step[] {
  return d.analyze ? [{ kind: 'sql', sql: d.analyze(r) }] : [];
}

/** Readers see the old relation or the complete new one: rename aside, rename in, in one transaction. */
function swapIn(tmp: Relation, rel: Relation, exists: Map<string, 'table' | 'view'>, d: Dialect): Step[] {
  const current = exists.get(key(rel));
  const old = { schema: rel.schema, name: rel.name + OLD_SUFFIX };
  const statements: string[] = [];
  if (current === 'view') statements.push(d.dropRelation(rel, 'view'));
  if (current === 'table') statements.push(d.renameRelation(rel, old.name, 'table'));
  statements.push(d.renameRelation(tmp, rel.name, 'table'));
  const steps: Step[] = [{ kind: 'transaction', statements }];
  if (current === 'table') steps.push({ kind: 'sql', sql: d.dropRelation(old, 'table') });
  return steps;
}

function incrementalSteps(m: ModelNode, tmp: Relation, d: Dialect): Step[] {
  const sql = m.compiledIncrementalSql ?? m.compiledSql;
  const rel = m.relation;
  const keys = m.config.unique_key === undefined ? [] : Array.isArray(m.config.unique_key) ? m.config.unique_key : [m.config.unique_key];
  const statements: string[] = [];
  if (keys.length > 0) {
    const on = keys.map((k) => `${d.relation(rel)}.${d.quoteIdent(k)} = ${d.quoteIdent(tmp.name)}.${d.quoteIdent(k)}`).join(' AND ');
    statements.push(`DELETE FROM ${d.relation(rel)} USING ${d.relation(tmp)} WHERE ${on}`);
  }
  statements.push(`INSERT INTO ${d.relation(rel)} SELECT * FROM ${d.relation(tmp)}`);
  return [
    { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
    { kind: 'sql', sql: d.createTableAs(tmp, sql, m.config) },
    { kind: 'transaction', statements },
    { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
  ];
}
