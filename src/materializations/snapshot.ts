import type { Dialect, Step } from '../adapters/adapter.js';
import type { ModelNode } from '../types.js';
import { basePlan, NO_CONFIG, TMP_SUFFIX, type Materialization } from './materialization.js';

/** The columns a snapshot adds to its query's, with dbt's names. */
export const SNAPSHOT_META_COLUMNS = ['dbt_scd_id', 'dbt_updated_at', 'dbt_valid_from', 'dbt_valid_to'];

export function uniqueKeys(node: ModelNode): string[] {
  const k = node.config.unique_key;
  return k === undefined ? [] : Array.isArray(k) ? k : [k];
}

/**
 * A snapshot (SCD type 2, dbt's semantics): the first run creates the table from the query with
 * dbt_scd_id, dbt_updated_at, dbt_valid_from and dbt_valid_to (NULL: the current version); later
 * runs close the current version of every changed row (and, with hard_deletes, of every row gone
 * from the query) and insert the new versions. Everything after the column check is one
 * transaction, so a failed run changes nothing, and the snapshot time is the transaction's.
 * Running it again on unchanged data adds nothing.
 */
export function snapshotSteps(node: ModelNode, exists: boolean, d: Dialect): Step[] {
  const rel = node.relation;
  const c = node.config;
  const q = (s: string) => d.quoteIdent(s);
  const keys = uniqueKeys(node);
  const now = d.snapshotTime();
  const updatedAt = c.strategy === 'timestamp' ? `q.${q(c.updated_at!)}` : now;
  const checkCols = c.strategy === 'check' && Array.isArray(c.check_cols) ? c.check_cols : [];
  const newRecord = c.hard_deletes === 'new_record';

  // the columns the config names must exist before anything is written: a query that reads them and no rows
  const named = [...new Set([...keys, ...(c.strategy === 'timestamp' ? [c.updated_at!] : checkCols)])];
  const check: Step = {
    kind: 'check',
    sql: `SELECT ${named.map((n) => `q.${q(n)}`).join(', ')}\nFROM (\n${node.compiledSql.trim()}\n) AS q\nWHERE 1 = 0`,
    message: `snapshot ${node.name}: a column named in its config (unique_key ${keys.join(', ')}${c.strategy === 'timestamp' ? `, updated_at ${c.updated_at}` : `, check_cols ${checkCols.join(', ')}`}) is not a column of its query`,
    hint: 'name columns that the snapshot query returns',
  };

  const staging =
    `SELECT\n  q.*,\n  ${d.surrogateKey([...keys.map((k) => `q.${q(k)}`), updatedAt])} AS ${q('dbt_scd_id')},\n  ${updatedAt} AS ${q('dbt_updated_at')},\n  ${updatedAt} AS ${q('dbt_valid_from')},\n  CAST(NULL AS TIMESTAMP) AS ${q('dbt_valid_to')}` +
    (newRecord ? `,\n  ${d.castText("'False'")} AS ${q('dbt_is_deleted')}` : '') +
    `\nFROM (\n${node.compiledSql.trim()}\n) AS q`;
  if (!exists) {
    return [check, { kind: 'transaction', statements: [d.createTableAs(rel, staging, node.config)] }, { kind: 'count', sql: d.countRows(rel) }];
  }

  const tmp = { schema: rel.schema, name: rel.name + TMP_SUFFIX };
  const deleted = { schema: rel.schema, name: `${rel.name}__deleted${TMP_SUFFIX}` };
  const R = d.relation(rel);
  const S = d.relation(tmp);
  const sameKey = (a: string, b: string) => keys.map((k) => `${a}.${q(k)} = ${b}.${q(k)}`).join(' AND ');
  const differs = (a: string, b: string) =>
    checkCols.map((col) => `(${a}.${q(col)} <> ${b}.${q(col)} OR (${a}.${q(col)} IS NULL AND ${b}.${q(col)} IS NOT NULL) OR (${a}.${q(col)} IS NOT NULL AND ${b}.${q(col)} IS NULL))`).join('\n    OR ');
  const changed = c.strategy === 'timestamp' ? `s.${q('dbt_updated_at')} > ${R}.${q('dbt_updated_at')}` : differs('s', R);
  const statements: string[] = [d.createTableAs(tmp, staging, {} as ModelNode['config'])];
  // close the current version of every changed row (and of a row marked deleted that came back)
  statements.push(
    `UPDATE ${R}\nSET ${q('dbt_valid_to')} = s.${q('dbt_valid_from')}\nFROM ${S} AS s\nWHERE ${sameKey(R, 's')}\n  AND ${R}.${q('dbt_valid_to')} IS NULL\n  AND (\n    ${changed}${newRecord ? `\n    OR ${R}.${q('dbt_is_deleted')} = 'True'` : ''}\n  )`,
  );
  if (c.hard_deletes === 'invalidate' || newRecord) {
    const gone = `${R}.${q('dbt_valid_to')} IS NULL${newRecord ? ` AND ${R}.${q('dbt_is_deleted')} = 'False'` : ''}\n  AND NOT EXISTS (SELECT 1 FROM ${S} AS s WHERE ${sameKey('s', R)})`;
    if (newRecord) {
      // the last version of each deleted row, marked deleted from now on
      statements.push(`CREATE TABLE ${d.relation(deleted)} AS\nSELECT * FROM ${R}\nWHERE ${gone}`);
      statements.push(
        `UPDATE ${d.relation(deleted)}\nSET ${q('dbt_is_deleted')} = 'True', ${q('dbt_updated_at')} = ${now}, ${q('dbt_valid_from')} = ${now},\n  ${q('dbt_scd_id')} = ${d.surrogateKey([...keys.map((k) => `${d.relation(deleted)}.${q(k)}`), now])}`,
      );
    }
    statements.push(`UPDATE ${R}\nSET ${q('dbt_valid_to')} = ${now}\nWHERE ${gone}`);
    if (newRecord) {
      statements.push(`INSERT INTO ${R}\nSELECT * FROM ${d.relation(deleted)}`);
      statements.push(d.dropRelation(deleted, 'table'));
    }
  }
  // the new versions: rows of the query with no current version (new keys, and the changed rows closed above)
  statements.push(`INSERT INTO ${R}\nSELECT s.*\nFROM ${S} AS s\nWHERE NOT EXISTS (\n  SELECT 1 FROM ${R} AS t\n  WHERE ${sameKey('t', 's')} AND t.${q('dbt_valid_to')} IS NULL\n)`);
  statements.push(d.dropRelation(tmp, 'table'));
  return [check, { kind: 'sql', sql: d.dropRelation(tmp, 'table') }, { kind: 'sql', sql: d.dropRelation(deleted, 'table') }, { kind: 'transaction', statements }, { kind: 'count', sql: d.countRows(rel) }];
}

/** Snapshot config is checked where snapshots are compiled (compile-snapshots.ts). */
export const snapshot: Materialization<ModelNode> = {
  name: 'snapshot',
  config: NO_CONFIG,
  plan(node, d, ctx) {
    const rel = node.relation;
    const base = basePlan(node, d);
    const deleted = { schema: rel.schema, name: `${rel.name}__deleted${TMP_SUFFIX}` };
    return { ...base, materialization: 'snapshot', onFailure: [...base.onFailure, { kind: 'sql', sql: d.dropRelation(deleted, 'table') }], steps: snapshotSteps(node, ctx.existing === 'table', d) };
  },
};
