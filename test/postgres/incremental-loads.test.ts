import { appendFileSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import { generateData } from '../../src/generate/generate-data.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { HAS_SHARED_DATA, SHARED_DATA, SHARED_DATA_SKIP_REASON, copyFixtureProject, removeDir, tempDir } from '../helpers/project.js';
import { PUBLISHED_COUNTS } from '../helpers/published-data.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

/**
 * The Sparkify project loads its sources incrementally (copy: {mode: incremental}) and builds
 * songplays, users and time incrementally. Whatever order the files arrive in, and whatever is
 * replaced, every table must equal a full build of the same files, row for row, on both engines.
 */

type EngineName = 'duckdb' | 'postgres';
const ENGINES: EngineName[] = ['duckdb', 'postgres'];
const TABLES = ['staging_events', 'staging_songs', 'songplays', 'users', 'songs', 'artists', 'time'];
const schemas: string[] = [];
const dirs: string[] = [];

if (!HAS_SHARED_DATA) console.warn(`skipping the incremental loads of the published data: ${SHARED_DATA_SKIP_REASON}`);

/** One target of a project folder whose logs/ folder the test fills day by day. */
class Warehouse {
  private constructor(
    readonly dir: string,
    readonly cfg: string,
    readonly schema: string,
    readonly engine: Engine,
  ) {}

  static async open(dir: string, type: EngineName, name: string, data: { jsonPaths: string; songs: string }): Promise<Warehouse> {
    const schema = freshSchema(`inc_${name}`);
    schemas.push(schema);
    const cfg = path.join(dir, `${name}.cfg`);
    writeFileSync(cfg, `[SPARKIFY]\nTARGET = ${type}\n[S3]\nLOG_DATA = logs\nLOG_JSONPATH = ${data.jsonPaths}\nSONG_DATA = ${data.songs}\n[DUCKDB]\nPATH = ${name}.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}`);
    const target = resolveProjectTarget({ projectDir: dir, configPath: cfg, env: {} });
    return new Warehouse(dir, cfg, schema, await openEngine(target, 4));
  }

  async run(opts: { fullRefresh?: boolean } = {}): Promise<RunResult> {
    const po = { projectDir: this.dir, configPath: this.cfg, env: {} };
    const { result } = await runCompiled(compile(po, resolveProjectTarget(po)), this.engine, { fullRefresh: opts.fullRefresh });
    return result;
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return this.engine.withConnection((c) => c.query(sql));
  }

  /** every row, sorted; staging rows without the load sequence, which depends on how the files were batched */
  async contents(table: string): Promise<string[]> {
    const rows = await this.query(`select * from "${this.schema}"."${table}"`);
    return rows.map((r) => JSON.stringify(Object.entries(r).filter(([k]) => k !== '_load_seq'))).sort();
  }

  async ledger(): Promise<{ source: string; file: string; rows_loaded: number; load_seq: number }[]> {
    const rows = await this.query(`select source, file, rows_loaded, load_seq from "${this.schema}".sparkify_loaded_files order by source, file`);
    return rows.map((r) => ({ source: String(r.source), file: path.basename(String(r.file)), rows_loaded: Number(r.rows_loaded), load_seq: Number(r.load_seq) }));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}

const ok = (r: RunResult) => expect(r.results.filter((x) => x.status !== 'success').map((x) => [x.name, x.error?.message ?? x.message])).toEqual([]);

/** A project folder with an empty logs/ folder; `add` copies day files into it. */
function project(): { dir: string; logs: string; add: (files: string[]) => void } {
  const dir = copyFixtureProject('');
  dirs.push(dir);
  const logs = path.join(dir, 'logs');
  mkdirSync(logs);
  return { dir, logs, add: (files) => files.forEach((f) => copyFileSync(f, path.join(logs, path.basename(f)))) };
}

/** Compares every table with a full build of the same files, built from nothing in another database. */
async function expectEqualToFullBuild(w: Warehouse, type: EngineName, data: { jsonPaths: string; songs: string }): Promise<void> {
  const full = await Warehouse.open(w.dir, type, `full${schemas.length}`, data);
  try {
    ok(await full.run());
    for (const t of TABLES) {
      const [a, b] = [await w.contents(t), await full.contents(t)];
      expect(a.length, `${t} rows`).toBe(b.length);
      expect(a, t).toEqual(b);
    }
  } finally {
    await full.close();
  }
}

const publishedDays = () => {
  const folder = path.join(SHARED_DATA, 'log_data', '2018', '11');
  return readdirSync(folder).sort().map((f) => path.join(folder, f));
};
const published = { jsonPaths: path.join(SHARED_DATA, 'log_json_path.json'), songs: path.join(SHARED_DATA, 'song_data') };

afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
  for (const d of dirs) removeDir(d);
});

