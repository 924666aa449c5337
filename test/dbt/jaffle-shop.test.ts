import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/adapters/create-engine.js';
import { resolveProjectTarget } from '../../src/api.js';
import { REPO_ROOT, removeDir, runCli, tempDir, type CliResult } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/**
 * dbt-labs' jaffle_shop, unmodified, built by the CLI from its own folder: `sparkify seed`, `run`
 * and `test`, then `build` on a fresh target, on DuckDB and PostgreSQL. The figures are the ones
 * measured from its seeds (../shared/dbt-projects/README.md). The folder gets no file of ours: the
 * target is chosen with --config, a dwh.cfg outside it (README, "Config").
 */
const JAFFLE = path.resolve(REPO_ROOT, '../shared/dbt-projects/jaffle_shop');
const HAS_JAFFLE = existsSync(path.join(JAFFLE, 'dbt_project.yml'));
if (!HAS_JAFFLE) console.warn(`skipping the jaffle_shop tests: the project is not at ${JAFFLE} (the shared dbt projects are absent)`);

const cases = (['duckdb', 'postgres'] as const).map((type) => [type] as const);

const filesOf = (dir: string) => (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith('target')).sort();

describe.skipIf(!HAS_JAFFLE).each(cases)('jaffle_shop on %s, through the CLI', (type) => {
  const schemas: string[] = [];
  const dirs: string[] = [];

  afterAll(async () => {
    if (type === 'postgres') for (const s of schemas) await dropSchema(s);
    for (const d of dirs) removeDir(d);
  });

  /** a copy of the project, and a config outside it pointing at a fresh schema (and DuckDB file) */
  const setUp = () => {
    const project = path.join(tempDir('jaffle-'), 'jaffle_shop');
    cpSync(JAFFLE, project, { recursive: true });
    const configDir = tempDir('jaffle-config-');
    dirs.push(path.dirname(project), configDir);
    const schema = freshSchema('jaffle');
    schemas.push(schema);
    const config = path.join(configDir, 'dwh.cfg');
    writeFileSync(config, `[SPARKIFY]\nTARGET = ${type}\n[DUCKDB]\nPATH = ${path.join(configDir, 'jaffle.duckdb')}\nSCHEMA = ${schema}\n${pgCfg(schema)}`);
    return { project, config, schema };
  };

  const sparkify = (project: string, config: string, ...args: string[]): CliResult => {
    const r = runCli([...args, '--config', config], { cwd: project });
    if (r.code !== 0) throw new Error(`sparkify ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
    return r;
  };

  /** the figures of the built warehouse, read from the target */
  const check = async (project: string, config: string, schema: string) => {
    const engine = await openEngine(resolveProjectTarget({ projectDir: project, configPath: config, env: {} }), 1);
    try {
      const q = (sql: string) => engine.withConnection((c) => c.query(sql.replaceAll('S.', `"${schema}".`)));
      const n = async (sql: string) => Number(Object.values((await q(sql))[0]!)[0]);
      expect(await n('select count(*) from S.raw_customers')).toBe(100);
      expect(await n('select count(*) from S.raw_orders')).toBe(99);
      expect(await n('select count(*) from S.raw_payments')).toBe(113);
      expect(await n('select count(*) from S.customers')).toBe(100);
      expect(await n('select count(*) from S.customers where number_of_orders > 0')).toBe(62);
      expect(await n('select sum(number_of_orders) from S.customers')).toBe(99);
      expect(await n('select sum(customer_lifetime_value) from S.customers')).toBe(1672);
      expect(await n('select count(*) from S.orders')).toBe(99);
      const sums = (await q('select sum(amount) as amount, sum(credit_card_amount) as credit_card, sum(coupon_amount) as coupon, sum(bank_transfer_amount) as bank_transfer, sum(gift_card_amount) as gift_card from S.orders'))[0]!;
      expect(Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, Number(v)]))).toEqual({ amount: 1672, credit_card: 871, coupon: 185, bank_transfer: 411, gift_card: 205 });
      const c42 = (await q('select number_of_orders, customer_lifetime_value from S.customers where customer_id = 42'))[0]!;
      expect([Number(c42.number_of_orders), Number(c42.customer_lifetime_value)]).toEqual([2, 27]);
      // dbt_project.yml: staging/ models are views, the rest tables; seeds are tables
      const kinds = Object.fromEntries((await engine.listRelations([schema])).map((r) => [r.name, r.type]));
      expect(kinds).toEqual({
        raw_customers: 'table',
        raw_orders: 'table',
        raw_payments: 'table',
        stg_customers: 'view',
        stg_orders: 'view',
        stg_payments: 'view',
        customers: 'table',
        orders: 'table',
      });
    } finally {
      await engine.close();
    }
  };

  it('sparkify seed && sparkify run && sparkify test', async () => {
    const { project, config, schema } = setUp();
    const before = filesOf(project);
    const seeded = sparkify(project, config, 'seed');
    expect(seeded.stdout).toMatch(/OK seed file raw_customers \.+ \[100 rows/);
    expect(seeded.stdout).toMatch(/OK seed file raw_orders \.+ \[99 rows/);
    expect(seeded.stdout).toMatch(/OK seed file raw_payments \.+ \[113 rows/);
    expect(sparkify(project, config, 'run').stdout).toContain('Done. PASS=5 ERROR=0 SKIP=0 TOTAL=5');
    const tested = sparkify(project, config, 'test');
    // 20 data tests in the two schema.yml files, every one passing
    expect(tested.stdout).toContain('Done. PASS=20 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=20');
    await check(project, config, schema);
    expect(filesOf(project)).toEqual(before);
  });

  it('sparkify build: seeds, models and tests in DAG order', async () => {
    const { project, config, schema } = setUp();
    const built = sparkify(project, config, 'build');
    expect(built.stdout).toContain('Done. PASS=28 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=28');
    const order = [...built.stdout.matchAll(/\d+ of 28 (?:OK|PASS) (?:seed file|view model|table model|test) (\w+)/g)].map((m) => m[1]!);
    const at = (name: string) => order.indexOf(name);
    expect(at('raw_orders')).toBeLessThan(at('stg_orders'));
    expect(at('stg_orders')).toBeLessThan(at('orders'));
    expect(at('unique_stg_orders_order_id')).toBeLessThan(at('orders'));
    await check(project, config, schema);
    // run_results.json records the seeds, and a retry after a green build has nothing to do
    expect(sparkify(project, config, 'retry').stdout).toContain('Nothing to retry');
    // the docs: the catalog counts the seeds' rows, the lineage follows the staging columns to them
    sparkify(project, config, 'docs', 'generate');
    const catalog = JSON.parse(readFileSync(path.join(project, 'target/catalog.json'), 'utf8')) as { nodes: Record<string, { stats: { row_count: { value: number } } }> };
    expect(Object.fromEntries(['raw_customers', 'raw_orders', 'raw_payments'].map((s) => [s, catalog.nodes[`seed.${s}`]?.stats.row_count.value]))).toEqual({ raw_customers: 100, raw_orders: 99, raw_payments: 113 });
    const lineage = JSON.parse(readFileSync(path.join(project, 'target/column_lineage.json'), 'utf8')) as { nodes: Record<string, { columns: { column: string; upstream: unknown[] }[] }> };
    expect(lineage.nodes['model.stg_orders']!.columns.find((c) => c.column === 'customer_id')!.upstream).toEqual([{ node: 'seed.raw_orders', column: 'user_id' }]);
    const site = readFileSync(path.join(project, 'target/docs/data.js'), 'utf8');
    for (const s of ['raw_customers', 'raw_orders', 'raw_payments']) expect(site).toContain(`"seed.${s}"`);
  });
});
