import { ProjectError } from '../errors.js';
import type { CopyOptions, ModelConfig, Relation, SourceTable } from '../types.js';
import type { DatePart, Dialect, EngineType, Step, UpsertStrategy } from './adapter.js';
import { formatColumnType, parseColumnType } from './column-types.js';
import { CrossDatabaseSql } from './cross-db.js';
import { LOAD_ERRORS_TABLE, truncateRaw, type RecordedRejection } from '../loaders/load-errors.js';

/** Model, schema and column names are restricted to this pattern before they are quoted; their length to the dialect's limit. */
export const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a name cannot be an identifier on this dialect (too long), or undefined if it can. */
export function identifierTooLong(name: string, dialect: Pick<Dialect, 'maxIdentifierBytes' | 'label'>): string | undefined {
  const max = dialect.maxIdentifierBytes;
  const bytes = Buffer.byteLength(name, 'utf8');
  return max !== undefined && bytes > max ? `is ${bytes} bytes long, over ${dialect.label}'s limit of ${max} bytes for a name` : undefined;
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
