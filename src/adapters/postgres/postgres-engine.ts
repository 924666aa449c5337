import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { DatabaseError, RunLockedError, SparkifyError } from '../../errors.js';
import { maskSecrets } from '../../mask-secrets.js';
import { copyStreamLoad } from '../../loaders/copy-stream-load.js';
import type { S3Settings } from '../../loaders/s3-client.js';
import { SourceFiles } from '../../loaders/source-files.js';
import type { Connection, Engine, ExistingRelation, LoadProgress, LoadResult, LoadStep, RunLockHolder } from '../adapter.js';
import { describeSince } from '../describe-since.js';
import { PostgresDialect } from './postgres-dialect.js';

import type { PostgresSettings } from './index.js';
export type { PostgresSettings } from './index.js';

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

/** pg's type parsers, with the overrides above; shared with the Redshift engine */
export const types = {
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

/** One pooled session. Redshift's connection extends it. */
export class PgConnection implements Connection {
  /** set by Engine.cancel(): this lease starts no more statements */
  cancelled = false;
  /** the session is unusable (lost, or stuck in a transaction) and must not go back to the pool */
  broken = false;

  private readonly onClientError = () => {
    this.broken = true;
  };

  constructor(
    readonly client: pg.PoolClient,
    protected readonly dialect: PostgresDialect,
  ) {
    // pg emits 'error' on the client when its socket fails (a terminated backend during COPY: EPIPE), and
    // the pool listens only while the client is idle: without a listener here that event crashes the process
    client.on('error', this.onClientError);
  }

  /** Stops listening before the client goes back to the pool (which listens again). */
  detach(): void {
    this.client.removeListener('error', this.onClientError);
  }

  get pid(): number | undefined {
    return (this.client as unknown as { processID?: number | null }).processID ?? undefined;
  }

  protected async run(sql: string): Promise<pg.QueryResult> {
    if (this.cancelled) throw new DatabaseError('canceling statement due to user request', { hint: 'the run was interrupted' });
    try {
      const r = (await this.client.query(sql)) as pg.QueryResult | pg.QueryResult[];
      // a string of several statements returns one result each; keep the last, as DuckDB does
      return Array.isArray(r) ? r[r.length - 1]! : r;
    } catch (err) {
      const pgErr = err as Partial<pg.DatabaseError>;
      // FATAL (57P01 admin shutdown, pg_terminate_backend) or no server error at all (the socket closed): the session is gone
      const lost = pgErr.severity === undefined || pgErr.severity === 'FATAL' || pgErr.severity === 'PANIC';
      throw lost ? this.lostConnection(err, sql) : toDatabaseError(err, sql);
    }
  }

  /** The session is gone: marks it broken, and says so (unless the run cancelled it on purpose). */
  protected lostConnection(err: unknown, sql: string): DatabaseError {
    this.broken = true;
    const e = toDatabaseError(err, sql);
    e.connectionLost = true;
    if (!this.cancelled && !e.message.startsWith('lost the connection')) {
      e.message = `lost the connection to the database: ${e.message}`;
      e.hint ??= 'the server ended the session (an administrator, a restart, the network); what this node had not committed was rolled back by the server. sparkify retry builds what failed or was skipped';
    }
    return e;
  }

  /** Whether err means the session is gone, rather than a statement failing in a live session. */
  protected isLost(err: unknown): boolean {
    const pgErr = err as Partial<pg.DatabaseError> & { code?: string };
    if (this.broken || pgErr.severity === 'FATAL' || pgErr.severity === 'PANIC') return true;
    return pgErr.severity === undefined && /^(EPIPE|ECONNRESET|ECONNREFUSED|ETIMEDOUT)$/.test(String(pgErr.code ?? ''));
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.run(sql)).rows as Record<string, unknown>[];
  }

  async execute(sql: string): Promise<number | undefined> {
    return (await this.run(sql)).rowCount ?? undefined;
  }

  async transaction(statements: string[]): Promise<void> {
    await this.run(this.dialect.beginTransaction());
    try {
      for (const s of statements) await this.run(s);
      await this.run(this.dialect.commit());
    } catch (err) {
      await this.rollback();
      throw err;
    }
  }

  async rollback(): Promise<void> {
    await this.client.query(this.dialect.rollback()).catch(() => {
      this.broken = true;
    });
  }

  /** Streams data into a COPY ... FROM STDIN statement; returns the rows it copied. */
  async copyFrom(sql: string, data: AsyncIterable<Buffer>): Promise<number> {
    if (this.cancelled) throw new DatabaseError('canceling statement due to user request', { hint: 'the run was interrupted' });
    const sink = this.client.query(copyFrom(sql));
    try {
      await pipeline(Readable.from(data), sink);
    } catch (err) {
      if (this.isLost(err)) throw this.lostConnection(err, sql);
      // an error of the data itself (a bad record past max_errors) is not the server's
      if (err instanceof SparkifyError) throw err;
      throw toDatabaseError(err, sql);
    }
    return sink.rowCount;
  }
}

