import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DatabaseError, LoadError, RunLockedError } from '../../errors.js';
import { parseJsonPathsFile, type PathStep } from '../../loaders/json-paths.js';
import { createRowMapper, type RowMapper } from '../../loaders/json-rows.js';
import { mapRecords } from '../../loaders/diagnose.js';
import { RejectionLimit, sourceLabel } from '../../loaders/load-errors.js';
import type { S3Settings } from '../../loaders/s3-client.js';
import { isS3Uri } from '../../loaders/s3-uri.js';
import { SourceFiles, type StagedBatch } from '../../loaders/source-files.js';
import type { Relation, SourceTable } from '../../types.js';
import type { Connection, Engine, ExistingRelation, LoadProgress, LoadResult, LoadStep, RunLockHolder } from '../adapter.js';
import { describeSince } from '../describe-since.js';
import { DuckDbDialect, type DuckDbLoadOptions } from './duckdb-dialect.js';

/** Files per INSERT: DuckDB reads many small files far faster in batches than as one huge list. */
const FILES_PER_BATCH = 2000;

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

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
    private readonly files: SourceFiles,
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

  async load(step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
    const { source, into } = step;
    const copy = source.copy;
    if (!copy || !source.location) throw new LoadError(`source ${source.id} has no location to load from`, { file: source.file, line: source.line });
    const files = await this.files.list(source.location, source.file, { manifest: copy.manifest });
    let paths: PathStep[][] | undefined;
    if (copy.json.kind === 'jsonpaths') {
      const loc = copy.json.location;
      let text: string;
      try {
        text = await this.files.readText(loc, source.file);
      } catch (err) {
        // an S3 error already names the object and the reason
        const why = isS3Uri(loc) && err instanceof Error ? `: ${err.message}` : '';
        throw new LoadError(`cannot read the JSONPaths file ${loc}${why}`, { file: source.file, line: source.line, hint: 'check LOG_JSONPATH in the [S3] section of your config', cause: err });
      }
      paths = parseJsonPathsFile(text, loc, source.columns.length);
    }
    const mapper = createRowMapper(source.columns, copy.json, paths);
    const limit = new RejectionLimit(source);
    await this.execute(this.dialect.createTable(into, source.columns));
    let rows = 0;
    let records = 0;
    let filesDone = 0;
    let bytes = 0;
    onProgress?.({ files: files.length, filesDone, rows, bytes });
    // S3 objects are downloaded a batch at a time into a temporary folder, deleted after the batch
    for await (const staged of this.files.stage(files, { maxFiles: FILES_PER_BATCH })) {
      let n: number;
      try {
        n = await this.insertStrict(source, into, staged.paths, paths);
        records += n;
      } catch (err) {
        // the batch holds a line that cannot load: find every one (the line numbers are the scanner's), then load the rest
        n = await this.insertTolerant(err, source, into, staged, paths, mapper, limit, (r) => (records += r));
      }
      rows += n;
      if (onProgress) {
        filesDone += staged.paths.length;
        bytes += staged.refs.reduce((sum, f, i) => sum + (f.size ?? fileSize(staged.paths[i]!)), 0);
        onProgress({ files: files.length, filesDone, rows, bytes });
      }
    }
    return { rows, files: files.length, records, rejected: limit.rejected };
  }

  private insertSql(source: SourceTable, into: Relation, files: string[], paths: PathStep[][] | undefined, opts: DuckDbLoadOptions): string {
    const select = this.dialect.loadStatement(source, into, files, source.copy!.json, paths, opts).replace(/^CREATE TABLE [^\n]+ AS\n/, '');
    return `INSERT INTO ${this.dialect.relation(into)}\n${select}`;
  }

  /**
   * The fast path: DuckDB reads the files itself and fails on the first record or value that does
   * not fit. One value per line is read in parallel; files of values one after another or
   * pretty-printed need the slower 'unstructured' reader, tried when the first reading fails.
   */
  private async insertStrict(source: SourceTable, into: Relation, files: string[], paths: PathStep[][] | undefined): Promise<number> {
    const compression = source.copy!.compression;
    try {
      return (await this.execute(this.insertSql(source, into, files, paths, { format: 'newline_delimited', compression }))) ?? 0;
    } catch (err) {
      if (!/Malformed JSON/i.test(errorText(err))) throw err;
      return (await this.execute(this.insertSql(source, into, files, paths, { format: 'unstructured', compression }))) ?? 0;
    }
  }

  /**
   * The strict load of a batch failed. The JS scanner reads the batch and finds every bad record
   * (max_errors 0: the first one, as the error). Files with bad records are copied without them,
   * and the batch loads again, strictly, from the copies and the untouched files.
   */
  private async insertTolerant(
    err: unknown,
    source: SourceTable,
    into: Relation,
    staged: StagedBatch,
    paths: PathStep[][] | undefined,
    mapper: RowMapper,
    limit: RejectionLimit,
    countRecords: (n: number) => void,
  ): Promise<number> {
    if (/INTERRUPT/i.test(errorText(err))) throw err;
    const compression = source.copy!.compression;
    const cannotLoad = (cause: unknown, why = errorText(cause)) =>
      new LoadError(`cannot load ${source.id}: ${why}`, { file: source.file, line: source.line, node: sourceLabel(source), cause });
    if (compression === 'zstd' || staged.paths.some((p) => p.endsWith('.zst'))) {
      throw cannotLoad(err, `${errorText(err)} (sparkify reads zstd files through DuckDB only, so it cannot point at the line; gzip files can be)`);
    }
    const before = limit.rejected.length;
    let records = 0;
    const bad = new Set<string>();
    try {
      for await (const r of mapRecords(staged.paths, compression, mapper)) {
        records++;
        if (r.bad) {
          bad.add(r.file);
          limit.reject({ ...r.bad, file: staged.uriOf(r.file) });
        }
      }
    } catch (e) {
      if (e instanceof LoadError) throw e;
      throw cannotLoad(e);
    }
    const rejected = limit.rejected.length - before;
    if (rejected === 0) throw cannotLoad(err);
    countRecords(records);
    const clean = await mkdtemp(path.join(tmpdir(), 'sparkify-clean-'));
    try {
      const copies: string[] = [];
      for (const file of staged.paths.filter((p) => bad.has(p))) {
        const copy = path.join(clean, `${copies.length}.json`);
        const out = createWriteStream(copy);
        try {
          await pipeline(
            Readable.from(
              (async function* () {
                for await (const r of mapRecords([file], compression, mapper)) if (!r.bad) yield r.record.raw + '\n';
              })(),
            ),
            out,
          );
        } finally {
          out.destroy();
        }
        copies.push(copy);
      }
      const untouched = staged.paths.filter((p) => !bad.has(p));
      let n = 0;
      try {
        if (untouched.length > 0) n += (await this.execute(this.insertSql(source, into, untouched, paths, { format: 'unstructured', compression }))) ?? 0;
        if (copies.length > 0) n += (await this.execute(this.insertSql(source, into, copies, paths, { format: 'unstructured', compression: 'none' }))) ?? 0;
      } catch (e) {
        throw cannotLoad(e, `DuckDB rejected a record that sparkify's own checks accept: ${errorText(e)}`);
      }
      if (n !== records - rejected) throw cannotLoad(err, `DuckDB loaded ${n} rows where sparkify read ${records} records and rejected ${rejected}`);
      return n;
    } finally {
      await rm(clean, { recursive: true, force: true });
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

  static async open(file: string, schema: string, s3?: S3Settings, opts: { readOnly?: boolean | undefined } = {}): Promise<DuckDbEngine> {
    // read-only and not built yet: an empty database in memory, so that nothing is created
    const readOnly = opts.readOnly === true && file !== ':memory:';
    if (readOnly && !existsSync(file)) file = ':memory:';
    if (file !== ':memory:' && !readOnly) mkdirSync(path.dirname(file), { recursive: true });
    let instance: DuckDBInstance;
    try {
      // duckdb: with preserve_insertion_order on, loads of many JSON files buffer rows to keep file order: about half
      // the speed and far more memory (DuckDB performance guide; bench/RESULTS.md). Nothing here relies on row order.
      instance = await DuckDBInstance.create(file, { preserve_insertion_order: 'false', ...(readOnly && file !== ':memory:' ? { access_mode: 'READ_ONLY' } : {}) });
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
    const c = this.idle.pop() ?? new DuckDbConnection(await this.instance.connect(), this.dialect, this.files);
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
