import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, run } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import { selectNodes } from '../../src/graph/select-nodes.js';
import type { SeedNode } from '../../src/types.js';
import type { SparkifyError } from '../../src/errors.js';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/**
 * Seeds: CSV files under seed-paths become seed nodes, loaded by `sparkify seed` (and `build`) with
 * the engine's own CSV reader, typed as dbt types them, configured from the project file and
 * property files, tested, and ref()'d by models; bad files are located errors that write nothing.
 */
const FILES = {
  'dbt_project.yml': `name: shop
seed-paths: [seeds]
models:
  shop:
    +materialized: table
seeds:
  shop:
    +column_types:
      score: numeric(5,1)
    lookups:
      +tags: [lookup]
`,
  'seeds/people.csv': 'id,name,joined,active,score,seen_at\n1,ann,2018-01-01,true,9.5,2018-01-01 10:00:00\n2,"bob, jr",2018-02-28,false,7,\n3,"say ""hi""",,TRUE,,2018-03-01T08:30:00\n',
  'seeds/lookups/codes.csv': 'code;label\nA;first\nB;second, with a comma\n',
  'seeds/schema.yml': `version: 2
seeds:
  - name: codes
    description: the code table
    config:
      delimiter: ";"
      column_types: {code: varchar(1)}
    columns:
      - name: code
        data_tests: [unique, not_null]
  - name: people
    columns:
      - name: id
        data_tests:
          - unique
          - accepted_values:
              values: [1, 2]
`,
  'models/people_count.sql': "select count(*) as n, sum(score) as score from {{ ref('people') }} join {{ ref('codes') }} on code = 'A'\n",
};

const cases = (['duckdb', 'postgres'] as const).map((type) => [type] as const);

