import { ProjectError } from '../errors.js';
import type { CopyOptions, ModelConfig, Relation, SourceTable } from '../types.js';
import type { DatePart, Dialect, EngineType, LoadedFile, Step, UpsertStrategy } from './adapter.js';
import { formatColumnType, parseColumnType } from './column-types.js';
import { CrossDatabaseSql } from './cross-db.js';
import { LOAD_ERRORS_TABLE, truncateRaw, type RecordedRejection } from '../loaders/load-errors.js';
import { defaultSeedType, type InferredColumn, type SeedColumn, type SeedInput } from '../loaders/formats/csv.js';

/** Model, schema and column names are restricted to this pattern before they are quoted; their length to the dialect's limit. */
export const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a name cannot be an identifier on this dialect (too long), or undefined if it can. */
export function identifierTooLong(name: string, dialect: Pick<Dialect, 'maxIdentifierBytes' | 'label'>): string | undefined {
  const max = dialect.maxIdentifierBytes;
  const bytes = Buffer.byteLength(name, 'utf8');
  return max !== undefined && bytes > max ? `is ${bytes} bytes long, over ${dialect.label}'s limit of ${max} bytes for a name` : undefined;
}

/** A seed's delimiter, checked again here because it is spliced into SQL: one character, not a quote or a line break. */
export function seedDelimiter(seed: SeedInput): string {
  const d = seed.config.delimiter || ',';
  if (d.length !== 1 || /["'\\\r\n\0]/.test(d)) throw new ProjectError(`seed ${seed.name}: delimiter ${JSON.stringify(d)} must be one character, not a quote, backslash or line break`, { file: seed.file });
  return d;
}

/** SQL shared by every engine (ANSI, as spoken by PostgreSQL); engines override what differs. */
export abstract class BaseDialect implements Dialect {
  abstract readonly type: EngineType;
  abstract readonly label: string;
  abstract readonly maxIdentifierBytes: number | undefined;
  readonly crossDb: CrossDatabaseSql = new CrossDatabaseSql();

  quoteIdent(name: string): string {
    if (!SAFE_IDENTIFIER.test(name)) {
      throw new ProjectError(`unsafe identifier ${JSON.stringify(name)}`, {
        hint: 'names of models, schemas and columns must match [A-Za-z_][A-Za-z0-9_]*',
      });
    }
    // a longer name would be cut by the server and could name another relation: never send one
    const tooLong = identifierTooLong(name, this);
    if (tooLong) throw new ProjectError(`the name ${name} ${tooLong}`, { hint: 'use a shorter name (an alias, for a model)' });
    return `"${name}"`;
  }

  quoteLiteral(value: string): string {
    if (value.includes('\0')) throw new ProjectError('a NUL character cannot appear in an SQL literal');
    return `'${value.replace(/'/g, "''")}'`;
  }

  quoteName(name: string): string {
    if (name.includes('\0')) throw new ProjectError('a NUL character cannot appear in a name');
    return `"${name.replace(/"/g, '""')}"`;
  }

  findRelation(schema: string, name: string): string {
    return (
      `SELECT table_schema AS schema, table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type\n` +
      `FROM information_schema.tables\n` +
      `WHERE table_catalog = current_database() AND table_schema = ${this.quoteLiteral(schema)} AND table_name = ${this.quoteLiteral(name)}`
    );
  }

  relationColumns(r: Relation): string {
    return (
      `SELECT column_name, data_type, character_maximum_length AS char_size\n` +
      `FROM information_schema.columns\n` +
      `WHERE table_catalog = current_database() AND table_schema = ${this.quoteLiteral(r.schema)} AND table_name = ${this.quoteLiteral(r.name)}\n` +
      `ORDER BY ordinal_position`
    );
  }

  relation(r: Relation): string {
    return `${this.quoteIdent(r.schema)}.${this.quoteIdent(r.name)}`;
  }

  columnType(type: string): string {
    const t = parseColumnType(type);
    if (!t) throw new ProjectError(`unknown column type ${JSON.stringify(type)}`);
    return formatColumnType(t);
  }

  abstract epochMsToTimestamp(expr: string): string;

  datePart(part: DatePart, expr: string): string {
    return `CAST(EXTRACT(${part.toUpperCase()} FROM ${expr}) AS INTEGER)`;
  }

  castText(expr: string): string {
    return `CAST(${expr} AS VARCHAR)`;
  }

  surrogateKey(exprs: string[]): string {
    return `MD5(${exprs.map((e) => `COALESCE(${this.castText(e)}, '')`).join(` || '|' || `)})`;
  }

  snapshotTime(): string {
    // postgres: now() is the start of the transaction
    return `CAST(NOW() AT TIME ZONE 'UTC' AS TIMESTAMP)`;
  }

  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${this.quoteIdent(schema)}`;
  }

  // redshift: BEGIN takes READ ONLY too (AWS docs, BEGIN)
  beginReadOnly(): string {
    return 'BEGIN READ ONLY';
  }

  beginTransaction(): string {
    return 'BEGIN';
  }

  commit(): string {
    return 'COMMIT';
  }

  rollback(): string {
    return 'ROLLBACK';
  }

  setSearchPath(schema: string): string {
    return `SET search_path TO ${this.quoteIdent(schema)}`;
  }

  missingRelation(message: string): string | undefined {
    return /relation "([^"]+)" does not exist/.exec(message)?.[1];
  }

  dropRelation(r: Relation, type: 'table' | 'view'): string {
    return `DROP ${type === 'view' ? 'VIEW' : 'TABLE'} IF EXISTS ${this.relation(r)}`;
  }

  renameRelation(from: Relation, toName: string, type: 'table' | 'view'): string {
    return `ALTER ${type === 'view' ? 'VIEW' : 'TABLE'} ${this.relation(from)} RENAME TO ${this.quoteIdent(toName)}`;
  }

  createTableAs(r: Relation, sql: string, _config: ModelConfig): string {
    return `CREATE TABLE ${this.relation(r)} AS\n${sql.trim()}`;
  }

  createView(r: Relation, sql: string, _config: ModelConfig, replace: boolean): string {
    return `CREATE ${replace ? 'OR REPLACE ' : ''}VIEW ${this.relation(r)} AS\n${sql.trim()}`;
  }

  seedColumnType(c: InferredColumn): string {
    return defaultSeedType(c);
  }

  /** PostgreSQL's COPY in CSV mode, fed the file's bytes: an unquoted empty field is NULL, a quoted one an empty string. */
  seedLoad(into: Relation, columns: SeedColumn[], seed: SeedInput): { sql: string; stdin: boolean } {
    const cols = columns.map((c) => this.quoteIdent(c.name)).join(', ');
    return { sql: `COPY ${this.relation(into)} (${cols}) FROM STDIN (FORMAT csv, HEADER true, DELIMITER ${this.quoteLiteral(seedDelimiter(seed))}, QUOTE '"', ESCAPE '"')`, stdin: true };
  }

  createTable(r: Relation, columns: { name: string; type: string }[]): string {
    const cols = columns.map((c) => `  ${this.quoteIdent(c.name)} ${this.columnType(c.type)}`).join(',\n');
    return `CREATE TABLE ${this.relation(r)} (\n${cols}\n)`;
  }

  countRows(r: Relation): string {
    return `SELECT COUNT(*) AS n FROM ${this.relation(r)}`;
  }

  readonly upsertStrategies: readonly UpsertStrategy[] = ['delete+insert'];

  upsertRows(target: Relation, from: Relation, keys: string[], strategy: UpsertStrategy): string[] {
    if (!this.upsertStrategies.includes(strategy)) throw new ProjectError(`${this.label} has no incremental_strategy '${strategy}'`);
    const on = keys.map((k) => `${this.relation(target)}.${this.quoteIdent(k)} = ${this.quoteIdent(from.name)}.${this.quoteIdent(k)}`).join(' AND ');
    if (strategy === 'merge') return [this.mergeRows(target, from, on)];
    return [`DELETE FROM ${this.relation(target)} USING ${this.relation(from)} WHERE ${on}`, this.appendRows(target, from)];
  }

  /** MERGE of every column, matched on `on`; for the engines that list 'merge' in upsertStrategies */
  protected mergeRows(target: Relation, from: Relation, _on: string): string {
    throw new ProjectError(`${this.label} cannot MERGE ${this.relation(from)} into ${this.relation(target)}`);
  }

  deleteAllRows(r: Relation): string {
    return `DELETE FROM ${this.relation(r)}`;
  }

  sameColumnsCheck(a: Relation, b: Relation): string {
    // a UNION needs as many columns on both sides, of types it can unify
    return `SELECT * FROM ${this.relation(a)} WHERE 1 = 0 UNION ALL SELECT * FROM ${this.relation(b)} WHERE 1 = 0`;
  }

  appendRows(target: Relation, from: Relation): string {
    return `INSERT INTO ${this.relation(target)} SELECT * FROM ${this.relation(from)}`;
  }

  catalogColumns(schemas: string[]): string {
    return (
      `SELECT c.table_schema AS schema, c.table_name AS name, CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type,\n` +
      `  c.column_name AS column_name, c.data_type AS data_type, c.ordinal_position AS ordinal, CAST(NULL AS BIGINT) AS bytes\n` +
      `FROM information_schema.columns AS c\n` +
      `JOIN information_schema.tables AS t ON t.table_catalog = c.table_catalog AND t.table_schema = c.table_schema AND t.table_name = c.table_name\n` +
      `WHERE c.table_catalog = current_database() AND c.table_schema IN (${schemas.map((s) => this.quoteLiteral(s)).join(', ')})\n` +
      `ORDER BY 1, 2, 6`
    );
  }

  abstract loadSource(source: SourceTable, into: Relation, copy: CopyOptions): Step[];

  createLoadErrorsTable(schema: string): string {
    return this.createTable({ schema, name: LOAD_ERRORS_TABLE }, LOAD_ERRORS_COLUMNS).replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ');
  }

  createLedgerTables(schema: string): string[] {
    const ifNotExists = (sql: string) => sql.replace(/^CREATE TABLE /, 'CREATE TABLE IF NOT EXISTS ');
    return [ifNotExists(this.createTable({ schema, name: LEDGER_TABLE }, LEDGER_COLUMNS)), ifNotExists(this.createTable({ schema, name: WATERMARKS_TABLE }, WATERMARK_COLUMNS))];
  }

  /** from the SQL standard's information_schema, in the current database */
  listRelations(schemas: string[]): string {
    return (
      `SELECT table_schema AS schema, table_name AS name, CASE WHEN table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type ` +
      `FROM information_schema.tables WHERE table_catalog = current_database() AND table_schema IN (${schemas.map((s) => this.quoteLiteral(s)).join(', ')}) ORDER BY 1, 2`
    );
  }

  selectLoadedFiles(schema: string, source: string): string {
    const cols = LEDGER_COLUMNS.filter((c) => c.name !== 'source' && c.name !== 'run_id').map((c) => this.quoteIdent(c.name));
    return `SELECT ${cols.join(', ')} FROM ${this.relation({ schema, name: LEDGER_TABLE })} WHERE ${this.quoteIdent('source')} = ${this.quoteLiteral(source)} ORDER BY ${this.quoteIdent('file')}`;
  }

  recordLoadedFiles(schema: string, entries: LoadedFile[]): string[] {
    const ledger = this.relation({ schema, name: LEDGER_TABLE });
    const text = (v: string | undefined) => (v === undefined ? 'NULL' : this.quoteLiteral(v));
    const int = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'NULL' : String(Math.trunc(v)));
    const out: string[] = [];
    for (const [source, files] of groupBySource(entries)) out.push(...this.forgetFiles(schema, source, files));
    const head = `INSERT INTO ${ledger} (${LEDGER_COLUMNS.map((c) => this.quoteIdent(c.name)).join(', ')}) VALUES\n`;
    for (let i = 0; i < entries.length; i += 200) {
      const values = entries.slice(i, i + 200).map(
        (e) =>
          `  (${[text(e.source), text(e.file), int(e.size), text(e.etag), text(e.mtime), text(e.contentHash), int(e.rowsLoaded), int(e.rowsRejected), int(e.loadSeq), text(e.runId), `CAST(${this.quoteLiteral(e.loadedAt.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`].join(', ')})`,
      );
      out.push(head + values.join(',\n'));
    }
    return out;
  }

  forgetFiles(schema: string, source: string, files: string[]): string[] {
    const ledger = this.relation({ schema, name: LEDGER_TABLE });
    const out: string[] = [];
    for (let i = 0; i < files.length; i += 200) {
      out.push(`DELETE FROM ${ledger} WHERE ${this.quoteIdent('source')} = ${this.quoteLiteral(source)} AND ${this.quoteIdent('file')} IN (${files.slice(i, i + 200).map((f) => this.quoteLiteral(f)).join(', ')})`);
    }
    return out;
  }

  forgetLoadedFiles(schema: string, source: string): string[] {
    return [`DELETE FROM ${this.relation({ schema, name: LEDGER_TABLE })} WHERE ${this.quoteIdent('source')} = ${this.quoteLiteral(source)}`, this.invalidateWatermarks(schema, source)];
  }

  invalidateWatermarks(schema: string, source: string): string {
    return `DELETE FROM ${this.relation({ schema, name: WATERMARKS_TABLE })} WHERE ${this.quoteIdent('source')} = ${this.quoteLiteral(source)}`;
  }

  createStagingTable(r: Relation, columns: { name: string; type: string }[]): string {
    return this.createTable(r, [...columns, { name: SOURCE_FILE_COLUMN, type: 'varchar(1024)' }, { name: LOAD_SEQ_COLUMN, type: 'bigint' }]);
  }

  indexStagingTable(_r: Relation, _source: SourceTable): string[] {
    return [];
  }

  afterStagingAppend(_r: Relation): string[] {
    return [];
  }

  appendLoadedRows(into: Relation, tmp: Relation, columns: string[], file: string | undefined, loadSeq: number): string {
    const cols = columns.map((c) => this.quoteIdent(c));
    const fileValue = file === undefined ? `CAST(NULL AS ${this.columnType('varchar(1024)')})` : this.quoteLiteral(file);
    return (
      `INSERT INTO ${this.relation(into)} (${[...cols, this.quoteIdent(SOURCE_FILE_COLUMN), this.quoteIdent(LOAD_SEQ_COLUMN)].join(', ')})\n` +
      `SELECT ${cols.join(', ')}, ${fileValue}, ${Math.trunc(loadSeq)} FROM ${this.relation(tmp)}`
    );
  }

  deleteRowsOfLoad(r: Relation, loadSeq: number): string {
    return `DELETE FROM ${this.relation(r)} WHERE ${this.quoteIdent(LOAD_SEQ_COLUMN)} = ${Math.trunc(loadSeq)}`;
  }

  deleteRowsOfFiles(r: Relation, loadSeq: number, files: string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < files.length; i += 200) {
      const list = files.slice(i, i + 200).map((f) => this.quoteLiteral(f)).join(', ');
      out.push(`${this.deleteRowsOfLoad(r, loadSeq)} AND ${this.quoteIdent(SOURCE_FILE_COLUMN)} IN (${list})`);
    }
    return out;
  }

  countUntaggedRows(r: Relation, loadSeq: number): string {
    return `SELECT COUNT(*) AS n FROM ${this.relation(r)} WHERE ${this.quoteIdent(LOAD_SEQ_COLUMN)} = ${Math.trunc(loadSeq)} AND ${this.quoteIdent(SOURCE_FILE_COLUMN)} IS NULL`;
  }

  rowsOfLoadByFile(r: Relation, loadSeq: number): string {
    const file = this.quoteIdent(SOURCE_FILE_COLUMN);
    return `SELECT ${file} AS file, COUNT(*) AS n FROM ${this.relation(r)} WHERE ${this.quoteIdent(LOAD_SEQ_COLUMN)} = ${Math.trunc(loadSeq)} GROUP BY ${file}`;
  }

  private watermarkOf(schema: string, model: string, source: string): string {
    const q = (s: string) => this.quoteIdent(s);
    return `SELECT MAX(w.${q('load_seq')}) FROM ${this.relation({ schema, name: WATERMARKS_TABLE })} AS w WHERE w.${q('model')} = ${this.quoteLiteral(model)} AND w.${q('source')} = ${this.quoteLiteral(source)}`;
  }

  private lastLoadOf(schema: string, source: string): string {
    const q = (s: string) => this.quoteIdent(s);
    return `SELECT COALESCE(MAX(f.${q('load_seq')}), 0) FROM ${this.relation({ schema, name: LEDGER_TABLE })} AS f WHERE f.${q('source')} = ${this.quoteLiteral(source)}`;
  }

  newlyLoaded(schema: string, model: string, source: string, alias?: string): string {
    const col = `${alias === undefined ? '' : `${this.quoteIdent(alias)}.`}${this.quoteIdent(LOAD_SEQ_COLUMN)}`;
    return `${col} > COALESCE((${this.watermarkOf(schema, model, source)}), 0)`;
  }

  watermarksStale(schema: string, model: string, tracked: string[], changed: string[], alwaysStale: boolean): string {
    if (alwaysStale) return 'SELECT 1 AS stale';
    const conditions = [
      ...tracked.map((s) => `(${this.watermarkOf(schema, model, s)}) IS NULL`),
      ...changed.map((s) => `(${this.watermarkOf(schema, model, s)}) <> (${this.lastLoadOf(schema, s)})`),
    ];
    return `SELECT CASE WHEN ${conditions.length > 0 ? conditions.join('\n  OR ') : '1 = 0'} THEN 1 ELSE 0 END AS stale`;
  }

  recordWatermarks(schema: string, model: string, sources: string[]): string[] {
    const state = this.relation({ schema, name: WATERMARKS_TABLE });
    const q = (s: string) => this.quoteIdent(s);
    return [
      `DELETE FROM ${state} WHERE ${q('model')} = ${this.quoteLiteral(model)}`,
      ...sources.map((s) => `INSERT INTO ${state} (${q('model')}, ${q('source')}, ${q('load_seq')}) SELECT ${this.quoteLiteral(model)}, ${this.quoteLiteral(s)}, (${this.lastLoadOf(schema, s)})`),
    ];
  }

  insertLoadErrors(schema: string, rows: RecordedRejection[]): string[] {
    const text = (v: string | undefined, bytes = 1024) => (v === undefined ? 'NULL' : this.quoteLiteral(truncateRaw(v, bytes)));
    const int = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'NULL' : String(Math.trunc(v)));
    const statements: string[] = [];
    const head = `INSERT INTO ${this.relation({ schema, name: LOAD_ERRORS_TABLE })} (${LOAD_ERRORS_COLUMNS.map((c) => this.quoteIdent(c.name)).join(', ')}) VALUES\n`;
    for (let i = 0; i < rows.length; i += 200) {
      const values = rows.slice(i, i + 200).map(
        (r) =>
          `  (${[text(r.runId, 64), text(r.source, 256), text(r.file), int(r.line), int(r.position), text(r.column, 127), text(r.reason), text(r.raw), `CAST(${this.quoteLiteral(r.recordedAt.replace('T', ' ').replace('Z', ''))} AS TIMESTAMP)`].join(', ')})`,
      );
      statements.push(head + values.join(',\n'));
    }
    return statements;
  }
}

export const LEDGER_TABLE = 'sparkify_loaded_files';

function groupBySource(entries: LoadedFile[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const e of entries) m.set(e.source, [...(m.get(e.source) ?? []), e.file]);
  return m;
}
export const WATERMARKS_TABLE = 'sparkify_incremental_state';
/** the columns an incremental source's staging table has after its declared ones */
export const SOURCE_FILE_COLUMN = '_source_file';
export const LOAD_SEQ_COLUMN = '_load_seq';

/** The columns of the load ledger: one row per file of an incremental source that is loaded. */
export const LEDGER_COLUMNS = [
  { name: 'source', type: 'varchar(256)' },
  { name: 'file', type: 'varchar(1024)' },
  { name: 'size', type: 'bigint' },
  { name: 'etag', type: 'varchar(256)' },
  { name: 'mtime', type: 'varchar(64)' },
  { name: 'content_hash', type: 'varchar(64)' },
  { name: 'rows_loaded', type: 'bigint' },
  { name: 'rows_rejected', type: 'bigint' },
  { name: 'load_seq', type: 'bigint' },
  { name: 'run_id', type: 'varchar(64)' },
  { name: 'loaded_at', type: 'timestamp' },
];

/** The last load of each source that each incremental model has read. */
export const WATERMARK_COLUMNS = [
  { name: 'model', type: 'varchar(256)' },
  { name: 'source', type: 'varchar(256)' },
  { name: 'load_seq', type: 'bigint' },
];

/** The columns of sparkify_load_errors; text is cut to the sizes below, in bytes (Redshift's unit). */
export const LOAD_ERRORS_COLUMNS = [
  { name: 'run_id', type: 'varchar(64)' },
  { name: 'source', type: 'varchar(256)' },
  { name: 'file', type: 'varchar(1024)' },
  { name: 'line', type: 'bigint' },
  { name: 'position', type: 'integer' },
  { name: 'column_name', type: 'varchar(127)' },
  { name: 'reason', type: 'varchar(1024)' },
  { name: 'raw_text', type: 'varchar(1024)' },
  { name: 'recorded_at', type: 'timestamp' },
];
