import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled, writeCompiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON, copyRepoProject, removeDir, sharedDataCfg } from '../helpers/project.js';
import { FIRST_EVENT_ROW, PUBLISHED_COUNTS } from '../helpers/published-data.js';

if (!HAS_SHARED_DATA) console.warn(`skipping the DuckDB build of the published data: ${SHARED_DATA_SKIP_REASON}`);

describe.skipIf(!HAS_SHARED_DATA)('the Sparkify warehouse on DuckDB from the published data', () => {
  let dir: string;
  let engine: Engine;
  let result: RunResult;
  const q = (sql: string) => engine.withConnection((c) => c.query(sql));
  const one = async (sql: string) => Object.values((await q(sql))[0]!)[0];

  beforeAll(async () => {
    dir = copyRepoProject(sharedDataCfg(`[DUCKDB]\nPATH = warehouse.duckdb\n`));
    const opts = { projectDir: dir, env: {} };
    const compiled = compile(opts, resolveProjectTarget(opts));
    writeCompiled(compiled);
    engine = await openEngine(compiled.target, 4);
    result = (await runCompiled(compiled, engine, {})).result;
  });

  afterAll(async () => {
    await engine?.close();
    removeDir(dir);
  });

  it('builds every node', () => {
    expect(result.results.map((r) => [r.name, r.status])).toEqual([
      ['staging_events', 'success'],
      ['users', 'success'],
      ['staging_songs', 'success'],
      ['artists', 'success'],
      ['songplays', 'success'],
      ['songs', 'success'],
      ['time', 'success'],
    ]);
    expect(result.results.find((r) => r.name === 'staging_events')?.files).toBe(30);
    expect(result.results.find((r) => r.name === 'staging_songs')?.files).toBe(71);
  });

  it.each(PUBLISHED_COUNTS)('%s has %i rows', async (table, n) => {
    expect(Number(await one(`select count(*) from main."${table}"`))).toBe(n);
    expect(result.results.find((r) => r.name === table)?.rows).toBe(n);
  });

  it('keeps userid as text in staging, with "" for logged-out events', async () => {
    expect(Number(await one(`select count(*) from main.staging_events where userid = ''`))).toBe(286);
    expect(Number(await one(`select count(*) from main.staging_events where userid = '' and auth <> 'Logged Out'`))).toBe(0);
    expect(Number(await one(`select count(*) from main.staging_events where page = 'NextSong'`))).toBe(6820);
  });

  it('loads the JSONPaths mapping by position: camelCase keys land in lowercase columns', async () => {
    const rows = await q(`select * from main.staging_events where ts = 1541105830796 and userid = '39'`);
    // the staging table of an incremental source also says which file and load each row came from
    expect(rows.map(({ _load_seq, _source_file, ...r }) => r)).toEqual([FIRST_EVENT_ROW]);
    expect(String(rows[0]!._source_file)).toMatch(/log_data\/2018\/11\/2018-11-01-events\.json$/);
  });

  it('matches exactly one play to a song, with all its values', async () => {
    const rows = await q(`select songplay_id, cast(start_time as varchar) as start_time, user_id, level, song_id, artist_id, session_id from main.songplays where song_id is not null`);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      start_time: '2018-11-21 21:56:47.796',
      user_id: 15,
      song_id: 'SOZCTXZ12AB0182364',
      artist_id: 'AR5KOSW1187FB35FF4',
      session_id: 818,
    });
    expect(rows[0]!.songplay_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('gives every play a distinct, stable songplay_id', async () => {
    expect(Number(await one(`select count(distinct songplay_id) from main.songplays`))).toBe(6820);
    // md5 of 'ts|userid|sessionid|iteminsession' for the matched play: the same on every engine
    const id = await one(`select songplay_id from main.songplays where song_id = 'SOZCTXZ12AB0182364'`);
    const e = (await q(`select ts, userid, sessionid, iteminsession from main.staging_events where ts = 1542837407796 and page = 'NextSong'`))[0]!;
    const { createHash } = await import('node:crypto');
    expect(id).toBe(createHash('md5').update(`${e.ts}|${e.userid}|${e.sessionid}|${e.iteminsession}`).digest('hex'));
  });

  it('takes users from their latest event: 22 paid, 75 free', async () => {
    expect(await q(`select level, count(*)::int as n from main.users group by 1 order by 1`)).toEqual([
      { level: 'free', n: 75 },
      { level: 'paid', n: 22 },
    ]);
    expect(Number(await one(`select count(distinct user_id) from main.users`))).toBe(97);
  });

  it('breaks start_time into ISO week and weekday 0 = Sunday', async () => {
    const rows = await q(`select cast(start_time as varchar) as t, hour, day, week, month, year, weekday from main.time where start_time = timestamp '2018-11-21 21:56:47.796'`);
    // 2018-11-21 was a Wednesday in ISO week 47
    expect(rows).toEqual([{ t: '2018-11-21 21:56:47.796', hour: 21, day: 21, week: 47, month: 11, year: 2018, weekday: 3 }]);
    const sunday = await q(`select distinct weekday, week from main.time where cast(start_time as date) = date '2018-11-04'`);
    expect(sunday).toEqual([{ weekday: 0, week: 44 }]);
    expect(await one(`select cast(min(start_time) as varchar) from main.time`)).toBe('2018-11-01 21:01:46.796');
  });

  it('keeps one row per artist and song', async () => {
    expect(Number(await one(`select count(*) - count(distinct artist_id) from main.artists`))).toBe(0);
    expect(Number(await one(`select count(*) - count(distinct song_id) from main.songs`))).toBe(0);
  });

  it('passes every data test declared in models/star/schema.yml', async () => {
    const { runCompiled } = await import('../../src/api.js');
    const opts = { projectDir: dir, env: {} };
    const compiled = compile(opts, resolveProjectTarget(opts));
    const { result } = await runCompiled(compiled, engine, { resourceTypes: ['test'], select: ['path:models/star'] });
    const generic = result.results.filter((r) => r.resourceType === 'test' && compiled.manifest.nodes[r.id]?.resourceType === 'test' && (compiled.manifest.nodes[r.id] as { testType: string }).testType === 'generic');
    expect(generic.length).toBe(18);
    expect(result.results.filter((r) => r.status !== 'pass')).toEqual([]);
  });

  it('writes the compiled SQL and the manifest', async () => {
    const { readFileSync } = await import('node:fs');
    const compiled = readFileSync(path.join(dir, 'target/compiled/models/star/songplays.sql'), 'utf8');
    expect(compiled).toContain('"main"."staging_events"');
    expect(compiled).toContain('EPOCH_MS(CAST(p.ts AS BIGINT))');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'target/manifest.json'), 'utf8'));
    expect(manifest.order).toContain('model.songplays');
  });
});
