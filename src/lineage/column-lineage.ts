import { loadModule, parseSync } from 'libpg-query';
import type { Dialect } from '../adapters/adapter.js';
import type { Manifest } from '../types.js';
import { traceSelect, type ColumnLineage, type RelationIndex } from './trace-columns.js';

export type { ColumnLineage, UpstreamColumn } from './trace-columns.js';

export interface NodeColumnLineage {
  node: string;
  name: string;
  columns: ColumnLineage[];
  /** set when the compiled SQL could not be traced at all (every column is then untraceable) */
  error?: string | undefined;
}

/** target/column_lineage.json */
export interface ColumnLineageDoc {
  generatedAt: string;
  parser: string;
  nodes: Record<string, NodeColumnLineage>;
}

export const LINEAGE_PARSER = "libpg-query (PostgreSQL's own parser, compiled to WebAssembly)";

/**
 * Column-level lineage of every model: for each output column, the upstream columns (of sources
 * and models, one hop up) it is computed from, found by parsing the model's compiled SQL.
 * `warehouseColumns` (node id -> column names, from the catalog) names the columns of relations the
 * SQL reads with `*`, and the output columns the engine named itself.
 */
export async function columnLineage(
  manifest: Manifest,
  opts: { warehouseColumns?: Map<string, string[]> | undefined; dialect?: Pick<Dialect, 'sqlForLineageParser'> | undefined } = {},
): Promise<ColumnLineageDoc> {
  const warehouseColumns = opts.warehouseColumns ?? new Map<string, string[]>();
  const forParser = (sql: string) => opts.dialect?.sqlForLineageParser?.(sql) ?? sql;
  await loadModule();
  const index: RelationIndex = new Map();
  const byName = new Map<string, string[]>();
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    if (n.resourceType === 'test') continue;
    const key = n.relation.name.toLowerCase();
    byName.set(key, [...(byName.get(key) ?? []), id]);
  }
  const nodes: Record<string, NodeColumnLineage> = {};
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    if (n.resourceType === 'test') continue;
    const label = n.resourceType === 'source' ? `${n.sourceName}.${n.name}` : n.name;
    const known = warehouseColumns.get(id);
    let columns: string[] | undefined;
    if (n.resourceType === 'source') {
      columns = known ?? (n.table.columns.length > 0 ? n.table.columns.map((c) => c.name) : undefined);
    } else if (n.resourceType === 'seed') {
      // a seed's columns are its CSV header: the warehouse's, or the documented ones
      columns = known ?? (n.columns.length > 0 ? n.columns.map((c) => c.name) : undefined);
    } else {
      const traced = traceModel(forParser(n.compiledSql), index, known, n.resourceType === 'snapshot' ? SNAPSHOT_COLUMN : undefined);
      nodes[id] = { node: id, name: n.name, ...traced };
      if (traced.error === undefined && (known !== undefined || traced.columns.every((c) => c.column !== '*'))) columns = traced.columns.map((c) => c.column);
      else columns = known;
      if (traced.error !== undefined && traced.columns.length === 0 && n.columns.length > 0) {
        nodes[id]!.columns = n.columns.map((c) => ({ column: c.name, kind: 'untraceable', upstream: [], reason: traced.error }));
      }
    }
    const rel = { node: id, label, columns };
    index.set(`${n.relation.schema}.${n.relation.name}`.toLowerCase(), rel);
    // an unqualified name finds the node only when no other node has that name
    if (byName.get(n.relation.name.toLowerCase())!.length === 1) index.set(n.relation.name.toLowerCase(), rel);
  }
  return { generatedAt: new Date().toISOString(), parser: LINEAGE_PARSER, nodes };
}

/** the columns a snapshot adds to its select (dbt's SCD type 2 columns) */
const SNAPSHOT_COLUMN = (name: string) =>
  /^dbt_(scd_id|updated_at|valid_from|valid_to|is_deleted)$/i.test(name)
    ? 'a snapshot column, set by the snapshot when it runs (dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to), not computed from upstream columns'
    : undefined;

/**
 * Traces one model's compiled SQL. `known`: the columns the warehouse says the relation has;
 * `added`: the reason for a known column the materialization adds to the SQL's (a snapshot's).
 */
export function traceModel(
  sql: string,
  index: RelationIndex,
  known: string[] | undefined,
  added?: (column: string) => string | undefined,
): { columns: ColumnLineage[]; error?: string } {
  let tree;
  try {
    tree = parseSync(sql);
  } catch (e) {
    const msg = (e as Error).message;
    const pos = (e as { sqlDetails?: { cursorPosition?: number } }).sqlDetails?.cursorPosition;
    const where = pos === undefined ? '' : ` (compiled SQL line ${sql.slice(0, pos).split('\n').length})`;
    const error = `the compiled SQL does not parse as PostgreSQL SQL: ${msg}${where}`;
    return { columns: (known ?? []).map((c) => ({ column: c, kind: 'untraceable', upstream: [], reason: error })), error };
  }
  const stmts = tree.stmts ?? [];
  const stmt = stmts.length === 1 ? stmts[0]!.stmt : undefined;
  if (!stmt || !('SelectStmt' in stmt)) {
    const error = `the compiled SQL is ${stmts.length === 1 ? `a ${Object.keys(stmt ?? {})[0]}` : `${stmts.length} statements`}, not one SELECT`;
    return { columns: (known ?? []).map((c) => ({ column: c, kind: 'untraceable', upstream: [], reason: error })), error };
  }
  const traced = traceSelect(stmt.SelectStmt, index);
  if (known === undefined) {
    const cols: ColumnLineage[] = [...traced];
    if (traced.star !== undefined) cols.push({ column: '*', kind: 'untraceable', upstream: [], reason: `* over ${traced.star}` });
    return { columns: cols };
  }
  if (traced.star === undefined && traced.length === known.length) {
    // the engine's names win: it may name an unaliased expression differently than PostgreSQL
    return { columns: traced.map((c, i) => ({ ...c, column: known[i]! })) };
  }
  return {
    columns: known.map((name) => {
      const hit = traced.find((c) => c.column.toLowerCase() === name.toLowerCase());
      if (hit) return { ...hit, column: name };
      const why = added?.(name);
      if (why !== undefined) return { column: name, kind: 'untraceable', upstream: [], reason: why };
      return {
        column: name,
        kind: 'untraceable',
        upstream: [],
        reason: traced.star !== undefined ? `it comes from * over ${traced.star}` : 'the warehouse has this column but the compiled SQL does not name it',
      };
    }),
  };
}
