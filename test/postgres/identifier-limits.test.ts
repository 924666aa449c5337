import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg } from './pg.js';

/**
 * Names at and around each engine's identifier limit (PostgreSQL 63 bytes, DuckDB none). A name
 * that fits builds and rebuilds with its data intact; a longer one is a compile error before any SQL.
 */
const nameOf = (len: number, tag: string) => (tag + 'x'.repeat(len)).slice(0, len);

/** a model per length, each selecting its own length, a 63-character source loaded with COPY, and a child of every model */
function files(lengths: number[]): Record<string, string> {
  const f: Record<string, string> = {
    'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        identifier: ${nameOf(63, 's')}
        location: data
        copy: { json: auto }
        columns: [{ name: id, type: integer }]
`,
    'data/a.json': '{"id": 1}\n{"id": 2}\n{"id": 3}\n',
    'models/loaded.sql': "select count(*) as n from {{ source('raw', 'events') }}\n",
  };
  for (const len of lengths) f[`models/${nameOf(len, 'm')}.sql`] = `select ${len} as len, {{ var('build', 1) }} as build\n`;
  f['models/every.sql'] = lengths.map((len) => `select len, build from {{ ref('${nameOf(len, 'm')}') }}`).join('\nunion all\n') + '\n';
  return f;
}

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('identifier limits on PostgreSQL (63 bytes)', () => {
  const schema = freshSchema('ident');
  const LENGTHS = [1, 52, 62, 63];
  let admin: pg.Client;
  const q = async (sql: string) => (await admin.query(sql)).rows;
  const relations = () => q(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and relkind = 'r' order by 1`);

  beforeAll(async () => {
    admin = await connect();
  });
  afterAll(async () => {
    await admin?.end();
    await dropSchema(schema);
  });

  it('models of 1, 52, 62 and 63 characters and a 63-character source build, rebuild twice and keep their data', async () => {
    const dir = writeProject({ ...files(LENGTHS), 'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n' });
    dirs.push(dir);
    for (const build of [1, 2, 3]) {
      const r = runCli(['run', '--project-dir', dir, '--vars', `{build: ${build}}`]);
      expect(r.stderr).toBe('');
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout).toContain(`Done. PASS=${LENGTHS.length + 3} ERROR=0 SKIP=0`);
      for (const len of LENGTHS) expect(await q(`select len, build from "${schema}"."${nameOf(len, 'm')}"`)).toEqual([{ len, build }]);
      expect(await q(`select len, build from "${schema}".every order by len`)).toEqual(LENGTHS.map((len) => ({ len, build })));
      expect(await q(`select n::int from "${schema}".loaded`)).toEqual([{ n: 3 }]);
      expect(await q(`select id from "${schema}"."${nameOf(63, 's')}" order by id`)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    }
    // exactly the user's tables: no helper left behind, none cut short
    expect((await relations()).map((r) => r.relname)).toEqual([...LENGTHS.map((l) => nameOf(l, 'm')), 'every', 'loaded', nameOf(63, 's')].sort());
  });

  it('eight tables and views whose names share their first 62 bytes build at once, three times over', async () => {
    // postgres names each relation's array type "_" + its name cut to 63 bytes: these eight want the same one
    const head = nameOf(62, 't');
    const names = [...'abcdefgh'].map((c) => head + c);
    const f: Record<string, string> = { 'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\nTHREADS = 8\n' };
    names.forEach((n, i) => (f[`models/${n}.sql`] = `${i % 2 ? "{{ config(materialized='view') }}\n" : ''}select ${i} as i, {{ var('build', 1) }} as build\n`));
    const dir = writeProject(f);
    dirs.push(dir);
    for (const build of [1, 2, 3]) {
      const r = runCli(['run', '--project-dir', dir, '--vars', `{build: ${build}}`]);
      expect(r.code, r.stdout).toBe(0);
      for (const [i, n] of names.entries()) expect(await q(`select i, build from "${schema}"."${n}"`)).toEqual([{ i, build }]);
    }
  });

  it('names over 63 bytes, and names shaped like helpers, are compile errors at their line before any SQL runs', async () => {
    const other = freshSchema('ident_none');
    const long = nameOf(63, 'm');
    const dir = writeProject({
      'dwh.cfg': pgCfg(other) + '[SPARKIFY]\nTARGET = postgres\n',
      'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        identifier: ${nameOf(64, 's')}
        columns: [{ name: id, type: integer }]
`,
      // two 65-character names with the same first 63: PostgreSQL would have made them one table
      [`models/${long}ab.sql`]: 'select 1 as x\n',
      [`models/${long}ac.sql`]: 'select 2 as x\n',
      'models/aliased.sql': `-- a long alias\n{{ config(alias='${nameOf(64, 'a')}') }}\nselect 3 as x\n`,
      'models/custom_schema.sql': `{{ config(\n  schema='${nameOf(60, 'c')}'\n) }}\nselect 4 as x\n`,
      'models/sneaky__sparkify_tmp.sql': 'select 5 as x\n',
      'models/fine.sql': 'select 6 as x\n',
    });
    dirs.push(dir);
    for (const command of ['compile', 'run']) {
      const r = runCli([command, '--project-dir', dir], { cwd: dir });
      expect(r.code).toBe(2);
      const heads = r.stderr.split('\n').filter((l) => /Project error/.test(l));
      expect(heads).toEqual([
        `models/aliased.sql:2: Project error: the alias of model aliased, ${nameOf(64, 'a')} is 64 bytes long, over PostgreSQL's limit of 63 bytes for a name`,
        `models/custom_schema.sql:2: Project error: the schema of model custom_schema (the target schema ${other} + "_" + ${nameOf(60, 'c')}), ${other}_${nameOf(60, 'c')} is ${other.length + 61} bytes long, over PostgreSQL's limit of 63 bytes for a name`,
        `models/${long}ab.sql:1: Project error: the model name ${long}ab is 65 bytes long, over PostgreSQL's limit of 63 bytes for a name`,
        `models/${long}ac.sql:1: Project error: the model name ${long}ac is 65 bytes long, over PostgreSQL's limit of 63 bytes for a name`,
        'models/sneaky__sparkify_tmp.sql:1: Project error: the model name sneaky__sparkify_tmp ends like the helper relations sparkify builds and drops (__sparkify_tmp, __sparkify_old)',
        `sources.yml:5: Project error: the table of source raw.events ${nameOf(64, 's')} is 64 bytes long, over PostgreSQL's limit of 63 bytes for a name`,
      ]);
    }
    // nothing ran: the target schema was never created
    expect(await q(`select nspname from pg_namespace where nspname = '${other}'`)).toEqual([]);
  });

  it('a target SCHEMA over 63 bytes is a config error at its dwh.cfg line', async () => {
    const long = freshSchema('ident_long').padEnd(64, 'x');
    const dir = writeProject({ 'dwh.cfg': pgCfg(long) + '[SPARKIFY]\nTARGET = postgres\n', 'models/a.sql': 'select 1 as x\n' });
    dirs.push(dir);
    const r = runCli(['run', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dwh.cfg:6:10: Config error: [POSTGRES] SCHEMA is 64 bytes long, over PostgreSQL's limit of 63 bytes for a name: "${long.slice(0, 60)}…"`);
    expect(await q(`select nspname from pg_namespace where nspname like '${long.slice(0, 60)}%'`)).toEqual([]);
  });
});

describe('identifier limits on DuckDB (none)', () => {
  it('models of 1, 52, 62, 63, 64 and 200 characters build and rebuild with their data', () => {
    const LENGTHS = [1, 52, 62, 63, 64, 200];
    const dir = writeProject(files(LENGTHS));
    dirs.push(dir);
    for (const build of [1, 2]) {
      const r = runCli(['run', '--project-dir', dir, '--vars', `{build: ${build}}`]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const shown = runCli(['show', '--project-dir', dir, '--output', 'json', '--inline', "select len, build from {{ ref('every') }} order by len"]);
      expect(JSON.parse(shown.stdout)).toEqual(LENGTHS.map((len) => ({ len, build })));
    }
    const tables = runCli(['show', '--project-dir', dir, '--output', 'json', '--inline', "select count(*) as n from information_schema.tables where table_name like '%sparkify%'"]);
    expect(JSON.parse(tables.stdout)).toEqual([{ n: expect.anything() }]);
    expect(Number(JSON.parse(tables.stdout)[0].n)).toBe(0);
  });
});
