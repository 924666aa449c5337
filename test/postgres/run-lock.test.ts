import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresDialect } from '../../src/adapters/postgres/postgres-dialect.js';
import { PostgresEngine } from '../../src/adapters/postgres/postgres-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import { RunLockedError } from '../../src/errors.js';
import { removeDir, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg, settings, waitFor } from './pg.js';

/** The run lock on PostgreSQL: one key per schema that no other schema shares, the holder's target verified, its loss reported. */

/** The keys of the first version: a constant and a 31-bit FNV-1a of the schema name. */
function fnv31(schema: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(schema, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h & 0x7fffffff;
}

/** Two fresh schema names that shared a run lock under the 31-bit keys (a birthday search: about 60,000 names). */
function collidingSchemas(): [string, string] {
  const prefix = `test_lock_${randomBytes(3).toString('hex')}_`;
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const name = prefix + i;
    const other = seen.get(fnv31(name));
    if (other) return [other, name];
    seen.set(fnv31(name), name);
  }
}

describe('the run lock on PostgreSQL', () => {
  const d = new PostgresDialect();
  const schemas: string[] = [];
  const engines: PostgresEngine[] = [];
  let admin: pg.Client;
  const open = async (schema: string) => {
    schemas.push(schema);
    const e = await PostgresEngine.open(settings(schema), schema, 2);
    engines.push(e);
    return e;
  };

  beforeAll(async () => {
    admin = await connect();
  });
  afterAll(async () => {
    for (const e of engines) await e.close().catch(() => undefined);
    await admin?.end();
    for (const s of schemas) await dropSchema(s);
  });

  it('two schemas whose 31-bit keys were equal are locked by two runs at once', async () => {
    const [a, b] = collidingSchemas();
    expect(fnv31(a)).toBe(fnv31(b));
    const first = await open(a);
    const second = await open(b);
    await first.lockForRun({ pid: 1, host: 'here', command: 'run' });
    await expect(second.lockForRun({ pid: 2, host: 'here', command: 'run' })).resolves.toBeUndefined();
    // and each schema's lock still excludes a second run on it, naming that schema
    const third = await open(b);
    await expect(third.lockForRun({ pid: 3, host: 'here', command: 'run' })).rejects.toThrow(new RegExp(`^another run is building schema ${b} at .*: sparkify run pid 2 on here`));
  });

  it("verifies the holder's target: a holder of the same key on another schema is named as such", async () => {
    const schema = freshSchema('lock_verify');
    const e = await open(schema);
    const [k1, k2] = d.runLockKeys(schema);
    const holder = await connect();
    try {
      // what a run on schema other_schema would send if its key were this schema's
      const sql = d.tryRunLock('other_schema').replace(/\(-?\d+, -?\d+\)/, `(${k1}, ${k2})`);
      expect((await holder.query(sql)).rows[0].locked).toBe(true);
      const err = await e.lockForRun({ pid: 4, host: 'here', command: 'run' }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(RunLockedError);
      expect((err as Error).message).toMatch(new RegExp(`^the run lock of schema ${schema} at .* is taken by a run on schema other_schema \\(their lock keys collide\\): sparkify-test \\(PostgreSQL session \\d+`));
    } finally {
      await holder.end();
    }
    // the session is gone, and with it the lock
    await expect(e.lockForRun({ pid: 4, host: 'here', command: 'run' })).resolves.toBeUndefined();
  });

  it('terminating the lock session stops the run saying so, not "canceling statement due to user request"', async () => {
    const schema = freshSchema('lock_term');
    schemas.push(schema);
    const dir = writeProject({
      'dwh.cfg': pgCfg(schema),
      'models/slow.sql': "select 1 as x from pg_sleep({{ var('sleep', 0) }})\n",
      'models/after_slow.sql': "select x from {{ ref('slow') }}\n",
    });
    try {
      const c = compile({ projectDir: dir, targetName: 'postgres', env: {}, vars: { sleep: 60 } });
      const e = await open(schema);
      const host = `lock-term-${schema.slice(-8)}`;
      await e.lockForRun({ pid: 5, host, command: 'run' });
      const running = runCompiled(c, e, {});
      await waitFor(
        async () => (await admin.query(`select pid from pg_stat_activity where application_name = 'sparkify' and state = 'active' and query like '%pg_sleep(%' and query like '%${schema}%'`)).rows.length > 0,
        'the slow model to start',
        30_000,
      );
      const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`sparkify run pid 5 on ${host}`]);
      expect(killed.rows.length).toBe(1);
      const { result } = await running;
      expect(result.results.map((r) => `${r.name}:${r.status}`)).toEqual(['slow:error', 'after_slow:skipped']);
      const message = result.results[0]!.message!;
      expect(message).toMatch(new RegExp(`Database error in slow: the session holding the run lock was terminated \\(terminating connection due to administrator command\\), so another run could start on schema ${schema}: stopping`));
      expect(message).not.toMatch(/canceling statement/);
      // the statement was cancelled on the server, and the run starts nothing more
      expect((await admin.query(`select pid from pg_stat_activity where state = 'active' and query like '%pg_sleep(%' and query like '%${schema}%' and pid <> pg_backend_pid()`)).rows).toEqual([]);
      await expect(e.withConnection(async () => 1)).rejects.toThrow(/the session holding the run lock was terminated/);
    } finally {
      removeDir(dir);
    }
  });
});
