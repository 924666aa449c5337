import { UsageError } from '../errors.js';
import type { Target } from '../config/load-config.js';
import type { Dialect, Engine, EngineType } from './adapter.js';
import { DuckDbDialect } from './duckdb/duckdb-dialect.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { redshiftDialectFor } from './redshift/redshift-dialect.js';

/** The adapter factory: a new engine is a new folder plus one line in each of these maps. */
const DIALECTS: Partial<Record<EngineType, (t: Target | undefined) => Dialect>> = {
  duckdb: () => new DuckDbDialect(),
  postgres: () => new PostgresDialect(),
  redshift: (t) => redshiftDialectFor(t?.redshift),
};

// Engines are imported when a command opens one: their drivers (@duckdb/node-api, pg, the AWS SDK)
// take a quarter of a second to load, which compile, ls and the other offline commands never need.
const ENGINES: Partial<Record<EngineType, (t: Target, threads: number, o: OpenOptions) => Promise<Engine>>> = {
  duckdb: async (t, _, o) => (await import('./duckdb/duckdb-engine.js')).DuckDbEngine.open(t.duckdb!.path, t.schema, t.s3, o),
  postgres: async (t, threads, o) => (await import('./postgres/postgres-engine.js')).PostgresEngine.open(t.postgres!, t.schema, threads, undefined, t.s3, o),
  redshift: async (t, threads, o) => (await import('./redshift/redshift-engine.js')).RedshiftEngine.openCluster(t.redshift!, t.schema, threads, o),
};

export interface OpenOptions {
  /**
   * For commands that only read (show, debug): the target schema is not created, and a DuckDB file
   * is opened read-only (one that does not exist yet opens as an empty database, and none is created).
   */
  readOnly?: boolean | undefined;
}

/** The dialect of an engine; the target supplies settings that reach SQL (Redshift's IAM role and region). */
export function createDialect(type: EngineType, target?: Target): Dialect {
  const make = DIALECTS[type];
  if (!make) throw new UsageError(`the ${type} engine is not available in this version`, { hint: 'use --target duckdb' });
  return make(target);
}

export async function openEngine(target: Target, threads: number, opts: OpenOptions = {}): Promise<Engine> {
  const open = ENGINES[target.type];
  if (!open) throw new UsageError(`running on ${target.type} is not available in this version`, { hint: 'use --target duckdb' });
  return open(target, threads, opts);
}
