import { describe, expect, it } from 'vitest';
import { ConfigError, LoadError, ProjectError } from '../../errors.js';
import type { CopyOptions, ModelConfig, SourceTable } from '../../types.js';
import { DATE_PARTS } from '../adapter.js';
import { RedshiftDialect } from './redshift-dialect.js';

const ROLE = 'arn:aws:iam::123456789012:role/dwhRole';
const d = new RedshiftDialect({ iamRole: ROLE, region: 'us-west-2' });
const into = { schema: 'public', name: 'staging_events__sparkify_tmp' };

const COPY: CopyOptions = {
  json: { kind: 'auto' },
  maxErrors: 0,
  compression: 'none',
  truncateColumns: false,
  blanksAsNull: false,
  emptyAsNull: false,
  manifest: false,
};
const source = (location: string | undefined, copy: Partial<CopyOptions> = {}): SourceTable => ({
  id: 'source.sparkify.staging_events',
  sourceName: 'sparkify',
  name: 'staging_events',
  identifier: 'staging_events',
  location,
  copy: { ...COPY, ...copy },
  columns: [
    { name: 'userid', type: 'varchar(32)' },
    { name: 'ts', type: 'bigint' },
  ],
  file: '/p/sources.yml',
  line: 9,
  tags: [],
});
const copyOf = (location: string | undefined, copy: Partial<CopyOptions> = {}, dialect = d) => {
  const s = source(location, copy);
  return dialect.copyFromS3(s, into, s.copy!);
};
const config = (c: Partial<ModelConfig>): ModelConfig => ({ materialized: 'table', tags: [], enabled: true, ...c });

describe('RedshiftDialect helpers', () => {
  it('spells the SQL helpers in Redshift syntax', async () => {
    const lines = [
      `epochMsToTimestamp: ${d.epochMsToTimestamp('p.ts')}`,
      ...DATE_PARTS.map((p) => `datePart(${p}): ${d.datePart(p, 'start_time')}`),
      `surrogateKey: ${d.surrogateKey(['a', 'b'])}`,
      `castText: ${d.castText('x')}`,
    ];
    await expect(lines.join('\n') + '\n').toMatchFileSnapshot('./__golden__/helpers.sql');
  });

  it.each([
    [0, 0, 0],
    [1542837407796, 17856, 79_007_796],
    [86_399_999, 0, 86_399_999],
    [-1, 0, -1],
    [-86_400_001, -1, -1],
    [253402300799999, 2932896, 86_399_999],
  ])('epoch ms %d splits into %d days and %d ms, both INTEGER, summing back exactly', (ms, days, rest) => {
    // the two DATEADD counts, as Redshift computes them: / and % truncate toward zero like JS
    expect(Math.trunc(ms / 86400000) + 0).toBe(days);
    expect(ms % 86400000).toBe(rest);
    expect(days * 86400000 + rest).toBe(ms);
    expect(Math.abs(days)).toBeLessThan(2 ** 31);
  });

  it('emits lower-case identifiers, and literals that stay closed whether backslashes escape or not', () => {
    expect(d.relation({ schema: 'Analytics', name: 'SongPlays' })).toBe('"analytics"."songplays"');
    expect(() => d.quoteIdent('a"b')).toThrow(ProjectError);
    expect(d.quoteLiteral("it's")).toBe("'it''s'");
    expect(d.quoteLiteral('a\\b')).toBe("'a\\\\b'");
    expect(d.quoteLiteral("\\'; drop table users; --")).toBe("'\\\\''; drop table users; --'");
    expect(() => d.quoteLiteral('nul\0')).toThrow(ProjectError);
  });

  it('cancels backends without arrays and sets statement_timeout after connecting', () => {
    expect(d.cancelBackends([12, 345])).toBe('SELECT pg_cancel_backend(12), pg_cancel_backend(345)');
    expect(d.sessionSetup()).toEqual(['SET DateStyle = ISO', 'SET extra_float_digits = 2', 'SET statement_timeout = 7200000']);
    expect(new RedshiftDialect({ statementTimeoutMs: 60_000 }).sessionSetup()).toContain('SET statement_timeout = 60000');
  });
});

