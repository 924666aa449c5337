import type { RecordedRejection, RejectedLine } from '../loaders/load-errors.js';
import type { FileRef, SourceFiles } from '../loaders/source-files.js';
import type { InferredColumn, SeedColumn, SeedInput } from '../loaders/formats/csv.js';
import type { CopyOptions, ModelConfig, Relation, SourceTable } from '../types.js';
import type { CrossDatabaseSql } from './cross-db.js';

/** The type of an engine in the registry (src/adapters/engines.ts): "duckdb", "postgres", "redshift". */
export type EngineType = string;

export type UpsertStrategy = 'delete+insert' | 'merge';

export interface ExistingRelation {
  schema: string;
  name: string;
  type: 'table' | 'view';
}

export type DatePart = 'year' | 'quarter' | 'month' | 'week' | 'day' | 'hour' | 'minute' | 'second' | 'dow' | 'isodow' | 'doy';
export const DATE_PARTS: readonly DatePart[] = ['year', 'quarter', 'month', 'week', 'day', 'hour', 'minute', 'second', 'dow', 'isodow', 'doy'];

/** A bulk load of one source into a relation, done by the engine's own loader. */
export interface LoadStep {
  kind: 'load';
  source: SourceTable;
  /** the relation the rows go into (a tmp relation that is swapped in afterwards) */
  into: Relation;
  /** the files to load, when the caller has listed them (an incremental load's new files); else the source's location is listed */
  files?: FileRef[] | undefined;
}

/**
 * An incremental load (`copy: {mode: incremental}`): the files of the source not yet in the ledger
 * (sparkify_loaded_files) are loaded into tmp, then appended to the staging table in the
 * transaction that records them. Which files are new is known only when it runs.
 */
export interface LedgerLoadStep {
  kind: 'ledger-load';
  source: SourceTable;
  /** the staging table, appended to */
  into: Relation;
  /** where each load lands before it is appended */
  tmp: Relation;
  /** the schema of sparkify_loaded_files (the target schema) */
  ledgerSchema: string;
  /** --full-refresh: the staging table and the source's ledger entries are rebuilt from every file */
  fullRefresh: boolean;
  /**
   * statements that refresh the staging table's statistics (ANALYZE), run after the loads when the source's loaded bytes
   * have grown by another tenth (runner/load-new-files.ts, analyzeDue), as PostgreSQL's autovacuum analyzes a table
   * once a tenth of it changed; none where the engine keeps its own
   */
  analyze?: string[] | undefined;
}

/**
 * A seed's CSV file loaded into `into` (a tmp relation swapped in afterwards): the file is read to
 * check it and infer its column types (src/loaders/formats/csv.ts), `into` is created with them,
 * and the engine's own CSV reader loads it (Dialect.seedLoad). The types are known only when it runs.
 */
export interface SeedLoadStep {
  kind: 'seed-load';
  seed: SeedInput;
  into: Relation;
}

export type Step =
  | { kind: 'sql'; sql: string }
  /** statements that must commit together */
  | { kind: 'transaction'; statements: string[] }
  /** a query whose single numeric value is the node's row count (of: 'inserted', the rows an incremental run adds) */
  | { kind: 'count'; sql: string; of?: 'inserted' }
  /** a query that reads no rows and checks names; if the database refuses it, the node fails with this message */
  | { kind: 'check'; sql: string; message: string; hint?: string | undefined }
  /** a data test: a query whose single value is the number of failing rows */
  | { kind: 'test'; sql: string }
  /** a unit test: a query whose rows must equal the expected rows (on the named columns, in any order) */
  | { kind: 'unit'; sql: string; columns: string[]; expected: Record<string, unknown>[] }
  | LoadStep
  | LedgerLoadStep
  | SeedLoadStep
  /** a query whose single value decides, when the run gets there, which steps run: `then` when it is 1, else `else` */
  | { kind: 'choose'; sql: string; why: string; then: Step[]; else: Step[] };

/**
 * A Dialect spells SQL for one engine. It is pure: no I/O, so every statement can be golden-tested.
 * PostgreSQL is the base; engines override only what differs.
 */