const LOCK_LOST_HINT = 'nothing more is built in this run, and what was running was rolled back; run sparkify retry to build what is missing';

/** A server reached through this module: the pg client settings, and how errors describe it. */
export interface PgServer {
  /** 'PostgreSQL', 'Redshift' */
  label: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string | undefined;
  /** secrets obtained while connecting (temporary passwords), masked in connection errors */
  secrets?: (() => string[]) | undefined;
  client: pg.ClientConfig;
  /** the pg client class, when the server needs a different startup (Redshift) */
  Client?: typeof pg.Client;
  /** the hint of a failed connection */
  hint: string;
}

/** PostgreSQL through a pg pool: one pooled session per runner thread. Redshift's engine extends it. */
export class PostgresEngine implements Engine {
  private readonly busy = new Set<PgConnection>();
  private readonly prepared = new WeakSet<pg.PoolClient>();
  private readonly pool: pg.Pool;
  /** the session that holds the run lock, open until close() */
  private lockClient: pg.Client | undefined;
  /** set when the run lock's session is lost: the run stops rather than risk interleaving with another */
  private lockLost: string | undefined;

  protected constructor(
    readonly dialect: PostgresDialect,
    readonly schema: string,
    protected readonly server: PgServer,
    threads: number,
    protected readonly files: SourceFiles,
  ) {
    this.pool = new pg.Pool({ ...server.client, max: Math.max(1, threads), ...(server.Client ? { Client: server.Client } : {}) });
    // an idle session that drops raises here; the next query on it reports the problem instead
    this.pool.on('error', () => undefined);
    // a session that drops while lent out (in sessionSetup, say, before a PgConnection listens) emits 'error' on
    // its client, where the pool does not listen: without a listener that event would end the process
    this.pool.on('connect', (client) => client.on('error', () => undefined));
  }

  static async open(settings: PostgresSettings, schema: string, threads: number, dialect = new PostgresDialect(), s3?: S3Settings, opts: { readOnly?: boolean | undefined } = {}): Promise<PostgresEngine> {
    return new PostgresEngine(dialect, schema, postgresServer(settings), threads, new SourceFiles(s3)).init(opts.readOnly);
  }

  /** Creates the target schema (read-only: only connects); on failure closes the pool and rethrows. */
  protected async init(readOnly = false): Promise<this> {
    try {
      await this.withConnection((c) => c.execute(readOnly ? 'SELECT 1' : this.dialect.createSchema(this.schema)));
    } catch (err) {
      await this.close().catch(() => undefined);
      throw err;
    }
    return this;
  }

  protected newConnection(client: pg.PoolClient): PgConnection {
    return new PgConnection(client, this.dialect);
  }

