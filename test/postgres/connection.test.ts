import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { PostgresEngine } from '../../src/adapters/postgres/postgres-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import { DatabaseError, formatError } from '../../src/errors.js';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { PG, connect, dropSchema, freshSchema, pgCfg, settings, waitFor } from './pg.js';

const SECRET = 'hunter2-Sp4rk!fy-secret';

async function failure(p: Promise<unknown>): Promise<DatabaseError> {
  try {
    await p;
  } catch (e) {
    return e as DatabaseError;
  }
  throw new Error('expected a failure');
}

/** every way an error might reach a user or a log */
const renderings = (err: unknown) => [formatError(err), inspect(err, { depth: 8 }), JSON.stringify(err), String((err as Error).stack)];

describe('PostgreSQL connections and errors', () => {
  const schema = freshSchema('conn');
  let engine: Engine;
  const dirs: string[] = [];
  const project = (files: Record<string, string>) => {
    const d = writeProject(files);
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    engine = await PostgresEngine.open(settings(schema), schema, 2);
  });

  afterAll(async () => {
    await engine?.close();
    await dropSchema(schema);
    dirs.forEach(removeDir);
  });

  it('creates the schema if missing', async () => {
    expect(await engine.withConnection((c) => c.query(`select nspname from pg_namespace where nspname = '${schema}'`))).toEqual([{ nspname: schema }]);
  });

  it.each([
    ['nothing listens on the port', { port: 1 }, /cannot connect to PostgreSQL at 127\.0\.0\.1:1 .*ECONNREFUSED/],
    ['the database does not exist', { database: 'no_such_db_sparkify' }, /database "no_such_db_sparkify" does not exist/],
  ])('a failed connection (%s) never shows the password', async (_, over, message) => {
    const err = await failure(PostgresEngine.open(settings(schema, { ...over, password: SECRET }), schema, 1));
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(message);
    for (const text of renderings(err)) expect(text).not.toContain(SECRET);
  });

  it('the CLI never prints the password: not on a failed connection, not in debug', () => {
    const dir = project({ 'dwh.cfg': pgCfg(schema) + `DB_PASSWORD = ${SECRET}\n` });
    const bad = project({ 'dwh.cfg': pgCfg(schema).replace(`PORT = ${PG.port}`, 'PORT = 1') + `DB_PASSWORD = ${SECRET}\n` });
    const failed = runCli(['run', '--project-dir', bad, '--target', 'postgres']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Database error: cannot connect to PostgreSQL at 127\.0\.0\.1:1/);
    const viaEnv = runCli(['run', '--project-dir', project({ 'dwh.cfg': pgCfg(schema).replace(`PORT = ${PG.port}`, 'PORT = 1') }), '--target', 'postgres'], { env: { PGPASSWORD: SECRET } });
    expect(viaEnv.code).toBe(1);
    // trust auth accepts any password, so debug connects
    const debug = runCli(['debug', '--project-dir', dir, '--target', 'postgres']);
    expect(debug.stdout).toContain('connection: OK');
    expect(debug.stdout).toContain('"password": "****"');
    for (const r of [failed, viaEnv, debug]) expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it('a database error carries the SQL, the line the server pointed at, and its detail and hint', async () => {
    const err = await failure(engine.withConnection((c) => c.query(`select 1 as a,\n  '🎵🎵' as b,\n  nam\nfrom (select 1 as name) as t`)));
    expect(err).toBeInstanceOf(DatabaseError);
    expect(err.message).toContain('column "nam" does not exist');
    expect(err.message).toContain('hint: Perhaps you meant to reference the column "t.name".');
    expect(err.statementLine).toBe(3);
    expect(err.sql).toContain('from (select 1 as name)');

    const dup = await failure(
      engine.withConnection(async (c) => {
        await c.execute(`create table "${schema}".keyed (k integer primary key)`);
        await c.execute(`insert into "${schema}".keyed values (1), (1)`);
      }),
    );
    expect(dup.message).toContain('duplicate key value violates unique constraint');
    expect(dup.message).toContain('detail: Key (k)=(1) already exists.');
  });

  it('a model error points at the model file and template line', async () => {
    const dir = project({
      'dwh.cfg': pgCfg(schema),
      'models/broken.sql': "{#- a comment\n  that spans lines -#}\n{{ config(materialized='table') }}\nselect\n  1 as a,\n  nam\nfrom (select 1 as name) as t\n",
    });
    const opts = { projectDir: dir, targetName: 'postgres', env: {} };
    const { result } = await runCompiled(compile(opts), engine, {});
    expect(result.results[0]).toMatchObject({ name: 'broken', status: 'error' });
    expect(result.results[0]!.error).toMatchObject({ kind: 'database', file: path.join(dir, 'models/broken.sql'), line: 6 });
    expect(result.results[0]!.message).toContain('column "nam" does not exist');
  });

  it('an incremental model merges on its unique key (delete + insert) in one transaction', async () => {
    const dir = project({
      'dwh.cfg': pgCfg(schema),
      'models/inc.sql':
        "{{ config(materialized='incremental', unique_key='id') }}\nselect g as id, {{ var('tag') }} as tag from generate_series(1, {{ var('n') }}) as g\n" +
        '{% if is_incremental() %}where g >= (select max(id) from {{ this }}){% endif %}\n',
    });
    const build = async (n: number, tag: string) => {
      const { result } = await runCompiled(compile({ projectDir: dir, targetName: 'postgres', env: {}, vars: { n, tag: `'${tag}'` } }), engine, {});
      expect(result.results.map((r) => r.status)).toEqual(['success']);
    };
    await build(3, 'first');
    await build(5, 'second');
    expect(await engine.withConnection((c) => c.query(`select id, tag from "${schema}".inc order by id`))).toEqual([
      { id: 1, tag: 'first' },
      { id: 2, tag: 'first' },
      { id: 3, tag: 'second' },
      { id: 4, tag: 'second' },
      { id: 5, tag: 'second' },
    ]);
  });

  it('a transaction rolls back every statement when one fails', async () => {
    const err = await failure(engine.withConnection((c) => c.transaction([`create table "${schema}".tx_a (x int)`, `insert into "${schema}".tx_a values (1)`, 'select no_such_function()'])));
    expect(err).toBeInstanceOf(DatabaseError);
    expect(await engine.withConnection((c) => c.query(`select to_regclass('"${schema}".tx_a') as t`))).toEqual([{ t: null }]);
    // and the session is usable again
    expect(await engine.withConnection((c) => c.query('select 1 as one'))).toEqual([{ one: 1 }]);
  });

  it('runs one session per thread: four statements on two threads run two at a time on two sessions', async () => {
    const two = await openEngine(compile({ projectDir: project({ 'dwh.cfg': pgCfg(schema) }), targetName: 'postgres', env: {} }).target, 2);
    // each statement waits on an advisory lock the test holds (a gate), so the test sees how many run at once
    const gate = `4243, ${process.pid}`;
    const admin = await connect();
    try {
      await admin.query(`select pg_advisory_lock(${gate})`);
      const gated = async () =>
        (await admin.query(`select pid from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory' and query like '%pg_advisory_xact_lock_shared(${gate})%' and pid <> pg_backend_pid()`)).rows.length;
      const statement = () => two.withConnection((c) => c.query(`select pg_advisory_xact_lock_shared(${gate})::text as s, pg_backend_pid() as pid`));
      const all = Promise.all([statement(), statement(), statement(), statement()]);
      await waitFor(async () => (await gated()) >= 2, 'two statements at the gate');
      // two at once, and no third session while both threads are busy
      expect(await gated()).toBe(2);
      await admin.query(`select pg_advisory_unlock(${gate})`);
      const rows = (await all).flat() as { pid: number }[];
      expect(rows).toHaveLength(4);
      expect(new Set(rows.map((r) => r.pid)).size).toBe(2);
    } finally {
      await admin.end();
      await two.close();
    }
  });

  it('sets its type parsers on its own sessions only, not globally', async () => {
    expect(await engine.withConnection((c) => c.query(`select timestamp '2018-11-21 21:56:47.796' as t`))).toEqual([{ t: '2018-11-21 21:56:47.796' }]);
    const plain = await connect();
    try {
      expect((await plain.query(`select timestamp '2018-11-21 21:56:47.796' as t`)).rows[0].t).toBeInstanceOf(Date);
    } finally {
      await plain.end();
    }
  });

  it('cancel() with nothing running is a no-op', async () => {
    await expect(engine.cancel()).resolves.toBeUndefined();
    expect(await engine.withConnection((c) => c.query('select 1 as one'))).toEqual([{ one: 1 }]);
  });
});
