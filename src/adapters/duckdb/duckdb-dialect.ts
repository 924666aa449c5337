import { LoadError } from '../../errors.js';
import type { ColumnSpec, JsonMapping, Relation, SourceTable } from '../../types.js';
import type { PathStep } from '../../loaders/json-paths.js';
import type { NativeRead } from '../../loaders/formats/source-format.js';
import type { FileReadOptions, FileTag } from '../../loaders/file-reading-load.js';
import type { TypedJsonRead } from '../../loaders/typed-json-read.js';
import { VALUE_PATTERNS } from '../../loaders/json-rows.js';
import { MAX_NESTING } from '../../loaders/inspect-record.js';
import { MAX_RECORD_BYTES } from '../../loaders/load-errors.js';
import type { Step, UpsertStrategy } from '../adapter.js';
import { BaseDialect, LOAD_SEQ_COLUMN, SOURCE_FILE_COLUMN, seedDelimiter } from '../base-dialect.js';
import type { SeedColumn, SeedInput } from '../../loaders/formats/csv.js';
import { DuckDbCrossDatabaseSql } from '../cross-db.js';
import { INTEGER_RANGES, parseColumnType } from '../column-types.js';

export class DuckDbDialect extends BaseDialect {
  override readonly upsertStrategies: readonly UpsertStrategy[] = ['delete+insert', 'merge'];

  // duckdb: MERGE without a SET list updates every column by name, and INSERT without one inserts them all (DuckDB 1.4, MERGE INTO)
  protected override mergeRows(target: Relation, from: Relation, on: string): string {
    return `MERGE INTO ${this.relation(target)} USING ${this.relation(from)} ON (${on})\nWHEN MATCHED THEN UPDATE\nWHEN NOT MATCHED THEN INSERT`;
  }

  override beginReadOnly(): string {
    return 'BEGIN TRANSACTION READ ONLY';
  }

  // duckdb: the default schema for unqualified names is the `schema` setting (DuckDB docs, Configuration)
  override setSearchPath(schema: string): string {
    return `SET schema = ${this.quoteLiteral(schema)}`;
  }

  override missingRelation(message: string): string | undefined {
    return /Table with name ("[^"]+"|\S+?) does not exist/.exec(message)?.[1]?.replace(/^"|"$/g, '');
  }

  readonly type: string = 'duckdb';
  override readonly crossDb = new DuckDbCrossDatabaseSql();
  readonly label: string = 'DuckDB';
  // duckdb: no documented limit on the length of an identifier
  readonly maxIdentifierBytes = undefined;

  override columnType(type: string): string {
    const t = parseColumnType(type);
    // duckdb: VARCHAR(n) is accepted but never enforced; loads enforce lengths themselves
    if (t?.base === 'varchar' || t?.base === 'text') return 'VARCHAR';
    return super.columnType(type).toUpperCase();
  }

  override snapshotTime(): string {
    // duckdb: current_timestamp is the start of the transaction, a TIMESTAMPTZ; timezone() makes it UTC
    return `timezone('UTC', current_timestamp)`;
  }

  epochMsToTimestamp(expr: string): string {
    return `EPOCH_MS(CAST(${expr} AS BIGINT))`;
  }

  loadSource(source: SourceTable, into: Relation): Step[] {
    return [{ kind: 'load', source, into }];
  }

  /**
   * DuckDB's CSV reader with every option explicit (no sniffing): the header line skipped, the
   * column types given, an unquoted empty field NULL and a quoted one an empty string (as
   * PostgreSQL's COPY CSV), and strict mode, so a row that does not fit is an error, not a guess.
   */
  override seedLoad(into: Relation, columns: SeedColumn[], seed: SeedInput): { sql: string; stdin: boolean } {
    const types = columns.map((c) => `${this.quoteLiteral(c.name)}: ${this.quoteLiteral(this.columnType(c.type))}`).join(', ');
    return {
      sql:
        `INSERT INTO ${this.relation(into)}\n` +
        `SELECT * FROM read_csv([${this.quoteLiteral(seed.file)}], header = true, delim = ${this.quoteLiteral(seedDelimiter(seed))}, quote = '"', escape = '"', ` +
        `auto_detect = false, strict_mode = true, allow_quoted_nulls = false, null_padding = false, columns = {${types}})`,
      stdin: false,
    };
  }

  /**
   * The statement that loads the given files into `into` with DuckDB's own JSON reader. Each record
   * is read as JSON and every column extracted with Redshift COPY's mapping, then converted
   * strictly: a record or value that the JS row mapper (src/loaders/json-rows.ts) would reject
   * raises an error instead, so nothing is silently lost and every engine loads the same rows.
   */
  loadStatement(source: SourceTable, into: Relation, files: string[], mapping: JsonMapping, paths?: PathStep[][], opts: DuckDbLoadOptions = {}): string {
    return `CREATE TABLE ${this.relation(into)} AS\n${this.selectFromJsonFiles(source, files, mapping, paths, opts)}`;
  }

