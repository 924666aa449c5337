import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import { BIN, removeDir, runCli, scratchDir, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg, waitFor } from './pg.js';

/**
 * pg_terminate_backend() from a second session while sparkify runs: during a COPY, during a model,
 * during the swap, and kill -9 of sparkify itself. Each ends in a failed node (never a crash), the
 * previous data in place, run_results.json saying what happened, and a retry that completes the build.
 */
const BIG = 1_000_000;

const files = (schema: string) => ({
  'dwh.cfg': pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n',
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: big
        location: data/big
        copy: { json: auto }
        columns: [{ name: id, type: integer }, { name: s, type: varchar(64) }]
      - name: small
        location: data/small
        copy: { json: auto }
        columns: [{ name: id, type: integer }]
`,
  'data/small/a.json': '{"id": 1}\n{"id": 2}\n',
  'models/from_big.sql': "select count(*) as n from {{ source('raw', 'big') }}\n",
  'models/other.sql': "select count(*) as n, {{ var('build', 1) }} as build from {{ source('raw', 'small') }}\n",
  'models/slow.sql': "select {{ var('build', 1) }} as build from pg_sleep({{ var('sleep', 0) }})\nwhere (select count(*) from {{ ref('other') }}) >= 0\n",
  'models/after_slow.sql': "select build from {{ ref('slow') }}\n",
  'models/swapped.sql': "select {{ var('build', 1) }} as build from {{ source('raw', 'small') }} limit 1\n",
  'models/after_swap.sql': "select build from {{ ref('swapped') }}\n",
});

interface Child {
  out: () => string;
  exited: Promise<number | null>;
  kill: (signal: NodeJS.Signals) => void;
}

function start(args: string[]): Child {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: scratchDir(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { out: () => out, exited, kill: (s) => child.kill(s) };
}

type Results = { complete?: boolean; pending?: string[]; results: { name: string; status: string; message?: string }[] };

describe('terminated sessions on PostgreSQL', () => {
  const schema = freshSchema('term');
  let dir: string;
  let admin: pg.Client;
  const q = async (sql: string) => (await admin.query(sql)).rows;
  const results = () => JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')) as Results;
  const statuses = (r: Results) => r.results.map((n) => `${n.name}:${n.status}`).sort();
  const leftovers = () => q(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and relname like '%__sparkify_%'`);
  /** terminates the sparkify sessions whose running statement matches `like`; how many */
  const terminate = async (like: string, extra = '') =>
    (
      await admin.query(
        `select pg_terminate_backend(pid) as t from pg_stat_activity where application_name = 'sparkify' and state = 'active' and query like $1 and query like $2 and pid <> pg_backend_pid() ${extra}`,
        [like, `%${schema}%`],
      )
    ).rows.length;

  beforeAll(async () => {
    dir = writeProject({ ...files(schema), 'data/big/a.json': Array.from({ length: BIG }, (_, i) => JSON.stringify({ id: i, s: `row ${i}` })).join('\n') });
    admin = await connect();
  });
  afterAll(async () => {
    await admin?.end();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('during COPY: the load fails with "lost the connection", its descendants are skipped, the rest finishes; retry completes it', async () => {
    const run = start(['run', '--project-dir', dir, '--select', 'source:raw.big+', 'source:raw.small+', '--exclude', 'swapped+', 'slow+', '--threads', '2']);
    try {
      await waitFor(async () => (await terminate('COPY %big__sparkify_tmp%')) > 0, 'the COPY of big to start, to terminate it', 60_000);
      expect(await run.exited).toBe(1);
    } finally {
      run.kill('SIGKILL');
    }
    const out = run.out();
    expect(out).not.toMatch(/Unhandled|node:events|EPIPE.*\n\s+at /);
    expect(out).toMatch(/ERROR copy source big/);
    expect(out).toMatch(/sources\.yml:\d+: Database error in raw\.big: lost the connection to the database: /);
    expect(out).toMatch(/SKIP table model from_big/);
    expect(out).toMatch(/OK table model other/);
    const r = results();
    expect(r.complete).toBe(true);
    expect(statuses(r)).toEqual(['big:error', 'from_big:skipped', 'other:success', 'small:success']);
    expect(await leftovers()).toEqual([]);
    // a first build that failed leaves no table at all
    expect(await q(`select relname from pg_class c join pg_namespace s on s.oid = c.relnamespace where s.nspname = '${schema}' and relname = 'big'`)).toEqual([]);

    const retry = runCli(['retry', '--project-dir', dir]);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(statuses(results())).toEqual(['big:success', 'from_big:success']);
    expect(await q(`select n::int from "${schema}".from_big`)).toEqual([{ n: BIG }]);
  });

  it('during a model: the model fails with "lost the connection", keeps its previous table; other branches finish', async () => {
    const c = compile({ projectDir: dir, targetName: 'postgres', env: {}, vars: { sleep: 60, build: 2 } });
    const engine: Engine = await openEngine(c.target, 2);
    try {
      // each test builds what it needs: none depends on another's outcome
      expect((await runCompiled(compile({ projectDir: dir, targetName: 'postgres', env: {} }), engine, { select: ['+slow+'] })).result.results.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success']);
      const running = runCompiled(c, engine, { select: ['slow+', 'other'] });
      await waitFor(async () => (await terminate('%pg_sleep(%')) > 0, 'the slow model to start, to terminate it', 30_000);
      const { result } = await running;
      expect(result.results.map((r) => `${r.name}:${r.status}`)).toEqual(['other:success', 'slow:error', 'after_slow:skipped']);
      expect(result.results[1]!.message).toMatch(/models\/slow\.sql: Database error in slow: lost the connection to the database: terminating connection due to administrator command/);
    } finally {
      await engine.close();
    }
    expect(await q(`select build from "${schema}".slow`)).toEqual([{ build: 1 }]);
    expect(await q(`select n::int, build from "${schema}".other`)).toEqual([{ n: 2, build: 2 }]);
    expect(await leftovers()).toEqual([]);
  });

  it('during the swap: the transaction rolls back, readers keep the old table, the tmp table is dropped', async () => {
    const c = (build: number) => compile({ projectDir: dir, targetName: 'postgres', env: {}, vars: { build } });
    const engine: Engine = await openEngine(c(1).target, 2);
    const blocker = await connect();
    try {
      expect((await runCompiled(c(1), engine, { select: ['+swapped+'] })).result.results.map((r) => r.status)).toEqual(['success', 'success', 'success']);
      // a reader holding the table makes the swap's ALTER TABLE ... RENAME wait, inside its transaction
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE "${schema}".swapped IN ACCESS SHARE MODE`);
      const running = runCompiled(c(2), engine, { select: ['swapped+'] });
      await waitFor(async () => (await terminate('ALTER TABLE %swapped%RENAME%', "and wait_event_type = 'Lock'")) > 0, 'the swap to wait for the lock, to terminate it', 30_000);
      const { result } = await running;
      expect(result.results.map((r) => `${r.name}:${r.status}`)).toEqual(['swapped:error', 'after_swap:skipped']);
      expect(result.results[0]!.message).toMatch(/models\/swapped\.sql: Database error in swapped: lost the connection to the database: terminating connection due to administrator command/);
      // the reader still sees the old table, in its transaction and after it
      expect((await blocker.query(`select build from "${schema}".swapped`)).rows).toEqual([{ build: 1 }]);
      await blocker.query('COMMIT');
    } finally {
      await blocker.end();
      await engine.close();
    }
    expect(await q(`select build from "${schema}".swapped`)).toEqual([{ build: 1 }]);
    expect(await q(`select build from "${schema}".after_swap`)).toEqual([{ build: 1 }]);
    expect(await leftovers()).toEqual([]);
  });

  it('kill -9 mid-run: run_results.json says what finished and what did not; retry builds the rest', async () => {
    const fresh = freshSchema('term_kill');
    const kdir = writeProject({
      ...files(fresh),
      'data/big/a.json': '{"id": 7, "s": "x"}\n',
      // after from_big and other, so that with --threads 1 it is the last but one to start
      'models/slow.sql': "select 1 as build from pg_sleep({{ var('sleep', 0) }})\nwhere (select count(*) from {{ ref('from_big') }}) >= 0 and (select count(*) from {{ ref('other') }}) >= 0\n",
    });
    try {
      const run = start(['run', '--project-dir', kdir, '--threads', '1', '--vars', '{sleep: 60}', '--exclude', 'swapped+']);
      try {
        await waitFor(async () => (await q(`select pid from pg_stat_activity where query like '%pg_sleep(%' and query like '%${fresh}%' and pid <> pg_backend_pid()`)).length > 0, 'the slow model to start', 30_000);
        run.kill('SIGKILL');
        await run.exited;
      } finally {
        run.kill('SIGKILL');
      }
      const r = JSON.parse(readFileSync(path.join(kdir, 'target/run_results.json'), 'utf8')) as Results;
      expect(r.complete).toBe(false);
      // --threads 1: the slow model is the last but one to start; what finished before it is recorded (all
      // of it, unless the last write was still deferred), the rest is pending
      const before = ['big', 'from_big', 'other', 'small'];
      expect(r.results.every((n) => n.status === 'success' && before.includes(n.name))).toBe(true);
      expect(r.pending).toEqual(expect.arrayContaining(['model.slow', 'model.after_slow']));
      expect(r.results.length + r.pending!.length).toBe(6);
      // the orphaned statement notices its client is gone and rolls back (client_connection_check_interval)
      await waitFor(async () => (await q(`select pid from pg_stat_activity where query like '%pg_sleep(%' and query like '%${fresh}%' and state = 'active' and pid <> pg_backend_pid()`)).length === 0, 'the orphaned statement to end', 20_000);

      const retry = runCli(['retry', '--project-dir', kdir]);
      expect(retry.stderr).toBe('');
      expect(retry.code).toBe(0);
      expect(retry.stdout).toMatch(/did not complete/);
      expect(retry.stdout).toMatch(/OK table model after_slow/);
      expect(retry.stdout).toMatch(/Done\. PASS=(\d) ERROR=0 SKIP=0 TOTAL=\1/);
      expect(await q(`select build from "${fresh}".after_slow`)).toEqual([{ build: 1 }]);

      // a relation dropped since the last run, which succeeded: retry rebuilds it, not "Nothing to retry"
      await q(`drop table "${fresh}".after_slow`);
      const again = runCli(['retry', '--project-dir', kdir]);
      expect(again.code).toBe(0);
      expect(again.stdout).toMatch(/Rebuilding 1 node that the last run built but whose relations are missing: after_slow/);
      expect(again.stdout).not.toMatch(/Nothing to retry/);
      expect(await q(`select build from "${fresh}".after_slow`)).toEqual([{ build: 1 }]);
      expect(runCli(['retry', '--project-dir', kdir]).stdout).toMatch(/Nothing to retry: every node of the last run .* succeeded and its relation exists/);
    } finally {
      await dropSchema(fresh);
      removeDir(kdir);
    }
  });
});
