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
import { mapRecords, type OpenFile } from '../../loaders/diagnose.js';
import { openLocalFile } from '../../loaders/read-json-records.js';
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
    const warnings: string[] = [];
    const files = step.files ?? (await this.files.list(source.location, source.file, { manifest: copy.manifest, onWarning: (w) => warnings.push(w) }));
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
      // every file is read as of one moment: its size now (a log file may grow while it loads)
      const sizes = fileSizes(staged.paths);
      let n: number | undefined;
      let failure: unknown;
      try {
        n = await this.insertAsOf(sizes, () => this.insertStrict(source, into, staged.paths, paths));
      } catch (err) {
        if (/INTERRUPT/i.test(errorText(err))) throw err;
        failure = err;
      }
      if (n !== undefined) records += n;
      // the batch holds a line that cannot load (or that DuckDB cannot judge), or a file grew while DuckDB read it:
      // sparkify reads the batch itself, finds every bad line, and loads the rest
      else n = await this.insertTolerant(failure, source, into, staged, paths, mapper, limit, sizes, (r) => (records += r));
      rows += n;
      if (onProgress) {
        filesDone += staged.paths.length;
        bytes += staged.refs.reduce((sum, f, i) => sum + (f.size ?? fileSize(staged.paths[i]!)), 0);
        onProgress({ files: files.length, filesDone, rows, bytes });
      }
    }
    return { rows, files: files.length, records, rejected: limit.rejected, ...(warnings.length > 0 ? { warnings } : {}) };
  }

  private insertSql(source: SourceTable, into: Relation, files: string[], paths: PathStep[][] | undefined, opts: DuckDbLoadOptions): string {
    const select = this.dialect.loadStatement(source, into, files, source.copy!.json, paths, opts).replace(/^CREATE TABLE [^\n]+ AS\n/, '');
    return `INSERT INTO ${this.dialect.relation(into)}\n${select}`;
  }

  /**
   * Runs an insert of files in a transaction that commits only when no file changed size while
   * DuckDB read it; returns the rows, or undefined (nothing inserted) when one did.
   */
  private async insertAsOf(sizes: Map<string, number | undefined>, insert: () => Promise<number>): Promise<number | undefined> {
    await this.execute('BEGIN TRANSACTION');
    let n: number;
    try {
      n = await insert();
    } catch (err) {
      await this.conn.run('ROLLBACK').catch(() => undefined);
      throw err;
    }
    const now = fileSizes([...sizes.keys()]);
    if ([...sizes].some(([f, size]) => now.get(f) !== size)) {
      await this.execute('ROLLBACK');
      return undefined;
    }
    await this.execute('COMMIT');
    return n;
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
   * The strict load of a batch failed, or a file grew while DuckDB read it. The JS scanner reads the
   * batch (each file up to its size when the batch began) and finds every bad record (max_errors 0:
   * the first one, as the error). Files without bad records load again, strictly, as DuckDB reads
   * them; the others, and any DuckDB refuses or that grew, load from a copy holding the values the
   * JS row mapper made of their good records, so both engines load exactly the same rows.
   */
  private async insertTolerant(
    err: unknown,
    source: SourceTable,
    into: Relation,
    staged: StagedBatch,
    paths: PathStep[][] | undefined,
    mapper: RowMapper,
    limit: RejectionLimit,
    sizes: Map<string, number | undefined>,
    countRecords: (n: number) => void,
  ): Promise<number> {
    const compression = source.copy!.compression;
    const cannotLoad = (cause: unknown, why = errorText(cause)) => {
      // an error that names one of the data files is about that file, not about the source's entry in sources.yml
      const named = staged.paths.find((p) => why.includes(`"${p}"`) || why.includes(`'${p}'`));
      const where = named ? { file: staged.uriOf(named) } : { file: source.file, line: source.line };
      return new LoadError(`cannot load ${source.id}: ${why}`, { ...where, node: sourceLabel(source), cause });
    };
    if (compression === 'zstd' || staged.paths.some((p) => p.endsWith('.zst'))) {
      const why = err === undefined ? 'a file changed while DuckDB read it' : errorText(err);
      throw cannotLoad(err, `${why} (sparkify reads zstd files through DuckDB only, so it cannot point at the line or read a file as of one moment; gzip files can be)`);
    }
    const open: OpenFile = (f, c) => openLocalFile(f, c, sizes.get(f));
    const before = limit.rejected.length;
    let records = 0;
    const bad = new Set<string>();
    try {
      for await (const r of mapRecords(staged.paths, compression, mapper, open)) {
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
    countRecords(records);
    let n = 0;
    let rewrite = staged.paths.filter((p) => bad.has(p));
    const direct = staged.paths.filter((p) => !bad.has(p));
    if (direct.length > 0 && err !== undefined) {
      const directSizes = new Map(direct.map((p) => [p, sizes.get(p)]));
      let m: number | undefined;
      try {
        m = await this.insertAsOf(directSizes, () => this.insertStrict(source, into, direct, paths));
      } catch (e) {
        if (/INTERRUPT/i.test(errorText(e))) throw e;
      }
      if (m === undefined) rewrite = staged.paths;
      else n += m;
    } else if (direct.length > 0) {
      rewrite = staged.paths;
    }
    if (rewrite.length > 0) n += await this.insertMapped(source, into, rewrite, mapper, open, cannotLoad);
    if (n !== records - rejected) throw cannotLoad(err, `DuckDB loaded ${n} rows where sparkify read ${records} records and rejected ${rejected}`);
    return n;
  }

  /** Loads the good records of files as the JS row mapper maps them: a copy of their values, one JSON array per row. */
  private async insertMapped(
    source: SourceTable,
    into: Relation,
    files: string[],
    mapper: RowMapper,
    open: OpenFile,
    cannotLoad: (cause: unknown, why?: string) => LoadError,
  ): Promise<number> {
    const compression = source.copy!.compression;
    const clean = await mkdtemp(path.join(tmpdir(), 'sparkify-clean-'));
    try {
      const copy = path.join(clean, 'rows.json');
      const out = createWriteStream(copy);
      try {
        await pipeline(
          Readable.from(
            (async function* () {
              for await (const r of mapRecords(files, compression, mapper, open)) if (!r.bad) yield JSON.stringify(r.values) + '\n';
            })(),
          ),
          out,
        );
      } finally {
        out.destroy();
      }
      const mapped: SourceTable = { ...source, copy: { ...source.copy!, json: { kind: 'jsonpaths', location: copy }, compression: 'none' } };
      const byIndex = source.columns.map((_, i) => [i]);
      try {
        return (await this.execute(this.insertSql(mapped, into, [copy], byIndex, { format: 'newline_delimited', compression: 'none', checked: true }))) ?? 0;
      } catch (e) {
        throw cannotLoad(e, `DuckDB rejected a record that sparkify's own checks accept: ${errorText(e)}`);
      }
    } finally {
      await rm(clean, { recursive: true, force: true });
    }
  }
}

/** The size of each local file now (undefined when it cannot be read). */
function fileSizes(files: string[]): Map<string, number | undefined> {
  return new Map(files.map((f) => [f, statSync(f, { throwIfNoEntry: false })?.size]));
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
