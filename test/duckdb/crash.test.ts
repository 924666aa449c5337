import { spawn } from 'node:child_process';
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
  'models/slow.sql': "select count(*) as n from range({{ var('n', 100000) }}) a, range({{ var('n', 100000) }}) b\n",
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

    const again = runCli(['run', '--project-dir', crashed, '--vars', '{n: 10}']);
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(runCli(['run', '--project-dir', clean, '--vars', '{n: 10}']).code).toBe(0);
    expect(dump(crashed)).toBe(dump(clean));
    expect(JSON.parse(dump(crashed))).toEqual([{ base_rows: '100', total: '328350', n: '100' }]);
    const leftovers = runCli(['show', '--project-dir', crashed, '--output', 'json', '--inline', "select count(*)::int as n from information_schema.tables where table_name like '%__sparkify_%'"]);
    expect(JSON.parse(leftovers.stdout)).toEqual([{ n: 0 }]);
  });
});
