import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { HAS_SHARED_DATA, SHARED_DATA, SHARED_DATA_SKIP_REASON, copyFixtureProject, removeDir, sharedDataCfg } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { S3_TEST_ENV, runCliAsync, s3Cfg, startS3, useTestCredentials } from './s3-fixture.js';
import type { TestS3Server } from './s3-server.js';

if (!HAS_SHARED_DATA) console.warn(`skipping the build from S3: ${SHARED_DATA_SKIP_REASON}`);

const TABLES = ['staging_events', 'staging_songs', 'songplays', 'users', 'songs', 'artists', 'time'];
const COUNTS = { staging_events: 8056, staging_songs: 71, songplays: 6820, users: 97, songs: 71, artists: 69, time: 6813 };

type Build = 'duckdb-s3' | 'duckdb-local' | 'postgres-s3' | 'postgres-local';

/**
 * The published data uploaded into a real S3-compatible server on loopback, read through the real
 * AWS SDK, and the warehouse built from s3:// on DuckDB and on PostgreSQL. Each must equal the
 * build of the same files read from the local disk, row for row.
 */
describe.skipIf(!HAS_SHARED_DATA)('the Sparkify warehouse built from s3:// on DuckDB and PostgreSQL', () => {
  const schemas = { s3: freshSchema('s3'), local: freshSchema('s3local') };
  let s3: TestS3Server;
  let dirs: Record<'s3' | 'local', string>;
  const engines: Partial<Record<Build, Engine>> = {};
  const results: Partial<Record<Build, RunResult>> = {};

  beforeAll(async () => {
    useTestCredentials();
    s3 = await startS3();
    expect(s3.putDirectory('udacity-dend', '', SHARED_DATA)).toBe(103);
    // decoys a prefix match without the trailing '/' would pick up; they would fail the load or change the counts
    s3.put('udacity-dend', 'log_data_old/2018/11/bad.json', '{"ts": "not a number"}\n');
    s3.put('udacity-dend', 'song_data.bak/A/x.json', '{"num_songs": "many"}\n');
    s3.put('udacity-dend', 'song_data/', '');
    dirs = {
      s3: copyFixtureProject(`${s3Cfg(s3.endpoint)}[DUCKDB]\nPATH = warehouse.duckdb\n${pgCfg(schemas.s3)}`),
      local: copyFixtureProject(sharedDataCfg(`[DUCKDB]\nPATH = warehouse.duckdb\n${pgCfg(schemas.local)}`)),
    };
    for (const build of ['duckdb-s3', 'duckdb-local', 'postgres-s3', 'postgres-local'] as const) {
      const [type, from] = build.split('-') as ['duckdb' | 'postgres', 's3' | 'local'];
      const opts = { projectDir: dirs[from], targetName: type, env: {} };
      const compiled = compile(opts, resolveProjectTarget(opts));
      const engine = await openEngine(compiled.target, 4);
      engines[build] = engine;
      results[build] = (await runCompiled(compiled, engine, {})).result;
    }
  });

  afterAll(async () => {
    for (const e of Object.values(engines)) await e?.close();
    await dropSchema(schemas.s3);
    await dropSchema(schemas.local);
    for (const d of Object.values(dirs ?? {})) removeDir(d);
    await s3?.stop();
  });

  it.each(['duckdb-s3', 'postgres-s3'] as const)('%s builds every node from every object under the prefixes', (build) => {
    const r = results[build]!;
    expect(r.results.map((n) => [n.name, n.status, n.message ?? ''])).toEqual(r.results.map((n) => [n.name, 'success', '']));
    expect(Object.fromEntries(r.results.map((n) => [n.name, n.rows]))).toEqual(COUNTS);
    expect(r.results.find((n) => n.name === 'staging_events')?.files).toBe(30);
    expect(r.results.find((n) => n.name === 'staging_songs')?.files).toBe(71);
  });

  it('lists with the folder-style prefixes and reads each object through the SDK', () => {
    const lists = s3.requests.filter((q) => q.url.includes('list-type=2')).map((q) => new URL(q.url, 'http://x').searchParams.get('prefix'));
    expect(new Set(lists)).toEqual(new Set(['log_data/', 'song_data/']));
    const gets = s3.requests.filter((q) => q.method === 'GET' && !q.url.includes('list-type'));
    // per engine: 30 log files and 71 song files; the JSONPaths file once per load of log files: once on DuckDB, which
    // reads a run's new files in one load, and 30 times on PostgreSQL, where each of the 30 log files loads on its own
    // (an incremental source with few new files loads them one by one)
    expect(gets.length).toBe(30 + 71 + 1 + (30 + 71 + 30));
    expect(gets.some((q) => q.url.includes('log_data_old') || q.url.includes('song_data.bak'))).toBe(false);
    expect(s3.requests.every((q) => q.authorization?.startsWith('AWS4-HMAC-SHA256 Credential=sparkify-test/'))).toBe(true);
  });

  /** every row of a table, ordered by every column */
  const contents = async (build: Build, table: string) => {
    const e = engines[build]!;
    const cols = await e.withConnection((c) =>
      c.query(`select column_name from information_schema.columns where table_schema = '${e.schema}' and table_name = '${table}' order by ordinal_position`),
    );
    // the file a staging row came from is its s3:// URI or its path, and its load depends on the order of the loads
    const names = cols.map((c) => String(c.column_name)).filter((n) => n !== '_source_file' && n !== '_load_seq');
    const by = names.map((_, i) => i + 1).join(', ');
    return e.withConnection((c) => c.query(`select ${names.map((n) => `"${n}"`).join(', ')} from "${e.schema}"."${table}" order by ${by}`));
  };

  it.each(TABLES.flatMap((t) => [['duckdb', t] as const, ['postgres', t] as const]))(
    '%s: %s from S3 equals the local-file build row for row',
    async (type, table) => {
      const [fromS3, local] = await Promise.all([contents(`${type}-s3`, table), contents(`${type}-local`, table)]);
      expect(local.length).toBe(COUNTS[table as keyof typeof COUNTS]);
      expect(fromS3.length).toBe(local.length);
      for (let i = 0; i < local.length; i++) {
        if (JSON.stringify(fromS3[i]) !== JSON.stringify(local[i])) expect({ row: i, ...fromS3[i] }).toEqual({ row: i, ...local[i] });
      }
    },
  );

  it('runs from S3 through the real CLI, with nothing on stderr', async () => {
    // the DuckDB file takes one process at a time
    await engines['duckdb-s3']?.close();
    delete engines['duckdb-s3'];
    const r = await runCliAsync(['run', '--target', 'duckdb', '--project-dir', dirs.s3, '--config', path.join(dirs.s3, 'dwh.cfg')], S3_TEST_ENV);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // every object is in the ledger already: nothing is loaded again
    expect(r.stdout).toMatch(/OK copy source staging_events .*\[0 rows inserted, 8056 total from 0 files in/);
    expect(r.stdout).toContain('Done. PASS=7 ERROR=0 SKIP=0 TOTAL=7');
  });
});
