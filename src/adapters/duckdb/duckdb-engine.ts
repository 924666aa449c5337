import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatabaseError, RunLockedError } from '../../errors.js';
import { fileReadingLedgerLoad, fileReadingLoad } from '../../loaders/file-reading-load.js';
import type { S3Settings } from '../../loaders/s3-client.js';
import { SourceFiles } from '../../loaders/source-files.js';
import type { Connection, Engine, ExistingRelation, FilesLoadResult, LedgerFilesLoad, LoadProgress, LoadResult, LoadStep, RunLockHolder } from '../adapter.js';
import { describeSince } from '../describe-since.js';
import { DuckDbDialect } from './duckdb-dialect.js';

function toDatabaseError(err: unknown, sql: string): DatabaseError {
  const message = err instanceof Error ? err.message : String(err);
  const e = new DatabaseError(message, { cause: err });
  e.sql = sql;
  const m = /LINE (\d+):/.exec(message);
  if (m) e.statementLine = Number(m[1]);
  else e.statementLine = lineWithoutPosition(message, sql);
  return e;
}

/**
 * Some DuckDB errors carry no position (a binder error about a column that `SELECT *` brings in
 * and GROUP BY leaves out). The line is then the first one that names the column, else, for a
 * GROUP BY error, the GROUP BY clause.
 */
function lineWithoutPosition(message: string, sql: string): number | undefined {
  const lineOf = (re: RegExp) => {
    const at = re.exec(sql)?.index;
    return at === undefined ? undefined : sql.slice(0, at).split('\n').length;
  };
  const column = /\bcolumn "([^"]+)"/i.exec(message)?.[1];
  const named = column === undefined ? undefined : lineOf(new RegExp(`(?<![\\w."])"?${column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?(?![\\w"])`, 'i'));
  if (named !== undefined) return named;
  return /GROUP BY/i.test(message) ? lineOf(/\bgroup\s+by\b/i) : undefined;
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

  async rollback(): Promise<void> {
    await this.conn.run(this.dialect.rollback()).catch(() => undefined);
  }

  async transaction(statements: string[]): Promise<void> {
    await this.execute(this.dialect.beginTransaction());
    try {
      for (const s of statements) await this.execute(s);
      await this.execute(this.dialect.commit());
    } catch (err) {
      await this.conn.run(this.dialect.rollback()).catch(() => undefined);
      throw err;
    }
  }
}

interface LockInfo extends RunLockHolder {
  since: string;
}

const lockInfoPath = (db: string) => `${db}.sparkify-lock`;

function readLockInfo(db: string): LockInfo | undefined {
  try {
    return JSON.parse(readFileSync(lockInfoPath(db), 'utf8')) as LockInfo;
  } catch {
    return undefined;
  }
}

export class DuckDbEngine implements Engine {
  readonly dialect = new DuckDbDialect();
  private lockNote: LockInfo | undefined;
  private readonly idle: DuckDbConnection[] = [];
  private readonly busy = new Set<DuckDbConnection>();

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly schema: string,
    readonly path: string,
    private readonly files: SourceFiles,
  ) {}

  static async open(file: string, schema: string, s3?: S3Settings, opts: { readOnly?: boolean | undefined; memoryLimit?: string | undefined } = {}): Promise<DuckDbEngine> {
    // read-only and not built yet: an empty database in memory, so that nothing is created
    const readOnly = opts.readOnly === true && file !== ':memory:';
    if (readOnly && !existsSync(file)) file = ':memory:';
    if (file !== ':memory:' && !readOnly) mkdirSync(path.dirname(file), { recursive: true });
    let instance: DuckDBInstance;
    try {
      // duckdb: with preserve_insertion_order on, loads of many JSON files buffer rows to keep file order: about half
      // the speed and far more memory (DuckDB performance guide; bench/RESULTS.md). Nothing here relies on row order.
      // duckdb: memory_limit bounds the buffer pool, which spills to temp_directory beyond it; DuckDB's default,
      // 80% of RAM, let a 10M-event build grow past 4 GB (src/adapters/duckdb/index.ts, defaultMemoryLimit())
      const memory = {
        ...(opts.memoryLimit !== undefined ? { memory_limit: opts.memoryLimit } : {}),
        ...(file !== ':memory:' && !readOnly ? { temp_directory: `${file}.tmp` } : {}),
      };
      instance = await DuckDBInstance.create(file, { preserve_insertion_order: 'false', ...memory, ...(readOnly && file !== ':memory:' ? { access_mode: 'READ_ONLY' } : {}) });
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/lock/i.test(msg)) {
        const pid = /PID (\d+)/.exec(msg)?.[1];
        const info = readLockInfo(file);
        // the note is only trusted when it names the process DuckDB says holds the file
        const who = info && String(info.pid) === pid ? `sparkify ${info.command} (PID ${pid} on ${info.host}), since ${describeSince(info.since)}` : `another process${pid ? ` (PID ${pid})` : ''}`;
        throw new RunLockedError(`the DuckDB file ${file} is in use by ${who}`, {
          file,
          hint: 'wait for it to finish or stop it, or pass --wait-for-lock to wait for it; DuckDB allows one process per database file',
          cause: err,
        });
      }
      throw new DatabaseError(`cannot open DuckDB file ${file}: ${msg}`, { file, cause: err });
    }
    const engine = new DuckDbEngine(instance, schema, file, new SourceFiles(s3));
    if (!opts.readOnly) await engine.withConnection((c) => c.execute(engine.dialect.createSchema(schema)));
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
    const rows = await this.withConnection((c) => c.query(this.dialect.listRelations(schemas)));
    return rows as unknown as ExistingRelation[];
  }

  /** DuckDB reads the source's files itself, a batch at a time (src/loaders/file-reading-load.ts). */
  load(c: Connection, step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    return fileReadingLoad(c, this.dialect, this.files, step, onProgress);
  }

  /** An incremental source's new files: one read of them all into the staging table, committed with their ledger rows. */
  loadLedgerFiles(c: Connection, load: LedgerFilesLoad, onProgress?: (p: LoadProgress) => void): Promise<FilesLoadResult> {
    return fileReadingLedgerLoad(c, this.dialect, this.files, load, onProgress);
  }

  async cancel(): Promise<void> {
    for (const c of this.busy) c.conn.interrupt();
  }

  /** DuckDB's own file lock is the run lock; a note beside the file says who holds it and since when. */
  async lockForRun(holder: RunLockHolder): Promise<void> {
    if (this.path === ':memory:') return;
    const note: LockInfo = { ...holder, since: new Date().toISOString() };
    writeFileSync(lockInfoPath(this.path), JSON.stringify(note) + '\n');
    this.lockNote = note;
  }

  async close(): Promise<void> {
    if (this.lockNote && readLockInfo(this.path)?.pid === this.lockNote.pid) rmSync(lockInfoPath(this.path), { force: true });
    this.lockNote = undefined;
    for (const c of [...this.idle, ...this.busy]) c.conn.closeSync();
    this.idle.length = 0;
    this.instance.closeSync();
    await this.files.close();
  }
}
