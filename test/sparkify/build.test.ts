// The Sparkify warehouse as shipped (models/ at the repo root) built from the published data
// (../shared/data/sparkify) on DuckDB and on PostgreSQL: one suite, run on each engine, asserting
// the figures of the published data. The figures of each node's build (status, rows) are pinned in a
// golden file shared by both engines, which follows models/: accept an intended change with
// `npm run test:update-goldens`. Framework behaviour is tested on test/fixtures/warehouse instead.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled, writeCompiled, type Compiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON, removeDir, runCli, sharedDataCfg } from '../helpers/project.js';
import { FIRST_EVENT_ROW, PUBLISHED_COUNTS } from '../helpers/published-data.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { copyShippedProject, runNodes } from './shipped-project.js';

if (!HAS_SHARED_DATA) console.warn(`skipping the build of the published data: ${SHARED_DATA_SKIP_REASON}`);

interface EngineCase {
  name: 'duckdb' | 'postgres';
  /** the dwh.cfg sections of the engine, given the test's schema */
  cfg: (schema: string) => string;
  schema: () => string;
  /** what the compiled songplays.sql spells for this engine */
  compiledSpelling: string;
}

const ENGINES: EngineCase[] = [
  { name: 'duckdb', cfg: () => `[DUCKDB]\nPATH = warehouse.duckdb\n`, schema: () => 'main', compiledSpelling: 'EPOCH_MS(CAST(p.ts AS BIGINT))' },
  { name: 'postgres', cfg: (schema) => pgCfg(schema), schema: () => freshSchema('build'), compiledSpelling: `INTERVAL '1 millisecond'` },
];

