import type { CopyOptions, ModelConfig, Relation, SourceTable } from '../types.js';

export type EngineType = 'duckdb' | 'postgres' | 'redshift';

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
}

export type Step =
  | { kind: 'sql'; sql: string }
  /** statements that must commit together */
  | { kind: 'transaction'; statements: string[] }
  /** a query whose single numeric value is the node's row count */
  | { kind: 'count'; sql: string }
  | LoadStep;

/**
 * A Dialect spells SQL for one engine. It is pure: no I/O, so every statement can be golden-tested.
 * PostgreSQL is the base; engines override only what differs.
 */
export interface Dialect {
  readonly type: EngineType;
  readonly supportsTransactionalDdl: boolean;
  quoteIdent(name: string): string;
  quoteLiteral(value: string): string;
  relation(r: Relation): string;
  /** a canonical column type ("varchar(256)", "bigint") in this engine's spelling */
  columnType(type: string): string;

  // SQL helpers callable from templates; they even out differences between engines.
  epochMsToTimestamp(expr: string): string;
  datePart(part: DatePart, expr: string): string;
  surrogateKey(exprs: string[]): string;
  castText(expr: string): string;

  createSchema(schema: string): string;
  dropRelation(r: Relation, type: 'table' | 'view'): string;
  renameRelation(from: Relation, toName: string, type: 'table' | 'view'): string;
  createTableAs(r: Relation, sql: string, config: ModelConfig): string;
  createView(r: Relation, sql: string, config: ModelConfig, replace: boolean): string;
  createTable(r: Relation, columns: { name: string; type: string }[], config?: Partial<ModelConfig>): string;
  countRows(r: Relation): string;
  /** gathers planner statistics on a freshly built table, for engines that do not do it themselves */
  analyze?(r: Relation): string;
  /** the steps that fill `into` from a source; engines that load from the client return a LoadStep */
  loadSource(source: SourceTable, into: Relation, copy: CopyOptions): Step[];
}

export interface LoadResult {
  rows: number;
  files: number;
  /** lines read (records seen), when the engine reports it */
  records?: number | undefined;
}

/** One database session. Only connections talk to a database. */
export interface Connection {
  /** runs a query and returns its rows as JSON-friendly values */
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** runs a statement and returns the number of rows it changed, when known */
  execute(sql: string): Promise<number | undefined>;
  /** runs statements in one transaction; rolls back on any error */
  transaction(statements: string[]): Promise<void>;
  /** bulk-loads a source into step.into with the engine's own loader */
  load(step: LoadStep): Promise<LoadResult>;
}

/** An open engine: a dialect and a pool of connections. */
export interface Engine {
  readonly dialect: Dialect;
  readonly schema: string;
  /** lends a connection for the duration of fn (one per runner thread) */
  withConnection<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
  listRelations(schemas: string[]): Promise<ExistingRelation[]>;
  /** cancels every in-flight statement on the server */
  cancel(): Promise<void>;
  close(): Promise<void>;
}