export interface Dialect {
  readonly type: EngineType;
  /** the engine's name in messages: "PostgreSQL" */
  readonly label: string;
  /**
   * The longest identifier the engine keeps, in bytes (PostgreSQL 63: it cuts longer ones, so two
   * names could meet); undefined when it has no limit. Longer names are compile errors.
   */
  readonly maxIdentifierBytes: number | undefined;
  /** names fold to lower case even when quoted (Redshift), so existing relations match names case-insensitively */
  readonly foldsIdentifierCase?: boolean;
  quoteIdent(name: string): string;
  /** any name in double quotes, embedded quotes doubled (dbt's adapter.quote) */
  quoteName(name: string): string;
  /** dbt's cross-database macros (`dbt.dateadd`, ...) in this engine's spelling */
  readonly crossDb: CrossDatabaseSql;
  /** a query of the relation named so (rows: schema, name, type 'table' or 'view'), none when it does not exist */
  findRelation(schema: string, name: string): string;
  /** a query of a relation's columns in order (rows: column_name, data_type) */
  relationColumns(r: Relation): string;
  quoteLiteral(value: string): string;
  relation(r: Relation): string;
  /** a canonical column type ("varchar(256)", "bigint") in this engine's spelling */
  columnType(type: string): string;

  // SQL helpers callable from templates; they even out differences between engines.
  epochMsToTimestamp(expr: string): string;
  datePart(part: DatePart, expr: string): string;
  surrogateKey(exprs: string[]): string;
  castText(expr: string): string;

  /** the time of the current transaction, as a TIMESTAMP in UTC (snapshots: one time for a whole run) */
  snapshotTime(): string;
  createSchema(schema: string): string;
  /** starts a transaction that may only read (show) */
  beginReadOnly(): string;
  /** makes unqualified names resolve in the schema, for this session */
  setSearchPath(schema: string): string;
  /** the relation name of a "relation does not exist" error message from this engine, if it is one */
  missingRelation(message: string): string | undefined;
  dropRelation(r: Relation, type: 'table' | 'view'): string;
  renameRelation(from: Relation, toName: string, type: 'table' | 'view'): string;
  createTableAs(r: Relation, sql: string, config: ModelConfig): string;
  createView(r: Relation, sql: string, config: ModelConfig, replace: boolean): string;
  createTable(r: Relation, columns: { name: string; type: string }[], config?: Partial<ModelConfig>): string;
  countRows(r: Relation): string;
  /** the incremental strategies upsertRows() spells on this engine; the first is the default */
  readonly upsertStrategies: readonly UpsertStrategy[];
  /** statements (run in one transaction) that put the rows of `from` into `target`, replacing the rows whose keys they share */
  upsertRows(target: Relation, from: Relation, keys: string[], strategy: UpsertStrategy): string[];
  /** the statement that deletes every row of a table, inside a transaction (not TRUNCATE, which commits on Redshift) */
  deleteAllRows(r: Relation): string;
  /** a query that reads no rows and fails unless `b` has the columns of `a`, in order, with compatible types */
  sameColumnsCheck(a: Relation, b: Relation): string;
  /** the statement that appends every row of `from` to `target` */
  appendRows(target: Relation, from: Relation): string;
  /**
   * The columns of every table and view in the given schemas, one row per column:
   * schema, name, type ('table' or 'view'), column_name, data_type, ordinal, and bytes (the
   * relation's size where the engine knows it, else NULL). For `sparkify docs generate`'s catalog.
   */
  catalogColumns(schemas: string[]): string;
  /** gathers planner statistics on a freshly built table, for engines that do not do it themselves */
  analyze?(r: Relation): string;
  /** the steps that fill `into` from a source; engines that load from the client return a LoadStep */
  loadSource(source: SourceTable, into: Relation, copy: CopyOptions): Step[];
  /** a seed column's type when column_types gives none: dbt's adapter rules for this engine, as a canonical type */
  seedColumnType(c: InferredColumn): string;
  /**
   * The statement that loads a seed's CSV file into `into` (created already with `columns`) with
   * the engine's own CSV reader; `stdin`: the file's bytes are streamed to it (COPY ... FROM STDIN).
   */
  seedLoad(into: Relation, columns: SeedColumn[], seed: SeedInput): { sql: string; stdin: boolean };
  /** the table that records lines skipped under max_errors (sparkify_load_errors), if it does not exist */
  createLoadErrorsTable(schema: string): string;
  /** INSERT statements (a few hundred rows each) that record rejected lines */
  insertLoadErrors(schema: string, rows: RecordedRejection[]): string[];
  /** the load ledger (sparkify_loaded_files) and the incremental models' watermarks (sparkify_incremental_state), if they do not exist */
  createLedgerTables(schema: string): string[];
  /** the ledger's rows for a source: file, size, etag, mtime, content_hash, rows_loaded, rows_rejected, load_seq, loaded_at */
  selectLoadedFiles(schema: string, source: string): string;
  /** the tables and views of these schemas, as ExistingRelation rows (schema, name, type 'table' or 'view'), ordered */
  listRelations(schemas: string[]): string;
  /** statements that record loaded files (replacing earlier rows of the same files) */
  recordLoadedFiles(schema: string, entries: LoadedFile[]): string[];
  /** deletes the ledger rows of these files (their rows were deleted with their load) */
  forgetFiles(schema: string, source: string, files: string[]): string[];
  /** statements that forget every file of a source (a full refresh) and the watermarks that depend on it */
  forgetLoadedFiles(schema: string, source: string): string[];
  /** makes every incremental model that reads the source rebuild in full on its next run (a reloaded file) */
  invalidateWatermarks(schema: string, source: string): string;
  /** a staging table of an incremental source: its columns, the file each row came from and the load that added it */
  createStagingTable(r: Relation, columns: { name: string; type: string }[]): string;
  /**
   * Statements that index a staging table by its `_load_seq` and the source's loaded_at_field (idempotent: run on a new
   * table and before each incremental load of an existing one), so that newly_loaded() and a model's "since" condition
   * read the new or recent rows, not the whole table; none where the engine keeps such a summary itself (DuckDB's and
   * Redshift's zone maps).
   */
  indexStagingTable(r: Relation, source: SourceTable): string[];
  /** statements run after rows are appended to a staging table, in the transaction of the append (the index brought up to date) */
  afterStagingAppend(r: Relation): string[];
  /** appends the rows of tmp to an incremental source's staging table, tagged with their file (NULL for a manifest batch) and load */
  appendLoadedRows(into: Relation, tmp: Relation, columns: string[], file: string | undefined, loadSeq: number): string;
  /** deletes the rows one load added to a staging table (on_file_change: reload) */
  deleteRowsOfLoad(r: Relation, loadSeq: number): string;
  /** deletes the rows of these files that one load added (a load whose every row carries its file) */
  deleteRowsOfFiles(r: Relation, loadSeq: number, files: string[]): string[];
  /** a query of one value, n: the rows of a load that do not carry their file (it read several files at once) */
  countUntaggedRows(r: Relation, loadSeq: number): string;
  /** the rows a load added to a staging table, by file: rows of (file, n) */
  rowsOfLoadByFile(r: Relation, loadSeq: number): string;
  /** a condition on a staging table's rows: loaded after the model's watermark for the source (every row, before it has one) */
  newlyLoaded(schema: string, model: string, source: string, alias?: string): string;
  /**
   * A query of one value, 1 when the model's watermarks do not describe the sources it reads (none
   * yet, a file reloaded, a source refreshed, or `changed` sources that have new loads since), else 0.
   */
  watermarksStale(schema: string, model: string, tracked: string[], changed: string[], alwaysStale: boolean): string;
  /** statements that record, for the model, the last load of each source it has now read */
  recordWatermarks(schema: string, model: string, sources: string[]): string[];
  /**
   * The first statement of a transaction that gives r its name (the swap, a view), for names where
   * two such transactions at once can fail on this engine: it makes them take turns. Undefined when
   * r's name needs none.
   */
  serializeNaming?(r: Relation): string | undefined;
  /** statements run once on every new session, for engines that need some */
  sessionSetup?(): string[];
  /** the SQL a load step sends, for engines whose loads are SQL (Redshift's COPY), so compile can show it */
  loadStatements?(step: LoadStep): string[];
  /**
   * Where an incremental load writes the manifest of its new files, so that one load statement reads
   * them all (Redshift with [S3] MANIFEST_PREFIX); undefined (or absent) when each file loads on its own
   */
  manifestLocation?(runId: string, source: string): string | undefined;
  /** the query, run in a manifest load's transaction, of the files the load committed (rows: file, lines); 'last': the session's latest load */
  loadCommitsQuery?(loadId: number | 'last'): string;
  /** compiled SQL rewritten where this engine's spelling is not PostgreSQL's, for the column-lineage parser (libpg-query) */
  sqlForLineageParser?(sql: string): string;
}

