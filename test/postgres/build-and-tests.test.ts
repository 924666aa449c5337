import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

// `sparkify build`, tests as nodes and their selection, on DuckDB and on the real PostgreSQL server.

const EVENTS = [
  { id: 1, kind: 'a', v: 10 },
  { id: 2, kind: 'b', v: 20 },
  { id: 3, kind: 'a', v: 30 },
  { id: 4, kind: 'c', v: 40 },
  { id: 5, kind: 'a', v: 50 },
];

const FILES: Record<string, string> = {
  'data/events/part-1.json': EVENTS.map((e) => JSON.stringify(e)).join('\n'),
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data/events
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer, data_tests: [unique, not_null] }
          - { name: kind, type: varchar(8) }
          - { name: v, type: bigint }
`,
  'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
  'models/by_kind.sql': "select kind, sum(v) as total from {{ ref('base') }} group by kind\n",
  'models/top.sql': "select * from {{ ref('by_kind') }} order by total desc limit 1\n",
  'macros/tests.sql': '{% test at_most(model, column_name, max) %}\nselect * from {{ model }} where {{ column_name }} > {{ max }}\n{% endtest %}\n',
  'tests/generic/is_positive.sql': '{% test is_positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}\n',
  'tests/assert_no_negative_total.sql': "{{ config(severity='error') }}\nselect * from {{ ref('by_kind') }} where total < 0\n",
  'models/schema.yml': `version: 2
models:
  - name: base
    columns:
      - name: id
        data_tests:
          - unique
          - not_null
          - relationships: { to: "source('raw', 'events')", field: id }
      - name: kind
        data_tests:
          - accepted_values:
              name: kind_is_known
              values: [a, b]
              config: { severity: warn }
          - accepted_values:
              name: kind_is_a
              values: [a]
              config: { store_failures: true, warn_if: '>1', error_if: '>5' }
          - accepted_values:
              name: kind_is_x_limited
              values: [x]
              config: { severity: warn, limit: 1 }
      - name: v
        data_tests:
          - at_most:
              name: small_a_values
              max: 50
              config: { where: "kind = 'a'" }
  - name: by_kind
    columns:
      - name: kind
        data_tests:
          - unique
          - relationships: { to: ref('base'), field: kind }
      - name: total
        data_tests:
          - is_positive
          - at_most: { max: 50 }
