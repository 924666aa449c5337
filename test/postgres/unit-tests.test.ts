import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { copyFixtureProject, removeDir, runCli, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

// Unit tests (dbt 1.8) on DuckDB and the real PostgreSQL server: no upstream relation exists in
// the fresh target, so they run on their fixtures alone.

const schemas: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  dirs.forEach(removeDir);
  for (const s of schemas) await dropSchema(s);
});

const ENGINES = [
  { engine: 'duckdb', cfg: (): string => '' },
  {
    engine: 'postgres',
    cfg: (): string => {
      const schema = freshSchema('unit');
      schemas.push(schema);
      return pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n';
    },
  },
];

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data/events
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer }
          - { name: kind, type: varchar(8) }
          - { name: v, type: bigint }
`;

describe.each(ENGINES)('unit tests on $engine', ({ cfg }) => {
  it("the Sparkify project's unit tests pass without building anything; a wrong expectation fails with a diff of the rows", () => {
    const dir = copyFixtureProject(cfg());
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    const r = cli('test', '--select', 'test_type:unit');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/PASS test songplays_match_rule/);
    expect(r.stdout).toMatch(/PASS test users_latest_event_wins/);
    expect(r.stdout).toContain('Done. PASS=2 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=2');
    // nothing was built: the model's relation does not exist
    const show = cli('show', '--select', 'songplays');
    expect(show.code).not.toBe(0);
    expect(show.stderr).toMatch(/songplays/);

    const yml = path.join(dir, 'models/star/unit_tests.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace('level: paid, song_id: SOTTA, artist_id: ARTTA', 'level: paid, song_id: SOTTB, artist_id: ARTTB'));
    const bad = cli('test', '--select', 'test_type:unit');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL test songplays_match_rule \.+ \[FAIL 2 in/);
    expect(bad.stdout).toContain('actual differs from expected (on start_time, user_id, level, song_id, artist_id):');
    expect(bad.stdout).toContain('- start_time=2018-11-01 20:57:10.798, user_id=39, level=paid, song_id=SOTTB, artist_id=ARTTB');
    expect(bad.stdout).toContain('+ start_time=2018-11-01 20:57:10.798, user_id=39, level=paid, song_id=SOTTA, artist_id=ARTTA');
  });

  it('overrides vars and is_incremental; refs take their fixture rows (dict or csv); in build a unit test runs before its model and a failing one skips it', () => {
    const dir = writeProject({
      'dwh.cfg': cfg(),
      'sources.yml': SOURCES,
      'data/events/a.json': '{"id": 1, "kind": "a", "v": 5}\n',
      'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
      'models/big.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect id, v from {{ ref('base') }} where v >= {{ var('min_v', 10) }}\n{% if is_incremental() %} and id > 100{% endif %}\n",
      'models/schema.yml': "version: 2\nmodels:\n  - name: base\n    columns:\n      - { name: id, data_type: integer }\n      - { name: kind, data_type: text }\n      - { name: v, data_type: bigint }\n",
      'models/unit.yml': `version: 2
unit_tests:
  - name: big_default_threshold
    model: big
    given:
      - input: ref('base')
        rows: [{ id: 1, v: 5 }, { id: 2, v: 10 }, { id: 3, v: 50 }]
    expect:
      rows: [{ id: 2, v: 10 }, { id: 3, v: 50 }]
  - name: big_with_vars_incremental
    model: big
    overrides:
      vars: { min_v: 1 }
      macros: { is_incremental: true }
    given:
      - input: ref('base')
        format: csv
        rows: |
          id,kind,v
          1,a,5
          101,b,7
    expect:
      rows: [{ id: 101, v: 7 }]
`,
    });
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    const r = cli('test', '--select', 'test_type:unit');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Done. PASS=2 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=2');

    const b = cli('build', '--threads', '1');
    expect(b.code).toBe(0);
    const order = (JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')) as { results: { name: string; status: string }[] }).results.map((x) => `${x.name}:${x.status}`);
    expect(order).toEqual(['events:success', 'base:success', 'big_default_threshold:pass', 'big_with_vars_incremental:pass', 'big:success']);

    const yml = path.join(dir, 'models/unit.yml');
    writeFileSync(yml, readFileSync(yml, 'utf8').replace('rows: [{ id: 2, v: 10 }, { id: 3, v: 50 }]', 'rows: [{ id: 3, v: 50 }]'));
    const failed = cli('build', '--threads', '1', '--select', 'big');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/SKIP incremental model big \.+ \[SKIP: big_default_threshold failed\]/);
    expect(failed.stdout).toContain('+ id=2, v=10');
  });
});

it('a unit test of a model that does not exist is reported, at its line, when it runs (as a data test of a deleted model)', () => {
  const dir = writeProject({ 'models/base.sql': 'select 1 as x\n', 'models/unit.yml': 'version: 2\nunit_tests:\n  - name: t\n    model: bse\n    given: []\n    expect:\n      rows: []\n' });
  dirs.push(dir);
  const r = runCli(['test', '--project-dir', dir]);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/models\/unit\.yml:4: Project error in t: unit test t: unknown model 'bse' \(did you mean 'base'\?\)/);
});

describe('unit test errors are located before any SQL runs', () => {
  const base = {
    'sources.yml': SOURCES,
    'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
    'models/other.sql': 'select 1 as x\n',
  };
  const cases: [string, string, RegExp][] = [
    [
      'a given the model does not use',
      "version: 2\nunit_tests:\n  - name: t\n    model: base\n    given:\n      - input: source('raw', 'events')\n        rows: []\n      - input: ref('other')\n        rows: [{ x: 1 }]\n    expect:\n      rows: []\n",
      /models\/unit\.yml:8:9: Project error: unit test t: given ref\('other'\), which model base does not use\n\s+hint: base reads source\('raw', 'events'\)/,
    ],
    [
      'a fixture row with an unknown column',
      "version: 2\nunit_tests:\n  - name: t\n    model: base\n    given:\n      - input: source('raw', 'events')\n        rows:\n          - { id: 1, knd: a }\n    expect:\n      rows: []\n",
      /models\/unit\.yml:8:22: Project error: unit test t: fixture row 1 of source\('raw', 'events'\) has an unknown column 'knd'\n\s+hint: did you mean 'kind'\?/,
    ],
    [
      'an input without rows',
      "version: 2\nunit_tests:\n  - name: t\n    model: base\n    given: []\n    expect:\n      rows: []\n",
      /models\/unit\.yml:5:5: Project error: unit test t: no rows given for source\('raw', 'events'\), which base reads/,
    ],
  ];
  it.each(cases)('%s', (_what, yml, expected) => {
    const dir = writeProject({ ...base, 'models/unit.yml': yml });
    dirs.push(dir);
    const r = runCli(['test', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stdout).not.toMatch(/START/);
  });
});
