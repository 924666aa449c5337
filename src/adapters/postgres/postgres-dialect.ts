import { createHash } from 'node:crypto';
import type { DatabaseError } from '../../errors.js';
import type { ColumnSpec, Relation, SourceTable } from '../../types.js';
import type { DatePart, Step } from '../adapter.js';
import { BaseDialect, LOAD_SEQ_COLUMN } from '../base-dialect.js';
import { isTextType, parseColumnType } from '../column-types.js';

const RUN_LOCK_TAG = 'sparkify run lock';

/** PostgreSQL's spelling. Redshift extends it and overrides only what differs. */
export class PostgresDialect extends BaseDialect {
  readonly type: 'postgres' | 'redshift' = 'postgres';
  readonly label: string = 'PostgreSQL';
  // postgres: NAMEDATALEN - 1 = 63 bytes; longer identifiers are truncated with a NOTICE (docs, 4.1.1 Identifiers)
  readonly maxIdentifierBytes: number | undefined = 63;

  /**
   * The collation of loaded text columns. Byte order ("C") sorts and compares like DuckDB, whatever
   * the database's default locale is, so window functions ordered by text pick the same rows.
   */
  protected readonly textCollation: string | undefined = 'C';

  // postgres: `bigint * interval` multiplies in float8, exact only up to 2^53 microseconds (the year 2255); splitting
  // whole days from the milliseconds keeps every timestamp exact.
  epochMsToTimestamp(expr: string): string {
    const ms = `CAST(${expr} AS BIGINT)`;
    return `(TIMESTAMP '1970-01-01 00:00:00' + (${ms} / 86400000) * INTERVAL '1 day' + (${ms} % 86400000) * INTERVAL '1 millisecond')`;
  }

  override datePart(part: DatePart, expr: string): string {
    // postgres: EXTRACT(SECOND) keeps the fraction (47.796) and CAST rounds it; DuckDB returns whole seconds
    if (part === 'second') return `CAST(FLOOR(EXTRACT(SECOND FROM ${expr})) AS INTEGER)`;
    return super.datePart(part, expr);
  }

  // postgres: a view is bound to the table itself, not to its name, so the table swapped aside cannot be
  // dropped while views use it. CASCADE drops them; view models are rebuilt after their parents (as in
  // dbt-postgres, whose table materialization drops the backup with CASCADE).
  override dropRelation(r: Relation, type: 'table' | 'view'): string {
    return `${super.dropRelation(r, type)} CASCADE`;
  }

  override createTable(r: Relation, columns: { name: string; type: string }[]): string {
    const cols = columns.map((c) => `  ${this.quoteIdent(c.name)} ${this.columnType(c.type)}${this.collate(c.type)}`).join(',\n');
    return `CREATE TABLE ${this.relation(r)} (\n${cols}\n)`;
  }

  // postgres: rows are appended to a staging table in load order, so a BRIN index on _load_seq (a summary of each range
  // of 128 heap pages, a few pages in all) lets newly_loaded()'s `_load_seq > watermark` read only the ranges holding
  // the new loads (a bitmap heap scan), where a day of 100,000 events among 3 million was a scan of the whole table in
  // each incremental model. The source's loaded_at_field (staging_events.ts), which follows the load order but for
  // late rows, is summarized by the same index, for conditions such as users' `ts >= <since>`. It costs next to
  // nothing to keep; a btree would index every row.
  override indexStagingTable(r: Relation, source: SourceTable): string[] {
    const columns = [LOAD_SEQ_COLUMN, ...(source.loadedAtField && source.columns.some((c) => c.name === source.loadedAtField) ? [source.loadedAtField] : [])];
    return [`CREATE INDEX IF NOT EXISTS ${this.quoteIdent(this.loadSeqIndexName(r))} ON ${this.relation(r)} USING brin (${columns.map((c) => this.quoteIdent(c)).join(', ')})`];
  }

