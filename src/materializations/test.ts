import type { Dialect, Step } from '../adapters/adapter.js';
import type { TestNode } from '../types.js';
import { NO_CONFIG, type Materialization } from './materialization.js';

/**
 * A data test: count the failing rows its query returns (at most `limit`). With store_failures the
 * failing rows are kept in a table of <schema>_dbt_test__audit, replaced on every run.
 */
export function testSteps(t: TestNode, d: Dialect): Step[] {
  if (t.unit) return [{ kind: 'unit', sql: t.compiledSql, columns: t.unit.expect.columns, expected: t.unit.expect.rows }];
  const failing = t.config.limit === undefined ? t.compiledSql.trim() : `SELECT * FROM (\n${t.compiledSql.trim()}\n) AS dbt_limited\nLIMIT ${t.config.limit}`;
  if (t.config.store_failures && t.testType !== 'unit') {
    return [
      { kind: 'sql', sql: d.dropRelation(t.relation, 'table') },
      { kind: 'sql', sql: d.createTableAs(t.relation, failing, { materialized: 'table', tags: [], enabled: true }) },
      { kind: 'test', sql: `SELECT COUNT(*) AS failures FROM ${d.relation(t.relation)}` },
    ];
  }
  return [{ kind: 'test', sql: `SELECT COUNT(*) AS failures FROM (\n${failing}\n) AS dbt_internal_test` }];
}

/** Tests are nodes too; their config is parsed with the yml (parse-data-tests.ts). */
export const test: Materialization<TestNode> = {
  name: 'test',
  config: NO_CONFIG,
  plan(t, d) {
    const storedIn = t.config.store_failures && t.testType !== 'unit' ? `${t.relation.schema}.${t.relation.name}` : undefined;
    return {
      id: t.id,
      name: t.name,
      resourceType: 'test',
      materialization: 'test',
      relation: t.relation,
      steps: t.problem ? [] : testSteps(t, d),
      onFailure: [],
      test: { config: t.config, storedIn, problem: t.problem },
    };
  },
};
