import { createHash } from 'node:crypto';
import type { Dialect, Step } from '../adapters/adapter.js';
import type { GraphNode, Manifest, Relation, TestConfig } from '../types.js';

export const TMP_SUFFIX = '__sparkify_tmp';
export const OLD_SUFFIX = '__sparkify_old';

/** What a materialization decides for one node: the statements that build it, and what undoes a failed build. */
export interface NodePlan {
  id: string;
  name: string;
  resourceType: GraphNode['resourceType'];
  materialization: string;
  /** tests: how the number of failing rows becomes pass, warn or fail; where failures are stored */
  test?: { config: TestConfig; storedIn?: string | undefined; problem?: string | undefined } | undefined;
  relation: Relation;
  steps: Step[];
  /** steps that remove what a failed build left behind */
  onFailure: Step[];
  /** set when the node cannot run and is reported as skipped, with this reason */
  skip?: string | undefined;
}

/** What a materialization knows besides its node: the relation that exists under the node's name, and the run's options. */
export interface PlanContext {
  /** the type of the relation that exists now under the node's name, if one does */
  existing: 'table' | 'view' | undefined;
  fullRefresh: boolean;
  manifest: Manifest;
}

/** The config() keys a materialization adds, with the check of each value (undefined when it is valid). */
export interface ConfigSchema {
  keys: readonly string[];
  check(key: string, value: unknown): string | undefined;
}

/**
 * A materialization turns a node into the steps that build it, for one dialect. Pure: it writes no
 * SQL itself beyond composing the dialect's statements, and reads nothing but its arguments.
 */
export interface Materialization<N extends GraphNode = GraphNode> {
  readonly name: string;
  readonly config: ConfigSchema;
  plan(node: N, dialect: Dialect, ctx: PlanContext): NodePlan | undefined;
}

/**
 * The name of the relation a build fills before swapping it in (tmp), or moves the live one to
 * (old): `<name>__sparkify_tmp` when that fits the dialect's limit, else the name cut to fit with an
 * 8-hex hash of the whole name, `<cut>__sparkify_tmp_<hash>`, so two long names that share a prefix
 * never meet. Neither form can be a user relation's name (HELPER_RELATION), nor the other form.
 */
export function helperRelationName(name: string, kind: 'tmp' | 'old', maxBytes: number | undefined): string {
  const suffix = kind === 'tmp' ? TMP_SUFFIX : OLD_SUFFIX;
  if (maxBytes === undefined || Buffer.byteLength(name, 'utf8') + suffix.length <= maxBytes) return name + suffix;
  const hash = createHash('sha256').update(name, 'utf8').digest('hex').slice(0, 8);
  const tail = `${suffix}_${hash}`;
  // names are ASCII (SAFE_IDENTIFIER), so a byte is a character
  return name.slice(0, Math.max(0, maxBytes - tail.length)) + tail;
}

export function tmpRelation(rel: Relation, d: Dialect): Relation {
  return { schema: rel.schema, name: helperRelationName(rel.name, 'tmp', d.maxIdentifierBytes) };
}

/** The fields every plan of a node shares; onFailure drops its tmp relation. */
export function basePlan(node: GraphNode, d: Dialect): Omit<NodePlan, 'materialization' | 'steps'> {
  return { id: node.id, name: node.name, resourceType: node.resourceType, relation: node.relation, onFailure: [{ kind: 'sql', sql: d.dropRelation(tmpRelation(node.relation, d), 'table') }] };
}

export function analyze(r: Relation, d: Dialect): Step[] {
  return d.analyze ? [{ kind: 'sql', sql: d.analyze(r) }] : [];
}

/** A transaction that gives rel its name; where the dialect needs it, such transactions take turns (serializeNaming). */
export function namingTransaction(rel: Relation, statements: string[], d: Dialect): Step {
  const turn = d.serializeNaming?.(rel);
  return { kind: 'transaction', statements: turn ? [turn, ...statements] : statements };
}

/**
 * Readers see the old relation or the complete new one: rename aside, rename in, in one
 * transaction (with `also`, statements that must commit with the swap).
 */
export function swapIn(tmp: Relation, rel: Relation, current: 'table' | 'view' | undefined, d: Dialect, also: string[] = []): Step[] {
  const old = { schema: rel.schema, name: helperRelationName(rel.name, 'old', d.maxIdentifierBytes) };
  const statements: string[] = [];
  if (current === 'view') statements.push(d.dropRelation(rel, 'view'));
  if (current === 'table') statements.push(d.renameRelation(rel, old.name, 'table'));
  statements.push(d.renameRelation(tmp, rel.name, 'table'), ...also);
  const steps: Step[] = [namingTransaction(rel, statements, d)];
  if (current === 'table') steps.push({ kind: 'sql', sql: d.dropRelation(old, 'table') });
  return steps;
}

/** Builds a whole table from a query into tmp and swaps it in. */
export function rebuildTable(rel: Relation, sql: string, config: Parameters<Dialect['createTableAs']>[2], current: 'table' | 'view' | undefined, d: Dialect, also: string[] = []): Step[] {
  const tmp = tmpRelation(rel, d);
  return [
    { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
    { kind: 'sql', sql: d.createTableAs(tmp, sql, config) },
    ...analyze(tmp, d),
    ...swapIn(tmp, rel, current, d, also),
    { kind: 'count', sql: d.countRows(rel) },
  ];
}

export const NO_CONFIG: ConfigSchema = { keys: [], check: () => undefined };