  // postgres: BRIN summarizes a range when VACUUM or brin_summarize_new_values() reaches it; an unsummarized range
  // matches every condition. The ranges an append filled are summarized in its transaction, so the index never lags
  // behind autovacuum (a range summarized while partly filled is widened by later inserts, so it stays exact).
  override afterStagingAppend(r: Relation): string[] {
    const index = this.relation({ schema: r.schema, name: this.loadSeqIndexName(r) });
    return [`SELECT pg_catalog.brin_summarize_new_values(${this.quoteLiteral(index)}::regclass)`];
  }

  /** the staging table's name + _load_seq_brin; cut, with a hash of the name, where it would pass the identifier limit */
  protected loadSeqIndexName(r: Relation): string {
    const suffix = '_load_seq_brin';
    const max = this.maxIdentifierBytes ?? Infinity;
    if (Buffer.byteLength(r.name, 'utf8') + suffix.length <= max) return r.name + suffix;
    const tail = `${suffix}_${createHash('sha256').update(r.name, 'utf8').digest('hex').slice(0, 8)}`;
    // names are ASCII (SAFE_IDENTIFIER), so a byte is a character
    return r.name.slice(0, Math.max(0, max - tail.length)) + tail;
  }

  // postgres: a new table has no statistics until autovacuum gets to it; without them the planner
  // guesses a few hundred rows and picks nested loops (songplays on 1M events: 435 s, not 4 s)
  analyze(r: Relation): string {
    return `ANALYZE ${this.relation(r)}`;
  }

  loadSource(source: SourceTable, into: Relation): Step[] {
    return [{ kind: 'load', source, into }];
  }

  /** The statement the engine streams rows into, in COPY text format. */
  copyFromStdin(into: Relation, columns: ColumnSpec[]): string {
    return `COPY ${this.relation(into)} (${columns.map((c) => this.quoteIdent(c.name)).join(', ')}) FROM STDIN`;
  }

  /**
   * The COPY row and column a server error names, when it is about one value: CONTEXT is
   * "COPY t, line 5, column ts: "abc"", where line counts rows of the COPY; SQLSTATE classes 22 and
   * 23 are data exceptions and constraint violations (not a cancel, say).
   */
  copyErrorRow(err: DatabaseError): { row: number; column?: string | undefined; reason: string } | undefined {
    const pgErr = (err.cause ?? {}) as { where?: string; code?: string; message?: string };
    const at = /\bline (\d+)(?:, column ([^:]+))?/.exec(pgErr.where ?? '');
    if (!at || !/^2[23]/.test(pgErr.code ?? '')) return undefined;
    return { row: Number(at[1]), column: at[2], reason: String(pgErr.message) };
  }

  /** Tables and views in the given schemas, as ExistingRelation rows. */
  override listRelations(schemas: string[]): string {
    return (
      `SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END AS type\n` +
      `FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace\n` +
      `WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname IN (${schemas.map((s) => this.quoteLiteral(s)).join(', ')})\n` +
      `ORDER BY 1, 2`
    );
  }

  /** the declared types as PostgreSQL spells them (character varying(512)), and each relation's size on disk */
  override catalogColumns(schemas: string[]): string {
    return (
      `SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relkind = 'v' THEN 'view' ELSE 'table' END AS type,\n` +
      `  a.attname AS column_name, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type, a.attnum AS ordinal,\n` +
      `  CASE WHEN c.relkind = 'v' THEN NULL ELSE pg_catalog.pg_total_relation_size(c.oid) END AS bytes\n` +
      `FROM pg_catalog.pg_class AS c\n` +
      `JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace\n` +
      `JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped\n` +
      `WHERE c.relkind IN ('r', 'p', 'v') AND n.nspname IN (${schemas.map((s) => this.quoteLiteral(s)).join(', ')})\n` +
      `ORDER BY 1, 2, 6`
    );
  }

  /** Cancels the statement running in each server process. */
  cancelBackends(pids: number[]): string {
    return `SELECT pg_cancel_backend(pid) FROM unnest(ARRAY[${pids.map((p) => String(Math.trunc(p))).join(', ')}]::integer[]) AS pid`;
  }

