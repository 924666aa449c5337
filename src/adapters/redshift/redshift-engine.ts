import pg from 'pg';
import { DatabaseError } from '../../errors.js';
import { SourceFiles } from '../../loaders/source-files.js';
import { HELPER_RELATION } from '../../materializations/plan-run.js';
import type { LoadResult, LoadStep } from '../adapter.js';
import { PgConnection, PostgresEngine, types, type PgServer } from '../postgres/postgres-engine.js';
import type { RejectedLine } from '../../loaders/load-errors.js';
import { loadErrorFromRows, rejectedLinesFromRows, type LoadErrorRow } from './load-errors.js';
import { redshiftDialectFor, type RedshiftDialect } from './redshift-dialect.js';
import { retrySerializable, type RetryOptions } from './serializable-retry.js';

import type { RedshiftSettings } from './index.js';
export type { RedshiftSettings } from './index.js';

/**
 * A pg client whose startup packet carries only the user and the database. pg adds
 * application_name, options or statement_timeout from its config and from PGAPPNAME / PGOPTIONS;
 * Redshift, a PostgreSQL 8.0 descendant, is not documented to accept those as startup parameters,
 * so session settings are SET after connecting instead (RedshiftDialect.sessionSetup()).
 */
export class RedshiftClient extends pg.Client {
  getStartupConf(): Record<string, string> {
    return { user: this.user ?? '', database: this.database ?? '' };
  }
}

/** The pg settings for a cluster: port 5439 by default, TLS with the server certificate verified. */
export function redshiftServer(s: RedshiftSettings): PgServer {
  return {
    label: 'Redshift',
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: s.password,
    Client: RedshiftClient,
    client: {
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      ...(s.password !== undefined ? { password: s.password } : {}),
      // redshift: clusters present certificates that chain to Amazon's public roots, which Node trusts
      ssl: s.ssl ? { rejectUnauthorized: true, servername: s.host } : false,
      // an unreachable cluster (security group, no public access) otherwise hangs for minutes
      connectionTimeoutMillis: 30_000,
      keepAlive: true,
      types,
    },
    hint: 'check [CLUSTER] HOST, DB_PORT, DB_NAME, DB_USER and DB_PASSWORD in dwh.cfg, and that the cluster is publicly accessible or reachable from here (security group inbound rule for port 5439)',
  };
}