export interface LoadResult {
  rows: number;
  /** files read, when the engine knows (Redshift reads them from STL_LOAD_COMMITS) */
  files?: number | undefined;
  /** records read (JSON values; a pretty-printed object counts once): rows + rejected.length */
  records?: number | undefined;
  /** the lines skipped under the source's max_errors (Redshift: from STL_LOAD_ERRORS); the runner records them */
  rejected?: RejectedLine[] | undefined;
  /** what the user should know that did not stop the load (a named pipe skipped in a data folder) */
  warnings?: string[] | undefined;
}

/** The result of a load of several files, with each file's rows when the engine knows them (Redshift: STL_LOAD_COMMITS). */
export interface FilesLoadResult extends LoadResult {
  /** rows loaded from each file (lines scanned less lines rejected), by URI */
  rowsByFile?: Map<string, number> | undefined;
}

/** An incremental load's new files, loaded by one statement in the transaction that commits them (Engine.loadFiles). */
export interface FilesLoad {
  /** into: the tmp relation; files: the new files, sorted */
  step: LoadStep & { files: FileRef[] };
  /** where the manifest goes (Dialect.manifestLocation) */
  manifest: string;
  /** writes the manifest */
  sourceFiles: SourceFiles;
  /** the statements that commit the load (append tmp to the staging table, record the files), given what was loaded */
  commit(result: FilesLoadResult): string[];
}

