import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, run } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { SparkifyError } from '../../src/errors.js';
import { selectNodes } from '../../src/graph/select-nodes.js';
import type { ModelNode, SourceNode, TestNode } from '../../src/types.js';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/**
 * dbt property files anywhere under the model paths: sources: declared beside the models that read
 * them, {{ doc() }} resolved at compile, dbt's keys read (or noted) as dbt reads them.
 */
const STAGING_SCHEMA = `version: 2

sources:
  - name: shop
    description: "{{ doc('shop_source') }}"
    database: "{{ target.database }}"
    schema: "{{ var('raw_schema') }}"
    loader: fivetran
    tags: [raw]
    meta: {owner: ana}
    loaded_at_field: loaded_at
    freshness:
      warn_after: {count: 12, period: hour}
    tables:
      - name: orders
        identifier: ORDERS_V2
        quoting: {identifier: false}
        description: "{{ doc('orders') }}"
        meta: {pii: false}
        tags: [orders]
        columns:
          - name: id
            data_type: integer
            description: The order's key.
            data_tests: [unique, not_null]
          - name: status
            data_tests:
              - accepted_values:
                  values: [placed, shipped]
          - name: loaded_at
            data_type: timestamp
        data_tests:
          - dbt_utils_free_check
      - name: legacy
        config: {enabled: false}
    data_tests: []

models:
  - name: stg_orders
    description: "Orders, one per id. {{ doc('orders') }}"
    meta: {team: sales}
    config:
      tags: [staging]
    columns:
      - name: id
        description: "{{ doc('order_id') }}"
        data_tests: [not_null]
        policy_tags: [x]
    docs: {show: true}

exposures:
  - name: weekly_report
    type: dashboard
    owner: {name: ana}
`;

const DOCS_MD = `{% docs shop_source %}
The shop's production database, copied hourly.
{% enddocs %}

{% docs orders %}
Every order placed in the shop.
{% enddocs %}

{% docs order_id %}
The order's key, from the shop.
{% enddocs %}
`;

const FILES = {
  'dbt_project.yml': 'name: jaffle\nmodels:\n  jaffle:\n    +materialized: table\n',
  'models/staging/schema.yml': STAGING_SCHEMA,
  'models/staging/docs.md': DOCS_MD,
  'models/staging/stg_orders.sql': "select id, status from {{ source('shop', 'orders') }} where status <> 'void'\n",
  'models/marts/orders_by_status.sql': "select status, count(*) as n from {{ ref('stg_orders') }} group by status\n",
  'tests/generic/dbt_utils_free_check.sql': '{% test dbt_utils_free_check(model) %}\nselect * from {{ model }} where id < 0\n{% endtest %}\n',
};

function compileErrors(dir: string, vars: Record<string, unknown> = { raw_schema: 'raw' }): SparkifyError[] {
  try {
    compile({ projectDir: dir, env: {}, vars });
  } catch (e) {
    const all = (e as { errors?: SparkifyError[] }).errors;
    return all ?? [e as SparkifyError];
  }
  return [];
}

