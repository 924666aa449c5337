import type { ModelNode } from '../types.js';
import { basePlan, rebuildTable, type ConfigSchema, type Materialization } from './materialization.js';

const isStrList = (x: unknown) => typeof x === 'string' || (Array.isArray(x) && x.every((s) => typeof s === 'string'));

/** Keys of a table's physical layout (Redshift's dist and sort keys), shared by every materialization that builds a table. */
export const TABLE_CONFIG: ConfigSchema = {
  keys: ['dist', 'sort', 'sort_type'],
  check(key, v) {
    switch (key) {
      case 'sort':
        // they become quoted column names in SQL
        return isStrList(v) && [v].flat().every((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s as string)) ? undefined : 'must be a column name or a list of column names';
      case 'dist':
        return typeof v === 'string' && /^(all|even|auto|[A-Za-z_][A-Za-z0-9_]*)$/i.test(v) ? undefined : "must be 'all', 'even', 'auto' or a column name";
      case 'sort_type':
        return v === 'compound' || v === 'interleaved' ? undefined : "must be 'compound' or 'interleaved'";
      default:
        return undefined;
    }
  },
};

/**
 * table: `CREATE TABLE x__sparkify_tmp AS <select>`, then in one short transaction the live table
 * is renamed aside and the tmp table takes its name; the old one is dropped after. Readers see the
 * old table or the whole new one.
 */
export const table: Materialization<ModelNode> = {
  name: 'table',
  config: TABLE_CONFIG,
  plan(node, d, ctx) {
    return { ...basePlan(node, d), materialization: 'table', steps: rebuildTable(node.relation, node.compiledSql, node.config, ctx.existing, d) };
  },
};