describe.skipIf(!HAS_SHARED_DATA).each(ENGINES)('the Sparkify warehouse from the published data on $name', (e) => {
  const schema = e.schema();
  let dir: string;
  let compiled: Compiled;
  let engine: Engine;
  let result: RunResult;
  const q = (sql: string) => engine.withConnection((c) => c.query(sql));
  const one = async (sql: string) => Object.values((await q(sql))[0]!)[0];
  const t = (table: string) => `"${schema}"."${table}"`;

  beforeAll(async () => {
    dir = copyShippedProject(sharedDataCfg(e.cfg(schema)));
    const opts = { projectDir: dir, targetName: e.name, env: {} };
    compiled = compile(opts, resolveProjectTarget(opts));
    writeCompiled(compiled);
    engine = await openEngine(compiled.target, 4);
    result = (await runCompiled(compiled, engine, {})).result;
  });

  afterAll(async () => {
    await engine?.close();
    if (e.name === 'postgres') await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('builds every source and model of the project, reading every file', async () => {
    expect(result.results.filter((r) => r.status !== 'success').map((r) => [r.name, r.status, r.error?.message])).toEqual([]);
    expect(result.results.map((r) => r.name).sort()).toEqual(runNodes(compiled).sort());
    expect(result.results.find((r) => r.name === 'staging_events')?.files).toBe(30);
    expect(result.results.find((r) => r.name === 'staging_songs')?.files).toBe(71);
    const figures = [...result.results].sort((a, b) => a.name.localeCompare(b.name)).map((r) => `${r.resourceType} ${r.name}: ${r.status}, ${r.rows} rows`);
    // the same figures on every engine
    await expect(figures.join('\n') + '\n').toMatchFileSnapshot('./__golden__/published-build.txt');
  });

  it.each(PUBLISHED_COUNTS)('%s has %i rows', async (table, n) => {
    expect(Number(await one(`select count(*) from ${t(table)}`))).toBe(n);
    expect(result.results.find((r) => r.name === table)?.rows).toBe(n);
  });

  it('builds in the configured schema and leaves no tmp relation', async () => {
    const rows = await q(`select table_name from information_schema.tables where table_schema = '${schema}' order by 1`);
    const relations = [...runNodes(compiled), 'sparkify_incremental_state', 'sparkify_loaded_files'].sort();
    expect(rows.map((r) => String(r.table_name)).sort()).toEqual(relations);
  });

  it('keeps userid as text in staging, with "" for logged-out events', async () => {
    expect(Number(await one(`select count(*) from ${t('staging_events')} where userid = ''`))).toBe(286);
    expect(Number(await one(`select count(*) from ${t('staging_events')} where userid = '' and auth <> 'Logged Out'`))).toBe(0);
    expect(Number(await one(`select count(*) from ${t('staging_events')} where page = 'NextSong'`))).toBe(6820);
  });

  it('loads the JSONPaths mapping by position: camelCase keys land in lowercase columns', async () => {
    const rows = await q(`select * from ${t('staging_events')} where ts = 1541105830796 and userid = '39'`);
    // the staging table of an incremental source also says which file and load each row came from
    expect(rows.map(({ _load_seq, _source_file, ...r }) => r)).toEqual([FIRST_EVENT_ROW]);
    expect(String(rows[0]!._source_file)).toMatch(/log_data\/2018\/11\/2018-11-01-events\.json$/);
  });

  it('matches exactly one play to a song, with all its values and a stable songplay_id', async () => {
    const rows = await q(`select songplay_id, cast(start_time as varchar) as start_time, user_id, level, song_id, artist_id, session_id from ${t('songplays')} where song_id is not null`);
    const ev = (await q(`select ts, userid, sessionid, iteminsession from ${t('staging_events')} where ts = 1542837407796 and page = 'NextSong'`))[0]!;
    expect(rows).toEqual([
      {
        // md5 of 'ts|userid|sessionid|iteminsession': the same on every engine
        songplay_id: createHash('md5').update(`${ev.ts}|${ev.userid}|${ev.sessionid}|${ev.iteminsession}`).digest('hex'),
        start_time: '2018-11-21 21:56:47.796',
        user_id: 15,
        level: expect.stringMatching(/^(free|paid)$/),
        song_id: 'SOZCTXZ12AB0182364',
        artist_id: 'AR5KOSW1187FB35FF4',
        session_id: 818,
      },
    ]);
    expect(Number(await one(`select count(distinct songplay_id) from ${t('songplays')}`))).toBe(6820);
  });

  it('takes users from their latest event: 22 paid, 75 free', async () => {
    expect(await q(`select level, cast(count(*) as int) as n from ${t('users')} group by 1 order by 1`)).toEqual([
      { level: 'free', n: 75 },
      { level: 'paid', n: 22 },
    ]);
    expect(Number(await one(`select count(distinct user_id) from ${t('users')}`))).toBe(97);
  });

  it('keeps milliseconds and breaks start_time into ISO week and weekday 0 = Sunday', async () => {
    const rows = await q(`select cast(start_time as varchar) as t, hour, day, week, month, year, weekday from ${t('time')} where start_time = timestamp '2018-11-21 21:56:47.796'`);
    // 2018-11-21 was a Wednesday in ISO week 47
    expect(rows).toEqual([{ t: '2018-11-21 21:56:47.796', hour: 21, day: 21, week: 47, month: 11, year: 2018, weekday: 3 }]);
    expect(await q(`select distinct weekday, week from ${t('time')} where cast(start_time as date) = date '2018-11-04'`)).toEqual([{ weekday: 0, week: 44 }]);
    expect(await q(`select cast(min(start_time) as varchar) as lo, cast(max(start_time) as varchar) as hi from ${t('time')}`)).toEqual([
      { lo: '2018-11-01 21:01:46.796', hi: '2018-11-30 19:54:24.796' },
    ]);
  });

  it('keeps one row per artist and song', async () => {
    expect(Number(await one(`select count(*) - count(distinct artist_id) from ${t('artists')}`))).toBe(0);
    expect(Number(await one(`select count(*) - count(distinct song_id) from ${t('songs')}`))).toBe(0);
  });

  it('passes every data test the project declares', async () => {
    const { result: tests } = await runCompiled(compiled, engine, { resourceTypes: ['test'] });
    const generic = Object.values(compiled.manifest.nodes).filter((n) => n.resourceType === 'test' && (n as { testType?: string }).testType === 'generic');
    expect(generic.length).toBeGreaterThan(0);
    expect(tests.results.filter((r) => r.resourceType === 'test').length).toBeGreaterThanOrEqual(generic.length);
    expect(tests.results.filter((r) => r.status !== 'pass').map((r) => [r.name, r.status, r.message])).toEqual([]);
  });

  it(`writes ${e.name} SQL and the manifest to target/`, () => {
    const sql = readFileSync(path.join(dir, 'target/compiled/models/star/songplays.sql'), 'utf8');
    expect(sql).toContain(`"${schema}"."staging_events"`);
    expect(sql).toContain(e.compiledSpelling);
    expect(JSON.parse(readFileSync(path.join(dir, 'target/manifest.json'), 'utf8')).order).toContain('model.songplays');
  });

  it('rebuilds through the real CLI: exit 0, nothing loaded again, the same counts, no tmp left', async () => {
    // DuckDB allows one process per database file: the CLI's run gets it alone
    await engine.close();
    const r = runCli(['run', '--target', e.name, '--project-dir', dir]);
    engine = await openEngine(compiled.target, 4);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`on ${e.name}`);
    // the files are in the ledger: nothing to load again
    expect(r.stdout).toMatch(/OK copy source staging_events .*\[0 rows inserted, 8056 total from 0 files in/);
    const n = runNodes(compiled).length;
    expect(r.stdout).toContain(`Done. PASS=${n} ERROR=0 SKIP=0 TOTAL=${n}`);
    for (const [table, rows] of PUBLISHED_COUNTS) expect(Number(await one(`select count(*) from ${t(table)}`))).toBe(rows);
    expect(Number(await one(`select count(*) from information_schema.tables where table_schema = '${schema}' and table_name like '%\\_\\_sparkify%' escape '\\'`))).toBe(0);
  });
});