describe.skipIf(!HAS_SHARED_DATA).each(ENGINES)('incremental loads of the published data on %s', (type) => {
  it('days 1-15, then days 16-30: each file is loaded once, and every table equals a full build', async () => {
    const p = project();
    const w = await Warehouse.open(p.dir, type, 'a', published);
    try {
      const days = publishedDays();
      expect(days).toHaveLength(30);
      p.add(days.slice(0, 15));
      const first = await w.run();
      ok(first);
      expect(first.results.find((r) => r.name === 'staging_events')?.files).toBe(15);
      p.add(days.slice(15));
      const second = await w.run();
      ok(second);
      const events = second.results.find((r) => r.name === 'staging_events')!;
      expect([events.files, events.rows, events.inserted! + first.results.find((r) => r.name === 'staging_events')!.rows!]).toEqual([15, 8056, 8056]);
      // the star schema took the new rows only: songplays added what days 16-30 hold
      const plays = second.results.find((r) => r.name === 'songplays')!;
      expect(plays.rows).toBe(6820);
      expect(plays.inserted).toBe(6820 - first.results.find((r) => r.name === 'songplays')!.rows!);
      for (const [table, n] of PUBLISHED_COUNTS) expect(second.results.find((r) => r.name === table)?.rows, table).toBe(n);
      if (type === 'postgres') {
        // each staging table has its BRIN index on _load_seq, and every append left it summarized: nothing is left to do
        const indexes = await w.query(`select indexname, indexdef from pg_indexes where schemaname = '${w.schema}' order by 1`);
        expect(indexes.map((i) => i.indexname)).toEqual(['staging_events_load_seq_brin', 'staging_songs_load_seq_brin']);
        expect(indexes.map((i) => /USING brin \((.*)\)/.exec(String(i.indexdef))?.[1])).toEqual(['_load_seq, ts', '_load_seq']);
        const pending = await w.query(`select pg_catalog.brin_summarize_new_values('"${w.schema}"."staging_events_load_seq_brin"'::regclass) as n`);
        expect(Number(pending[0]!.n)).toBe(0);
      }
      // a third run finds nothing new and changes nothing
      const third = await w.run();
      ok(third);
      expect(third.results.find((r) => r.name === 'staging_events')).toMatchObject({ files: 0, inserted: 0, rows: 8056 });
      expect(third.results.find((r) => r.name === 'songplays')).toMatchObject({ inserted: 0, rows: 6820 });
      const ledger = await w.ledger();
      expect(ledger.filter((l) => l.source === 'sparkify.staging_events')).toHaveLength(30);
      expect(ledger.filter((l) => l.source === 'sparkify.staging_songs')).toHaveLength(71);
      expect(ledger.filter((l) => l.source === 'sparkify.staging_events').reduce((n, l) => n + l.rows_loaded, 0)).toBe(8056);
      await expectEqualToFullBuild(w, type, published);
    } finally {
      await w.close();
    }
  });

  it('days 1-6 one at a time, then days 7-30 at once, equal a full build', async () => {
    // one run per day for the first days (each loads its one new file); the rest in one run. The
    // generated data with late events below is the one fed a day at a time to the end.
    const p = project();
    const w = await Warehouse.open(p.dir, type, 'b', published);
    try {
      const days = publishedDays();
      for (const day of days.slice(0, 6)) {
        p.add([day]);
        const r = await w.run();
        ok(r);
        expect(r.results.find((x) => x.name === 'staging_events')?.files).toBe(1);
      }
      p.add(days.slice(6));
      const rest = await w.run();
      ok(rest);
      expect(rest.results.find((x) => x.name === 'staging_events')?.files).toBe(24);
      await expectEqualToFullBuild(w, type, published);
    } finally {
      await w.close();
    }
  });

  it('a changed file fails the load by default, naming it; with on_file_change: reload its rows are replaced and every table equals a full build', async () => {
    const p = project();
    const w = await Warehouse.open(p.dir, type, 'c', published);
    try {
      p.add(publishedDays());
      ok(await w.run());
      const before = await w.contents('songplays');
      // day 10 is rewritten: its first half kept, the rest replaced by day 11's first lines
      const day10 = path.join(p.logs, '2018-11-10-events.json');
      const lines = readFileSync(day10, 'utf8').split('\n').filter(Boolean);
      const day11 = readFileSync(path.join(p.logs, '2018-11-11-events.json'), 'utf8').split('\n').filter(Boolean);
      writeFileSync(day10, [...lines.slice(0, Math.floor(lines.length / 2)), ...day11.slice(0, 5).map((l) => l.replace(/"sessionId":(\d+)/, '"sessionId":9$1'))].join('\n') + '\n');
      const failed = await w.run();
      const events = failed.results.find((r) => r.name === 'staging_events')!;
      expect(events.status).toBe('error');
      expect(events.error?.message).toMatch(/1 file changed since it was loaded: .*2018-11-10-events\.json/);
      expect(events.error?.hint).toMatch(/on_file_change: reload/);
      expect(failed.results.find((r) => r.name === 'songplays')?.status).toBe('skipped');
      expect(await w.contents('songplays')).toEqual(before);

      writeFileSync(path.join(p.dir, 'sources.yml'), readFileSync(path.join(p.dir, 'sources.yml'), 'utf8').replace(/mode: incremental/g, 'mode: incremental\n          on_file_change: reload'));
      const reloaded = await w.run();
      ok(reloaded);
      expect(reloaded.results.find((r) => r.name === 'staging_events')).toMatchObject({ files: 1, inserted: Math.floor(lines.length / 2) + 5 });
      await expectEqualToFullBuild(w, type, published);

      // touched without a change: the content hash says it is the same file, so nothing is loaded
      utimesSync(day10, new Date(), new Date(Date.now() + 60_000));
      expect((await w.run()).results.find((r) => r.name === 'staging_events')).toMatchObject({ files: 0, inserted: 0 });
    } finally {
      await w.close();
    }
  });

  it('a file that disappeared is reported and its rows kept; --full-refresh reloads every file and rebuilds the ledger', async () => {
    const p = project();
    const w = await Warehouse.open(p.dir, type, 'd', published);
    try {
      p.add(publishedDays());
      ok(await w.run());
      rmSync(path.join(p.logs, '2018-11-30-events.json'));
      const r = await w.run();
      ok(r);
      const events = r.results.find((x) => x.name === 'staging_events')!;
      expect(events.rows).toBe(8056);
      expect(events.warnings).toEqual([expect.stringMatching(/^sparkify\.staging_events: 1 loaded file no longer exists; its rows are kept \(--full-refresh drops them\): .*2018-11-30-events\.json$/)]);
      const refreshed = await w.run({ fullRefresh: true });
      ok(refreshed);
      expect(refreshed.results.find((x) => x.name === 'staging_events')).toMatchObject({ files: 29 });
      const ledger = (await w.ledger()).filter((l) => l.source === 'sparkify.staging_events');
      expect(ledger.map((l) => l.file)).not.toContain('2018-11-30-events.json');
      // DuckDB reads a run's new files in one load; PostgreSQL loads each day file on its own
      expect(ledger.map((l) => l.load_seq)).toEqual(Array.from({ length: 29 }, (_, i) => (type === 'duckdb' ? 1 : i + 1)));
      await expectEqualToFullBuild(w, type, published);
    } finally {
      await w.close();
    }
  });

  it('a load that fails on file 12 records nothing of file 12 (PostgreSQL keeps files 1-11 with their ledger rows, DuckDB, which loads them in one transaction, none); fixed, the next run equals a full build', async () => {
    const p = project();
    const w = await Warehouse.open(p.dir, type, 'e', published);
    try {
      const days = publishedDays();
      p.add(days);
      const bad = path.join(p.logs, path.basename(days[11]!));
      const good = readFileSync(bad, 'utf8');
      appendFileSync(bad, '{"ts": "not a number"}\n');
      const failed = await w.run();
      expect(failed.results.find((r) => r.name === 'staging_events')?.status).toBe('error');
      const ledger = (await w.ledger()).filter((l) => l.source === 'sparkify.staging_events');
      const kept = type === 'duckdb' ? 0 : 11;
      expect(ledger.map((l) => l.file)).toEqual(days.slice(0, kept).map((d) => path.basename(d)));
      const rows = await w.query(`select count(*) as n, count(distinct _source_file) as files from "${w.schema}".staging_events`);
      expect(Number(rows[0]!.n)).toBe(ledger.reduce((n, l) => n + l.rows_loaded, 0));
      expect(Number(rows[0]!.files)).toBe(kept);
      writeFileSync(bad, good);
      ok(await w.run());
      await expectEqualToFullBuild(w, type, published);
    } finally {
      await w.close();
    }
  });
});