describe('property files: sources and docs under models/', () => {
  let dir: string;
  beforeAll(() => {
    dir = writeProject({ ...FILES, 'dwh.cfg': '[DUCKDB]\nPATH = w.duckdb\nSCHEMA = main\n' });
  });
  afterAll(() => removeDir(dir));

  it('declares the sources of models/staging/schema.yml for source(), with their fqn, path, relation, tags and meta', () => {
    const { manifest } = compile({ projectDir: dir, env: {}, vars: { raw_schema: 'raw' } });
    const orders = manifest.nodes['source.shop.orders'] as SourceNode;
    expect(orders.fqn).toEqual(['jaffle', 'staging', 'shop', 'orders']);
    expect(orders.path).toBe('models/staging/schema.yml');
    // quoting: {identifier: false}: the name folds to lower case, as the engines fold an unquoted name
    expect(orders.relation).toEqual({ schema: 'raw', name: 'orders_v2' });
    expect(orders.config.tags).toEqual(['raw', 'orders']);
    expect(orders.config.meta).toEqual({ owner: 'ana', pii: false });
    expect(orders.table.loadedAtField).toBe('loaded_at');
    expect(orders.table.freshness).toEqual({ warnAfter: { count: 12, period: 'hour' } });
    expect(orders.table.columns.map((c) => [c.name, c.type])).toEqual([
      ['id', 'integer'],
      ['status', 'varchar(256)'],
      ['loaded_at', 'timestamp'],
    ]);
    // a disabled table is not declared
    expect(manifest.nodes['source.shop.legacy']).toBeUndefined();
    const stg = manifest.nodes['model.stg_orders'] as ModelNode;
    expect(stg.dependsOn).toEqual(['source.shop.orders']);
    expect(stg.compiledSql).toContain('"raw"."orders_v2"');
    // the model's own meta and tags go under its config
    expect(stg.config.tags).toEqual(['staging']);
    expect((stg.config as unknown as { meta: unknown }).meta).toEqual({ team: 'sales' });
  });

  it('resolves {{ doc() }} in every description at compile, so manifest.json holds the text', () => {
    const { manifest } = compile({ projectDir: dir, env: {}, vars: { raw_schema: 'raw' } });
    const orders = manifest.nodes['source.shop.orders'] as SourceNode;
    expect(orders.table.description).toBe('Every order placed in the shop.');
    expect(orders.table.sourceDescription).toBe("The shop's production database, copied hourly.");
    const stg = manifest.nodes['model.stg_orders'] as ModelNode;
    expect(stg.description).toBe('Orders, one per id. Every order placed in the shop.');
    expect(stg.columns[0]!.description).toBe("The order's key, from the shop.");
    expect(JSON.stringify(manifest)).not.toContain('doc(');
  });

  it('makes tests of the source tables and columns declared there, named as dbt names them', () => {
    const { manifest } = compile({ projectDir: dir, env: {}, vars: { raw_schema: 'raw' } });
    const tests = Object.values(manifest.nodes).filter((n): n is TestNode => n.resourceType === 'test');
    expect(tests.map((t) => t.name).sort()).toEqual([
      'not_null_stg_orders_id',
      'source_accepted_values_shop_orders_status',
      'source_dbt_utils_free_check_shop_orders',
      'source_not_null_shop_orders_id',
      'source_unique_shop_orders_id',
    ]);
    const unique = tests.find((t) => t.name === 'source_unique_shop_orders_id')!;
    expect(unique.dependsOn).toEqual(['source.shop.orders']);
    expect(unique.fqn.slice(0, 2)).toEqual(['jaffle', 'staging']);
  });

  it('path: selects the sources a .yml declares and the models it describes; source: selects by source', () => {
    const { manifest } = compile({ projectDir: dir, env: {}, vars: { raw_schema: 'raw' } });
    const byFile = selectNodes(manifest, ['path:models/staging/schema.yml'], undefined).filter((id) => !id.startsWith('test.'));
    expect(byFile.sort()).toEqual(['model.stg_orders', 'source.shop.orders']);
    expect(selectNodes(manifest, ['path:models/staging'], undefined).filter((id) => !id.startsWith('test.')).sort()).toEqual(['model.stg_orders', 'source.shop.orders']);
    expect(selectNodes(manifest, ['source:shop+'], undefined).filter((id) => !id.startsWith('test.')).sort()).toEqual(['model.orders_by_status', 'model.stg_orders', 'source.shop.orders']);
    expect(selectNodes(manifest, ['tag:raw'], undefined)).toEqual(['source.shop.orders']);
    expect(selectNodes(manifest, ['config.meta.owner:ana'], undefined)).toEqual(['source.shop.orders']);
  });

  it('lists the dbt keys it does not use and the unknown ones as notes at their lines, not errors', () => {
    const { manifest } = compile({ projectDir: dir, env: {}, vars: { raw_schema: 'raw' } });
    const notes = (manifest.notes ?? []).filter((n) => n.file.endsWith('schema.yml')).map((n) => `${n.line}: ${n.message}${n.quiet ? ' (quiet)' : ''}`);
    // data_tests: on a source (not a table) is read by neither dbt nor sparkify
    expect(notes.sort()).toEqual([
      "36: unknown key 'data_tests' (neither dbt nor sparkify reads it), so it has no effect",
      '48: policy_tags: not used by sparkify (BigQuery only), so it has no effect',
      '49: docs: not used by sparkify (the docs site shows every node), so it has no effect (quiet)',
      '51: exposures: not used by sparkify (sparkify has no exposures), so it has no effect',
    ]);
  });

  it('a description naming an unknown docs block is an error at its line, with a suggestion', () => {
    const bad = writeProject({ ...FILES, 'models/staging/schema.yml': STAGING_SCHEMA.replace("doc('order_id')", "doc('order_idd')") });
    try {
      const errors = compileErrors(bad);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toBe("unknown docs block 'order_idd' in the description of column id of model stg_orders");
      expect(errors[0]!.file).toBe(`${bad}/models/staging/schema.yml`);
      expect(errors[0]!.line).toBe(46);
      expect(errors[0]!.hint).toBe("did you mean 'order_id'?");
    } finally {
      removeDir(bad);
    }
  });

  it('source() of a disabled source table is an error at its line saying so', () => {
    const bad = writeProject({ ...FILES, 'models/legacy.sql': "select 1 as x\nfrom {{ source('shop', 'legacy') }}\n" });
    try {
      const errors = compileErrors(bad);
      expect(errors.map((e) => `${e.file}:${e.line}: ${e.message}`)).toEqual([`${bad}/models/legacy.sql:2: source('shop', 'legacy') points at a disabled source`]);
      expect(errors[0]!.hint).toContain('enable it');
    } finally {
      removeDir(bad);
    }
  });

  it('a source table declared twice, or in another database, is an error at its line', () => {
    const twice = writeProject({ ...FILES, 'sources.yml': 'version: 2\nsources:\n  - name: shop\n    tables:\n      - name: orders\n' });
    const otherDb = writeProject({ ...FILES, 'models/staging/schema.yml': STAGING_SCHEMA.replace('database: "{{ target.database }}"', 'database: analytics') });
    try {
      const e1 = compileErrors(twice);
      expect(e1.map((e) => `${e.file}:${e.line}: ${e.message}`)).toEqual([`${twice}/models/staging/schema.yml:15: source table shop.orders is declared twice (also at sources.yml:5)`]);
      const e2 = compileErrors(otherDb);
      expect(e2.map((e) => `${e.line}: ${e.message}`)).toEqual(["6: source 'shop' is in database 'analytics', and sparkify reads every source from the target's database, 'sparkify'"]);
      expect(e2[0]!.hint).toContain('{{ target.database }}');
    } finally {
      removeDir(twice);
      removeDir(otherDb);
    }
  });

  it('sparkify compile warns about each note once; sparkify debug lists the quiet ones too', () => {
    const compiled = runCli(['compile', '--project-dir', dir, '--vars', '{raw_schema: raw}']);
    expect(compiled.code).toBe(0);
    const out = compiled.stdout + compiled.stderr;
    expect(out.split('exposures: not used by sparkify').length - 1).toBe(1);
    expect(out).toContain('models/staging/schema.yml:48: policy_tags: not used by sparkify');
    expect(out).not.toContain('docs: not used');
    const debug = runCli(['debug', '--project-dir', dir, '--vars', '{raw_schema: raw}']);
    expect(debug.stdout).toContain('models/staging/schema.yml:49: docs: not used by sparkify');
    expect(debug.stdout).toContain('models/staging/schema.yml:51: exposures: not used by sparkify');
  });
});

