import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../../src/adapters/duckdb/duckdb-engine.js';
import { BIN, removeDir, runCli, writeProject } from '../helpers/project.js';

const files = {
  'sources.yml': `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data
        copy: { json: auto }
        columns: [{ name: id, type: integer }, { name: kind, type: varchar(8) }]
`,
  'data/a.json': '{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n',
  'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
  'models/by_kind.sql': "select kind, count(*) as n from {{ ref('base') }} group by kind\n",
  'models/top.sql': "select * from {{ ref('by_kind') }} order by n desc limit 1\n",
  'models/other.sql': "select count(*) as n from {{ ref('base') }}\n",
};

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const project = () => {
  const d = writeProject(files);
  dirs.push(d);
  return d;
};
const results = (dir: string) =>
  (JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8')) as { results: { name: string; status: string }[] }).results.map(
    (r) => `${r.name}:${r.status}`,
  );

describe('two runs on one DuckDB file', () => {
  it('the second fails fast naming the holder and since when, or waits with --wait-for-lock', async () => {
    const dir = project();
    const db = path.join(dir, 'target/sparkify.duckdb');
    const holder = await DuckDbEngine.open(db, 'main');
    await holder.lockForRun({ pid: process.pid, host: hostname(), command: 'run' });
    let closed = false;
    try {
      const second = runCli(['run', '--project-dir', dir]);
      expect(second.code).toBe(1);
      // it failed fast: no waiting, nothing built (the holder keeps the lock all along)
      expect(second.stdout + second.stderr).not.toContain('waiting:');
      expect(second.stdout).not.toContain('START');
      expect(second.stderr).toMatch(
        new RegExp(
          `Database error: the DuckDB file .*sparkify\\.duckdb is in use by sparkify run \\(PID ${process.pid} on .+\\), since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\(\\d+ s ago\\)`,
        ),
      );
      expect(second.stderr).toContain('--wait-for-lock');

      const waiting = spawn(process.execPath, [BIN, 'run', '--project-dir', dir, '--wait-for-lock'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      waiting.stdout.on('data', (d: Buffer) => (out += d.toString()));
      waiting.stderr.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((resolve) => waiting.on('exit', (code) => resolve(code)));
      const until = Date.now() + 20_000;
      while (!out.includes('waiting: the DuckDB file') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain('waiting: the DuckDB file');
      expect(out).not.toContain('START');
      await holder.close();
      closed = true;
      expect(await exited).toBe(0);
      expect(out).toContain('Done. PASS=5 ERROR=0 SKIP=0 TOTAL=5');
      // the lock note goes with its holder
      expect(existsSync(`${db}.sparkify-lock`)).toBe(false);
    } finally {
      if (!closed) await holder.close();
    }
  });
});

describe('sparkify retry', () => {
  it('re-runs only the nodes that failed or were skipped in the last run', () => {
    const dir = project();
    expect(runCli(['retry', '--project-dir', dir]).stderr).toMatch(/Usage error: nothing to retry: .*run_results\.json does not exist/);
    writeFileSync(path.join(dir, 'models/by_kind.sql'), 'select kind, count(*) as n, nope from {{ ref("base") }} group by kind\n');
    expect(runCli(['run', '--project-dir', dir]).code).toBe(1);
    expect(results(dir)).toEqual(['events:success', 'base:success', 'by_kind:error', 'other:success', 'top:skipped']);

    const still = runCli(['retry', '--project-dir', dir]);
    expect(still.code).toBe(1);
    expect(still.stdout).toContain('Retrying 2 of 5 nodes of the last run');
    expect(results(dir)).toEqual(['by_kind:error', 'top:skipped']);

    writeFileSync(path.join(dir, 'models/by_kind.sql'), files['models/by_kind.sql']);
    const fixed = runCli(['retry', '--project-dir', dir]);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain('Done. PASS=2 ERROR=0 SKIP=0 TOTAL=2');
    expect(results(dir)).toEqual(['by_kind:success', 'top:success']);
    expect(runCli(['retry', '--project-dir', dir]).stdout).toMatch(/Nothing to retry: every node of the last run .* succeeded/);
    expect(runCli(['retry', '--project-dir', dir, '--select', 'top']).code).toBe(2);
  });
});
