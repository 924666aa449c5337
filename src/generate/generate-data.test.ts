import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { EVENT_KEYS, generateData, jsonPathsText, SONG_KEYS, type GenerateResult } from './generate-data.js';

const REAL_JSONPATHS = path.resolve(fileURLToPath(import.meta.url), '../../../../shared/data/sparkify/log_json_path.json');
const OPTS = { events: 4000, songs: 300, seed: 11, days: 10, startDate: '2018-11-26' };

type Event = Record<(typeof EVENT_KEYS)[number], unknown>;
type Song = Record<(typeof SONG_KEYS)[number], unknown>;

async function listFiles(root: string, dir = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir ? `${dir}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}

let tmp: string;
let outDir: string;
let result: GenerateResult;
let files: string[];
/** [file, raw text] of the log files, in date order. */
let logs: [string, string][];
let events: Event[];
let songs: Song[];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sparkify-generate-'));
  outDir = path.join(tmp, 'a');
  result = await generateData({ outDir, ...OPTS });
  files = await listFiles(outDir);
  logs = await Promise.all(
    files.filter((f) => f.startsWith('log_data/')).map(async (f) => [f, await readFile(path.join(outDir, f), 'utf8')] as [string, string]),
  );
  events = logs.flatMap(([, text]) => text.split('\n').map((l) => JSON.parse(l) as Event));
  songs = await Promise.all(
    files.filter((f) => f.startsWith('song_data/')).map(async (f) => JSON.parse(await readFile(path.join(outDir, f), 'utf8')) as Song),
  );
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('generateData', () => {
  it('writes the S3 bucket layout', async () => {
    for (const f of files) {
      const log = /^log_data\/(\d{4})\/(\d{2})\/(\d{4})-(\d{2})-\d{2}-events\.json$/.exec(f);
      const song = /^song_data\/([A-Z])\/([A-Z])\/([A-Z])\/(TR[A-Z0-9]{16})\.json$/.exec(f);
      if (log) expect([log[3], log[4]]).toEqual([log[1], log[2]]);
      else if (song) expect(song[4]!.slice(2, 5)).toBe(song[1]! + song[2]! + song[3]!);
      else expect(f).toBe('log_json_path.json');
    }
    // The range crosses a month boundary.
    expect(logs.map(([f]) => f.slice(9, 16))).toContain('2018/12');
    expect(logs).toHaveLength(result.eventFiles);
    expect(result.eventFiles).toBe(10);
    expect(songs).toHaveLength(result.songFiles);

    const paths = await readFile(path.join(outDir, 'log_json_path.json'), 'utf8');
    expect(paths).toBe(jsonPathsText());
    expect((JSON.parse(paths) as { jsonpaths: string[] }).jsonpaths).toEqual(EVENT_KEYS.map((k) => `$['${k}']`));
    if (existsSync(REAL_JSONPATHS)) expect(paths).toBe(await readFile(REAL_JSONPATHS, 'utf8'));
  });

  it('is deterministic for a seed and differs for another', async () => {
    const same = path.join(tmp, 'same');
    const other = path.join(tmp, 'other');
    expect(await generateData({ outDir: same, ...OPTS })).toEqual(result);
    await generateData({ outDir: other, ...OPTS, seed: 12 });
    expect(await listFiles(same)).toEqual(files);
    for (const f of files) {
      expect((await readFile(path.join(same, f))).equals(await readFile(path.join(outDir, f))), f).toBe(true);
    }
    const day = logs[3]![0];
    expect(await readFile(path.join(other, day), 'utf8')).not.toBe(logs[3]![1]);
    expect(await listFiles(other)).not.toEqual(files);
  });

  it('serialises events like the published logs', () => {
    for (const [file, text] of logs) {
      expect(text.endsWith('\n')).toBe(false);
      expect(text).toMatch(/^[\x20-\x7e\n]*$/);
      expect(text).not.toMatch(/[^\\]\//); // every `/` escaped
      let prevTs = 0;
      for (const line of text.split('\n')) {
        const e = JSON.parse(line) as Event;
        expect(Object.keys(e)).toEqual(EVENT_KEYS);
        expect(line).toMatch(/"registration":(null|\d{13}\.0),/);
        for (const k of ['ts', 'sessionId', 'itemInSession', 'status'] as const) expect(Number.isInteger(e[k])).toBe(true);
        expect(typeof e.userId).toBe('string');
        const ts = e.ts as number;
        expect(ts).toBeGreaterThanOrEqual(prevTs);
        expect(new Date(ts).toISOString().slice(0, 10)).toBe(path.basename(file).slice(0, 10));
        prevTs = ts;
        if (e.auth === 'Logged Out') {
          expect(e.userId).toBe('');
          for (const k of ['firstName', 'gender', 'lastName', 'location', 'registration', 'userAgent'] as const) expect(e[k]).toBeNull();
          expect(['free', 'paid']).toContain(e.level);
        } else {
          expect(e.auth).toBe('Logged In');
          expect(e.userId).toMatch(/^[1-9]\d*$/);
        }
        if (e.page === 'NextSong') {
          expect([e.method, e.status, typeof e.artist, typeof e.song, typeof e.length]).toEqual(['PUT', 200, 'string', 'string', 'number']);
        } else {
          expect([e.artist, e.length, e.song]).toEqual([null, null, null]);
          expect(['GET', 'PUT']).toContain(e.method);
          expect([200, 307, 404]).toContain(e.status);
        }
      }
    }
    const raw = logs.map(([, t]) => t).join('\n');
    expect(raw).toContain('"userAgent":"\\"Mozilla\\/5.0 (');
    const pages = new Set(events.map((e) => e.page));
    for (const p of ['NextSong', 'Home', 'Login', 'Logout', 'Submit Upgrade']) expect(pages).toContain(p);
    expect(events.some((e) => e.auth === 'Logged Out')).toBe(true);
  });

  it('simulates sessions and level changes', () => {
    const items = new Map<unknown, number>();
    for (const e of events) {
      const next = items.get(e.sessionId) ?? 0;
      expect(e.itemInSession).toBe(next);
      items.set(e.sessionId, next + 1);
    }
    const levels = new Map<unknown, string[]>();
    for (const e of events) if (e.userId !== '') levels.set(e.userId, [...(levels.get(e.userId) ?? []), e.level as string]);
    const upgraded = [...levels.values()].filter((l) => l.indexOf('paid') > l.indexOf('free') && l.includes('free'));
    expect(upgraded.length).toBeGreaterThan(0);
  });

  it('writes song files like the published bucket', async () => {
    for (const f of files.filter((x) => x.startsWith('song_data/'))) {
      const text = await readFile(path.join(outDir, f), 'utf8');
      expect(text).toMatch(/^\{"num_songs": 1, "artist_id": "AR[0-9A-Z]{16}", "artist_latitude": (null|-?\d+\.\d+), /);
      expect(text).toMatch(/^[\x20-\x7e]*$/);
      expect(text.endsWith('}')).toBe(true);
      expect(Object.keys(JSON.parse(text) as object)).toEqual(SONG_KEYS);
    }
    expect(songs.some((s) => /[^\x00-\x7f]/.test(s.title as string))).toBe(true);
    expect(songs.some((s) => s.artist_latitude === null)).toBe(true);
    expect(songs.some((s) => s.year === 0)).toBe(true);
    expect(songs.filter((s) => s.artist_id === songs[0]!.artist_id).every((s) => s.artist_name === songs[0]!.artist_name)).toBe(true);
    const artistIds = new Set(songs.map((s) => s.artist_id));
    expect(artistIds.size).toBe(result.artists);
    expect(result.artists).toBeLessThan(result.songs);
    const locations = new Map<unknown, Set<unknown>>();
    for (const s of songs) locations.set(s.artist_id, (locations.get(s.artist_id) ?? new Set()).add(s.artist_location));
    expect([...locations.values()].some((l) => l.size > 1)).toBe(true);
  });

  it('matches the promised share of plays to songs, with a few ambiguous ones', () => {
    const key = (title: unknown, artist: unknown, duration: unknown): string => JSON.stringify([title, artist, duration]);
    const ids = new Map<string, Set<unknown>>();
    for (const s of songs) {
      const k = key(s.title, s.artist_name, s.duration);
      ids.set(k, (ids.get(k) ?? new Set()).add(s.song_id));
    }
    const plays = events.filter((e) => e.page === 'NextSong');
    const matched = plays.filter((e) => ids.has(key(e.song, e.artist, e.length)));
    expect(matched).toHaveLength(result.matchedPlays);
    expect(result.matchedPlays / plays.length).toBeGreaterThan(0.25);
    expect(result.matchedPlays / plays.length).toBeLessThan(0.35);
    const ambiguous = matched.filter((e) => ids.get(key(e.song, e.artist, e.length))!.size > 1);
    expect(ambiguous.length).toBeGreaterThan(0);
    expect(ambiguous.length).toBeLessThanOrEqual(5);
    // Non-matching plays include other recordings of generated songs (same title and artist).
    const titles = new Set(songs.map((s) => key(s.title, s.artist_name, null)));
    expect(plays.some((e) => titles.has(key(e.song, e.artist, null)) && !ids.has(key(e.song, e.artist, e.length)))).toBe(true);
  });

  it('reports what is on disk', async () => {
    const sizes = await Promise.all(files.map(async (f) => (await stat(path.join(outDir, f))).size));
    expect(result).toEqual({
      eventFiles: logs.length,
      songFiles: songs.length,
      events: events.length,
      nextSongEvents: events.filter((e) => e.page === 'NextSong').length,
      songs: songs.length,
      artists: new Set(songs.map((s) => s.artist_id)).size,
      matchedPlays: result.matchedPlays,
      users: new Set(events.filter((e) => e.userId !== '').map((e) => e.userId)).size,
      bytes: sizes.reduce((a, b) => a + b, 0),
    });
    expect(result.events).toBe(OPTS.events);
    expect(result.songs).toBe(OPTS.songs);
  });

  it('handles small and edge sizes', async () => {
    const dir = path.join(tmp, 'small');
    const r = await generateData({ outDir: dir, events: 20, songs: 3, seed: 1, matchRate: 0, days: 30 });
    expect(r).toMatchObject({ events: 20, songs: 3, matchedPlays: 0 });
    const lines = (await listFiles(dir)).filter((f) => f.startsWith('log_data/'));
    expect(lines).toHaveLength(r.eventFiles);
    const all = await generateData({ outDir: path.join(tmp, 'all'), events: 300, songs: 10, seed: 1, matchRate: 1 });
    expect(all.matchedPlays).toBe(all.nextSongEvents);
    const none = await generateData({ outDir: path.join(tmp, 'none'), events: 0, songs: 0, seed: 1 });
    expect(none).toMatchObject({ eventFiles: 0, songFiles: 0, events: 0, users: 0 });
  });

  it('rejects bad options', async () => {
    const base = { outDir: path.join(tmp, 'bad'), events: 10, songs: 1, seed: 1 };
    for (const bad of [{ matchRate: 1.5 }, { startDate: '2018-02-30' }, { days: 0 }, { events: -1 }, { seed: 0.5 }, { users: 0 }]) {
      await expect(generateData({ ...base, ...bad })).rejects.toBeInstanceOf(UsageError);
    }
  });
});
