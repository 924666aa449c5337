import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LedgerLoadStep } from '../../src/adapters/adapter.js';
import { RedshiftDialect } from '../../src/adapters/redshift/redshift-dialect.js';
import { RedshiftEngine, type RedshiftSettings } from '../../src/adapters/redshift/redshift-engine.js';
import { LoadError } from '../../src/errors.js';
import { SourceFiles } from '../../src/loaders/source-files.js';
import { loadNewFiles } from '../../src/runner/load-new-files.js';
import type { CopyOptions, Relation, SourceTable } from '../../src/types.js';
import { PG, connect, dropSchema, freshSchema } from '../postgres/pg.js';
import { startS3, useTestCredentials } from '../s3/s3-fixture.js';
import type { TestS3Server } from '../s3/s3-server.js';

/**
 * An incremental load on Redshift with [S3] MANIFEST_PREFIX, run by the engine's own code: the new
 * keys are listed with the AWS SDK and the manifest is written with PutObject to a loopback S3
 * server; the transaction, the STL_LOAD_COMMITS check and the ledger run on the PostgreSQL server.
 * No cluster is reachable, so the cluster is a stand-in there: COPY ... MANIFEST is spelled as a
 * call of a PL/pgSQL function that reads the manifest and each file it lists from the same S3
 * server over HTTP (COPY FROM PROGRAM 'curl ...': it loads what the manifest lists, and only that),
 * inserts their JSON lines and records one STL_LOAD_COMMITS row per file under its query id, which
 * the stand-in pg_last_copy_id() returns. The real COPY statement is pinned by the golden files.
 */
class StandInCopyDialect extends RedshiftDialect {
  constructor(
    private readonly schema: string,
    private readonly endpoint: string,
    options: ConstructorParameters<typeof RedshiftDialect>[0],
  ) {
    super(options);
  }

  override copyFromS3(source: SourceTable, into: Relation, copy: CopyOptions): string {
    const real = super.copyFromS3(source, into, copy);
    const from = /^FROM '([^']+)'$/m.exec(real)![1]!;
    const manifest = /\nMANIFEST\n/.test(real);
    return `INSERT INTO ${this.relation(into)} SELECT (jsonb_populate_record(NULL::${this.relation(into)}, r)).* FROM "${this.schema}".stand_in_copy(${this.quoteLiteral(from)}, ${this.quoteLiteral(this.endpoint)}, ${String(manifest)}) AS t(r)`;
  }
}

const schema = freshSchema('rs_manifest');
let s3: TestS3Server;
let engine: RedshiftEngine;
/** the same cluster without [S3] MANIFEST_PREFIX: one COPY per new file */
let perFileEngine: RedshiftEngine;
let files: SourceFiles;

const source: SourceTable = {
  id: 'source.raw.events',
  sourceName: 'raw',
  name: 'events',
  identifier: 'events',
  location: 's3://sparkify-raw/log_data',
  copy: {
    json: { kind: 'auto' },
    maxErrors: 0,
    compression: 'none',
    truncateColumns: false,
    blanksAsNull: false,
    emptyAsNull: false,
    manifest: false,
    mode: 'incremental',
  },
  columns: [
    { name: 'ts', type: 'bigint' },
    { name: 'userid', type: 'varchar(32)' },
  ],
  file: '/p/sources.yml',
  line: 4,
  tags: [],
};
const step: LedgerLoadStep = {
  kind: 'ledger-load',
  source,
  into: { schema, name: 'events' },
  tmp: { schema, name: 'events__sparkify_tmp' },
  ledgerSchema: schema,
  fullRefresh: false,
};

const lines = (day: number, n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ ts: day * 1000 + i, userid: `u${day}-${i}` })).join('\n') + '\n';
const putDay = (day: number, n: number) => s3.put('sparkify-raw', `log_data/2018/11/2018-11-${String(day).padStart(2, '0')}-events.json`, lines(day, n));
const uri = (day: number) => `s3://sparkify-raw/log_data/2018/11/2018-11-${String(day).padStart(2, '0')}-events.json`;

const sql = async <T = Record<string, unknown>>(text: string): Promise<T[]> => {
  const c = await connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
};