  /** Appends the rows of files, read by DuckDB in the source's format, to `into` (the file-reading load's fast path). */
  insertFromFiles(into: Relation, source: SourceTable, files: string[], read: NativeRead, opts: DuckDbLoadOptions = {}): string {
    if (read.format !== 'json') throw new LoadError(`DuckDB cannot read ${String(read.format)} files yet`, { file: source.file, line: source.line });
    return `${this.insertInto(into, source, opts.tag)}\n${this.selectFromJsonFiles(source, files, read.mapping, read.paths, opts)}`;
  }

  /** INSERT INTO the table, naming its columns when the rows are tagged with their file and load (a staging table). */
  private insertInto(into: Relation, source: SourceTable, tag: FileTag | undefined): string {
    if (!tag) return `INSERT INTO ${this.relation(into)}`;
    const cols = [...source.columns.map((c) => c.name), SOURCE_FILE_COLUMN, LOAD_SEQ_COLUMN].map((c) => this.quoteIdent(c));
    return `INSERT INTO ${this.relation(into)} (${cols.join(', ')})`;
  }

  /**
   * The select-list entries that tag each row with its file and load: duckdb: the readers' `filename`
   * option names the column that holds each row's file, as the path given to the reader, which
   * `tag.uris` maps to the file's URI where they differ (a staged copy of an S3 object).
   */
  private tagColumns(tag: FileTag | undefined, fileColumn: string): string[] {
    if (!tag) return [];
    const f = this.quoteIdent(fileColumn);
    const uri = tag.uris.size === 0 ? f : `CASE ${f} ${[...tag.uris].map(([p, u]) => `WHEN ${this.quoteLiteral(p)} THEN ${this.quoteLiteral(u)}`).join(' ')} ELSE ${f} END`;
    return [`  ${uri} AS ${this.quoteIdent(SOURCE_FILE_COLUMN)}`, `  ${Math.trunc(tag.loadSeq)} AS ${this.quoteIdent(LOAD_SEQ_COLUMN)}`];
  }

  /**
   * The typed read (the file-reading load's fast path): DuckDB's read_json with explicit column
   * types, as a user would write it by hand, numbers read straight into their columns and every
   * other value read as text and converted as the strict path converts it. Only for lines
   * fitsTypedRead() vouches for (src/loaders/typed-json-read.ts); a line DuckDB refuses fails it.
   */
  insertFromFilesTyped(into: Relation, source: SourceTable, files: string[], typed: TypedJsonRead, tag?: FileTag): string {
    const key = (i: number) => typed.keys[i]!;
    // the column of each row's file, named apart from every key read
    let fileColumn = '_sparkify_file';
    while (typed.keys.some((k) => k.toLowerCase() === fileColumn)) fileColumn += '_';
    const columns = source.columns.map((c, i) => `${this.quoteLiteral(key(i))}: ${this.quoteLiteral(typed.reads[i] === 'number' ? this.columnType(c.type) : 'VARCHAR')}`);
    const cols = source.columns.map((c, i) => {
      const v = this.quoteIdent(key(i));
      return `  ${typed.reads[i] === 'number' ? v : this.convertValue(c, v)} AS ${this.quoteIdent(c.name)}`;
    });
    const fileList = `[${files.map((f) => this.quoteLiteral(f)).join(', ')}]`;
    return (
      `${this.insertInto(into, source, tag)}\nSELECT\n${[...cols, ...this.tagColumns(tag, fileColumn)].join(',\n')}\n` +
      `FROM read_json(${fileList}, format = 'newline_delimited', compression = 'uncompressed', maximum_object_size = ${MAX_RECORD_BYTES + 1}, ` +
      `columns = {${columns.join(', ')}}${tag ? `, filename = ${this.quoteLiteral(fileColumn)}` : ''})`
    );
  }

  /** An interrupted statement (a cancelled run): the load stops instead of reading the files itself. */
  isInterrupt(err: unknown): boolean {
    return /INTERRUPT/i.test(err instanceof Error ? err.message : String(err));
  }

  /** The newline-delimited reader met a value that spans lines: the files need the unstructured reader. */
  needsUnstructuredRead(err: unknown): boolean {
    return /Malformed JSON/i.test(err instanceof Error ? err.message : String(err));
  }

  // duckdb: BEGIN TRANSACTION (DuckDB docs, Transaction Management)
  override beginTransaction(): string {
    return 'BEGIN TRANSACTION';
  }

