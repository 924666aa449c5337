import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Target } from '../../config/load-config.js';
import { DatabaseError, LoadError, SparkifyError, maskSecrets } from '../../errors.js';
import { parseJsonPathsFile, type PathStep } from '../../loaders/json-paths.js';
import { createRowMapper } from '../../loaders/json-rows.js';
import { badRecordError } from '../../loaders/diagnose.js';
import { findCopyRow, jsonFilesToCopyText } from '../../loaders/json-to-copy.js';
import { listLocalFiles } from '../../loaders/list-files.js';
import type { SourceTable } from '../../types.js';
import type { Connection, Engine, ExistingRelation, LoadResult, LoadStep } from '../adapter.js';
import { PostgresDialect } from './postgres-dialect.js';

export type PostgresSettings = NonNullable<Target['postgres']>;

const asText = (v: string) => v;
// DuckDB returns NaN and the infinities as strings, and REAL as the float32 value widened to a double
const float8 = (v: string): number | string => (v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? v : Number(v));
const float4 = (v: string): number | string => {
  const n = float8(v);
  return typeof n === 'number' ? Math.fround(n) : n;
};

/**
 * Values come back in the shapes DuckDB's getRowObjectsJson() gives for the same SQL types: bigint
 * and numeric as strings (pg's default), integers and floats as numbers, dates and timestamps as
 * their ISO text ('2018-11-21 21:56:47.796', trailing zeros dropped by both engines).
 */
const PARSERS: Record<number, (v: string) => unknown> = {
  700: float4,
  701: float8,
  1082: asText, // date
  1083: asText, // time
  1114: asText, // timestamp
  1184: asText, // timestamptz
  1186: asText, // interval
  114: asText, // json
  3802: asText, // jsonb
};

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => PARSERS[oid] ?? pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** A pg error as a DatabaseError: the SQL, the line the server pointed at, and its detail and hint. */
export function toDatabaseError(err: unknown, sql: string): DatabaseError {
  if (err instanceof DatabaseError) return err;
  const pgErr = err as Partial<pg.DatabaseError>;
  let message = err instanceof Error ? err.message : String(err);
  if (pgErr.detail) message += `\n  detail: ${pgErr.detail}`;
  if (pgErr.hint) message += `\n  hint: ${pgErr.hint}`;
  if (pgErr.where) message += `\n  context: ${pgErr.where}`;
  const e = new DatabaseError(message, { cause: err });
  e.sql = sql;
  // postgres: position counts characters (code points) from 1 in the statement
  const pos = Number(pgErr.position);
  if (pos >= 1) e.statementLine = Array.from(sql).slice(0, pos - 1).join('').split('\n').length;
  return e;
}

class PgConnection implements Connection {
  /** set by Engine.cancel(): this lease starts no more statements */
  cancelled = false;
  /** the session is unusable (lost, or stuck in a transaction) and must not go back to the pool */
  broken = false;

  constructor(
    readonly client: pg.PoolClient,
    private readonly dialect: PostgresDialect,
  ) {}

  get pid(): number | undefined {
    return (this.client as unknown as { processID?: number | null }).processID ?? undefined;
  }