describe('RedshiftDialect DDL', () => {
  const r = { schema: 'public', name: 'songplays__sparkify_tmp' };

  it.each([
    [{}, []],
    [{ dist: 'song_id' }, ['DISTSTYLE KEY', 'DISTKEY ("song_id")']],
    [{ dist: 'all' }, ['DISTSTYLE ALL']],
    [{ dist: 'EVEN' }, ['DISTSTYLE EVEN']],
    [{ dist: 'auto' }, ['DISTSTYLE AUTO']],
    [{ sort: ['start_time'] }, ['SORTKEY ("start_time")']],
    [{ sort: ['a', 'B'], sort_type: 'compound' }, ['COMPOUND SORTKEY ("a", "b")']],
    [{ sort: ['a', 'b'], sort_type: 'interleaved' }, ['INTERLEAVED SORTKEY ("a", "b")']],
    [{ dist: 'song_id', sort: ['start_time'] }, ['DISTSTYLE KEY', 'DISTKEY ("song_id")', 'SORTKEY ("start_time")']],
  ] as [Partial<ModelConfig>, string[]][])('table attributes of %j: %j', (c, attrs) => {
    expect(d.tableAttributes(c)).toEqual(attrs);
  });

  it('rejects sort keys Redshift would reject', () => {
    expect(() => d.tableAttributes({ sort: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'], sort_type: 'interleaved' })).toThrow(/at most 8 columns/);
    expect(() => d.tableAttributes({ sort_type: 'compound' })).toThrow(/needs sort/);
    expect(() => d.tableAttributes({ dist: 'song id' })).toThrow(ProjectError);
  });

  it('puts CTAS attributes between the name and AS, and table attributes after the columns', () => {
    expect(d.createTableAs(r, 'select 1 as a\n', config({ dist: 'all', sort: ['a'] }))).toBe(
      'CREATE TABLE "public"."songplays__sparkify_tmp"\nDISTSTYLE ALL\nSORTKEY ("a")\nAS\nselect 1 as a',
    );
    expect(d.createTableAs(r, 'select 1 as a', config({}))).toBe('CREATE TABLE "public"."songplays__sparkify_tmp"\nAS\nselect 1 as a');
    expect(d.createTable(r, [{ name: 'a', type: 'varchar(8)' }], { dist: 'even' })).toBe(
      'CREATE TABLE "public"."songplays__sparkify_tmp" (\n  "a" varchar(8)\n)\nDISTSTYLE EVEN',
    );
    // no COLLATE: Redshift compares text by bytes already
    expect(d.createTable(r, [{ name: 'a', type: 'text' }])).toBe('CREATE TABLE "public"."songplays__sparkify_tmp" (\n  "a" text\n)');
  });

  it('makes views late-binding unless bind=true', () => {
    const v = { schema: 'public', name: 'v' };
    expect(d.createView(v, 'select 1', config({ materialized: 'view' }), true)).toBe(
      'CREATE OR REPLACE VIEW "public"."v" AS\nselect 1\nWITH NO SCHEMA BINDING',
    );
    expect(d.createView(v, 'select 1', config({ materialized: 'view', bind: false }), false)).toBe(
      'CREATE VIEW "public"."v" AS\nselect 1\nWITH NO SCHEMA BINDING',
    );
    expect(d.createView(v, 'select 1', config({ materialized: 'view', bind: true }), true)).toBe('CREATE OR REPLACE VIEW "public"."v" AS\nselect 1');
  });
});

describe('RedshiftDialect COPY', () => {
  it('loads in the cluster: create the tmp table, then a load step that sends the COPY', () => {
    const s = source('s3://udacity-dend/log_data');
    const steps = d.loadSource(s, into, s.copy!);
    expect(steps).toEqual([
      { kind: 'sql', sql: d.createTable(into, s.columns) },
      { kind: 'load', source: s, into },
    ]);
    expect(d.loadStatements({ kind: 'load', source: s, into })).toEqual([d.copyFromS3(s, into, s.copy!)]);
    // a bad value fails the plan, before anything runs
    expect(() => d.loadSource(source('/local/data'), into)).toThrow(ConfigError);
  });

  it.each([
    ['s3://udacity-dend/log_data', "FROM 's3://udacity-dend/log_data/'"],
    ['s3://udacity-dend/log_data/', "FROM 's3://udacity-dend/log_data/'"],
    ['s3://udacity-dend', "FROM 's3://udacity-dend/'"],
    ['s3://udacity-dend/log_data/2018/11/2018-11-01-events.json', "FROM 's3://udacity-dend/log_data/2018/11/2018-11-01-events.json'"],
  ])('a key prefix ends with / when it names a folder: %s', (location, from) => {
    expect(copyOf(location).split('\n')[1]).toBe(from);
  });

  it.each([
    ['auto', {}, ["FORMAT AS JSON 'auto'"]],
    ['auto ignorecase', { json: { kind: 'auto_ignorecase' } }, ["FORMAT AS JSON 'auto ignorecase'"]],
    ['jsonpaths', { json: { kind: 'jsonpaths', location: 's3://udacity-dend/log_json_path.json' } }, ["FORMAT AS JSON 's3://udacity-dend/log_json_path.json'"]],
    ['region from sources.yml', { region: 'eu-west-1' }, ["REGION 'eu-west-1'"]],
    ['gzip', { compression: 'gzip' }, ['GZIP']],
    ['zstd', { compression: 'zstd' }, ['ZSTD']],
    ['manifest', { manifest: true }, ['MANIFEST']],
    ['timeformat', { timeformat: 'YYYY-MM-DD HH:MI:SS' }, ["TIMEFORMAT AS 'YYYY-MM-DD HH:MI:SS'"]],
    ['epochmillisecs', { timeformat: 'epochmillisecs' }, ["TIMEFORMAT AS 'epochmillisecs'"]],
    ['conversions', { truncateColumns: true, blanksAsNull: true, emptyAsNull: true }, ['TRUNCATECOLUMNS', 'BLANKSASNULL', 'EMPTYASNULL']],
    ['acceptinvchars', { acceptInvChars: '^' }, ["ACCEPTINVCHARS AS '^'"]],
    ['maxerror', { maxErrors: 25 }, ['MAXERROR 25']],
    ['updates on', { compUpdate: true, statUpdate: true }, ['COMPUPDATE ON', 'STATUPDATE ON']],
    ['updates off', { compUpdate: false, statUpdate: false }, ['COMPUPDATE OFF', 'STATUPDATE OFF']],
  ] as [string, Partial<CopyOptions>, string[]][])('%s', (_, copy, clauses) => {
    const lines = copyOf('s3://udacity-dend/log_data', copy).split('\n');
    for (const c of clauses) expect(lines).toContain(c);
  });

  it('writes a manifest location as it is, without a trailing /', () => {
    expect(copyOf('s3://bucket/loads/cust.manifest', { manifest: true })).toContain("FROM 's3://bucket/loads/cust.manifest'\n");
    expect(copyOf('s3://bucket/loads/manifest', { manifest: true })).toContain("FROM 's3://bucket/loads/manifest'\n");
  });

  const HOSTILE = "'; drop table users; --";
  it.each([
    ['location', () => copyOf(`s3://udacity-dend/x${HOSTILE}`)],
    ['location with a backslash', () => copyOf('s3://udacity-dend/a\\b')],
    ['JSONPaths', () => copyOf('s3://udacity-dend/log_data', { json: { kind: 'jsonpaths', location: `s3://udacity-dend/p${HOSTILE}.json` } })],
    ['IAM role', () => copyOf('s3://udacity-dend/log_data', {}, new RedshiftDialect({ iamRole: `${ROLE}${HOSTILE}` }))],
    ['IAM role of another kind', () => copyOf('s3://udacity-dend/log_data', {}, new RedshiftDialect({ iamRole: 'arn:aws:iam::123456789012:user/me' }))],
    ['region', () => copyOf('s3://udacity-dend/log_data', { region: `us-west-2${HOSTILE}` })],
    ['region in the dialect', () => copyOf('s3://udacity-dend/log_data', {}, new RedshiftDialect({ iamRole: ROLE, region: HOSTILE }))],
    ['timeformat', () => copyOf('s3://udacity-dend/log_data', { timeformat: HOSTILE })],
    ['acceptinvchars', () => copyOf('s3://udacity-dend/log_data', { acceptInvChars: "'" })],
    ['acceptinvchars backslash', () => copyOf('s3://udacity-dend/log_data', { acceptInvChars: '\\' })],
    ['max_errors', () => copyOf('s3://udacity-dend/log_data', { maxErrors: Number.NaN })],
  ])('a hostile %s is an error, never SQL', (_, build) => {
    let sql: string | undefined;
    let err: unknown;
    try {
      sql = build();
    } catch (e) {
      err = e;
    }
    expect(sql).toBeUndefined();
    expect(err).toBeInstanceOf(Error);
    expect(err).toSatisfy((e) => e instanceof ConfigError || e instanceof LoadError || e instanceof ProjectError);
  });

  it('names what is wrong when the source is not in S3 or there is no role', () => {
    expect(() => copyOf('/data/log_data')).toThrow(/COPY from S3, but its location is not an s3:\/\/ URI: \/data\/log_data/);
    expect(() => copyOf('s3://udacity-dend/log_data', { json: { kind: 'jsonpaths', location: '/data/p.json' } })).toThrow(/JSONPaths files from S3/);
    expect(() => copyOf('s3://udacity-dend/log_data', {}, new RedshiftDialect())).toThrow(/IAM role/);
    try {
      copyOf('/data/log_data');
    } catch (e) {
      expect(e).toMatchObject({ file: '/p/sources.yml', line: 9 });
    }
  });

  it('reads load errors by copy id from STL, and from SYS on Serverless', () => {
    expect(d.lastCopyIdQuery()).toBe('SELECT pg_last_copy_id() AS copy_id');
    expect(d.loadErrorQuery('stl', 5437)).toContain('FROM stl_load_errors\nWHERE query = 5437\n');
    expect(d.loadErrorQuery('sys', 5437)).toContain('FROM sys_load_error_detail\nWHERE query_id = 5437\n');
    expect(d.loadErrorQuery('sys')).toContain('session_id = pg_backend_pid()');
    expect(d.loadErrorQuery('stl', 1, 501)).toMatch(/\nLIMIT 501$/);
    expect(d.loadedFilesQuery(5437)).toBe('SELECT COUNT(DISTINCT TRIM(filename)) AS files FROM stl_load_commits WHERE query = 5437');
  });
});