  private selectFromJsonFiles(source: SourceTable, files: string[], mapping: JsonMapping, paths: PathStep[][] | undefined, opts: DuckDbLoadOptions): string {
    // extract each value once (inner query), then convert it (outer query); with fixed paths, one call
    // extracts them all, parsing the record once instead of once per column
    const fixed = mapping.kind !== 'auto_ignorecase';
    // read_json_objects gives one column, json, so the file's column cannot clash with it
    const fileColumn = '_sparkify_file';
    const file = opts.tag ? `, ${this.quoteIdent(fileColumn)}` : '';
    const raw = [
      ...(fixed
        ? source.columns.map((c, i) => `    v[${i + 1}] AS ${this.quoteIdent(c.name)}`)
        : source.columns.map((c, i) => `    ${this.extract(c, i, mapping, paths)} AS ${this.quoteIdent(c.name)}`)),
      ...(opts.tag ? [`    ${this.quoteIdent(fileColumn)}`] : []),
    ];
    const cols = [
      ...source.columns.map((c) => `  ${this.convertValue(c, this.quoteIdent(c.name), opts.checked)} AS ${this.quoteIdent(c.name)}`),
      ...this.tagColumns(opts.tag, fileColumn),
    ];
    const fileList = `[${files.map((f) => this.quoteLiteral(f)).join(', ')}]`;
    const checks = this.recordChecks(source, mapping, paths, opts.checked);
    const record = `CASE WHEN ${checks.join(' AND ')} THEN json ELSE error('record: not a JSON object, or larger than 4 MB, or one sparkify reads itself') END`;
    // duckdb: format 'auto' would read a file holding one JSON array as one record per element, so the format is explicit
    const reader =
      `read_json_objects(${fileList}, format = '${opts.format ?? 'newline_delimited'}', ` +
      `compression = '${opts.compression === 'gzip' ? 'gzip' : opts.compression === 'zstd' ? 'zstd' : 'auto_detect'}', maximum_object_size = ${MAX_RECORD_BYTES + 1}` +
      `${opts.tag ? `, filename = ${this.quoteLiteral(fileColumn)}` : ''})`;
    const records = `(SELECT ${record} AS json${file} FROM ${reader}) AS r`;
    const from = fixed
      ? `(SELECT json_extract_string(json, [${source.columns.map((c, i) => this.quoteLiteral(duckdbPath(this.pathOf(c, i, mapping, paths)))).join(', ')}]) AS v${file} FROM ${records}) AS e`
      : records;
    return `SELECT\n${cols.join(',\n')}\nFROM (\n  SELECT\n${raw.join(',\n')}\n  FROM ${from}\n) AS records`;
  }

  /**
   * What a record must pass to load as DuckDB reads it. Beyond its kind and size, a record that
   * DuckDB's reader cannot judge as the JS row mapper does fails here, and the load falls back to
   * the mapper (which decides, line by line): a number that may underflow a double (DuckDB reads
   * 1e-400 as 0). Records the mapper already checked (`checked`) skip this.
   */
  private recordChecks(source: SourceTable, mapping: JsonMapping, paths: PathStep[][] | undefined, checked: boolean | undefined): string[] {
    // redshift: a record is an object, or, when every expression of a JSONPaths file indexes an array ($[0]), an array
    const kinds =
      mapping.kind !== 'jsonpaths'
        ? ['OBJECT']
        : [...(paths ?? []).every((p) => typeof p[0] === 'string') ? ['OBJECT'] : [], ...((paths ?? []).every((p) => typeof p[0] === 'number') ? ['ARRAY'] : [])];
    const checks = [kinds.length === 0 ? 'false' : `json_type(json) IN (${kinds.map((k) => `'${k}'`).join(', ')})`, `strlen(json) <= ${MAX_RECORD_BYTES}`];
    if (checked) return checks;
    if (source.columns.some((c) => ['double precision', 'real'].includes(parseColumnType(c.type)?.base ?? ''))) {
      // an exponent of -300 or less, or 300 zeros after the point: perhaps below the smallest double
      checks.push(`NOT regexp_matches(json, '[eE]-0*([3-9][0-9]{2}|[1-9][0-9]{3,})|[.]0{300}')`);
    }
    return checks;
  }

  /** The path a column is read from, for 'auto' (its name) or a JSONPaths file. */
  private pathOf(c: ColumnSpec, i: number, mapping: JsonMapping, paths?: PathStep[][]): PathStep[] {
    if (mapping.kind !== 'jsonpaths') return [c.name];
    const steps = paths?.[i];
    if (!steps) throw new LoadError(`no JSONPath for column ${c.name}`);
    return steps;
  }