`,
};

const ENGINES = [
  { engine: 'duckdb', cfg: () => ({ schema: 'main', files: {} as Record<string, string> }) },
  {
    engine: 'postgres',
    cfg: () => {
      const schema = freshSchema('build');
      schemas.push(schema);
      return { schema, files: { 'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n' } };
    },
  },
];

const schemas: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  dirs.forEach(removeDir);
  for (const s of schemas) {
    await dropSchema(s);
    await dropSchema(`${s}_dbt_test__audit`);
  }
});

interface Result {
  name: string;
  status: string;
  failures?: number;
  message?: string;
  storedFailures?: string;
}

describe.each(ENGINES)('sparkify build and tests on $engine', ({ cfg }) => {
  const setup = () => {
    const { schema, files } = cfg();
    const dir = writeProject({ ...FILES, ...files });
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    const results = () => (JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')) as { results: Result[] }).results;
    const rows = (sql: string) => {
      const r = cli('show', '--inline', sql, '--output', 'json', '--limit', '-1');
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as Record<string, unknown>[];
    };
    return { dir, schema, cli, results, rows };
  };

  it('runs sources, models and tests in DAG order, each node followed by its tests; a failing test skips the descendants and names itself; warnings go on; retry after fixing', () => {
    const { dir, schema, cli, results, rows } = setup();
    const r = cli('build', '--threads', '1');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    const got = results();
    expect(got.map((x) => `${x.name}:${x.status}`)).toEqual([
      'events:success',
      'source_not_null_raw_events_id:pass',
      'source_unique_raw_events_id:pass',
      'base:success',
      'kind_is_a:warn',
      'kind_is_known:warn',
      'kind_is_x_limited:warn',
      'not_null_base_id:pass',
      'relationships_base_id__raw_events_id:pass',
      'small_a_values:pass',
      'unique_base_id:pass',
      'by_kind:success',
      'assert_no_negative_total:pass',
      'at_most_by_kind_total:fail',
      'is_positive_by_kind_total:pass',
      'relationships_by_kind_kind__base_kind:pass',
      'unique_by_kind_kind:pass',
      'top:skipped',
    ]);
    const byName = new Map(got.map((x) => [x.name, x]));
    // accepted_values counts the distinct bad values, as dbt: b and c; c alone for kind_is_known
    expect(byName.get('kind_is_a')!.failures).toBe(2);
    expect(byName.get('kind_is_known')!.failures).toBe(1);
    expect(byName.get('kind_is_x_limited')!.failures).toBe(1);
    // only a's total (90) is over 50; the where: filter keeps the a rows, none over 50
    expect(byName.get('at_most_by_kind_total')!.failures).toBe(1);
    expect(byName.get('top')!.message).toBe('skipped: at_most_by_kind_total failed');
    expect(r.stdout).toMatch(/SKIP table model top \.+ \[SKIP: at_most_by_kind_total failed\]/);
    expect(r.stdout).toMatch(/WARN test kind_is_known \.+ \[WARN 1 in/);
    expect(r.stdout).toContain('Failure in test at_most_by_kind_total: 1 failing row in by_kind.total');
    expect(r.stdout).toContain('Done. PASS=13 WARN=3 FAIL=1 ERROR=0 SKIP=1 TOTAL=18');
    // store_failures: the failing rows in <schema>_dbt_test__audit
    const audit = `${schema}_dbt_test__audit`;
    expect(byName.get('kind_is_a')!.storedFailures).toBe(`${audit}.kind_is_a`);
    expect(r.stdout).toContain(`the failing rows are in ${audit}.kind_is_a`);
    expect(rows(`select value_field, n_records from ${audit}.kind_is_a order by value_field`)).toEqual([
      { value_field: 'b', n_records: expect.anything() },
      { value_field: 'c', n_records: expect.anything() },
    ]);
    expect(rows(`select * from {{ ref('by_kind') }} order by kind`).map((x) => [x.kind, Number(x.total)])).toEqual([
      ['a', 90],
      ['b', 20],
      ['c', 40],
    ]);

    // fix the test, then retry: only the failed test and the skipped model run
    const yml = path.join(dir, 'models/schema.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace('- at_most: { max: 50 }', '- at_most: { max: 100 }'));
    const again = cli('retry');
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(results().map((x) => `${x.name}:${x.status}`)).toEqual(['at_most_by_kind_total:pass', 'top:success']);
    expect(rows(`select * from {{ ref('top') }}`).map((x) => x.kind)).toEqual(['a']);
    expect(cli('retry').stdout).toContain('Nothing to retry');
  });

  it('selects tests by test_name:, test_type: and indirect selection (eager, cautious, buildable, empty); --resource-type limits a build', () => {
    const { cli, results } = setup();
    expect(cli('build', '--exclude', 'top').code).toBe(1);
    const ls = (...s: string[]) => cli('ls', ...s).stdout.trim().split('\n');
    expect(ls('-s', 'test_name:unique')).toEqual(['source_unique_raw_events_id', 'unique_base_id', 'unique_by_kind_kind']);
    expect(ls('-s', 'test_type:singular')).toEqual(['assert_no_negative_total']);
    expect(ls('-s', 'test_name:at_most')).toEqual(['at_most_by_kind_total', 'small_a_values']);
    expect(ls('-s', 'resource_type:test,by_kind+')).toEqual(['assert_no_negative_total', 'at_most_by_kind_total', 'is_positive_by_kind_total', 'relationships_by_kind_kind__base_kind', 'unique_by_kind_kind']);
    const tested = (...args: string[]) => {
      cli('test', ...args);
      return results()
        .map((x) => x.name)
        .sort();
    };
    const ofBase = ['kind_is_a', 'kind_is_known', 'kind_is_x_limited', 'not_null_base_id', 'small_a_values', 'unique_base_id'];
    expect(tested('-s', 'base')).toEqual([...ofBase, 'relationships_base_id__raw_events_id', 'relationships_by_kind_kind__base_kind'].sort());
    expect(tested('-s', 'base', '--indirect-selection', 'cautious')).toEqual(ofBase);
    expect(tested('-s', 'base', '--indirect-selection', 'buildable')).toEqual([...ofBase, 'relationships_base_id__raw_events_id'].sort());
    const empty = cli('test', '-s', 'base', '--indirect-selection', 'empty');
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No tests on the selected nodes');
    expect(tested('-s', 'test_type:singular')).toEqual(['assert_no_negative_total']);
    expect(tested('-s', 'base', '--exclude', 'test_name:accepted_values')).toEqual(['not_null_base_id', 'relationships_base_id__raw_events_id', 'relationships_by_kind_kind__base_kind', 'small_a_values', 'unique_base_id']);
    const models = cli('build', '--resource-type', 'model', '--threads', '1');
    expect(models.code).toBe(0);
    expect(results().map((x) => x.name)).toEqual(['base', 'by_kind', 'top']);
    const bad = cli('ls', '-s', 'test_type:unt');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown test type 'unt'");
    expect(bad.stderr).toContain("did you mean 'unit'?");
  });
});