/**
 * Generated data whose later files hold late events: every 15th line of each day's file moved
 * into the file two days later, so a file brings plays, times and user states of earlier days.
 * Twelve days of 3,000 events: enough for late events across many runs, small enough that a
 * run a day stays light on a loaded machine.
 */
async function generatedWithLateEvents(): Promise<{ days: string[]; data: { jsonPaths: string; songs: string } }> {
  const out = tempDir('sparkify-late-');
  dirs.push(out);
  await generateData({ outDir: out, events: 3_000, songs: 40, seed: 15, days: 12, matchRate: 0.5 });
  const folder = path.join(out, 'log_data', '2018', '11');
  const days = readdirSync(folder).sort().map((f) => path.join(folder, f));
  const texts = days.map((d) => readFileSync(d, 'utf8').split('\n').filter(Boolean));
  const moved = texts.map(() => [] as string[]);
  const kept = texts.map((lines, i) => lines.filter((l, j) => (i + 2 < days.length && j % 15 === 7 ? (moved[i + 2]!.push(l), false) : true)));
  days.forEach((d, i) => writeFileSync(d, [...kept[i]!, ...moved[i]!].join('\n') + '\n'));
  return { days, data: { jsonPaths: path.join(out, 'log_json_path.json'), songs: path.join(out, 'song_data') } };
}

