import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatabaseError, LoadError } from '../../errors.js';
import { parseJsonPathsFile, type PathStep } from '../../loaders/json-paths.js';
import { createRowMapper } from '../../loaders/json-rows.js';
import { badRecordError, findFirstBadRecord } from '../../loaders/diagnose.js';
import { listLocalFiles } from '../../loaders/list-files.js';
import type { Connection, Engine, ExistingRelation, LoadResult, LoadStep } from '../adapter.js';
import { DuckDbDialect } from './duckdb-dialect.js';

/** Files per INSERT: DuckDB reads many small files far faster in batches than as one huge list. */
const FILES_PER_BATCH = 2000;

function toDatabaseError(err: unknown, sql: string): DatabaseError {
  const message = err instanceof Error ? err.message : String(err);
  const e = new DatabaseError(message, { cause: err });
  e.sql = sql;
  const m = /LINE (\d+):/.exec(message);
  if (m) e.statementLine = Number(m[1]);
  return e;
}

class DuckDbConnection implements Connection {
  constructor(
    readonly conn: DuckDBConnection,
    private readonly dialect: DuckDbDialect,
  ) {}

  async query(sql: string): Promise<Record<string, unknown>[]> {
    try {
      const reader = await this.conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Record<string, unknown>[];
    } catch (err) {
      throw toDatabaseError(err, sql);
    }
  }

  async execute(sql: string): Promise<number | undefined> {
    try {
      const r = await this.conn.run(sql);
      return r.rowsChanged;
    } catch (err) {
      throw toDatabaseError(err, sql);
    }
  }

  async transaction(statements: string[]): Promise<void> {
    await this.execute('BEGIN TRANSACTION');
    try {
      for (const s of statements) await this.execute(s);
      await this.execute('COMMIT');
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  async load(step: LoadStep): Promise<LoadResult> {
    const { source, into } = step;
    const copy = source.copy;
    if (!copy || !source.location) throw new LoadError(`source ${source.id} has no location to load from`, { file: source.file, line: source.line });
    if (source.location.startsWith('s3://')) {
      throw new LoadError(`s3:// locations are not supported on DuckDB yet: ${source.location}`, { file: source.file, line: source.line });
    }
    const files = await listLocalFiles(source.location, source.file);
    let paths: PathStep[][] | undefined;
    if (copy.json.kind === 'jsonpaths') {
      const loc = copy.json.location;
      let text: string;
      try {
        text = readFileSync(loc, 'utf8');
      } catch {
        throw new LoadError(`cannot read the JSONPaths file ${loc}`, { file: source.file, line: source.line, hint: 'check LOG_JSONPATH in the [S3] section of your config' });
      }
      paths = parseJsonPathsFile(text, loc, source.columns.length);
    }
    let rows = 0;
    try {
      await this.execute(this.dialect.createTable(into, source.columns));
      for (let i = 0; i < files.length; i += FILES_PER_BATCH) {
        const batch = files.slice(i, i + FILES_PER_BATCH);
        const select = this.dialect.loadStatement(source, into, batch, copy.json, paths).replace(/^CREATE TABLE [^\n]+ AS\n/, '');
        rows += (await this.execute(`INSERT INTO ${this.dialect.relation(into)}\n${select}`)) ?? 0;
      }
    } catch (err) {
      const bad = await findFirstBadRecord(files, createRowMapper(source.columns, copy.json, paths));
      if (bad) throw badRecordError(source, bad);
      throw new LoadError(`cannot load ${source.id}: ${err instanceof Error ? err.message : String(err)}`, {
        file: source.file,
        line: source.line,
        cause: err,
      });
    }
    return { rows, files: files.length };
  }
}

export class DuckDbEngine implements Engine {
  readonly dialect = new DuckDbDialect();
  private readonly idle: DuckDbConnection[] = [];
  private readonly busy = new Set<DuckDbConnection>();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly schema: string,
    readonly path: string,
  ) {}

  static async open(file: string, schema: string): Promise<DuckDbEngine> {
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/lock/i.test(msg)) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        throw new DatabaseError(`the DuckDB file ${file} is in use by another process${pid ? ` (PID ${pid})` : ''}`, {
          file,
          hint: 'wait for the other sparkify run to finish, or stop it; DuckDB allows one writer process per file',
          cause: err,
        });
      }
      throw new DatabaseError(`cannot open DuckDB file ${file}: ${msg}`, { file, cause: err });
    }
    const engine = new DuckDbEngine(instance, schema, file);
    await engine.withConnection((c) => c.execute(engine.dialect.createSchema(schema)));
    return engine;
  }

  async withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const c = this.idle.pop() ?? new DuckDbConnection(await this.instance.connect(), this.dialect);
    this.busy.add(c);
    try {
      return await fn(c);
    } finally {
      this.busy.delete(c);
      this.idle.push(c);
    }
  }

  async listRelations(schemas: string[]): Promise<ExistingRelation[]> {
    if (schemas.length === 0) return [];
    const list = schemas.map((s) => this.dialect.quoteLiteral(s)).join(', ');
    const rows = await this.withConnection((c) =>
      c.query(
        `SELECT table_schema AS schema, table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type ` +
          `FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema IN (${list}) ORDER BY 1, 2`,
      ),
    );
    return rows as unknown as ExistingRelation[];
  }

  async cancel(): Promise<void> {
    for (const c of this.busy) c.conn.interrupt();
  }

  async close(): Promise<void> {
    for (const c of [...this.idle, ...this.busy]) c.conn.closeSync();
    this.idle.length = 0;
    this.instance.closeSync();
  }
}
