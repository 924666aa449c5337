import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, removeDir, runCli, writeProject } from '../helpers/project.js';

const files = {
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
  // slow on purpose in the first run: a large cross join, cut short by kill -9
  'models/slow.sql': "select count(*) as n from range({{ var('n', 100000) }}) a, range({{ var('n', 100000) }}) b where (select count(*) from {{ ref('base') }}) > 0\n",
  'models/summary.sql': "select sum(v) as total, (select n from {{ ref('slow') }}) as n from {{ ref('base') }}\n",
};

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function dump(dir: string): string {
  return runCli(['show', '--project-dir', dir, '--output', 'json', '--inline', "select (select count(*) from {{ ref('base') }}) as base_rows, t.* from {{ ref('summary') }} t"]).stdout;
}

describe('kill -9 in the middle of a run on DuckDB', () => {
  it('the next run succeeds, cleans up, and gives exactly the tables of a clean run', async () => {
    const crashed = writeProject(files);
    const clean = writeProject(files);
    dirs.push(crashed, clean);

    const child = spawn(process.execPath, [BIN, 'run', '--project-dir', crashed, '--log-format', 'json', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (/"event":"node_start".*"name":"slow"/.test(buf)) {
          setTimeout(() => child.kill('SIGKILL'), 300);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the run ended before the slow model started:\n${buf}`)));
    });
    await new Promise((r) => child.on('exit', r));
    expect(child.signalCode).toBe('SIGKILL');

    // the file the killed run left says it did not complete, and what it finished (events and base, unless
    // the write after base was still deferred) and what it did not (slow, which was running, and summary)
    const left = JSON.parse(readFileSync(path.join(crashed, 'target/run_results.json'), 'utf8')) as { complete: boolean; pending: string[]; results: { id: string; status: string }[] };
    expect(left.complete).toBe(false);
    expect(left.results.every((r) => r.status === 'success' && ['source.raw.events', 'model.base'].includes(r.id))).toBe(true);
    expect([...left.results.map((r) => r.id), ...left.pending].sort()).toEqual(['model.base', 'model.slow', 'model.summary', 'source.raw.events']);
    expect(left.pending).toEqual(expect.arrayContaining(['model.slow', 'model.summary']));

    const again = runCli(['run', '--project-dir', crashed, '--vars', '{n: 10}']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(runCli(['run', '--project-dir', clean, '--vars', '{n: 10}']).code).toBe(0);
    expect(dump(crashed)).toBe(dump(clean));
    expect(JSON.parse(dump(crashed))).toEqual([{ base_rows: '100', total: '328350', n: '100' }]);
    const leftovers = runCli(['show', '--project-dir', crashed, '--output', 'json', '--inline', "select count(*)::int as n from information_schema.tables where table_name like '%__sparkify_%'"]);
    expect(JSON.parse(leftovers.stdout)).toEqual([{ n: 0 }]);
  });

  it('sparkify retry after the kill builds what the killed run did not finish', async () => {
    const crashed = writeProject(files);
    const clean = writeProject(files);
    dirs.push(crashed, clean);
    const child = spawn(process.execPath, [BIN, 'run', '--project-dir', crashed, '--log-format', 'json', '--threads', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (/"event":"node_start".*"name":"slow"/.test(buf)) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`the run ended before the slow model started:\n${buf}`)));
    });
    await new Promise((r) => child.on('exit', r));
    const retry = runCli(['retry', '--project-dir', crashed, '--vars', '{n: 10}']);
    expect(retry.stderr).toBe('');
    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/did not complete \(it crashed or was killed\)/);
    expect(retry.stdout).toMatch(/OK table model slow/);
    expect(retry.stdout).toMatch(/OK table model summary/);
    expect(retry.stdout).toMatch(/Done\. PASS=(\d) ERROR=0 SKIP=0 TOTAL=\1/);
    expect(runCli(['run', '--project-dir', clean, '--vars', '{n: 10}']).code).toBe(0);
    expect(dump(crashed)).toBe(dump(clean));
  });
});
