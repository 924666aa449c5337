import path from 'node:path';
import { defineEngine } from '../engine-definition.js';
import { DuckDbDialect } from './duckdb-dialect.js';

export interface DuckDbSettings {
  /** absolute path, or ':memory:' */
  path: string;
}

/** DuckDB, in-process: [DUCKDB] PATH (default target/sparkify.duckdb) and SCHEMA (default main). */
export const duckdb = defineEngine<DuckDbSettings>({
  type: 'duckdb',
  label: 'DuckDB',
  configKeys: { DUCKDB: ['PATH', 'SCHEMA'] },
  resolveConfig(r, ctx) {
    const raw = r.ini('DUCKDB', 'PATH');
    const file = raw?.value === ':memory:' ? ':memory:' : raw ? r.localPath(raw) : path.join(ctx.projectDir, 'target', 'sparkify.duckdb');
    const schemaSetting = r.ini('DUCKDB', 'SCHEMA');
    return { settings: { path: file ?? ':memory:' }, schema: r.schema(schemaSetting) ?? 'main', schemaSetting };
  },
  dialect: () => new DuckDbDialect(),
  // the driver takes a quarter of a second to load, which compile, ls and the other offline commands never need
  open: async (s, ctx) => (await import('./duckdb-engine.js')).DuckDbEngine.open(s.path, ctx.schema, ctx.s3, { readOnly: ctx.readOnly }),
});
