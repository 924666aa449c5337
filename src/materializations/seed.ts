import type { SeedNode } from '../types.js';
import { analyze, basePlan, NO_CONFIG, swapIn, tmpRelation, type Materialization } from './materialization.js';

/**
 * seed: the CSV file is checked and loaded by the engine's CSV reader into x__sparkify_tmp, so a
 * bad file leaves the seed's table as it was. Then, as dbt does, an existing table keeps its
 * identity (views that read it survive): its rows are replaced by tmp's in one transaction. The
 * first load, a full refresh (`--full-refresh`, unless the seed says `full_refresh: false`), or a
 * view in its place swaps tmp in instead, which drops and recreates the table (on PostgreSQL with
 * the views that depend on it, as dbt's full refresh does).
 */
export const seed: Materialization<SeedNode> = {
  name: 'seed',
  config: NO_CONFIG,
  plan(node, d, ctx) {
    const rel = node.relation;
    const tmp = tmpRelation(rel, d);
    const fullRefresh = node.config.full_refresh ?? ctx.fullRefresh;
    const key = node.fqn.slice(1).join('/');
    const load = [
      { kind: 'sql' as const, sql: d.dropRelation(tmp, 'table') },
      { kind: 'seed-load' as const, seed: { name: node.name, file: node.file, path: node.path, key: `${key}.csv`, config: node.config, columnTypesAt: node.columnTypesAt, ownColumnTypes: node.ownColumnTypes }, into: tmp },
      ...analyze(tmp, d),
    ];
    const replace =
      ctx.existing === 'table' && !fullRefresh
        ? [
            {
              kind: 'check' as const,
              sql: d.sameColumnsCheck(rel, tmp),
              message: `the columns of seed ${node.name} changed since its table was created`,
              hint: `rebuild it: sparkify seed --full-refresh --select ${node.name}`,
            },
            { kind: 'transaction' as const, statements: [d.deleteAllRows(rel), d.appendRows(rel, tmp)] },
            { kind: 'sql' as const, sql: d.dropRelation(tmp, 'table') },
          ]
        : swapIn(tmp, rel, ctx.existing, d);
    return { ...basePlan(node, d), materialization: 'seed', steps: [...load, ...replace, ...analyze(rel, d), { kind: 'count', sql: d.countRows(rel) }] };
  },
};
