import { ProjectError } from '../errors.js';
import type { CopyOptions, ModelConfig, Relation, SourceTable } from '../types.js';
import type { DatePart, Dialect, EngineType, Step } from './adapter.js';
import { formatColumnType, parseColumnType } from './column-types.js';

/** Model, schema and column names are restricted to this pattern before they are quoted. */
export const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,126}$/;

/** SQL shared by every engine (ANSI, as spoken by PostgreSQL); engines override what differs. */
export abstract class BaseDialect implements Dialect {
  abstract readonly type: EngineType;
  readonly supportsTransactionalDdl: boolean = true;

  quoteIdent(name: string): string {
    if (!SAFE_IDENTIFIER.test(name)) {
      throw new ProjectError(`unsafe identifier ${JSON.stringify(name)}`, {
        hint: 'names of models, schemas and columns must match [A-Za-z_][A-Za-z0-9_]*',
      });
    }
    return `"${name}"`;
  }

  quoteLiteral(value: string): string {
    if (value.includes('\0')) throw new ProjectError('a NUL character cannot appear in an SQL literal');
    return `'${value.replace(/'/g, "''")}'`;
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

  createSchema(schema: string): string {
    return `CREATE SCHEMA IF NOT EXISTS ${this.quoteIdent(schema)}`;
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

  abstract loadSource(source: SourceTable, into: Relation, copy: CopyOptions): Step[];
}