  private extract(c: ColumnSpec, i: number, mapping: JsonMapping, paths?: PathStep[][]): string {
    if (mapping.kind === 'jsonpaths') {
      const steps = paths?.[i];
      if (!steps) throw new LoadError(`no JSONPath for column ${c.name}`);
      return `json_extract_string(json, ${this.quoteLiteral(duckdbPath(steps))})`;
    }
    if (mapping.kind === 'auto') return `json_extract_string(json, ${this.quoteLiteral(duckdbPath([c.name]))})`;
    // redshift 'auto ignorecase': the first key that equals the column name ignoring case
    const key = `list_filter(json_keys(json), k -> lower(k) = ${this.quoteLiteral(c.name.toLowerCase())})[1]`;
    return `json_extract_string(json, '$."' || ${key} || '"')`;
  }

  /** Converts the text of one value exactly as checkValue() in src/loaders/json-rows.ts accepts it, or raises an error. */
  convertValue(c: ColumnSpec, v: string, checked = false): string {
    const t = parseColumnType(c.type);
    if (!t) throw new LoadError(`unknown column type ${c.type}`);
    const fail = (what: string) => `error(${this.quoteLiteral(`${c.name}: ${what}`)})`;
    const matches = (pattern: string, flags = '') => `regexp_full_match(${v}, ${this.quoteLiteral(pattern)}${flags ? `, '${flags}'` : ''})`;
    const strict = (ok: string, type: string, what: string) => `CAST(CASE WHEN ${v} IS NULL THEN NULL WHEN ${ok} THEN ${v} ELSE ${fail(what)} END AS ${type})`;
    switch (t.base) {
      case 'text':
      case 'varchar': {
        // postgres and redshift cannot store NUL, so no engine loads it
        const tooLong = t.base === 'varchar' && t.length !== undefined ? `strlen(${v}) > ${t.length} OR ` : '';
        // an array or object with more brackets than a value may nest: perhaps too deep, which the JS mapper decides
        const deep = checked
          ? ''
          : `((${v} ^@ '[' OR ${v} ^@ '{') AND strlen(${v}) - strlen(replace(replace(${v}, '[', ''), '{', '')) > ${MAX_NESTING}) OR `;
        return `CASE WHEN ${tooLong}${deep}contains(${v}, chr(0)) THEN ${fail(`value longer than ${t.length ?? 0} bytes, nested too deep, or holding a NUL`)} ELSE ${v} END`;
      }
      case 'smallint':
      case 'integer':
      case 'bigint': {
        const [lo, hi] = INTEGER_RANGES[t.base];
        return strict(`${matches(VALUE_PATTERNS.integer)} AND TRY_CAST(${v} AS HUGEINT) BETWEEN ${lo} AND ${hi}`, t.base.toUpperCase(), `invalid ${t.base}`);
      }
      case 'double precision':
      case 'real': {
        const type = t.base === 'real' ? 'REAL' : 'DOUBLE';
        const n = `TRY_CAST(${v} AS ${type})`;
        // duckdb: the cast also takes NaN, inf, blanks around the number and '_' between digits, which JSON numbers
        // never hold; checking for those is several times cheaper than matching the pattern on every value.
        // postgres: overflow and underflow to zero are errors, not infinity or 0
        return strict(`isfinite(${n}) AND NOT contains(${v}, ' ') AND NOT contains(${v}, '_') AND (${n} <> 0 OR ${matches(VALUE_PATTERNS.zero)})`, type, `invalid ${t.base}`);
      }
      case 'numeric': {
        const type = this.columnType(c.type);
        return strict(`${matches(VALUE_PATTERNS.numeric)} AND TRY_CAST(${v} AS ${type}) IS NOT NULL`, type, 'invalid numeric');
      }
      case 'boolean':
        return strict(matches(VALUE_PATTERNS.boolean, 'i'), 'BOOLEAN', 'invalid boolean');
      case 'timestamp':
      case 'date': {
        const type = t.base === 'date' ? 'DATE' : 'TIMESTAMP';
        return strict(`${matches(VALUE_PATTERNS[t.base])} AND TRY_CAST(${v} AS ${type}) IS NOT NULL`, type, `invalid ${t.base}`);
      }
    }
  }
}

export type DuckDbLoadOptions = FileReadOptions;

/** A JSONPaths expression in DuckDB's JSON path syntax: $."key"[0]. */
export function duckdbPath(steps: PathStep[]): string {
  return (
    '$' +
    steps
      .map((s) => {
        if (typeof s === 'number') return `[${s}]`;
        if (s.includes('"')) throw new LoadError(`JSON keys containing '"' are not supported: ${s}`);
        return `."${s}"`;
      })
      .join('')
  );
}