describe.each(ENGINES)('incremental loads of generated data with late events on %s', (type) => {
  let gen: Awaited<ReturnType<typeof generatedWithLateEvents>>;
  beforeAll(async () => {
    gen = await generatedWithLateEvents();
  });

  it('the files hold events of earlier days', () => {
    const lastTs = (f: string) => Math.max(...readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => Number(/"ts":(\d+)/.exec(l)![1])));
    const firstTs = (f: string) => Math.min(...readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => Number(/"ts":(\d+)/.exec(l)![1])));
    expect(gen.days).toHaveLength(12);
    expect(firstTs(gen.days[10]!)).toBeLessThan(lastTs(gen.days[8]!));
  });

  it('one day at a time equals a full build', async () => {
    const one = project();
    const w = await Warehouse.open(one.dir, type, 'g1', gen.data);
    try {
      for (const day of gen.days) {
        one.add([day]);
        ok(await w.run());
      }
      await expectEqualToFullBuild(w, type, gen.data);
    } finally {
      await w.close();
    }
  });

  it('the first half, then the second half, equals a full build', async () => {
    const halves = project();
    const h = await Warehouse.open(halves.dir, type, 'g2', gen.data);
    try {
      halves.add(gen.days.slice(0, 6));
      ok(await h.run());
      halves.add(gen.days.slice(6));
      ok(await h.run());
      await expectEqualToFullBuild(h, type, gen.data);
    } finally {
      await h.close();
    }
  });
});
