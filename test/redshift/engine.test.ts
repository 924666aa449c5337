import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine } from '../../src/adapters/create-engine.js';
import { runCopy } from '../../src/adapters/redshift/copy-from-s3.js';
import { RedshiftClient, RedshiftEngine, redshiftServer, type RedshiftSettings } from '../../src/adapters/redshift/redshift-engine.js';
import { resolveTarget } from '../../src/config/load-config.js';
import { DatabaseError, LoadError } from '../../src/errors.js';
import { PG, connect, dropSchema, freshSchema } from '../postgres/pg.js';
import { SEED_CFG } from './redshift-project.js';

const seedTarget = (cfg = SEED_CFG) =>
  resolveTarget({ projectDir: '/p', env: {}, readFile: (p) => (p === '/p/dwh.cfg' ? cfg : undefined), targetName: 'redshift' });

describe('connecting to Redshift', () => {
  it('uses pg on port 5439 with TLS that verifies the certificate', () => {
    const t = seedTarget(SEED_CFG.replace('DB_PORT=5439\n', ''));
    const s = redshiftServer(t.settings as RedshiftSettings);
    expect(s.client).toMatchObject({
      host: 'redshift-cluster-1.abc123xyz789.us-west-2.redshift.amazonaws.com',
      port: 5439,
      database: 'dev',
      user: 'awsuser',
      password: 'Passw0rd-not-real',
      ssl: { rejectUnauthorized: true, servername: 'redshift-cluster-1.abc123xyz789.us-west-2.redshift.amazonaws.com' },
    });
    expect(s.Client).toBe(RedshiftClient);
    // statement_timeout is SET after connecting, never sent as a startup parameter
    expect(s.client).not.toHaveProperty('statement_timeout');
    expect(s.client).not.toHaveProperty('application_name');
    expect(s.client).not.toHaveProperty('options');
  });

  it('sends only user and database in the startup packet, whatever the environment says', () => {
    const saved = { PGAPPNAME: process.env.PGAPPNAME, PGOPTIONS: process.env.PGOPTIONS };
    process.env.PGAPPNAME = 'from-env';
    process.env.PGOPTIONS = '-c search_path=x';
    try {
      const cfg = { ...redshiftServer(seedTarget().settings as RedshiftSettings).client, application_name: 'sparkify', statement_timeout: 1000, options: '-c x=y' };
      const startup = (new RedshiftClient(cfg) as unknown as { getStartupConf(): Record<string, string> }).getStartupConf();
      expect(startup).toEqual({ user: 'awsuser', database: 'dev' });
      // what plain pg would have sent
      const plain = (new pg.Client(cfg) as unknown as { getStartupConf(): Record<string, string> }).getStartupConf();
      expect(Object.keys(plain).sort()).toEqual(['application_name', 'database', 'options', 'statement_timeout', 'user']);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it('reports an unreachable cluster with its address and what to check, password masked', async () => {
    const t = seedTarget(SEED_CFG.replace(/HOST=.*/, 'HOST=127.0.0.1').replace('DB_PORT=5439', 'DB_PORT=1'));
    const err = await openEngine(t, 1).then(
      async (e) => {
        await e.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/^cannot connect to Redshift at 127\.0\.0\.1:1 \(database dev, user awsuser\)/);
    expect((err as DatabaseError).hint).toMatch(/\[CLUSTER\] HOST, DB_PORT/);
    expect(JSON.stringify(err)).not.toContain('Passw0rd-not-real');
  });
});

/**
 * No cluster is reachable, so the engine runs here against the PostgreSQL server, which speaks the
 * same protocol: TLS is off, and Redshift's system views and functions are stand-ins in the test
 * schema, first on the search_path. What is exercised is the engine's own code: the session setup,
 * the COPY failure path reading load errors in the same session, and the retry of conflicting
 * transactions.
 */
describe('the Redshift engine on a PostgreSQL stand-in', () => {
  const schema = freshSchema('redshift');
  let engine: RedshiftEngine;
  const settings = (): RedshiftSettings =>
    ({
      host: PG.host,
      port: PG.port,
      database: PG.database,
      user: PG.user,
      schema,
      iamRole: 'arn:aws:iam::123456789012:role/dwhRole',
      region: 'us-west-2',
      ssl: false,
    }) as unknown as RedshiftSettings;

  beforeAll(async () => {
    engine = await RedshiftEngine.openCluster(settings(), schema, 2, { retry: { delaysMs: [1] } });
    const c = await connect();
    try {
      await c.query(`
        CREATE TABLE "${schema}".stl_load_errors (query integer, starttime timestamp, filename char(256), line_number bigint, colname char(127), type char(10),
          col_length char(10), position integer, raw_line char(1024), raw_field_value char(1024), err_code integer, err_reason char(100));
        CREATE SEQUENCE "${schema}".copy_ids;
        CREATE FUNCTION "${schema}".pg_last_copy_id() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('"${schema}".copy_ids')::integer $$;
        INSERT INTO "${schema}".stl_load_errors VALUES
          (2, now(), 's3://udacity-dend/log_data/2018/11/2018-11-13-events.json', 17, 'ts', 'int8', '0', 0, '{"ts":"abc"}', 'abc', 1207, 'Invalid digit, Value ''a'', Pos 0, Type: Long'),
          (1, now(), 's3://udacity-dend/log_data/old.json', 1, 'x', 'int4', '0', 0, '', '', 1207, 'an earlier COPY');
        CREATE TABLE "${schema}".swaps (n integer);
        CREATE SEQUENCE "${schema}".conflicts;
        CREATE FUNCTION "${schema}".conflict_twice() RETURNS integer LANGUAGE plpgsql AS $$
          BEGIN
            IF nextval('"${schema}".conflicts') <= 2 THEN
              RAISE EXCEPTION '1023' USING DETAIL = 'Serializable isolation violation on table - 156233, transactions forming the cycle are: 10536, 10537 (pid:8523)';
            END IF;
            RETURN 1;
          END $$;`);
    } finally {
      await c.end();
    }
  });

  afterAll(async () => {
    await engine?.close();
    await dropSchema(schema);
  });

  it('sets statement_timeout, DateStyle and extra_float_digits on each new session', async () => {
    const rows = await engine.withConnection((c) =>
      c.query("SELECT current_setting('statement_timeout') AS t, current_setting('DateStyle') AS d, current_setting('extra_float_digits') AS f"),
    );
    expect(rows).toEqual([{ t: '2h', d: 'ISO, MDY', f: '2' }]);
  });

  it('turns a failed COPY into a LoadError from the load-error view, read in the same session', async () => {
    const err = await engine
      .withConnection(async (c) => {
        await c.execute(`SET search_path TO "${schema}", public`);
        // PostgreSQL rejects the Redshift COPY, as Redshift would reject a bad line: the COPY fails (the load runs it with runCopy)
        return runCopy(c, engine.dialect, `COPY "${schema}"."staging_events__sparkify_tmp" ("ts")\nFROM 's3://udacity-dend/log_data/'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 'auto'`, 'staging_events__sparkify_tmp', 10);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ file: 's3://udacity-dend/log_data/2018/11/2018-11-13-events.json', line: 17 });
    expect((err as Error).message).toBe(
      'column ts (int8): Invalid digit, Value \'a\', Pos 0, Type: Long [load error 1207]\n  value: abc\n  line: {"ts":"abc"}',
    );
    expect((err as LoadError).hint).toMatch(/staging_events keeps its previous contents/);
    expect((err as LoadError).cause).toBeInstanceOf(DatabaseError);
  });

  it('reads SYS_LOAD_ERROR_DETAIL where there is no STL_LOAD_ERRORS (Serverless)', async () => {
    const serverless = `${schema}_sls`;
    try {
      await engine.withConnection((c) =>
        c.execute(`
          CREATE SCHEMA "${serverless}";
          CREATE TABLE "${serverless}".sys_load_error_detail (query_id bigint, session_id integer, start_time timestamp, file_name char(256), line_number bigint,
            column_name char(127), column_type char(10), column_length char(10), position integer, error_code integer, error_message char(512));
          CREATE SEQUENCE "${serverless}".copy_ids;
          CREATE FUNCTION "${serverless}".pg_last_copy_id() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('"${serverless}".copy_ids')::integer $$;
          INSERT INTO "${serverless}".sys_load_error_detail VALUES (2, pg_backend_pid(), now(), 's3://udacity-dend/song_data/A/A/A/TRAAAAK128F9318786.json', 1, 'year', 'int4', '0', 0, 1207, 'Invalid digit, Value ''x'', Pos 0, Type: Integer')`),
      );
      const err = await engine
        .withConnection(async (c) => {
          await c.execute(`SET search_path TO "${serverless}"`);
          return runCopy(c, engine.dialect, `COPY "${schema}"."staging_songs__sparkify_tmp" ("year")\nFROM 's3://udacity-dend/song_data/'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 'auto'`, 'staging_songs__sparkify_tmp', 10);
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LoadError);
      expect(err).toMatchObject({ file: 's3://udacity-dend/song_data/A/A/A/TRAAAAK128F9318786.json', line: 1 });
      expect((err as Error).message).toBe("column year (int4): Invalid digit, Value 'x', Pos 0, Type: Integer [load error 1207]");
    } finally {
      await dropSchema(serverless);
    }
  });

  it('keeps the server error when the COPY never started loading (its copy id did not move)', async () => {
    await engine.withConnection((c) => c.execute(`CREATE OR REPLACE FUNCTION "${schema}".pg_last_copy_id() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$`));
    const err = await engine
      .withConnection(async (c) => {
        await c.execute(`SET search_path TO "${schema}", public`);
        return runCopy(c, engine.dialect, `COPY "${schema}"."staging_songs__sparkify_tmp" ("year")\nFROM 's3://udacity-dend/song_data/'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 'auto'`, 'staging_songs__sparkify_tmp', 10);
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/syntax error/);
  });

  it('runs a source load as its COPY; one past max_errors carries every rejected line for sparkify_load_errors', async () => {
    await engine.withConnection(async (c) => {
      await c.execute(`ALTER SEQUENCE "${schema}".copy_ids RESTART`);
      await c.execute(
        `CREATE OR REPLACE FUNCTION "${schema}".pg_last_copy_id() RETURNS integer LANGUAGE sql AS $$ SELECT nextval('"${schema}".copy_ids')::integer $$`,
      );
      await c.execute(
        `INSERT INTO "${schema}".stl_load_errors VALUES (2, now(), 's3://udacity-dend/log_data/2018/11/2018-11-14-events.json', 3, 'userid', 'varchar', '32', 0, '{"userId":"${'9'.repeat(40)}"}', '', 1204, 'String length exceeds DDL length')`,
      );
    });
    const source = {
      id: 'source.sparkify.staging_events',
      sourceName: 'sparkify',
      name: 'staging_events',
      identifier: 'staging_events',
      location: 's3://udacity-dend/log_data',
      copy: {
        json: { kind: 'auto' as const },
        maxErrors: 5,
        compression: 'none' as const,
        truncateColumns: false,
        blanksAsNull: false,
        emptyAsNull: false,
        manifest: false,
      },
      columns: [{ name: 'ts', type: 'bigint' }],
      file: '/p/sources.yml',
      line: 9,
      tags: [],
    };
    const err = await engine
      .withConnection(async (c) => {
        await c.execute(`SET search_path TO "${schema}", public`);
        return engine.load(c, { kind: 'load', source, into: { schema, name: 'staging_events__sparkify_tmp' } });
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).message).toMatch(/^column ts \(int8\): Invalid digit/);
    expect((err as LoadError).message).toMatch(/and 1 more rejected line in this COPY$/);
    expect((err as LoadError).rejected?.map((l) => [l.file.split('/').pop(), l.line, l.column])).toEqual([
      ['2018-11-13-events.json', 17, 'ts'],
      ['2018-11-14-events.json', 3, 'userid'],
    ]);
  });

  it('runs a transaction that conflicts twice three times, and commits it once', async () => {
    await engine.withConnection((c) => c.transaction([`INSERT INTO "${schema}".swaps VALUES (1)`, `SELECT "${schema}".conflict_twice()`]));
    const rows = await engine.withConnection((c) => c.query(`SELECT count(*)::integer AS n FROM "${schema}".swaps`));
    expect(rows).toEqual([{ n: 1 }]);
  });

  it('does not retry other errors, and rolls them back', async () => {
    const err = await engine
      .withConnection((c) => c.transaction([`INSERT INTO "${schema}".swaps VALUES (2)`, `SELECT * FROM "${schema}".no_such_table`]))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/does not exist/);
    expect((err as Error).message).not.toMatch(/tries/);
    const rows = await engine.withConnection((c) => c.query(`SELECT count(*)::integer AS n FROM "${schema}".swaps WHERE n = 2`));
    expect(rows).toEqual([{ n: 0 }]);
  });
});
