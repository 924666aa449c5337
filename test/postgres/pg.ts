import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresSettings } from '../../src/adapters/postgres/postgres-engine.js';

/** The CI server: 127.0.0.1:5432, trust auth, database test (PG* variables override). */
export const PG = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  database: process.env.PGDATABASE ?? 'test',
  user: process.env.PGUSER ?? 'postgres',
};

export const DOWN_HINT = `PostgreSQL is not reachable at ${PG.host}:${PG.port}; start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`;

/** A fresh schema name for one test file: prefix plus a random suffix. */
export function freshSchema(prefix: string): string {
  return `test_${prefix}_${randomBytes(4).toString('hex')}`;
}

export function settings(schema: string, over: Partial<PostgresSettings> = {}): PostgresSettings {
  return { ...PG, schema, ssl: false, ...over };
}

/** The [POSTGRES] section of a dwh.cfg for the test server and schema. */
export function pgCfg(schema: string): string {
  return `[POSTGRES]\nHOST = ${PG.host}\nPORT = ${PG.port}\nDB_NAME = ${PG.database}\nDB_USER = ${PG.user}\nSCHEMA = ${schema}\n`;
}

/** A plain client for the test's own checks (pg_stat_activity, concurrent readers). */
export async function connect(): Promise<pg.Client> {
  const c = new pg.Client({ ...PG, application_name: 'sparkify-test' });
  try {
    await c.connect();
  } catch (err) {
    throw new Error(`${DOWN_HINT}\n${(err as Error).message}`);
  }
  return c;
}

export async function dropSchema(schema: string): Promise<void> {
  const c = await connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}

/** Waits until check() returns a truthy value, polling every 20 ms. */
export async function waitFor<T>(check: () => Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
