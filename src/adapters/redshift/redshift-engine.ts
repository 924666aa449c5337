import pg from 'pg';
import { SourceFiles } from '../../loaders/source-files.js';
import type { Connection, FilesLoad, FilesLoadResult, LoadResult, LoadStep } from '../adapter.js';
import { PgConnection, PostgresEngine, types, type PgServer } from '../postgres/postgres-engine.js';
import { TemporaryCredentialsProvider } from './iam-credentials.js';
import { copyFilesWithManifest, copyFromS3, probeCommitViews, type CommitViews } from './copy-from-s3.js';
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

/**
 * The pg settings for a cluster: port 5439 by default, TLS with the server certificate verified.
 * With AUTH = iam the password is the temporary one the provider holds, asked for by each new
 * session (pg calls a password function at login), so sessions opened late in a long run get fresh credentials.
 */
export function redshiftServer(s: RedshiftSettings, credentials?: TemporaryCredentialsProvider): PgServer {
  const password = credentials ? async () => (await credentials.current()).password : s.password;
  return {
    label: 'Redshift',
    host: s.host,
    port: s.port,
    database: s.database,
    user: s.user,
    password: s.password,
    ...(credentials ? { secrets: () => credentials.secrets() } : {}),
    Client: RedshiftClient,
    client: {
      host: s.host,
      port: s.port,
      database: s.database,
      user: s.user,
      ...(password !== undefined ? { password } : {}),
      // redshift: clusters present certificates that chain to Amazon's public roots, which Node trusts
      ssl: s.ssl ? { rejectUnauthorized: true, servername: s.host } : false,
      // an unreachable cluster (security group, no public access) otherwise hangs for minutes
      connectionTimeoutMillis: 30_000,
      keepAlive: true,
      types,
    },
    hint: `check [CLUSTER] HOST, DB_PORT, DB_NAME, ${s.iam ? (s.iam.kind === 'provisioned' ? 'DB_USER and CLUSTER_IDENTIFIER (AUTH = iam)' : 'and WORKGROUP (AUTH = iam)') : 'DB_USER and DB_PASSWORD'} in dwh.cfg, and that the cluster is publicly accessible or reachable from here (security group inbound rule for port 5439)`,
  };
}

/** A Redshift session: transactions cancelled by a concurrent one are run again. */
export class RedshiftConnection extends PgConnection {
  constructor(
    client: pg.PoolClient,
    dialect: RedshiftDialect,
    private readonly retry: RetryOptions,
  ) {
    super(client, dialect);
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
    let server = redshiftServer(settings);
    if (settings.iam) {
      // AUTH = iam: the API names the user to log in as (IAM:<DB_USER>, or the identity's on Serverless)
      const credentials = new TemporaryCredentialsProvider(settings.iam, settings.database);
      server = redshiftServer({ ...settings, user: (await credentials.current()).user }, credentials);
    }
    return new RedshiftEngine(dialect, schema, server, threads, options.retry ?? {}).init(options.readOnly);
  }

  /** The cluster runs the source's COPY from S3; lines it skipped come back from its load-error views. */
  override load(c: Connection, step: LoadStep): Promise<LoadResult> {
    return copyFromS3(c, this.dialect, step);
  }

  private commitViews: CommitViews | undefined;

  /** An incremental source's new files: one COPY of their manifest, checked against STL_LOAD_COMMITS, in the transaction that records them. */
  async loadFiles(c: Connection, load: FilesLoad): Promise<FilesLoadResult> {
    // probed outside the transaction: a query of a missing view would abort it
    this.commitViews ??= await probeCommitViews(c, this.dialect);
    return copyFilesWithManifest(c, this.dialect, load, this.commitViews);
  }

  protected override newConnection(client: pg.PoolClient): PgConnection {
    return new RedshiftConnection(client, this.dialect, this.retry);
  }
}