async function load(runId: string = randomUUID(), on = engine, s = step) {
  const r = await on.withConnection(async (c) => {
    await c.execute(`SET search_path TO "${schema}", public`);
    return loadNewFiles(c, s, { engine: on, runId, files, recordRejections: async () => undefined });
  });
  return { ...r, runId };
}

const manifestPuts = () => s3.requests.filter((r) => r.method === 'PUT' && r.url.startsWith('/sparkify-loads/'));

beforeAll(async () => {
  useTestCredentials();
  s3 = await startS3();
  s3.buckets.set('sparkify-loads', new Map());
  files = new SourceFiles({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });
  const dialect = new StandInCopyDialect(schema, s3.endpoint, {
    iamRole: 'arn:aws:iam::123456789012:role/dwhRole',
    region: 'us-east-1',
    manifestPrefix: 's3://sparkify-loads/manifests',
  });
  const settings = {
    host: PG.host,
    port: PG.port,
    database: PG.database,
    user: PG.user,
    schema,
    iamRole: 'arn:aws:iam::123456789012:role/dwhRole',
    region: 'us-east-1',
    ssl: false,
  };
  engine = await RedshiftEngine.openCluster(settings as unknown as RedshiftSettings, schema, 2, { dialect });
  perFileEngine = await RedshiftEngine.openCluster(settings as unknown as RedshiftSettings, schema, 2, {
    dialect: new StandInCopyDialect(schema, s3.endpoint, { iamRole: 'arn:aws:iam::123456789012:role/dwhRole', region: 'us-east-1' }),
  });
  const c = await connect();
  try {
    await c.query(`
      CREATE TABLE "${schema}".stl_load_commits (query integer, slice integer, filename char(256), lines_scanned integer, curtime timestamp);
      CREATE TABLE "${schema}".stl_load_errors (query integer, starttime timestamp, filename char(256), line_number bigint, colname char(127), type char(10),
        col_length char(10), position integer, raw_line char(1024), raw_field_value char(1024), err_code integer, err_reason char(100));
      CREATE SEQUENCE "${schema}".copy_ids;
      CREATE FUNCTION "${schema}".pg_last_copy_id() RETURNS integer LANGUAGE sql AS $$ SELECT CASE WHEN is_called THEN last_value::integer ELSE -1 END FROM "${schema}".copy_ids $$;
      CREATE TABLE "${schema}".fetched (line text);
      -- files whose commit the stand-in leaves out, as a COPY that lost track of one would
      CREATE TABLE "${schema}".lost_commits (url text);
      CREATE FUNCTION "${schema}".fetch_s3(url text, endpoint text) RETURNS void LANGUAGE plpgsql AS $$
        BEGIN
          DELETE FROM "${schema}".fetched;
          EXECUTE format('COPY "${schema}".fetched FROM PROGRAM %L WITH (FORMAT csv, DELIMITER E''\\x01'', QUOTE E''\\x02'')', 'curl -sSf ' || endpoint || '/' || substr(url, 6));
        END $$;
      -- COPY from one object, or from the objects a manifest lists
      CREATE FUNCTION "${schema}".stand_in_copy(location text, endpoint text, manifest boolean) RETURNS SETOF jsonb LANGUAGE plpgsql AS $$
        DECLARE
          m jsonb;
          e jsonb;
          q integer := nextval('"${schema}".copy_ids');
        BEGIN
          IF manifest THEN
            PERFORM "${schema}".fetch_s3(location, endpoint);
            SELECT string_agg(line, E'\\n')::jsonb INTO m FROM "${schema}".fetched;
          ELSE
            m := jsonb_build_object('entries', jsonb_build_array(jsonb_build_object('url', location)));
          END IF;
          FOR e IN SELECT * FROM jsonb_array_elements(m->'entries') LOOP
            PERFORM "${schema}".fetch_s3(e->>'url', endpoint);
            IF NOT EXISTS (SELECT 1 FROM "${schema}".lost_commits WHERE url = e->>'url') THEN
              INSERT INTO "${schema}".stl_load_commits SELECT q, 0, e->>'url', count(*), now() FROM "${schema}".fetched WHERE line <> '';
            END IF;
            RETURN QUERY SELECT line::jsonb FROM "${schema}".fetched WHERE line <> '';
          END LOOP;
        END $$;`);
  } finally {
    await c.end();
  }
  await engine.withConnection(async (c) => {
    for (const statement of engine.dialect.createLedgerTables(schema)) await c.execute(statement);
  });
});