describe.each(cases)('seeds on %s', (type) => {
  const schema = freshSchema('seeds');
  let dir: string;
  const opts = () => ({ projectDir: dir, targetName: type, env: {} });
  // opened for each read and closed again: a run opens the DuckDB file itself
  const withEngine = async <T>(fn: (e: Engine) => Promise<T>): Promise<T> => {
    const engine = await openEngine(resolveProjectTarget(opts()), 1);
    try {
      return await fn(engine);
    } finally {
      await engine.close();
    }
  };
  const rows = (sql: string) => withEngine((e) => e.withConnection((c) => c.query(sql.replace(/\bS\./g, `"${schema}".`))));
  const count = async (table: string) => Number((await rows(`select count(*) as n from S.${table}`))[0]!.n);
  const relations = () => withEngine((e) => e.listRelations([schema]));
  const exists = async (table: string) => (await relations()).some((r) => r.name === table);

  beforeAll(async () => {
    dir = writeProject({ ...FILES, 'dwh.cfg': `[DUCKDB]\nPATH = w.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}` });
  });

  afterAll(async () => {
    if (type === 'postgres') await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('seed nodes: dbt ids and fqns, configs from the project file and the property file, tests, refs as parents', () => {
    const { manifest } = compile(opts());
    const people = manifest.nodes['seed.people'] as SeedNode;
    const codes = manifest.nodes['seed.codes'] as SeedNode;
    expect(people).toMatchObject({ resourceType: 'seed', fqn: ['shop', 'people'], path: 'seeds/people.csv', relation: { schema, name: 'people' } });
    expect(people.config).toMatchObject({ materialized: 'seed', column_types: { score: 'numeric(5,1)' }, delimiter: ',', quote_columns: false });
    expect(codes).toMatchObject({ fqn: ['shop', 'lookups', 'codes'], description: 'the code table', patchPath: 'seeds/schema.yml' });
    // the project file's column_types and the property file's are merged key by key
    expect(codes.config).toMatchObject({ delimiter: ';', column_types: { score: 'numeric(5,1)', code: 'varchar(1)' }, tags: ['lookup'] });
    expect(manifest.parentMap['model.people_count']!.sort()).toEqual(['seed.codes', 'seed.people']);
    expect(manifest.childMap['seed.codes']!.sort()).toEqual(['model.people_count', 'test.not_null_codes_code', 'test.unique_codes_code']);
    expect(manifest.order.indexOf('seed.people')).toBeLessThan(manifest.order.indexOf('model.people_count'));
  });

  it('selectors: resource_type:seed, path:, fqn, tags and graph operators through refs', () => {
    const { manifest } = compile(opts());
    const sel = (s: string) => selectNodes(manifest, [s], undefined).sort();
    expect(sel('resource_type:seed')).toEqual(['seed.codes', 'seed.people']);
    expect(sel('path:seeds/lookups')).toEqual(['seed.codes']);
    expect(sel('shop.lookups')).toEqual(['seed.codes']);
    expect(sel('tag:lookup')).toEqual(['seed.codes']);
    expect(sel('+people_count').filter((id) => !id.startsWith('test.'))).toEqual(['model.people_count', 'seed.codes', 'seed.people']);
    expect(sel('people+').filter((id) => !id.startsWith('test.'))).toEqual(['model.people_count', 'seed.people']);
  });

  it('run before seed: the model says to load the seed first', async () => {
    await expect(run({ ...opts(), select: ['people_count'] })).rejects.toThrow(/sparkify seed --select (people|codes)/);
  });

  it('sparkify seed: every row, typed as dbt types them (column_types first), values as written', async () => {
    const { result } = await run({ ...opts(), resourceTypes: ['seed'] });
    expect(result.results.map((r) => [r.name, r.status, r.rows])).toEqual(expect.arrayContaining([['people', 'success', 3], ['codes', 'success', 2]]));
    const cols = await rows(`select table_name, column_name, data_type from information_schema.columns where table_schema = '${schema}' order by table_name, ordinal_position`);
    const typeOf = Object.fromEntries(cols.map((c) => [`${String(c.table_name)}.${String(c.column_name)}`, String(c.data_type).toLowerCase()]));
    const expected =
      type === 'duckdb'
        ? { 'people.id': 'integer', 'people.name': 'varchar', 'people.joined': 'date', 'people.active': 'boolean', 'people.score': 'decimal(5,1)', 'people.seen_at': 'timestamp', 'codes.code': 'varchar', 'codes.label': 'varchar' }
        : { 'people.id': 'integer', 'people.name': 'text', 'people.joined': 'date', 'people.active': 'boolean', 'people.score': 'numeric', 'people.seen_at': 'timestamp without time zone', 'codes.code': 'character varying', 'codes.label': 'text' };
    expect(typeOf).toEqual(expected);
    const people = await rows('select id, name, cast(joined as varchar) as joined, active, cast(score as varchar) as score, cast(seen_at as varchar) as seen_at from S.people order by id');
    expect(people).toEqual([
      { id: 1, name: 'ann', joined: '2018-01-01', active: true, score: '9.5', seen_at: '2018-01-01 10:00:00' },
      { id: 2, name: 'bob, jr', joined: '2018-02-28', active: false, score: '7.0', seen_at: null },
      { id: 3, name: 'say "hi"', joined: null, active: true, score: null, seen_at: '2018-03-01 08:30:00' },
    ]);
    expect(await rows('select code, label from S.codes order by code')).toEqual([
      { code: 'A', label: 'first' },
      { code: 'B', label: 'second, with a comma' },
    ]);
  });

  it('build: seeds first, their tests right after them, then the models; a failing seed test skips its children', async () => {
    const { result } = await run({ ...opts(), resourceTypes: ['seed', 'source', 'model', 'snapshot', 'test'], testsGateChildren: true });
    const status = Object.fromEntries(result.results.map((r) => [r.name, r.status]));
    expect(status).toMatchObject({ people: 'success', codes: 'success', unique_codes_code: 'pass', not_null_codes_code: 'pass', unique_people_id: 'pass', accepted_values_people_id: 'fail', people_count: 'skipped' });
    const at = (name: string) => result.results.findIndex((r) => r.name === name);
    expect(at('unique_codes_code')).toBeGreaterThan(at('codes'));
    expect(result.results.find((r) => r.name === 'accepted_values_people_id')!.failures).toBe(1);
  });

  it('a second seed keeps the table (and the views on it); its rows are replaced', async () => {
    writeFileSync(path.join(dir, 'models/people_view.sql'), "{{ config(materialized='view') }}\nselect id from {{ ref('people') }}\n");
    expect((await run({ ...opts(), select: ['people_view'] })).result.results[0]!.status).toBe('success');
    writeFileSync(path.join(dir, 'seeds/people.csv'), FILES['seeds/people.csv'] + '4,dee,2018-04-01,false,1.5,\n');
    expect((await run({ ...opts(), resourceTypes: ['seed'], select: ['people'] })).result.results[0]!.rows).toBe(4);
    expect(await count('people_view')).toBe(4);
    rmSync(path.join(dir, 'models/people_view.sql'));
  });

  it('a changed header fails without --full-refresh (the table keeps its rows); --full-refresh drops and recreates it', async () => {
    writeFileSync(path.join(dir, 'seeds/people.csv'), 'id,nick\n1,a\n');
    const failed = (await run({ ...opts(), resourceTypes: ['seed'], select: ['people'] })).result.results[0]!;
    expect(failed.status).toBe('error');
    expect(failed.message).toContain('the columns of seed people changed');
    expect(failed.message).toContain('sparkify seed --full-refresh --select people');
    expect(await count('people')).toBe(4);
    const refreshed = (await run({ ...opts(), resourceTypes: ['seed'], select: ['people'], fullRefresh: true })).result.results[0]!;
    expect([refreshed.status, refreshed.rows]).toEqual(['success', 1]);
    expect((await rows('select * from S.people'))[0]).toEqual({ id: 1, nick: 'a' });
    writeFileSync(path.join(dir, 'seeds/people.csv'), FILES['seeds/people.csv']);
    await run({ ...opts(), resourceTypes: ['seed'], select: ['people'], fullRefresh: true });
  });

  it.each([
    ['a ragged row', 'id,name\n1,ann\n2,bob,x\n', {}, 'seeds/bad.csv:3:7: seed bad: the row has 3 fields, the header 2'],
    ['a bad quote', 'id,name\n1,"ann"x\n', {}, 'seeds/bad.csv:2:3: seed bad: a quote closes in the middle of a value'],
    ['a value that does not fit column_types', 'id,n\n1,5\n2,five\n', { n: 'integer' }, 'seeds/bad.csv:3:3: seed bad: column n (integer in column_types): "five" is not a whole number'],
    ['an unknown column in column_types', 'id,n\n1,5\n', { nn: 'integer' }, 'seed bad: column_types names column nn, which seeds/bad.csv does not have'],
  ])('%s: a located error, and no table written', async (_what, csv, columnTypes, message) => {
    writeFileSync(path.join(dir, 'seeds/bad.csv'), csv);
    writeFileSync(path.join(dir, 'seeds/bad.yml'), `version: 2\nseeds:\n  - name: bad\n    config:\n      column_types: ${JSON.stringify(columnTypes)}\n`);
    try {
      const r = (await run({ ...opts(), resourceTypes: ['seed'], select: ['bad'] })).result.results[0]!;
      expect(r.status).toBe('error');
      expect(r.message).toContain(message);
      if (Object.keys(columnTypes).includes('nn')) expect(r.error).toMatchObject({ file: path.join(dir, 'seeds/bad.yml'), line: 5 });
      expect(await exists('bad')).toBe(false);
      expect((await relations()).filter((x) => x.name.includes('sparkify_tmp'))).toEqual([]);
    } finally {
      rmSync(path.join(dir, 'seeds/bad.csv'));
      rmSync(path.join(dir, 'seeds/bad.yml'));
    }
  });
});

describe('seed errors found before anything runs', () => {
  it('a seed and a model with one name, two seeds with one name: compile errors naming both files', () => {
    const dir = writeProject({ 'seeds/a.csv': 'id\n1\n', 'seeds/x/a.csv': 'id\n2\n', 'seeds/m.csv': 'id\n1\n', 'models/m.sql': 'select 1 as id\n' });
    try {
      expect(() => compile({ projectDir: dir, env: {} })).toThrow(/seeds\/x\/a\.csv:1:1: Project error: two seeds are named 'a': seeds\/a\.csv and seeds\/x\/a\.csv/);
      expect(() => compile({ projectDir: dir, env: {} })).toThrow(/seeds\/m\.csv:1:1: Project error: a seed and a model are both named 'm': seeds\/m\.csv and models\/m\.sql/);
    } finally {
      removeDir(dir);
    }
  });

  it('a bad seed config in the project file is an error at its line', () => {
    const dir = writeProject({ 'sparkify.yml': 'seeds:\n  +delimiter: ";;"\n', 'seeds/a.csv': 'id\n1\n' });
    try {
      let error: SparkifyError | undefined;
      try {
        compile({ projectDir: dir, env: {} });
      } catch (e) {
        error = e as SparkifyError;
      }
      expect(error?.message).toContain('seeds: +delimiter must be one character');
      expect([error?.file, error?.line]).toEqual([path.join(dir, 'sparkify.yml'), 2]);
    } finally {
      removeDir(dir);
    }
  });
});

describe('sparkify seed and ls through the CLI (DuckDB)', () => {
  it('loads, lists, and fails with exit 1 and the location of a bad row', () => {
    const dir = writeProject({ 'seeds/people.csv': 'id,name\n1,ann\n2,bob\n', 'models/n.sql': "select count(*) as n from {{ ref('people') }}\n" });
    try {
      const seeded = runCli(['seed', '--project-dir', dir]);
      expect(seeded.code).toBe(0);
      expect(seeded.stdout).toMatch(/1 of 1 OK seed file people \.+ \[2 rows in/);
      const ls = runCli(['ls', '--project-dir', dir, '--resource-type', 'seed', '--output', 'json']);
      expect(ls.code).toBe(0);
      expect(JSON.parse(ls.stdout.trim().split('\n')[0]!)).toMatchObject({ name: 'people', resource_type: 'seed' });
      writeFileSync(path.join(dir, 'seeds/people.csv'), 'id,name\n1,ann\n2\n');
      const bad = runCli(['seed', '--project-dir', dir]);
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toContain('seeds/people.csv:3:2: seed people: the row has 1 field, the header 2');
    } finally {
      removeDir(dir);
    }
  });
});
