import { totalmem } from 'node:os';
import path from 'node:path';
import { defineEngine } from '../engine-definition.js';
import { DuckDbDialect } from './duckdb-dialect.js';

export interface DuckDbSettings {
  /** absolute path, or ':memory:' */
  path: string;
  /** DuckDB's memory_limit: [DUCKDB] MEMORY_LIMIT; when absent, defaultMemoryLimit() on the machine that opens it */
  memoryLimit?: string | undefined;
}

/** A DuckDB size: a number and a unit (DuckDB's memory_limit syntax), e.g. 3GB, 1.5GiB, 800MB. */
const SIZE = /^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;

/**
 * DuckDB, in-process: [DUCKDB] PATH (default target/sparkify.duckdb), SCHEMA (default main) and
 * MEMORY_LIMIT (default defaultMemoryLimit()).
 */
export const duckdb = defineEngine<DuckDbSettings>({
  type: 'duckdb',
  label: 'DuckDB',
  configKeys: { DUCKDB: ['PATH', 'SCHEMA', 'MEMORY_LIMIT'] },
  resolveConfig(r, ctx) {
    const raw = r.ini('DUCKDB', 'PATH');
    const file = raw?.value === ':memory:' ? ':memory:' : raw ? r.localPath(raw) : path.join(ctx.projectDir, 'target', 'sparkify.duckdb');
    const schemaSetting = r.ini('DUCKDB', 'SCHEMA');
    // the default depends on the machine that opens the database, so it is worked out there (open)
    const memoryLimit = r.matching(r.ini('DUCKDB', 'MEMORY_LIMIT'), SIZE, 'size (a number and a unit: 3GB, 1.5GiB, 800MB)');
    return { settings: { path: file ?? ':memory:', ...(memoryLimit !== undefined ? { memoryLimit } : {}) }, schema: r.schema(schemaSetting) ?? 'main', schemaSetting };
  },
  dialect: () => new DuckDbDialect(),
  // the driver takes a quarter of a second to load, which compile, ls and the other offline commands never need
  open: async (s, ctx) =>
    (await import('./duckdb-engine.js')).DuckDbEngine.open(s.path, ctx.schema, ctx.s3, { readOnly: ctx.readOnly, memoryLimit: s.memoryLimit ?? defaultMemoryLimit() }),
});

const GIB = 1024 ** 3;

/**
 * The memory_limit sparkify gives DuckDB unless [DUCKDB] MEMORY_LIMIT says otherwise: DuckDB's own
 * default, 80% of the memory (of the container's limit, when there is one), but at most 3 GiB.
 * DuckDB's buffer pool grows to its limit before it spills to its temp directory (next to the
 * database file), so with 80% of 23.5 GiB a 10M-event build peaked at 4.5 GB; with 3 GiB it stays
 * under 4 GB and runs as fast at 1M events (bench/RESULTS.md).
 */
export function defaultMemoryLimit(): string {
  const constrained = process.constrainedMemory?.() ?? 0;
  const total = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
  return `${Math.floor(Math.min(0.8 * total, 3 * GIB) / 1024 ** 2)}MiB`;
}
