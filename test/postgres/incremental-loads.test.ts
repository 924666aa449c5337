import { appendFileSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, Warehouse, cleanUpWarehouses, expectEqualToFullBuild, generatedWithLateEvents, ok, project, published, publishedDays } from '../helpers/incremental-warehouse.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON } from '../helpers/project.js';
import { PUBLISHED_COUNTS } from '../helpers/published-data.js';

/**
 * The Sparkify project loads its sources incrementally (copy: {mode: incremental}) and builds
 * songplays, users and time incrementally. Whatever order the files arrive in, and whatever is
 * replaced, every table must equal a full build of the same files, row for row, on both engines.
 */

if (!HAS_SHARED_DATA) console.warn(`skipping the incremental loads of the published data: ${SHARED_DATA_SKIP_REASON}`);

afterAll(cleanUpWarehouses);

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
