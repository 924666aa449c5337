import { defineEngine } from '../engine-definition.js';
import { PostgresDialect } from './postgres-dialect.js';

export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user: string;
  password?: string;
  schema: string;
  ssl: boolean;
}

const PG_HOST = /^(?:[A-Za-z0-9.-]+|\/[A-Za-z0-9._/-]+)$/; // libpq also takes a unix-socket directory
export const PG_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,126}$/;

/** PostgreSQL: [POSTGRES], then (when it is the target) the PG* environment variables libpq reads. */
export const postgres = defineEngine<PostgresSettings>({
  type: 'postgres',
  label: 'PostgreSQL',
  configKeys: { POSTGRES: ['HOST', 'DB_HOST', 'PORT', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'SCHEMA', 'SSL'] },
  resolveConfig(r, ctx) {
    // the environment only matters for postgres when it is the selected target
    const env = (name: string) => (ctx.selected ? r.envVar(name) : undefined);
    const password = r.iniValue('POSTGRES', 'DB_PASSWORD') ?? r.envValue('PGPASSWORD');
    const schemaSetting = r.ini('POSTGRES', 'SCHEMA');
    const settings: PostgresSettings = {
      host: r.matching(r.ini('POSTGRES', 'HOST', 'DB_HOST') ?? env('PGHOST'), PG_HOST, 'host name') ?? '127.0.0.1',
      port: r.port(r.ini('POSTGRES', 'PORT', 'DB_PORT') ?? env('PGPORT')) ?? 5432,
      database: r.matching(r.ini('POSTGRES', 'DB_NAME') ?? env('PGDATABASE'), PG_IDENTIFIER, 'database name') ?? 'postgres',
      user: r.matching(r.ini('POSTGRES', 'DB_USER') ?? env('PGUSER') ?? env('USER'), PG_IDENTIFIER, 'user name') ?? 'postgres',
      ...(password ? { password } : {}),
      schema: r.schema(schemaSetting) ?? 'sparkify',
      ssl: r.bool(r.ini('POSTGRES', 'SSL')) ?? false,
    };
    return { settings, schema: settings.schema, schemaSetting };
  },
  secrets: (r) => [
    ['[POSTGRES] DB_PASSWORD', r.iniValue('POSTGRES', 'DB_PASSWORD')],
    ['PGPASSWORD', r.envValue('PGPASSWORD')],
  ],
  describe: (s) => ({ ...s, ...(s.password !== undefined ? { password: '****' } : {}) }),
  dialect: () => new PostgresDialect(),
  open: async (s, ctx) => (await import('./postgres-engine.js')).PostgresEngine.open(s, ctx.schema, ctx.threads, undefined, ctx.s3, { readOnly: ctx.readOnly }),
});
