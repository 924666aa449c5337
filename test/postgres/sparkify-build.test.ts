import path from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled, writeCompiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON, copyRepoProject, removeDir, runCli, sharedDataCfg } from '../helpers/project.js';
import { FIRST_EVENT_ROW, PUBLISHED_COUNTS } from '../helpers/published-data.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

if (!HAS_SHARED_DATA) console.warn(`skipping the PostgreSQL build of the published data: ${SHARED_DATA_SKIP_REASON}`);


describe.skipIf(!HAS_SHARED_DATA)('the Sparkify warehouse on PostgreSQL from the published data', () => {
  const schema = freshSchema('build');
  let dir: string;
  let engine: Engine;
  let result: RunResult;
  let loadSeconds: number;
  const q = (sql: string) => engine.withConnection((c) => c.query(sql));
  const one = async (sql: string) => Object.values((await q(sql))[0]!)[0];

  beforeAll(async () => {
    dir = copyRepoProject(sharedDataCfg(pgCfg(schema)));
    const opts = { projectDir: dir, targetName: 'postgres', env: {} };
    const compiled = compile(opts, resolveProjectTarget(opts));
    writeCompiled(compiled);
    engine = await openEngine(compiled.target, 4);
    const t0 = performance.now();
    result = (await runCompiled(compiled, engine, {})).result;
    loadSeconds = (performance.now() - t0) / 1000;
  });

  afterAll(async () => {
    await engine?.close();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('builds every node, reading every file', () => {
    expect(result.results.map((r) => [r.name, r.status])).toEqual(
      ['staging_events', 'users', 'staging_songs', 'artists', 'songplays', 'songs', 'time'].map((n) => [n, 'success']),
    );
    expect(result.results.find((r) => r.name === 'staging_events')?.files).toBe(30);
    expect(result.results.find((r) => r.name === 'staging_songs')?.files).toBe(71);
    console.info(`PostgreSQL: built the published data (8,127 records, 7 nodes) in ${loadSeconds.toFixed(2)}s`);
  });

  it.each(PUBLISHED_COUNTS)('%s has %i rows', async (table, n) => {
    expect(Number(await one(`select count(*) from ${schema}."${table}"`))).toBe(n);
    expect(result.results.find((r) => r.name === table)?.rows).toBe(n);
  });

  it('builds in the configured schema and leaves no tmp relation', async () => {
    const rows = await q(`select table_name from information_schema.tables where table_schema = '${schema}' order by 1`);
    expect(rows.map((r) => r.table_name)).toEqual(['artists', 'songplays', 'songs', 'sparkify_incremental_state', 'sparkify_loaded_files', 'staging_events', 'staging_songs', 'time', 'users']);
  });

  it('loads the JSONPaths mapping by position, with the same values as DuckDB', async () => {
    const rows = await q(`select * from ${schema}.staging_events where ts = 1541105830796 and userid = '39'`);
    // the staging table of an incremental source also says which file and load each row came from
    expect(rows.map(({ _load_seq, _source_file, ...r }) => r)).toEqual([FIRST_EVENT_ROW]);
    expect(String(rows[0]!._source_file)).toMatch(/log_data\/2018\/11\/2018-11-01-events\.json$/);
    expect(Number(await one(`select count(*) from ${schema}.staging_events where userid = ''`))).toBe(286);
    expect(Number(await one(`select count(*) from ${schema}.staging_events where page = 'NextSong'`))).toBe(6820);
  });

  it('matches exactly one play to a song, with all its values', async () => {
    const rows = await q(`select songplay_id, start_time, user_id, level, song_id, artist_id, session_id from ${schema}.songplays where song_id is not null`);
    expect(rows).toHaveLength(1);
    const e = (await q(`select ts, userid, sessionid, iteminsession from ${schema}.staging_events where ts = 1542837407796 and page = 'NextSong'`))[0]!;
    expect(rows[0]).toEqual({
      songplay_id: createHash('md5').update(`${e.ts}|${e.userid}|${e.sessionid}|${e.iteminsession}`).digest('hex'),
      start_time: '2018-11-21 21:56:47.796',
      user_id: 15,
      level: expect.stringMatching(/^(free|paid)$/),
      song_id: 'SOZCTXZ12AB0182364',
      artist_id: 'AR5KOSW1187FB35FF4',
      session_id: 818,
    });
    expect(Number(await one(`select count(distinct songplay_id) from ${schema}.songplays`))).toBe(6820);
  });

  it('takes users from their latest event: 22 paid, 75 free', async () => {
    expect(await q(`select level, count(*)::int as n from ${schema}.users group by 1 order by 1`)).toEqual([
      { level: 'free', n: 75 },
      { level: 'paid', n: 22 },
    ]);
  });

  it('keeps milliseconds and breaks start_time into ISO week and weekday 0 = Sunday', async () => {
    const rows = await q(`select start_time, hour, day, week, month, year, weekday from ${schema}.time where start_time = timestamp '2018-11-21 21:56:47.796'`);
    expect(rows).toEqual([{ start_time: '2018-11-21 21:56:47.796', hour: 21, day: 21, week: 47, month: 11, year: 2018, weekday: 3 }]);
    expect(await q(`select distinct weekday, week from ${schema}.time where start_time::date = date '2018-11-04'`)).toEqual([{ weekday: 0, week: 44 }]);
    expect(await q(`select min(start_time) as lo, max(start_time) as hi from ${schema}.time`)).toEqual([{ lo: '2018-11-01 21:01:46.796', hi: '2018-11-30 19:54:24.796' }]);
  });

  it('writes PostgreSQL SQL to target/compiled', async () => {
    const { readFileSync } = await import('node:fs');
    const sql = readFileSync(path.join(dir, 'target/compiled/models/star/songplays.sql'), 'utf8');
    expect(sql).toContain(`"${schema}"."staging_events"`);
    expect(sql).toContain(`INTERVAL '1 millisecond'`);
  });

  it('rebuilds through the real CLI: exit 0, the same counts, no tmp left', async () => {
    const r = runCli(['run', '--target', 'postgres', '--config', path.join(dir, 'dwh.cfg'), '--project-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('on postgres');
    // the files are in the ledger: nothing to load again
    expect(r.stdout).toMatch(/OK copy source staging_events .*\[0 rows inserted, 8056 total from 0 files in/);
    expect(r.stdout).toContain('Done. PASS=7 ERROR=0 SKIP=0 TOTAL=7');
    for (const [table, n] of PUBLISHED_COUNTS) expect(Number(await one(`select count(*) from ${schema}."${table}"`))).toBe(n);
    expect(Number(await one(`select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and c.relname like '%\\_\\_sparkify%'`))).toBe(0);
  });
});