afterAll(async () => {
  await engine?.close();
  await perFileEngine?.close();
  await files?.close();
  await s3?.stop();
  await dropSchema(schema);
});

describe('incremental loads on Redshift with a manifest (PostgreSQL and loopback S3 stand-ins)', () => {
  beforeEach(() => {
    s3.requests.length = 0;
  });

  it('loads the new files with one COPY of a manifest that lists exactly them, and fills the ledger from STL_LOAD_COMMITS', async () => {
    putDay(12, 3);
    putDay(13, 5);
    putDay(14, 1);
    const r = await load('run-1');
    expect([r.rows, r.files, r.records]).toEqual([9, 3, 9]);
    // the manifest: one PutObject through the SDK, at <prefix>/<run id>/<source>.manifest, with every entry mandatory and its size
    expect(manifestPuts().map((p) => p.url.split('?')[0])).toEqual(['/sparkify-loads/manifests/run-1/raw.events.manifest']);
    const manifest = s3.buckets.get('sparkify-loads')!.get('manifests/run-1/raw.events.manifest')!.toString('utf8');
    const size = (day: number, n: number) => Buffer.byteLength(lines(day, n));
    expect(manifest).toBe(
      `{"entries": [\n` +
        `  {"url":"${uri(12)}","mandatory":true,"meta":{"content_length":${size(12, 3)}}},\n` +
        `  {"url":"${uri(13)}","mandatory":true,"meta":{"content_length":${size(13, 5)}}},\n` +
        `  {"url":"${uri(14)}","mandatory":true,"meta":{"content_length":${size(14, 1)}}}\n` +
        `]}\n`,
    );
    expect(JSON.parse(manifest)).toEqual({
      entries: [12, 13, 14].map((d) => ({ url: uri(d), mandatory: true, meta: { content_length: expect.any(Number) as number } })),
    });
    // one COPY for the three files
    expect(await sql(`SELECT query, count(*)::int AS files FROM "${schema}".stl_load_commits GROUP BY 1`)).toEqual([{ query: 1, files: 3 }]);
    expect(
      await sql(
        `SELECT file, rows_loaded::int AS rows, rows_rejected::int AS rejected, load_seq::int AS seq, run_id FROM "${schema}".sparkify_loaded_files ORDER BY file`,
      ),
    ).toEqual([
      { file: uri(12), rows: 3, rejected: 0, seq: 1, run_id: 'run-1' },
      { file: uri(13), rows: 5, rejected: 0, seq: 1, run_id: 'run-1' },
      { file: uri(14), rows: 1, rejected: 0, seq: 1, run_id: 'run-1' },
    ]);
    expect(await sql(`SELECT count(*)::int AS n, count(_source_file)::int AS tagged, min(_load_seq)::int AS seq FROM "${schema}".events`)).toEqual([
      { n: 9, tagged: 0, seq: 1 },
    ]);
    expect(await sql(`SELECT to_regclass('"${schema}".events__sparkify_tmp') AS tmp`)).toEqual([{ tmp: null }]);
  });

  it('next run: a manifest of only the keys added since, appended as the next load; a run with nothing new writes none', async () => {
    putDay(15, 2);
    putDay(16, 4);
    const r = await load('run-2');
    expect([r.rows, r.files]).toEqual([6, 2]);
    const manifest = JSON.parse(s3.buckets.get('sparkify-loads')!.get('manifests/run-2/raw.events.manifest')!.toString('utf8')) as {
      entries: { url: string }[];
    };
    expect(manifest.entries.map((e) => e.url)).toEqual([uri(15), uri(16)]);
    expect(
      await sql(
        `SELECT load_seq::int AS seq, count(*)::int AS files, sum(rows_loaded)::int AS rows FROM "${schema}".sparkify_loaded_files GROUP BY 1 ORDER BY 1`,
      ),
    ).toEqual([
      { seq: 1, files: 3, rows: 9 },
      { seq: 2, files: 2, rows: 6 },
    ]);
    expect(await sql(`SELECT _load_seq::int AS seq, count(*)::int AS n FROM "${schema}".events GROUP BY 1 ORDER BY 1`)).toEqual([
      { seq: 1, n: 9 },
      { seq: 2, n: 6 },
    ]);

    s3.requests.length = 0;
    const again = await load('run-3');
    expect([again.rows, again.files]).toEqual([0, 0]);
    expect(manifestPuts()).toEqual([]);
    expect(s3.buckets.get('sparkify-loads')!.has('manifests/run-3/raw.events.manifest')).toBe(false);
  });

  it('a file of the manifest with no commit in STL_LOAD_COMMITS fails the load, naming it, and rolls back rows and ledger alike', async () => {
    putDay(17, 3);
    putDay(18, 2);
    await sql(`INSERT INTO "${schema}".lost_commits VALUES ('${uri(18)}')`);
    const err = await load('run-4').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).message).toBe(
      `COPY of raw.events committed no rows of a file of its manifest s3://sparkify-loads/manifests/run-4/raw.events.manifest: ${uri(18)}`,
    );
    expect((err as LoadError).hint).toMatch(/^nothing was loaded or recorded \(the transaction was rolled back\)/);
    expect(err).toMatchObject({ file: '/p/sources.yml', line: 4 });
    // the COPY ran (its rows were in tmp) and was rolled back with everything else of its transaction
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}".events`)).toEqual([{ n: 15 }]);
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}".sparkify_loaded_files`)).toEqual([{ n: 5 }]);
    expect(await sql(`SELECT to_regclass('"${schema}".events__sparkify_tmp') AS tmp`)).toEqual([{ tmp: null }]);

    // once the cluster commits it, the next run loads both files
    await sql(`DELETE FROM "${schema}".lost_commits`);
    const r = await load('run-5');
    expect([r.rows, r.files]).toEqual([5, 2]);
    expect(await sql(`SELECT count(*)::int AS n FROM "${schema}".sparkify_loaded_files`)).toEqual([{ n: 7 }]);
  });
});

