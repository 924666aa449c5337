import type { Dialect } from '../adapters/adapter.js';
import type { DataTest, Manifest, ModelNode } from '../types.js';

export interface TestPlan {
  /** dbt-style name: unique_songplays_songplay_id */
  name: string;
  model: string;
  column: string;
  kind: DataTest['kind'];
  /** returns one row with the number of failing rows in `failures` */
  sql: string;
  /** set when the test cannot run (e.g. it refers to a model that no longer exists) */
  problem?: string | undefined;
  file: string;
  line: number;
}

/** The data tests of the selected models, as queries that count failing rows. Pure. */
export function planTests(manifest: Manifest, selected: string[], dialect: Dialect): TestPlan[] {
  const plans: TestPlan[] = [];
  const models = new Map(Object.values(manifest.nodes).filter((n): n is ModelNode => n.resourceType === 'model').map((n) => [n.name, n]));
  for (const id of selected) {
    const node = manifest.nodes[id];
    if (node?.resourceType !== 'model') continue;
    const rel = dialect.relation(node.relation);
    for (const c of node.columns) {
      const col = dialect.quoteIdent(c.name);
      for (const t of c.tests ?? []) {
        let sql: string;
        let name = `${t.kind}_${node.name}_${c.name}`;
        switch (t.kind) {
          case 'unique':
            sql = `SELECT COUNT(*) AS failures FROM (\n  SELECT ${col} FROM ${rel} WHERE ${col} IS NOT NULL GROUP BY ${col} HAVING COUNT(*) > 1\n) AS duplicates`;
            break;
          case 'not_null':
            sql = `SELECT COUNT(*) AS failures FROM ${rel} WHERE ${col} IS NULL`;
            break;
          case 'accepted_values': {
            const values = t.values.map((v) => (typeof v === 'string' ? dialect.quoteLiteral(v) : typeof v === 'number' && Number.isFinite(v) ? String(v) : dialect.quoteLiteral(String(v))));
            sql = `SELECT COUNT(*) AS failures FROM ${rel} WHERE ${col} IS NOT NULL AND ${dialect.castText(col)} NOT IN (${values.map((v) => dialect.castText(v)).join(', ')})`;
            break;
          }
          case 'relationships': {
            const parent = models.get(t.to);
            name = `relationships_${node.name}_${c.name}__${t.to}_${t.field}`;
            if (!parent) {
              // as in dbt, a test on a model that was deleted or disabled is reported, not a compile error
              plans.push({ name, model: node.name, column: c.name, kind: t.kind, sql: '', file: t.where.file, line: t.where.line, problem: `unknown model '${t.to}' in relationships test` });
              continue;
            }
            const field = dialect.quoteIdent(t.field);
            sql =
              `SELECT COUNT(*) AS failures FROM ${rel} AS child\n` +
              `LEFT JOIN ${dialect.relation(parent.relation)} AS parent ON child.${col} = parent.${field}\n` +
              `WHERE child.${col} IS NOT NULL AND parent.${field} IS NULL`;
            break;
          }
        }
        plans.push({ name, model: node.name, column: c.name, kind: t.kind, sql, file: t.where.file, line: t.where.line });
      }
    }
  }
  return plans;
}
