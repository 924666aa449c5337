// The watch session as library code: driven from this program through the API in src/index.ts,
// with no CLI process, on a throwaway DuckDB project with real file edits.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watch, type RunEvent, type WatchEvent, type WatchSession } from '../../src/index.js';
import { makeProject, REPO, sampleData, tempRoot } from './watch-harness.js';

let root: string;
let data: string;

beforeAll(async () => {
  root = tempRoot();
  data = await sampleData(root);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** The session's events as they arrive, and a way to wait for the next one that matches. */
class Recorder {
  readonly events: (WatchEvent | { type: 'run'; e: RunEvent } | { type: 'error'; message: string })[] = [];
  private waiters: { match: (e: Recorder['events'][number]) => boolean; resolve: (e: Recorder['events'][number]) => void }[] = [];

  push(e: Recorder['events'][number]): void {
    this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  }

  next<T extends Recorder['events'][number]>(match: (e: Recorder['events'][number]) => e is T): Promise<T> {
    return new Promise((resolve) => this.waiters.push({ match, resolve: resolve as (e: Recorder['events'][number]) => void }));
  }
}

const isEnd = (e: Recorder['events'][number]): e is Extract<WatchEvent, { type: 'rebuild_end' }> => e.type === 'rebuild_end';
const isIdle = (e: Recorder['events'][number]): e is Extract<WatchEvent, { type: 'watching' }> => e.type === 'watching';

/** One write the watcher sees as one change: a hidden temporary file renamed over the file. */
function save(file: string, text: string): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

const MART = (edit: number) => `{{ config(materialized='table') }}\n\nselect level, count(*) as plays, ${edit} as edit\nfrom {{ ref('songplays') }}\ngroup by level\n`;

describe('the watch session through the library API', () => {
  it('builds, rebuilds an edited model and what is downstream only, holds the run lock, and stops', async () => {
    const dir = makeProject(root, data);
    const mart = path.join(dir, 'models', 'marts', 'plays_by_level.sql');
    mkdirSync(path.dirname(mart), { recursive: true });
    writeFileSync(mart, MART(0));
    const rec = new Recorder();
    const session: WatchSession = watch({
      projectDir: dir,
      env: {},
      onWatchEvent: (e) => rec.push(e),
      onRunEvent: (e) => rec.push({ type: 'run', e }),
      onError: (err) => rec.push({ type: 'error', message: err instanceof Error ? err.message : String(err) }),
    });
    let code: number | undefined;
    try {
      const first = await rec.next(isEnd);
      await rec.next(isIdle);
      expect(first).toMatchObject({ status: 'success', rebuild: 1 });
      expect(first.nodes).toContain('model.plays_by_level');
      expect(first.nodes).toContain('source.sparkify.staging_events');

      // the session holds the target's run lock: a run elsewhere is refused, naming the holder
      const other = spawnSync(process.execPath, [path.join(REPO, 'bin', 'sparkify.js'), 'run', '--project-dir', dir], { cwd: dir, encoding: 'utf8' });
      expect(other.status).toBe(1);
      expect(other.stdout + other.stderr).toMatch(/run --watch/);

      const from = rec.events.length;
      const edited = rec.next(isEnd);
      save(mart, MART(7));
      const end = await edited;
      await rec.next(isIdle);
      expect(end).toMatchObject({ status: 'success', nodes: ['model.plays_by_level'], failed: [] });
      const built = rec.events.slice(from).flatMap((e) => (e.type === 'run' && e.e.type === 'node_end' ? [e.e.result.id] : []));
      expect(built).toEqual(['model.plays_by_level']);
      // its compiled file is rewritten, the others are left as they are
      expect(readFileSync(path.join(dir, 'target', 'compiled', 'models', 'marts', 'plays_by_level.sql'), 'utf8')).toContain('7 as edit');

      // an edit upstream rebuilds its descendants inside the project, the mart included
      const songplays = path.join(dir, 'models', 'star', 'songplays.sql');
      const again = rec.next(isEnd);
      save(songplays, readFileSync(songplays, 'utf8') + '\n-- edited\n');
      expect(await again).toMatchObject({ status: 'success', nodes: ['model.songplays', 'model.plays_by_level', 'model.time'] });
      await rec.next(isIdle);
    } finally {
      code = await session.stop();
    }
    expect(code).toBe(0);
    expect(rec.events.filter((e) => e.type === 'error')).toEqual([]);
    expect(rec.events.at(-1)).toEqual({ type: 'watch_end', exitCode: 0 });
    expect(await session.done).toBe(0);

    // the warehouse holds the edited mart: one row per level, its plays those of songplays
    const db = await DuckDBInstance.create(path.join(dir, 'target', 'sparkify.duckdb'), { access_mode: 'READ_ONLY' });
    try {
      const c = await db.connect();
      const rows = (await c.runAndReadAll(`SELECT p.level, p.plays, p.edit, (SELECT count(*) FROM main.songplays s WHERE s.level = p.level) AS expected FROM main.plays_by_level p ORDER BY 1`)).getRowObjectsJson();
      c.closeSync();
      expect(rows.length).toBe(2);
      for (const r of rows) {
        expect(Number(r.edit)).toBe(7);
        expect(Number(r.plays)).toBe(Number(r.expected));
        expect(Number(r.plays)).toBeGreaterThan(0);
      }
    } finally {
      db.closeSync();
    }
  });
});
