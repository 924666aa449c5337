import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresEngine } from '../../src/adapters/postgres/postgres-engine.js';
import { BIN, removeDir, runCli, scratchDir, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg, settings, waitFor } from './pg.js';

/** Failures during a run on PostgreSQL: SQL errors, kill -9, two runs at once, a dropped connection. */
const files = (schema: string) => ({
  'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n',
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data
        copy: { json: auto }
        columns: [{ name: id, type: integer }, { name: v, type: bigint }]
`,
  'data/a.json': Array.from({ length: 100 }, (_, i) => JSON.stringify({ id: i, v: i * i })).join('\n'),
  'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
  'models/slow.sql': "select count(*) as n from {{ ref('base') }}, pg_sleep({{ var('sleep', 0) }})\n",
  'models/summary.sql': "select sum(v) as total, (select n from {{ ref('slow') }}) as n from {{ ref('base') }}\n",
  'models/other.sql': "select count(*) as rows_seen from {{ ref('base') }}\n",
});

interface Child {
  child: ChildProcessWithoutNullStreams;
  out: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: scratchDir(), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exited };
}

const events = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { ts: string; event: string; message?: string });

describe('failures during a run on PostgreSQL', () => {
  const schemas: string[] = [];
  const dirs: string[] = [];
  let admin: pg.Client;
  const project = (extra: Record<string, string> = {}) => {
    const schema = freshSchema('fail');
    schemas.push(schema);
    const dir = writeProject({ ...files(schema), ...extra });
    dirs.push(dir);
    return { dir, schema };
  };
  const q = async (sql: string) => (await admin.query(sql)).rows;
  const leftovers = (schema: string) =>
    q(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and relname like '%__sparkify_%'`);
  const sleeping = (schema: string) =>
    q(
      `select pid from pg_stat_activity where application_name = 'sparkify' and query like '%pg_sleep(%' and query like '%${schema}%' and query not like '%pg_stat_activity%'`,
    );
  const dump = async (schema: string) => ({
    base: await q(`select count(*)::int as n, sum(v)::text as total from "${schema}".base`),
    summary: await q(`select total::text, n::int from "${schema}".summary`),
    other: await q(`select rows_seen::int from "${schema}".other`),
  });

  beforeAll(async () => {
    admin = await connect();
  });
  afterAll(async () => {
    await admin?.end();
    for (const s of schemas) await dropSchema(s);
    dirs.forEach(removeDir);
  });

  it('a model with an SQL error keeps its previous table, skips its descendants, finishes the rest, exit 1, located error', () => {
    const { dir, schema } = project();
    expect(runCli(['run', '--project-dir', dir]).code).toBe(0);
    writeFileSync(path.join(dir, 'models/slow.sql'), "select\n  count(*) as n,\n  no_such_column\nfrom {{ ref('base') }}\n");
    const r = runCli(['run', '--project-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR table model slow/);
    expect(r.stdout).toMatch(/SKIP table model summary/);
    expect(r.stdout).toMatch(/OK table model other/);
    expect(r.stdout).toMatch(/models\/slow\.sql:3: Database error in slow: column "no_such_column" does not exist/);
    expect(r.stdout).toMatch(/compiled SQL: .*target\/compiled\/models\/slow\.sql:3/);
    return q(`select n::int from "${schema}".slow`).then((rows) => expect(rows).toEqual([{ n: 100 }]));
  });

  it('kill -9 in the middle of a run: the next run succeeds, cleans up, and equals a clean run', async () => {
    const crashed = project();
    const clean = project();
    const run = start(['run', '--project-dir', crashed.dir, '--threads', '1', '--vars', '{sleep: 30}', '--log-format', 'json']);
    try {
      await waitFor(async () => (await sleeping(crashed.schema)).length > 0, 'the slow model to run on the server', 30_000);
      run.child.kill('SIGKILL');
      await run.exited;
    } finally {
      run.child.kill('SIGKILL');
    }
    expect(run.child.signalCode).toBe('SIGKILL');
    // the orphaned statement notices its client is gone (client_connection_check_interval) and rolls back
    await waitFor(async () => (await sleeping(crashed.schema)).length === 0, 'the orphaned statement to end', 10_000);
    const again = runCli(['run', '--project-dir', crashed.dir]);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(runCli(['run', '--project-dir', clean.dir]).code).toBe(0);
    expect(await dump(crashed.schema)).toEqual(await dump(clean.schema));
    expect(await dump(crashed.schema)).toEqual({ base: [{ n: 100, total: '328350' }], summary: [{ total: '328350', n: 100 }], other: [{ rows_seen: 100 }] });
    expect(await leftovers(crashed.schema)).toEqual([]);
  });

  it('two runs at once: the second fails fast naming the holder and since when, never interleaving', async () => {
    // the first run's model waits on an advisory lock the test holds (its gate), so the first run
    // holds the run lock for exactly as long as the test wants, however loaded the machine is
    const gate = `4242, ${process.pid}`;
    const { dir, schema } = project({
      'models/slow.sql': `select count(*) as n from {{ ref('base') }}, pg_advisory_xact_lock(${gate}) as gate\n`,
    });
    expect(runCli(['run', '--project-dir', dir, '--select', '+base']).code).toBe(0);
    const gated = () =>
      q(
        `select pid from pg_stat_activity where application_name = 'sparkify' and wait_event_type = 'Lock' and wait_event = 'advisory' and query like '%pg_advisory_xact_lock(%' and query like '%${schema}%' and query not like '%pg_stat_activity%'`,
      );
    await q(`select pg_advisory_lock(${gate})`);
    let gateHeld = true;
    const openGate = async () => {
      if (gateHeld) await q(`select pg_advisory_unlock(${gate})`);
      gateHeld = false;
    };
    const first = start(['run', '--project-dir', dir, '--log-format', 'json', '--select', 'slow']);
    let third: Child | undefined;
    try {
      await waitFor(async () => (await gated()).length > 0, 'the first run to wait at the gate in the slow model', 30_000);
      const second = runCli(['run', '--project-dir', dir, '--select', 'other']);
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(
        new RegExp(
          `Database error: another run is building schema ${schema} at 127\\.0\\.0\\.1:\\d+/\\w+: sparkify run pid ${first.child.pid} on \\S+ \\(PostgreSQL session \\d+ from 127\\.0\\.0\\.1\\), since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(\\d+ s ago\\)`,
        ),
      );
      expect(second.stderr).toContain('--wait-for-lock');
      // it failed fast: it never waited, built nothing, and the first run was still mid-model when it exited
      expect(second.stdout + second.stderr).not.toContain('waiting:');
      expect(second.stdout).not.toMatch(/START|Concurrency/);
      expect(first.child.exitCode).toBe(null);
      expect((await gated()).length).toBe(1);
      expect(await q(`select to_regclass('"${schema}".other') as t`)).toEqual([{ t: null }]);

      // asked to wait, a third run waits while the first holds the lock, and starts only when it has finished
      third = start(['run', '--project-dir', dir, '--select', 'other', '--wait-for-lock', '--log-format', 'json']);
      await waitFor(async () => third!.out().includes('waiting: another run is building schema'), 'the third run to wait for the lock', 30_000);
      expect(events(third.out()).some((e) => e.event === 'run_start')).toBe(false);
      expect(first.child.exitCode).toBe(null);
      await openGate();
      expect(await first.exited).toBe(0);
      expect(await third.exited).toBe(0);
      const firstEnd = events(first.out()).find((e) => e.event === 'run_end')!.ts;
      const thirdEvents = events(third.out());
      expect(thirdEvents.some((e) => e.message?.startsWith('waiting: another run is building schema'))).toBe(true);
      expect(thirdEvents.find((e) => e.event === 'run_start')!.ts >= firstEnd).toBe(true);
      expect(await q(`select rows_seen::int from "${schema}".other`)).toEqual([{ rows_seen: 100 }]);
      expect(await q(`select n::int from "${schema}".slow`)).toEqual([{ n: 100 }]);
    } finally {
      await openGate();
      first.child.kill('SIGKILL');
      third?.child.kill('SIGKILL');
    }
  });

  it('a run waiting for the lock stops on Ctrl-C with 130; the lock is free again once its holder closes', async () => {
    const { dir, schema } = project();
    const holder = await PostgresEngine.open(settings(schema), schema, 1);
    await holder.lockForRun({ pid: 4242, host: 'elsewhere', command: 'run' });
    const waiting = start(['run', '--project-dir', dir, '--wait-for-lock']);
    try {
      await waitFor(async () => waiting.out().includes('waiting: another run is building schema'), 'the run to wait', 20_000);
      expect(waiting.out()).toContain('sparkify run pid 4242 on elsewhere');
      waiting.child.kill('SIGINT');
      expect(await waiting.exited).toBe(130);
    } finally {
      waiting.child.kill('SIGKILL');
      await holder.close();
    }
    expect(runCli(['run', '--project-dir', dir]).code).toBe(0);
  });

  it('a dropped connection mid-run gives a clear error and no partial state; other branches finish', async () => {
    const { dir, schema } = project();
    expect(runCli(['run', '--project-dir', dir]).code).toBe(0);
    const run = start(['run', '--project-dir', dir, '--vars', '{sleep: 30}', '--threads', '2']);
    try {
      await waitFor(async () => (await sleeping(schema)).length > 0, 'the slow model to run on the server', 30_000);
      await q(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'sparkify' and query like '%pg_sleep(%' and query like '%${schema}%' and pid <> pg_backend_pid()`,
      );
      expect(await run.exited).toBe(1);
    } finally {
      run.child.kill('SIGKILL');
    }
    const out = run.out();
    expect(out).toMatch(/models\/slow\.sql: Database error in slow: lost the connection to the database: terminating connection due to administrator command/);
    expect(out).toMatch(/hint: the server ended the session/);
    expect(out).toMatch(/SKIP table model summary/);
    expect(out).toMatch(/OK table model other/);
    expect(await leftovers(schema)).toEqual([]);
    expect(await q(`select n::int from "${schema}".slow`)).toEqual([{ n: 100 }]);
    // and sparkify retry builds exactly what failed or was skipped
    const retry = runCli(['retry', '--project-dir', dir, '--log-format', 'json']);
    expect(retry.code).toBe(0);
    expect(events(retry.stdout).filter((e) => e.event === 'node_end').length).toBe(2);
    expect(
      JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')).results.map((r: { name: string; status: string }) => `${r.name}:${r.status}`),
    ).toEqual(['slow:success', 'summary:success']);
  });
});
