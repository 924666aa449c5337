import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import { BIN, removeDir, writeProject } from '../helpers/project.js';
import { connect, dropSchema, freshSchema, pgCfg, waitFor } from './pg.js';

const ROWS = 20_000;
const BIG_LOAD = 400_000;

describe('atomic builds and cancellation on PostgreSQL', () => {
  const schema = freshSchema('swap');
  let dir: string;
  let engine: Engine;
  let admin: pg.Client;
  const build = async (select: string[], opts: { vars?: Record<string, unknown>; signal?: AbortSignal } = {}) => {
    const o = { projectDir: dir, targetName: 'postgres', env: {}, vars: opts.vars };
    return (await runCompiled(compile(o), engine, { select, signal: opts.signal })).result;
  };
  const sleeping = async () =>
    (await admin.query(`select pid from pg_stat_activity where application_name = 'sparkify' and state = 'active' and query like '%pg_sleep(%' and query not like '%pg_stat_activity%'`)).rows;
  const leftovers = async () =>
    (await admin.query(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and relname like '%sparkify%'`, [schema])).rows;

  beforeAll(async () => {
    dir = writeProject({
      'dwh.cfg': pgCfg(schema),
      'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: lines
        location: data/lines
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer }
          - { name: s, type: varchar(64) }
`,
      'data/lines/part-1.json': '{"id": 1, "s": "first"}\n',
      'models/big.sql': `select g as id, md5(cast(g as varchar)) as h from generate_series(1, ${ROWS}) as g\n`,
      'models/slow.sql': "select 1 as x from pg_sleep({{ var('sleep', 0) }})\n",
      'models/after_slow.sql': "select x from {{ ref('slow') }}\n",
    });
    engine = await openEngine(compile({ projectDir: dir, targetName: 'postgres', env: {} }).target, 2);
    admin = await connect();
    expect((await build(['big', 'slow+', 'source:raw.lines'])).results.map((r) => r.status)).toEqual(['success', 'success', 'success', 'success']);
  });

  afterAll(async () => {
    await engine?.close();
    await admin?.end();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('readers never see a missing or partial table while it is rebuilt', async () => {
    const reader = await connect();
    const counts: number[] = [];
    const errors: string[] = [];
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        try {
          counts.push((await reader.query(`select count(*)::int as n from "${schema}".big`)).rows[0].n);
        } catch (err) {
          errors.push((err as Error).message);
        }
      }
    })();
    try {
      for (let i = 0; i < 15; i++) {
        const result = await build(['big']);
        expect(result.results.map((r) => [r.status, r.rows])).toEqual([['success', ROWS]]);
      }
    } finally {
      stop = true;
      await loop;
      await reader.end();
    }
    expect(errors).toEqual([]);
    expect(counts.length).toBeGreaterThan(15);
    expect(new Set(counts)).toEqual(new Set([ROWS]));
    expect(await leftovers()).toEqual([]);
  });

  it('an abort cancels the statement on the server, rolls back and leaves the old table and no tmp', async () => {
    const controller = new AbortController();
    const running = build(['slow+'], { vars: { sleep: 60 }, signal: controller.signal });
    await waitFor(async () => (await sleeping()).length > 0, 'the slow model to start on the server');
    controller.abort();
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(result.results.map((r) => [r.name, r.status])).toEqual([
      ['slow', 'error'],
      ['after_slow', 'skipped'],
    ]);
    expect(result.results[0]!.message).toMatch(/interrupted: canceling statement due to user request/);
    expect(await sleeping()).toEqual([]);
    expect(await leftovers()).toEqual([]);
    expect((await admin.query(`select x from "${schema}".slow`)).rows).toEqual([{ x: 1 }]);
  });

  it('an abort during a COPY cancels it on the server and keeps the previous staging contents', async () => {
    const line = (i: number) => JSON.stringify({ id: i, s: `row ${i} with\ta tab and a \\ backslash` });
    writeFileSync(path.join(dir, 'data/lines/part-2.json'), Array.from({ length: BIG_LOAD }, (_, i) => line(i + 2)).join('\n'));
    const controller = new AbortController();
    const copying = async () =>
      (await admin.query(`select pid from pg_stat_activity where application_name = 'sparkify' and state = 'active' and query like 'COPY %'`)).rows.length > 0;
    const running = build(['source:raw.lines'], { signal: controller.signal });
    await waitFor(copying, 'the COPY to start');
    controller.abort();
    const result = await running;
    expect(result.interrupted).toBe(true);
    expect(result.results[0]).toMatchObject({ name: 'lines', status: 'error' });
    expect(result.results[0]!.message).toMatch(/interrupted: .*canceling statement due to user request/);
    expect(await copying()).toBe(false);
    expect(await leftovers()).toEqual([]);
    expect((await admin.query(`select id, s from "${schema}".lines`)).rows).toEqual([{ id: 1, s: 'first' }]);
    // and with nothing in the way the same file loads in full
    const again = await build(['source:raw.lines']);
    expect(again.results.map((r) => [r.status, r.rows])).toEqual([['success', BIG_LOAD + 1]]);
  });

  it('Ctrl-C on the CLI cancels the server-side query and exits 130', async () => {
    const child = spawn(process.execPath, [BIN, 'run', '--target', 'postgres', '--config', path.join(dir, 'dwh.cfg'), '--project-dir', dir, '--select', 'slow', '--vars', '{"sleep": 60}'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (await sleeping()).length > 0, 'the CLI to start the slow model', 20_000);
      child.kill('SIGINT');
      expect(await exited).toBe(130);
    } finally {
      child.kill('SIGKILL');
    }
    expect(stdout).toContain('Interrupted: cancelling running queries');
    expect(stdout).toMatch(/ERROR .*slow/);
    expect(await sleeping()).toEqual([]);
    expect(await leftovers()).toEqual([]);
    expect((await admin.query(`select x from "${schema}".slow`)).rows).toEqual([{ x: 1 }]);
  });
});
