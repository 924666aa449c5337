import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { removeDir, writeProject } from '../helpers/project.js';

/**
 * On DuckDB an incremental source's new files are read in one load, straight into the staging
 * table, each row tagged with its file, and committed in one transaction with all their ledger
 * rows: a run commits every new file or none.
 */

const sources = (extra = '') => `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data
        copy: { json: auto, mode: incremental${extra} }
        columns: [{ name: id, type: integer }, { name: v, type: bigint }]
`;

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: from + i, v: (from + i) * 10 })).join('\n') + '\n';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

class Project {
  readonly engine: Promise<Engine>;
  constructor(readonly dir: string) {
    this.engine = openEngine(resolveProjectTarget({ projectDir: dir, env: {} }), 1);
  }

  write(rel: string, text: string): void {
    writeFileSync(path.join(this.dir, rel), text);
  }

  async run(): Promise<RunResult> {
    const po = { projectDir: this.dir, env: {} };
    return (await runCompiled(compile(po, resolveProjectTarget(po)), await this.engine, {})).result;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.engine).withConnection((c) => c.query(sql));
  }

  /** file (base name), rows_loaded, rows_rejected, load_seq of each ledger row */
  async ledger(): Promise<[string, number, number, number][]> {
    const rows = await this.query('select file, rows_loaded, rows_rejected, load_seq from main.sparkify_loaded_files order by file');
    return rows.map((r) => [path.basename(String(r.file)), Number(r.rows_loaded), Number(r.rows_rejected), Number(r.load_seq)]);
  }

  /** staging rows by file (base name): [file, rows, load_seq] */
  async staging(): Promise<[string, number, number][]> {
    const rows = await this.query('select _source_file as f, count(*) as n, max(_load_seq) as s from main.events group by 1 order by 1');
    return rows.map((r) => [path.basename(String(r.f)), Number(r.n), Number(r.s)]);
  }

  async close(): Promise<void> {
    await (await this.engine).close();
  }
}

function project(extra = ''): Project {
  const dir = writeProject({ 'sources.yml': sources(extra), 'data/a.json': lines(0, 3), 'data/b.json': lines(100, 2) });
  dirs.push(dir);
  return new Project(dir);
}

const events = (r: RunResult) => r.results.find((x) => x.name === 'events')!;

describe('an incremental load of several new files on DuckDB', () => {
  it('commits them all in one load with their per-file counts, or, with a bad file among them (max_errors 0), none', async () => {
    const p = project();
    try {
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 2, inserted: 5 });
      const ledger1 = await p.ledger();
      const staging1 = await p.staging();
      expect(ledger1).toEqual([
        ['a.json', 3, 0, 1],
        ['b.json', 2, 0, 1],
      ]);
      expect(staging1).toEqual([
        ['a.json', 3, 1],
        ['b.json', 2, 1],
      ]);

      // three new files, the middle one with a bad line: nothing of any of them is committed
      p.write('data/c.json', lines(200, 4));
      p.write('data/d.json', lines(300, 2) + '{"id": 302, "v": "x"}\n');
      p.write('data/e.json', lines(400, 1));
      const failed = events(await p.run());
      expect(failed.status).toBe('error');
      expect(failed.error?.message).toMatch(/invalid bigint "x"/);
      expect(failed.error).toMatchObject({ file: expect.stringMatching(/d\.json$/), line: 3 });
      expect(await p.ledger()).toEqual(ledger1);
      expect(await p.staging()).toEqual(staging1);

      // fixed: the three load together, each with its own count, in load 2
      p.write('data/d.json', lines(300, 3));
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 3, inserted: 8, rows: 13 });
      expect(await p.ledger()).toEqual([
        ['a.json', 3, 0, 1],
        ['b.json', 2, 0, 1],
        ['c.json', 4, 0, 2],
        ['d.json', 3, 0, 2],
        ['e.json', 1, 0, 2],
      ]);
      expect(await p.staging()).toEqual([
        ['a.json', 3, 1],
        ['b.json', 2, 1],
        ['c.json', 4, 2],
        ['d.json', 3, 2],
        ['e.json', 1, 2],
      ]);

      // nothing new: nothing loaded
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 0, inserted: 0 });
    } finally {
      await p.close();
    }
  });

  it('under max_errors, a bad line is rejected with its file and line, and counted against its own file', async () => {
    const p = project(', max_errors: 1');
    try {
      p.write('data/c.json', lines(200, 2) + '{"id": 202, "v": "x"}\n' + lines(203, 1));
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 3, inserted: 8 });
      expect(await p.ledger()).toEqual([
        ['a.json', 3, 0, 1],
        ['b.json', 2, 0, 1],
        ['c.json', 3, 1, 1],
      ]);
      expect(await p.staging()).toEqual([
        ['a.json', 3, 1],
        ['b.json', 2, 1],
        ['c.json', 3, 1],
      ]);
      const errors = await p.query('select file, line from main.sparkify_load_errors');
      expect(errors.map((e) => [path.basename(String(e.file)), Number(e.line)])).toEqual([['c.json', 3]]);

      // max_errors counts the bad lines of the whole load: two more files of one bad line each fail it, and leave nothing
      p.write('data/d.json', '{"id": 1, "v": "y"}\n');
      p.write('data/e.json', lines(500, 2) + '{"id": 2, "v": "z"}\n');
      expect(events(await p.run()).status).toBe('error');
      expect((await p.ledger()).map((l) => l[0])).toEqual(['a.json', 'b.json', 'c.json']);
      expect((await p.staging()).reduce((n, s) => n + s[1], 0)).toBe(8);
    } finally {
      await p.close();
    }
  });

  it('files that need other reads (pretty-printed, gzip) load in the same transaction, each row with its file', async () => {
    const p = project();
    try {
      p.write('data/c.json', JSON.stringify({ id: 200, v: 1 }, null, 2) + '\n' + JSON.stringify({ id: 201, v: 2 }, null, 2) + '\n');
      writeFileSync(path.join(p.dir, 'data/d.json.gz'), gzipSync(lines(300, 3)));
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 4, inserted: 10 });
      expect(await p.ledger()).toEqual([
        ['a.json', 3, 0, 1],
        ['b.json', 2, 0, 1],
        ['c.json', 2, 0, 1],
        ['d.json.gz', 3, 0, 1],
      ]);
      expect(await p.staging()).toEqual([
        ['a.json', 3, 1],
        ['b.json', 2, 1],
        ['c.json', 2, 1],
        ['d.json.gz', 3, 1],
      ]);
    } finally {
      await p.close();
    }
  });

  it('on_file_change: reload replaces the rows of the changed file only, since every row carries its file', async () => {
    const p = project(', on_file_change: reload');
    try {
      p.write('data/c.json', lines(200, 4));
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 3, inserted: 9 });
      p.write('data/b.json', lines(100, 5));
      expect(events(await p.run())).toMatchObject({ status: 'success', files: 1, inserted: 5, rows: 12 });
      expect(await p.ledger()).toEqual([
        ['a.json', 3, 0, 1],
        ['b.json', 5, 0, 2],
        ['c.json', 4, 0, 1],
      ]);
      expect(await p.staging()).toEqual([
        ['a.json', 3, 1],
        ['b.json', 5, 2],
        ['c.json', 4, 1],
      ]);
      const ids = await p.query('select id from main.events where _source_file like \'%b.json\' order by id');
      expect(ids.map((r) => Number(r.id))).toEqual([100, 101, 102, 103, 104]);
    } finally {
      await p.close();
    }
  });
});