/**
 * An incremental load's new files, read by the engine itself straight into the staging table in
 * ONE transaction with their ledger rows (Engine.loadLedgerFiles), each row tagged with its file.
 */
export interface LedgerFilesLoad {
  /** into: the staging table; files: the new files, sorted */
  step: LoadStep & { files: FileRef[] };
  /** the load's number, in every row's _load_seq */
  loadSeq: number;
  /** statements run first in the transaction (a reload's deletes) */
  first: string[];
  /** the statements that record the files in the ledger, given what was loaded (rowsByFile: every file's rows) */
  commit(result: FilesLoadResult): string[] | Promise<string[]>;
}

/** One row of sparkify_loaded_files. */
export interface LoadedFile {
  source: string;
  file: string;
  size: number | undefined;
  etag: string | undefined;
  /** local files: the modification time, ISO 8601 */
  mtime: string | undefined;
  /** local files: SHA-256 of the content, hex */
  contentHash: string | undefined;
  /** undefined when the file was loaded with others (small files load in batches) */
  rowsLoaded: number | undefined;
  rowsRejected: number | undefined;
  loadSeq: number;
  runId: string;
  loadedAt: string;
}

/** How far a load has got: told after each file or batch of files, and once more when it is done. */
export interface LoadProgress {
  files: number;
  filesDone: number;
  rows: number;
  /** bytes of input read (uncompressed JSON) */
  bytes: number;
}

/**
 * One database session. Only connections talk to a database, and they do I/O only: every
 * statement they send is given to them (spelt by a dialect), and loads are planned by src/loaders/.
 */
export interface Connection {
  /** runs a query and returns its rows as JSON-friendly values */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** runs a statement and returns the number of rows it changed, when known */
  execute(sql: string): Promise<number | undefined>;
  /** runs statements in one transaction; rolls back on any error (Redshift runs it again after a serialization conflict) */
  transaction(statements: string[]): Promise<void>;
  /** rolls back the open transaction, if any, even after a cancel; never throws (a session it cannot roll back is not reused) */
  rollback(): Promise<void>;
  /** streams data into a `COPY ... FROM STDIN` statement and returns the rows copied; engines without one leave it out */
  copyFrom?(sql: string, data: AsyncIterable<Buffer>): Promise<number>;
}

/** Who runs: shown to a second run that finds the lock taken. */
export interface RunLockHolder {
  pid: number;
  host: string;
  /** "run", "retry" */
  command: string;
}

/** An open engine: a dialect and a pool of connections. */
export interface Engine {
  readonly dialect: Dialect;
  readonly schema: string;
  /** lends a connection for the duration of fn (one per runner thread) */
  withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
  listRelations(schemas: string[]): Promise<ExistingRelation[]>;
  /**
   * Bulk-loads a source into step.into on connection c, by the engine's bulk path: rows streamed
   * through COPY (src/loaders/copy-stream-load.ts), files the engine reads itself
   * (src/loaders/file-reading-load.ts), or a COPY the server runs (Redshift). onProgress, when
   * given, is told how far it got.
   */
  load(c: Connection, step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult>;
  /**
   * Loads an incremental source's new files with one statement the server runs, in the transaction
   * that commits them (Redshift: the manifest written to S3, `COPY ... MANIFEST`, each file checked
   * against STL_LOAD_COMMITS, then `load.commit()`'s statements). Used when the dialect gives a
   * manifestLocation; engines that load from the client leave it out.
   */
  loadFiles?(c: Connection, load: FilesLoad): Promise<FilesLoadResult>;
  /**
   * Loads an incremental source's new files by reading them all straight into the staging table,
   * in the one transaction that records them in the ledger (DuckDB: read_json over the files, its
   * `filename` column giving each row its file). Engines that load one file at a time leave it out.
   */
  loadLedgerFiles?(c: Connection, load: LedgerFilesLoad, onProgress?: (p: LoadProgress) => void): Promise<FilesLoadResult>;
  /**
   * Takes the target's run lock for as long as the engine stays open, so that two runs never build
   * the same target at once. Throws RunLockedError, naming the holder and since when, if another
   * run has it. Engines whose server has no such lock leave it out.
   */
  lockForRun?(holder: RunLockHolder): Promise<void>;
  /** cancels every in-flight statement on the server */
  cancel(): Promise<void>;
  close(): Promise<void>;
}