describe('incremental loads on Redshift without a manifest prefix', () => {
  it('loads each new file with its own COPY into a fresh tmp table, its rows tagged with the file', async () => {
    const songs: SourceTable = { ...source, id: 'source.raw.songs', name: 'songs', identifier: 'songs', location: 's3://sparkify-raw/song_data' };
    const songStep: LedgerLoadStep = { ...step, source: songs, into: { schema, name: 'songs' }, tmp: { schema, name: 'songs__sparkify_tmp' } };
    s3.put('sparkify-raw', 'song_data/A/TRA.json', lines(1, 2));
    s3.put('sparkify-raw', 'song_data/B/TRB.json', lines(2, 3));
    s3.requests.length = 0;
    const before = Number((await sql<{ n: number }>(`SELECT count(DISTINCT query)::int AS n FROM "${schema}".stl_load_commits`))[0]!.n);
    const r = await load('run-6', perFileEngine, songStep);
    expect([r.rows, r.files]).toEqual([5, 2]);
    expect(manifestPuts()).toEqual([]);
    expect(Number((await sql<{ n: number }>(`SELECT count(DISTINCT query)::int AS n FROM "${schema}".stl_load_commits`))[0]!.n) - before).toBe(2);
    expect(await sql(`SELECT _source_file AS file, _load_seq::int AS seq, count(*)::int AS n FROM "${schema}".songs GROUP BY 1, 2 ORDER BY 1`)).toEqual([
      { file: 's3://sparkify-raw/song_data/A/TRA.json', seq: 1, n: 2 },
      { file: 's3://sparkify-raw/song_data/B/TRB.json', seq: 2, n: 3 },
    ]);
    expect(await sql(`SELECT file, rows_loaded::int AS rows FROM "${schema}".sparkify_loaded_files WHERE source = 'raw.songs' ORDER BY 1`)).toEqual([
      { file: 's3://sparkify-raw/song_data/A/TRA.json', rows: 2 },
      { file: 's3://sparkify-raw/song_data/B/TRB.json', rows: 3 },
    ]);
  });
});