describe.each([['duckdb'], ['postgres']] as const)('property-file sources build and test on %s', (type) => {
  const schema = freshSchema('props');
  const raw = `${schema}_raw`;
  let dir: string;
  beforeAll(async () => {
    dir = writeProject({ ...FILES, 'dwh.cfg': `[DUCKDB]\nPATH = w.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}` });
    const opts = { projectDir: dir, targetName: type, env: {} };
    const engine = await openEngine(resolveProjectTarget(opts), 1);
    try {
      await engine.withConnection(async (c) => {
        await c.query(`create schema "${raw}"`);
        await c.query(`create table "${raw}".orders_v2 (id integer, status varchar(20), loaded_at timestamp)`);
        await c.query(`insert into "${raw}".orders_v2 values (1, 'placed', '2024-01-01 00:00:00'), (2, 'shipped', '2024-01-01 00:00:00'), (3, 'void', '2024-01-01 00:00:00'), (3, 'returned', '2024-01-02 00:00:00')`);
      });
    } finally {
      await engine.close();
    }
  });
  afterAll(async () => {
    if (type === 'postgres') {
      await dropSchema(schema);
      await dropSchema(raw);
    }
    if (dir) removeDir(dir);
  });

  it('builds the models over the declared source and runs its tests with real counts', async () => {
    const { result } = await run({ projectDir: dir, targetName: type, env: {}, vars: { raw_schema: raw }, resourceTypes: ['source', 'model', 'test'] });
    const byName = new Map(result.results.map((r) => [r.id, r]));
    expect(byName.get('model.stg_orders')?.status).toBe('success');
    expect(byName.get('model.stg_orders')?.rows).toBe(3);
    expect(byName.get('model.orders_by_status')?.rows).toBe(3);
    // id 3 is there twice; 'void' and 'returned' are not accepted values
    expect(byName.get('test.source_unique_shop_orders_id')).toMatchObject({ status: 'fail', failures: 1 });
    expect(byName.get('test.source_accepted_values_shop_orders_status')).toMatchObject({ status: 'fail', failures: 2 });
    expect(byName.get('test.source_not_null_shop_orders_id')).toMatchObject({ status: 'pass', failures: 0 });
    expect(byName.get('test.not_null_stg_orders_id')).toMatchObject({ status: 'pass' });
  });
});