const COPY = /^\s*COPY\s+"[^"]+"\."([^"]+)"/i;

/** A Redshift session: COPY failures explained from the load-error views, conflicting transactions retried. */
export class RedshiftConnection extends PgConnection {
  constructor(
    client: pg.PoolClient,
    protected override readonly dialect: RedshiftDialect,
    files: SourceFiles,
    private readonly retry: RetryOptions,
  ) {
    super(client, dialect, files);
  }

  override async execute(sql: string): Promise<number | undefined> {
    return COPY.test(sql) ? (await this.copy(sql, 10)).rows : super.execute(sql);
  }

  /**
   * Runs the source's COPY in the cluster. Lines it skipped under max_errors (MAXERROR) are read
   * back from STL_LOAD_ERRORS, so the runner records them as it does for every engine.
   */
  override async load(step: LoadStep): Promise<LoadResult> {
    const maxErrors = step.source.copy?.maxErrors ?? 0;
    const [sql] = this.dialect.loadStatements(step);
    const { rows, copyId } = await this.copy(sql!, maxErrors + 1);
    let rejected: RejectedLine[] | undefined;
    let files: number | undefined;
    if (copyId !== undefined) {
      if (maxErrors > 0) rejected = rejectedLinesFromRows(await this.loadErrorRows(copyId, maxErrors));
      files = await this.query(this.dialect.loadedFilesQuery(copyId)).then(
        (r) => (r[0]?.files === undefined ? undefined : Number(r[0].files)),
        () => undefined,
      );
    }
    return { rows, files, records: rows + (rejected?.length ?? 0), rejected };
  }

  /** A COPY, and on failure the rejected lines behind it (up to `errorRows` of them). */
  private async copy(sql: string, errorRows: number): Promise<{ rows: number; copyId: number | undefined }> {
    const table = (COPY.exec(sql)?.[1] ?? 'the table').replace(HELPER_RELATION, '');
    const before = await this.lastCopyId();
    let rows: number;
    try {
      rows = (await super.execute(sql)) ?? 0;
    } catch (err) {
      throw await this.explainCopyFailure(err, table, before, errorRows);
    }
    return { rows, copyId: await this.lastCopyId() };
  }

  private async lastCopyId(): Promise<number | undefined> {
    try {
      const v = (await this.query(this.dialect.lastCopyIdQuery()))[0]?.copy_id;
      return v === null || v === undefined ? undefined : Number(v);
    } catch {
      return undefined;
    }
  }

  /**
   * Explains a failed COPY with the rejected lines behind it, read in this same session. When
   * PG_LAST_COPY_ID() did not move, the COPY never started loading, so any rows there belong to an
   * earlier COPY and the server's own message is the explanation.
   */
  private async explainCopyFailure(err: unknown, table: string, before: number | undefined, errorRows: number): Promise<unknown> {
    if (!(err instanceof DatabaseError) || this.broken || this.cancelled) return err;
    const after = await this.lastCopyId();
    if (after !== undefined && (after === before || after < 0)) return err;
    return loadErrorFromRows(await this.loadErrorRows(after, Math.max(10, errorRows)), table, err) ?? err;
  }

  /**
   * The load-error rows of a COPY: STL_LOAD_ERRORS by query id on a provisioned cluster (where an
   * empty answer is final); on Serverless, which has no STL views, SYS_LOAD_ERROR_DETAIL by query id,
   * then this session's latest COPY there, as its ids may not be PG_LAST_COPY_ID()'s.
   */
  private async loadErrorRows(copyId: number | undefined, limit: number): Promise<LoadErrorRow[]> {
    const d = this.dialect;
    const attempts: [string, boolean][] = [
      ...(copyId !== undefined
        ? ([
            [d.loadErrorQuery('stl', copyId, limit), true],
            [d.loadErrorQuery('sys', copyId, limit), false],
          ] as [string, boolean][])
        : []),
      [d.loadErrorQuery('sys', undefined, limit), false],
    ];
    for (const [sql, final] of attempts) {
      let rows: LoadErrorRow[];
      try {
        rows = await this.query(sql);
      } catch {
        continue; // this kind of cluster has no such view
      }
      if (rows.length > 0 || final) return rows;
    }
    return [];
  }

  // redshift: a transaction cancelled by a concurrent one (1023, 1018) succeeds when run again whole
  override async transaction(statements: string[]): Promise<void> {
    await retrySerializable(() => super.transaction(statements), this.retry);
  }
}

export interface RedshiftEngineOptions {
  dialect?: RedshiftDialect;
  retry?: RetryOptions;
  /** show, debug: connect without creating the target schema */
  readOnly?: boolean | undefined;
}

/** Redshift through the PostgreSQL engine's pg pool, with its own dialect, client and session. */
export class RedshiftEngine extends PostgresEngine {
  declare readonly dialect: RedshiftDialect;

  private constructor(
    dialect: RedshiftDialect,
    schema: string,
    server: PgServer,
    threads: number,
    private readonly retry: RetryOptions,
  ) {
    super(dialect, schema, server, threads, new SourceFiles());
  }

  static async openCluster(settings: RedshiftSettings, schema: string, threads: number, options: RedshiftEngineOptions = {}): Promise<RedshiftEngine> {
    const dialect = options.dialect ?? redshiftDialectFor(settings);
    return new RedshiftEngine(dialect, schema, redshiftServer(settings), threads, options.retry ?? {}).init(options.readOnly);
  }

  protected override newConnection(client: pg.PoolClient): PgConnection {
    return new RedshiftConnection(client, this.dialect, this.files, this.retry);
  }
}
