import type { UpsertStrategy } from '../adapters/adapter.js';
import { ProjectError } from '../errors.js';
import type { ModelNode } from '../types.js';
import { basePlan, rebuildTable, tmpRelation, type ConfigSchema, type Materialization } from './materialization.js';
import { uniqueKeys } from './snapshot.js';
import { TABLE_CONFIG } from './table.js';

export const INCREMENTAL_STRATEGIES = ['delete+insert', 'merge', 'append'] as const;

const isStrList = (x: unknown) => typeof x === 'string' || (Array.isArray(x) && x.every((s) => typeof s === 'string'));

export const INCREMENTAL_CONFIG: ConfigSchema = {
  keys: [...TABLE_CONFIG.keys, 'unique_key', 'full_refresh', 'on_schema_change', 'incremental_strategy'],
  check(key, v) {
    switch (key) {
      case 'unique_key':
        // they become quoted column names in SQL
        return isStrList(v) && [v].flat().every((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s as string)) ? undefined : 'must be a column name or a list of column names';
      case 'full_refresh':
        return typeof v === 'boolean' ? undefined : 'must be true or false';
      case 'incremental_strategy':
        return (INCREMENTAL_STRATEGIES as readonly unknown[]).includes(v) ? undefined : `must be one of ${INCREMENTAL_STRATEGIES.map((s) => `'${s}'`).join(', ')}`;
      case 'on_schema_change':
        return typeof v === 'string' ? undefined : 'must be a string';
      default:
        return TABLE_CONFIG.check(key, v);
    }
  },
};

/**
 * incremental: the first build (or a full refresh) builds the whole table like `table`; later runs
 * put the rows of the `is_incremental()` branch into tmp, then in one transaction merge them in by
 * `unique_key` (the dialect's upsert: delete+insert, or MERGE) or append them.
 */
export const incremental: Materialization<ModelNode> = {
  name: 'incremental',
  config: INCREMENTAL_CONFIG,
  plan(node, d, ctx) {
    const rel = node.relation;
    const base = basePlan(node, d);
    if (ctx.existing !== 'table' || ctx.fullRefresh || node.config.full_refresh === true) {
      return { ...base, materialization: 'incremental', steps: rebuildTable(rel, node.compiledSql, node.config, ctx.existing, d) };
    }
    const keys = uniqueKeys(node);
    const strategy = node.config.incremental_strategy ?? (keys.length > 0 ? d.upsertStrategies[0]! : 'append');
    if (strategy !== 'append' && keys.length === 0) {
      throw new ProjectError(`incremental model ${node.name}: incremental_strategy '${strategy}' needs a unique_key`, { file: node.file, node: node.name, hint: "set unique_key, or incremental_strategy='append'" });
    }
    if (strategy !== 'append' && !(d.upsertStrategies as readonly string[]).includes(strategy)) {
      throw new ProjectError(`incremental model ${node.name}: ${d.label} has no incremental_strategy '${strategy}'`, { file: node.file, node: node.name, hint: `use one of ${['append', ...d.upsertStrategies].join(', ')}` });
    }
    const tmp = tmpRelation(rel, d);
    return {
      ...base,
      materialization: 'incremental',
      steps: [
        { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
        { kind: 'sql', sql: d.createTableAs(tmp, node.compiledIncrementalSql ?? node.compiledSql, node.config) },
        // the rows this run adds (with a unique_key, some replace rows of the same key)
        { kind: 'count', sql: d.countRows(tmp), of: 'inserted' },
        { kind: 'transaction', statements: strategy === 'append' ? [d.appendRows(rel, tmp)] : d.upsertRows(rel, tmp, keys, strategy as UpsertStrategy) },
        { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
        { kind: 'count', sql: d.countRows(rel) },
      ],
    };
  },
};
