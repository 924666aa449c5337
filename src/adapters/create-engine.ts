import { UsageError } from '../errors.js';
import type { Target } from '../config/load-config.js';
import type { Dialect, Engine, EngineType } from './adapter.js';
import { DuckDbDialect } from './duckdb/duckdb-dialect.js';
import { DuckDbEngine } from './duckdb/duckdb-engine.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { PostgresEngine } from './postgres/postgres-engine.js';
import { RedshiftEngine, redshiftDialectFor } from './redshift/redshift-engine.js';

/** The adapter factory: a new engine is a new folder plus one line in each of these maps. */
const DIALECTS: Partial<Record<EngineType, (t: Target | undefined) => Dialect>> = {
  duckdb: () => new DuckDbDialect(),
  postgres: () => new PostgresDialect(),
  redshift: (t) => redshiftDialectFor(t?.redshift),
};

const ENGINES: Partial<Record<EngineType, (t: Target, threads: number) => Promise<Engine>>> = {
  duckdb: (t) => DuckDbEngine.open(t.duckdb!.path, t.schema, t.s3),
  postgres: (t, threads) => PostgresEngine.open(t.postgres!, t.schema, threads, undefined, t.s3),
  redshift: (t, threads) => RedshiftEngine.openCluster(t.redshift!, t.schema, threads),
};

/** The dialect of an engine; the target supplies settings that reach SQL (Redshift's IAM role and region). */
export function createDialect(type: EngineType, target?: Target): Dialect {
  const make = DIALECTS[type];
  if (!make) throw new UsageError(`the ${type} engine is not available in this version`, { hint: 'use --target duckdb' });
  return make(target);
}

export async function openEngine(target: Target, threads: number): Promise<Engine> {
  const open = ENGINES[target.type];
  if (!open) throw new UsageError(`running on ${target.type} is not available in this version`, { hint: 'use --target duckdb' });
  return open(target, threads);
}