  /** Statements run once on every new session, so values come back in the same text forms. */
  sessionSetup(): string[] {
    // postgres: extra_float_digits > 0 prints the shortest text that reads back exactly (v12+); 3 gives
    // 17 digits before that. Timestamps parse from ISO text only.
    // postgres: with standard_conforming_strings off a backslash escapes inside '...', and quoteLiteral() doubles
    // quotes only; the default has been on since 9.1, but a server or database may turn it off.
    // postgres 14+: client_connection_check_interval makes a long query notice that its client died (kill -9)
    // within a second and roll back, instead of holding its locks until it ends.
    return [
      'SET DateStyle = ISO',
      'SET extra_float_digits = 3',
      'SET standard_conforming_strings = on',
      "SELECT CASE WHEN current_setting('server_version_num')::integer >= 140000 THEN set_config('client_connection_check_interval', '1000', false) END",
    ];
  }

  /**
   * A session-level advisory lock per target schema (per database, as advisory locks are): the two
   * int4 keys are the 64 bits of a SHA-256 of the schema name, so distinct schemas do not share a key
   * in practice; the holder's target is checked as well (runLockHolder).
   */
  runLockKeys(schema: string): [number, number] {
    const h = createHash('sha256').update(`sparkify run lock\0${schema}`, 'utf8').digest();
    return [h.readInt32BE(0), h.readInt32BE(4)];
  }

  // postgres: every table and view gets an array type named "_" + its name, cut to 63 bytes, so names that share
  // their first 62 bytes want the same one; makeArrayTypeName() picks another when it sees the first, but two
  // transactions at once do not see each other's and one fails (duplicate key in pg_type_typname_nsp_index).
  // A transaction-level advisory lock on those 62 bytes (keys apart from the run lock's) makes them take turns.
  serializeNaming: ((r: Relation) => string | undefined) | undefined = (r) => {
    const head = Buffer.from(r.name, 'utf8').subarray(0, 62);
    if (head.length < 62) return undefined;
    const h = createHash('sha256').update(`sparkify naming\0${r.schema}\0`, 'utf8').update(head).digest();
    return `SELECT pg_advisory_xact_lock(${h.readInt32BE(0)}, ${h.readInt32BE(4)})`;
  };

  /** Takes the run lock; the statement names the target, so that it shows in pg_stat_activity.query while the lock is held. */
  tryRunLock(schema: string): string {
    const [a, b] = this.runLockKeys(schema);
    return `SELECT pg_try_advisory_lock(${a}, ${b}) AS locked, ${this.quoteLiteral(RUN_LOCK_TAG)} AS lock, ${this.quoteLiteral(schema)} AS target`;
  }

  /**
   * The session holding the run lock: its pid, application_name (who), client address, when it took
   * the lock, and the target it locked (read back from its last statement, tryRunLock()).
   */
  runLockHolder(schema: string): string {
    const [a, b] = this.runLockKeys(schema);
    // postgres: pg_locks shows the two int4 keys as classid and objid (oid, unsigned), with objsubid 2
    const oid = (k: number) => String(k >>> 0);
    return (
      `SELECT a.pid, a.application_name, host(a.client_addr) AS client, to_char(a.query_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS since, a.query\n` +
      `FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid\n` +
      `WHERE l.locktype = 'advisory' AND l.granted AND l.classid = ${oid(a)} AND l.objid = ${oid(b)} AND l.objsubid = 2\n` +
      `  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())`
    );
  }

  /** The target named by a holder's tryRunLock() statement, or undefined if its statement is not one. */
  runLockTarget(query: string): string | undefined {
    const m = /AS locked, '([^']*)' AS lock, '((?:[^']|'')*)' AS target$/.exec(query.trim());
    return m && m[1] === RUN_LOCK_TAG ? m[2]!.replace(/''/g, "'") : undefined;
  }

  private collate(type: string): string {
    const t = parseColumnType(type);
    return this.textCollation && t && isTextType(t) ? ` COLLATE ${this.quoteIdent(this.textCollation)}` : '';
  }
}