  async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    if (this.lockLost) throw new DatabaseError(this.lockLost, { hint: LOCK_LOST_HINT });
    const c = this.newConnection(await this.connect());
    this.busy.add(c);
    try {
      return await fn(c);
    } catch (err) {
      // the run lock's session died while this node ran: say that, not "canceling statement due to user request"
      if (this.lockLost) throw new DatabaseError(this.lockLost, { hint: LOCK_LOST_HINT, cause: err });
      throw err;
    } finally {
      this.busy.delete(c);
      c.detach();
      c.client.release(c.broken);
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    const s = this.server;
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      // the message comes from the server or the socket; mask anyway, and keep the raw error out
      const msg = maskSecrets(err instanceof Error ? err.message : String(err), [s.password, ...(s.secrets?.() ?? [])]);
      throw new DatabaseError(`cannot connect to ${s.label} at ${s.host}:${s.port} (database ${s.database}, user ${s.user}): ${msg}`, { hint: s.hint });
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

  /** Streams the source's rows, read and mapped here, through one COPY ... FROM STDIN. */
  load(c: Connection, step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    return copyStreamLoad(c, this.dialect, this.files, step, onProgress);
  }

  /**
   * Takes the run lock of the target schema: a session-level advisory lock held by a session of
   * its own, named after the holder, until close(). A server without advisory locks has no lock.
   */
  async lockForRun(holder: RunLockHolder): Promise<void> {
    const s = this.server;
    const name = `sparkify ${holder.command} pid ${holder.pid} on ${holder.host}`.slice(0, 63);
    const client = new (s.Client ?? pg.Client)({ ...s.client, application_name: name });
    // a socket error is also emitted on the client: until the listener below, the query's rejection reports it
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      const msg = maskSecrets(err instanceof Error ? err.message : String(err), [s.password, ...(s.secrets?.() ?? [])]);
      throw new DatabaseError(`cannot connect to ${s.label} at ${s.host}:${s.port} (database ${s.database}, user ${s.user}): ${msg}`, { hint: s.hint });
    }
    let locked: boolean;
    const sql = this.dialect.tryRunLock(this.schema);
    try {
      locked = (await client.query(sql)).rows[0]?.locked === true;
    } catch (err) {
      await client.end().catch(() => undefined);
      // SQLSTATE 42883, undefined_function: a server without advisory locks
      if ((err as Partial<pg.DatabaseError>).code === '42883') return;
      throw toDatabaseError(err, sql);
    }
    if (!locked) {
      const rows = await client.query(this.dialect.runLockHolder(this.schema)).then(
        (r) => r.rows as { pid: number; application_name: string; client: string | null; since: string | null; query: string | null }[],
        () => [],
      );
      await client.end().catch(() => undefined);
      const h = rows[0];
      const who = h ? `${h.application_name || 'an unnamed session'} (${s.label} session ${h.pid}${h.client ? ` from ${h.client}` : ''})` : 'another session';
      const since = h?.since ? `, since ${describeSince(h.since)}` : '';
      const where = `${s.host}:${s.port}/${s.database}`;
      // the key is a 64-bit hash of the schema: verify that the holder locked this schema, and name the one it did
      const theirs = h?.query ? this.dialect.runLockTarget(h.query) : undefined;
      if (theirs !== undefined && theirs !== this.schema) {
        throw new RunLockedError(`the run lock of schema ${this.schema} at ${where} is taken by a run on schema ${theirs} (their lock keys collide): ${who}${since}`, {
          hint: 'wait for that run to finish, or pass --wait-for-lock to wait for it',
        });
      }
      throw new RunLockedError(`another run is building schema ${this.schema} at ${where}: ${who}${since}`, {
        hint: 'wait for it to finish or stop it, or pass --wait-for-lock to wait for it',
      });
    }
    client.on('error', (err: Error) => {
      // the first error says why (the server's FATAL); "Connection terminated unexpectedly" follows it
      if (this.lockLost) return;
      // SQLSTATE 57P01 admin_shutdown: pg_terminate_backend() or a server shutdown
      const terminated = (err as Partial<pg.DatabaseError>).code === '57P01';
      const what = terminated ? 'the session holding the run lock was terminated' : 'lost the session holding the run lock';
      this.lockLost = `${what} (${err.message}), so another run could start on schema ${this.schema}: stopping`;
      void this.cancel();
    });
    this.lockClient = client;
  }

  /** Cancels on the server whatever each busy session is running, from a separate session. */
  async cancel(): Promise<void> {
    const pids: number[] = [];
    for (const c of this.busy) {
      c.cancelled = true;
      if (c.pid !== undefined) pids.push(c.pid);
    }
    if (pids.length === 0) return;
    const client = new (this.server.Client ?? pg.Client)(this.server.client);
    client.on('error', () => undefined);
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
    try {
      await this.pool.end();
    } finally {
      const lock = this.lockClient;
      this.lockClient = undefined;
      // ending the session releases the run lock, after every other session has finished
      if (lock) {
        lock.removeAllListeners('error');
        lock.on('error', () => undefined);
        await lock.end().catch(() => undefined);
      }
      await this.files.close();
    }
  }
}

function postgresServer(s: PostgresSettings): PgServer {
  return {
    label: 'PostgreSQL',
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: s.password,
    client: {
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      ...(s.password !== undefined ? { password: s.password } : {}),
      ssl: s.ssl,
      application_name: 'sparkify',
      types,
    },
    hint: 'check the [POSTGRES] section of your config and the PG* environment variables; sparkify debug tests the connection',
  };
}
