import { UsageError } from '../errors.js';
import type { Target } from '../config/load-config.js';
import type { Dialect, Engine, EngineType } from './adapter.js';
import { DuckDbDialect } from './duckdb/duckdb-dialect.js';
import { DuckDbEngine } from './duckdb/duckdb-engine.js';
import { PostgresDialect } from './postgres/postgres-dialect.js';
import { PostgresEngine } from './postgres/postgres-engine.js';

/** The adapter factory: a new engine is a new folder plus one line in each of these maps. */
const DIALECTS: Partial<Record<EngineType, () => Dialect>> = {
  duckdb: () => new DuckDbDialect(),
  postgres: () => new PostgresDialect(),
};

const ENGINES: Partial<Record<EngineType, (t: Target, threads: number) => Promise<Engine>>> = {
  duckdb: (t) => DuckDbEngine.open(t.duckdb!.path, t.schema),
  postgres: (t, threads) => PostgresEngine.open(t.postgres!, t.schema, threads),
};

export function createDialect(type: EngineType): Dialect {
  const make = DIALECTS[type];
  if (!make) throw new UsageError(`the ${type} engine is not available in this version`, { hint: 'use --target duckdb' });
  return make();
}

export async function openEngine(target: Target, threads: number): Promise<Engine> {
  const open = ENGINES[target.type];
  if (!open) throw new UsageError(`running on ${target.type} is not available in this version`, { hint: 'use --target duckdb' });
  return open(target, threads);
}