  private async run(sql: string): Promise<pg.QueryResult> {
    if (this.cancelled) throw new DatabaseError('canceling statement due to user request', { hint: 'the run was interrupted' });
    try {
      const r = (await this.client.query(sql)) as pg.QueryResult | pg.QueryResult[];
      // a string of several statements returns one result each; keep the last, as DuckDB does
      return Array.isArray(r) ? r[r.length - 1]! : r;
    } catch (err) {
      if ((err as Partial<pg.DatabaseError>).severity === undefined) this.broken = true;
      throw toDatabaseError(err, sql);
    }
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.run(sql)).rows as Record<string, unknown>[];
  }

  async execute(sql: string): Promise<number | undefined> {
    return (await this.run(sql)).rowCount ?? undefined;
  }

  async transaction(statements: string[]): Promise<void> {
    await this.run('BEGIN');
    try {
      for (const s of statements) await this.run(s);
      await this.run('COMMIT');
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  private async rollback(): Promise<void> {
    await this.client.query('ROLLBACK').catch(() => {
      this.broken = true;
    });
  }

  /** Streams every file of the source through one COPY, in one transaction: all rows or none. */
  async load(step: LoadStep): Promise<LoadResult> {
    const { source, into } = step;
    const copy = source.copy;
    const where = { file: source.file, line: source.line };
    if (!copy || !source.location) throw new LoadError(`source ${source.id} has no location to load from`, where);
    if (source.location.startsWith('s3://')) throw new LoadError(`s3:// locations are not supported on PostgreSQL yet: ${source.location}`, where);
    if (copy.compression === 'zstd') throw new LoadError('zstd-compressed files are not supported on PostgreSQL yet', { ...where, hint: 'use gzip or uncompressed files' });
    const files = await listLocalFiles(source.location, source.file);
    const mapper = createRowMapper(source.columns, copy.json, await readJsonPaths(source));
    const stats = { records: 0, rows: 0 };
    const copySql = this.dialect.copyFromStdin(into, source.columns);
    await this.run('BEGIN');
    try {
      await this.run(this.dialect.createTable(into, source.columns));
      if (this.cancelled) throw new DatabaseError('canceling statement due to user request');
      const sink = this.client.query(copyFrom(copySql));
      try {
        await pipeline(Readable.from(jsonFilesToCopyText(files, copy.compression, mapper, { source, stats })), sink);
      } catch (err) {
        if (err instanceof SparkifyError) throw err;
        throw await this.locateCopyError(err, source, files, copySql);
      }
      await this.run('COMMIT');
      return { rows: sink.rowCount, files: files.length, records: stats.records };
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  /** A value the server rejected (a date that does not exist, a numeric overflow), traced to its file and line. */
  private async locateCopyError(err: unknown, source: SourceTable, files: string[], sql: string): Promise<SparkifyError> {
    const pgErr = err as Partial<pg.DatabaseError>;
    // postgres: CONTEXT is "COPY t, line 5, column ts: "abc"", where line counts rows of the COPY
    const at = /\bline (\d+)(?:, column ([^:]+))?/.exec(pgErr.where ?? '');
    // SQLSTATE classes 22 and 23: data exceptions and constraint violations (not a cancel, say)
    const rec = at && /^2[23]/.test(pgErr.code ?? '') ? await findCopyRow(files, source.copy!.compression, Number(at[1])) : undefined;
    if (rec) return badRecordError(source, { ...rec, column: at?.[2], reason: String(pgErr.message) });
    const e = toDatabaseError(err, sql);
    e.message = `cannot load ${source.id}: ${e.message}`;
    return e.addContext({ file: source.file, line: source.line });
  }
}

async function readJsonPaths(source: SourceTable): Promise<PathStep[][] | undefined> {
  const json = source.copy?.json;
  if (json?.kind !== 'jsonpaths') return undefined;
  let text: string;
  try {
    text = await readFile(json.location, 'utf8');
  } catch {
    throw new LoadError(`cannot read the JSONPaths file ${json.location}`, { file: source.file, line: source.line, hint: 'check LOG_JSONPATH in the [S3] section of your config' });
  }
  return parseJsonPathsFile(text, json.location, source.columns.length);
}

/** PostgreSQL through a pg pool: one pooled session per runner thread. */
export class PostgresEngine implements Engine {
  private readonly busy = new Set<PgConnection>();
  private readonly prepared = new WeakSet<pg.PoolClient>();

  private constructor(
    readonly dialect: PostgresDialect,
    readonly schema: string,
    private readonly settings: PostgresSettings,
    private readonly pool: pg.Pool,
  ) {}

  static async open(settings: PostgresSettings, schema: string, threads: number, dialect = new PostgresDialect()): Promise<PostgresEngine> {
    const pool = new pg.Pool({ ...clientConfig(settings), max: Math.max(1, threads) });
    // an idle session that drops raises here; the next query on it reports the problem instead
    pool.on('error', () => undefined);
    const engine = new PostgresEngine(dialect, schema, settings, pool);
    try {
      await engine.withConnection((c) => c.execute(dialect.createSchema(schema)));
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return engine;
  }

  async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const c = new PgConnection(await this.connect(), this.dialect);
    this.busy.add(c);
    try {
      return await fn(c);
    } finally {
      this.busy.delete(c);
      c.client.release(c.broken);
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    const s = this.settings;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      // the message comes from the server or the socket; mask anyway, and keep the raw error out
      const msg = maskSecrets(err instanceof Error ? err.message : String(err), [s.password]);
      throw new DatabaseError(`cannot connect to PostgreSQL at ${s.host}:${s.port} (database ${s.database}, user ${s.user}): ${msg}`, {
        hint: 'check the [POSTGRES] section of your config and the PG* environment variables; sparkify debug tests the connection',
      });
    }
    if (!this.prepared.has(client)) {
      try {
        await client.query(this.dialect.sessionSetup().join(';\n'));
      } catch (err) {
        client.release(true);
        throw toDatabaseError(err, this.dialect.sessionSetup().join(';\n'));
      }
      this.prepared.add(client);
    }
    return client;
  }

  async listRelations(schemas: string[]): Promise<ExistingRelation[]> {
    if (schemas.length === 0) return [];
    const rows = await this.withConnection((c) => c.query(this.dialect.listRelations(schemas)));
    return rows as unknown as ExistingRelation[];
  }

  /** Cancels on the server whatever each busy session is running, from a separate session. */
  async cancel(): Promise<void> {
    const pids: number[] = [];
    for (const c of this.busy) {
      c.cancelled = true;
      if (c.pid !== undefined) pids.push(c.pid);
    }
    if (pids.length === 0) return;
    const client = new pg.Client(clientConfig(this.settings));
    try {
      await client.connect();
      await client.query(this.dialect.cancelBackends(pids));
    } catch {
      // the statements then run to their end; the runner still stops before the next node
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function clientConfig(s: PostgresSettings): pg.ClientConfig {
  return {
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    ...(s.password !== undefined ? { password: s.password } : {}),
    ssl: s.ssl,
    application_name: 'sparkify',
    types,
  };
}
