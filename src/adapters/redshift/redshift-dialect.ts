import { RedshiftCrossDatabaseSql } from '../cross-db.js';
import { ConfigError, ProjectError } from '../../errors.js';
import type { ColumnSpec, CopyOptions, ModelConfig, Relation, SourceTable } from '../../types.js';
import { isS3Uri, parseS3Uri, s3PrefixUri } from '../../loaders/s3-uri.js';
import type { DatePart, LoadStep, Step, UpsertStrategy } from '../adapter.js';
import { PostgresDialect } from '../postgres/postgres-dialect.js';
import { seedDelimiter } from '../base-dialect.js';
import type { InferredColumn, SeedColumn, SeedInput } from '../../loaders/formats/csv.js';

export interface RedshiftDialectOptions {
  /** [IAM_ROLE] ARN: the role the cluster assumes to read S3 */
  iamRole?: string | undefined;
  /** the region of the S3 bucket ([S3] REGION, then [CLUSTER] REGION) */
  region?: string | undefined;
  /** [S3] SEED_DATA: the s3:// prefix the seed files are uploaded to (each at its path under the seed path) */
  seedData?: string | undefined;
  /** [S3] MANIFEST_PREFIX: incremental loads write a manifest of their new files there and load them with one COPY */
  manifestPrefix?: string | undefined;
  /** per-statement limit set on every session, in milliseconds (0 turns it off) */
  statementTimeoutMs?: number | undefined;
}

/** Two hours: far beyond any statement of a healthy run, short enough to free a hung session. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 2 * 60 * 60 * 1000;

// The same patterns as the config's; checked again here because these values are spliced into SQL
const IAM_ROLE = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const TIMEFORMAT = /^(auto|epochsecs|epochmillisecs|[A-Za-z0-9 :./-]{1,40})$/;
// redshift: ACCEPTINVCHARS takes "any ASCII character except NULL" (AWS docs, Data conversion parameters);
// the quote and the backslash are left out so the literal never needs escaping
const REPLACEMENT_CHAR = /^[\x20-\x26\x28-\x5b\x5d-\x7e]$/;
// redshift: an interleaved sort key has at most 8 columns (AWS docs, CREATE TABLE)
const MAX_INTERLEAVED_SORT_COLUMNS = 8;

/**
 * Amazon Redshift's spelling. Redshift speaks PostgreSQL 8.0's dialect with its own DDL and COPY,
 * so this overrides only what differs: dist and sort keys, COPY from S3 with an IAM role,
 * late-binding views, lower-case identifiers, helpers that PostgreSQL spells differently, and
 * literals that never rely on backslash handling.
 */
export class RedshiftDialect extends PostgresDialect {
  override readonly type = 'redshift' as const;
  override readonly crossDb = new RedshiftCrossDatabaseSql();
  override readonly label = 'Redshift';
  // redshift: standard and delimited identifiers are 1 to 127 bytes long (AWS docs, Names and identifiers)
  override readonly maxIdentifierBytes = 127;

  // redshift: no indexes; each block's zone map (min and max of every column) already lets `_load_seq > watermark` skip
  // the blocks of earlier loads
  override indexStagingTable(_r: Relation, _source: SourceTable): string[] {
    return [];
  }

  override afterStagingAppend(_r: Relation): string[] {
    return [];
  }
  // redshift: no advisory locks, and tables get no array types to collide
  override serializeNaming = undefined;
  readonly foldsIdentifierCase = true;
  // redshift: no COLLATE "C" in column definitions; text compares by bytes already
  protected override readonly textCollation: string | undefined = undefined;

  constructor(private readonly options: RedshiftDialectOptions = {}) {
    super();
  }

  // redshift: identifiers fold to lower case, quoted or not, unless enable_case_sensitive_identifier
  // is on (AWS docs, Names and identifiers); emit them lower-case so the SQL reads as it runs
  override readonly upsertStrategies: readonly UpsertStrategy[] = ['merge', 'delete+insert'];

  // redshift: REMOVE DUPLICATES is MERGE's simplified mode: matched rows are updated, the others inserted, for
  // tables of the same columns in the same order, which tmp has, being built from the same query (AWS docs, MERGE)
  protected override mergeRows(target: Relation, from: Relation, on: string): string {
    return `MERGE INTO ${this.relation(target)} USING ${this.relation(from)} ON ${on} REMOVE DUPLICATES`;
  }

  override quoteIdent(name: string): string {
    return super.quoteIdent(name.toLowerCase());
  }

  // redshift: a backslash in a string literal is an escape character (its docs write one backslash
  // as '\\\\', e.g. LIKE's default ESCAPE), as in PostgreSQL 8.0 before standard_conforming_strings.
  // Doubling it and the quote keeps the literal closed whichever way a server reads backslashes;
  // values from the config never contain one (their patterns forbid it)
  override quoteLiteral(value: string): string {
    return super.quoteLiteral(value.replace(/\\/g, '\\\\'));
  }

  // redshift: DATEADD takes an INTEGER count (AWS docs, DATEADD function); whole days, then the
  // milliseconds of the day, keep both counts in range for any date and the result exact to the ms
  override snapshotTime(): string {
    // redshift: SYSDATE is the start of the transaction, in UTC (AWS docs, SYSDATE)
    return 'SYSDATE';
  }

  override epochMsToTimestamp(expr: string): string {
    const ms = `CAST(${expr} AS BIGINT)`;
    return `DATEADD(ms, CAST(${ms} % 86400000 AS INTEGER), DATEADD(day, CAST(${ms} / 86400000 AS INTEGER), TIMESTAMP '1970-01-01 00:00:00'))`;
  }

  override datePart(part: DatePart, expr: string): string {
    // redshift: the week date part is not documented as ISO 8601 and there is no isodow date part;
    // the datetime format strings IW (ISO week) and ID (ISO day of week, Monday 1 to Sunday 7) are
    // (AWS docs, "Date parts for date or timestamp functions" and "Datetime format strings")
    if (part === 'week') return `CAST(TO_CHAR(${expr}, 'IW') AS INTEGER)`;
    if (part === 'isodow') return `CAST(TO_CHAR(${expr}, 'ID') AS INTEGER)`;
    // dow is 0-6 from Sunday, as on PostgreSQL and DuckDB (same docs)
    return super.datePart(part, expr);
  }

  // redshift: VARCHAR without a length is VARCHAR(256) (AWS docs, Character types); MAX is 65535 bytes
  /**
   * redshift: SVV_COLUMNS also lists the columns of late-binding views, which pg_attribute does not;
   * SVV_TABLE_INFO.size counts 1 MB blocks (AWS docs, SVV_COLUMNS and SVV_TABLE_INFO)
   */
  override catalogColumns(schemas: string[]): string {
    return (
      `SELECT c.table_schema AS schema, c.table_name AS name, CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END AS type,\n` +
      `  c.column_name AS column_name, c.data_type AS data_type, c.ordinal_position AS ordinal, CAST(i.size AS BIGINT) * 1048576 AS bytes\n` +
      `FROM svv_columns AS c\n` +
      `LEFT JOIN svv_tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name\n` +
      `LEFT JOIN svv_table_info AS i ON i."schema" = c.table_schema AND i."table" = c.table_name\n` +
      `WHERE c.table_schema IN (${schemas.map((s) => this.quoteLiteral(s)).join(', ')})\n` +
      `ORDER BY 1, 2, 6`
    );
  }

  /**
   * redshift: VARCHAR(MAX) is not PostgreSQL, and the date part DATEADD(ms, ...) takes is a bare
   * word that PostgreSQL's parser reads as a column; the lineage parser gets a type and a literal there
   */
  sqlForLineageParser(sql: string): string {
    return sql.replace(/\bVARCHAR\s*\(\s*MAX\s*\)/gi, 'VARCHAR').replace(/\b(DATEADD|DATEDIFF|DATE_ADD|DATE_DIFF)\s*\(\s*([A-Za-z_]+)\s*,/gi, "$1('$2',");
  }

  override castText(expr: string): string {
    return `CAST(${expr} AS VARCHAR(MAX))`;
  }

  /** DISTSTYLE / DISTKEY / SORTKEY for a model's config; empty when unset, which leaves them to AUTO. */
  tableAttributes(config: Partial<ModelConfig> = {}): string[] {
    const attrs: string[] = [];
    const dist = config.dist;
    if (dist !== undefined) {
      const style = dist.toLowerCase();
      if (style === 'all' || style === 'even' || style === 'auto') attrs.push(`DISTSTYLE ${style.toUpperCase()}`);
      else attrs.push('DISTSTYLE KEY', `DISTKEY (${this.quoteIdent(dist)})`);
    }
    const sort = config.sort ?? [];
    if (sort.length > 0) {
      const cols = sort.map((c) => this.quoteIdent(c)).join(', ');
      if (config.sort_type === 'interleaved') {
        if (sort.length > MAX_INTERLEAVED_SORT_COLUMNS) {
          throw new ProjectError(`an interleaved sort key takes at most ${MAX_INTERLEAVED_SORT_COLUMNS} columns, got ${sort.length}`, {
            hint: "use sort_type='compound' or fewer columns",
          });
        }
        attrs.push(`INTERLEAVED SORTKEY (${cols})`);
      } else attrs.push(`${config.sort_type === 'compound' ? 'COMPOUND ' : ''}SORTKEY (${cols})`);
    } else if (config.sort_type !== undefined) {
      throw new ProjectError(`sort_type='${config.sort_type}' needs sort=[...] columns`);
    }
    return attrs;
  }

  // redshift: the table attributes go between the name and AS (AWS docs, CREATE TABLE AS)
  override createTableAs(r: Relation, sql: string, config: ModelConfig): string {
    const attrs = this.tableAttributes(config);
    return `CREATE TABLE ${this.relation(r)}${attrs.map((a) => `\n${a}`).join('')}\nAS\n${sql.trim()}`;
  }

  // redshift: after the column list (AWS docs, CREATE TABLE)
  override createTable(r: Relation, columns: { name: string; type: string }[], config?: Partial<ModelConfig>): string {
    const attrs = this.tableAttributes(config);
    return `${super.createTable(r, columns)}${attrs.map((a) => `\n${a}`).join('')}`;
  }

  /**
   * Views are late-binding unless `bind=true`: a late-binding view is not tied to the tables it
   * reads, so swapping a table in never needs CASCADE and never drops the view (AWS docs,
   * CREATE VIEW, "WITH NO SCHEMA BINDING"; every reference must name its schema, as ref() does).
   */
  override createView(r: Relation, sql: string, config: ModelConfig, replace: boolean): string {
    const view = super.createView(r, sql, config, replace);
    return config.bind === true ? view : `${view}\nWITH NO SCHEMA BINDING`;
  }

  /**
   * Redshift loads inside the cluster: create the tmp table, then a load step that the Redshift
   * connection runs as one COPY from S3 (loadStatements() spells it), so that lines skipped under
   * max_errors come back from STL_LOAD_ERRORS like any engine's rejected lines. The COPY is built
   * here once too, so that a bad value fails the plan before anything runs.
   */
  override loadSource(source: SourceTable, into: Relation, copy: CopyOptions | undefined = source.copy): Step[] {
    if (!copy) throw new ProjectError(`source ${source.id} has no COPY options`, { file: source.file, line: source.line });
    this.copyFromS3(source, into, copy);
    return [
      { kind: 'sql', sql: this.createTable(into, source.columns) },
      { kind: 'load', source, into },
    ];
  }

  // dbt-redshift: numbers with decimals are numeric(18, <most decimals>), text varchar(<longest value in bytes>, 64 when none)
  override seedColumnType(c: InferredColumn): string {
    if (c.kind === 'number') return `numeric(18,${Math.min(c.scale, 18)})`;
    if (c.kind === 'text') return `varchar(${Math.min(Math.max(c.maxBytes, 1), 65535) || 64})`;
    return super.seedColumnType(c);
  }

  /**
   * Redshift reads the seed from S3 (it cannot be streamed to it): the file uploaded under
   * [S3] SEED_DATA at its path under the seed path, read by COPY ... CSV (AWS docs, COPY: CSV,
   * IGNOREHEADER, DELIMITER). An unquoted empty field of a non-text column is NULL.
   */
  override seedLoad(into: Relation, columns: SeedColumn[], seed: SeedInput): { sql: string; stdin: boolean } {
    const where = { file: seed.file, line: 1, node: seed.name };
    const prefix = this.options.seedData;
    if (!prefix || !isS3Uri(prefix)) {
      throw new ConfigError(`Redshift loads seed ${seed.name} with COPY from S3, and no seed location is set`, {
        ...where,
        hint: 'upload the seeds (aws s3 sync seeds/ s3://<bucket>/<prefix>/) and set [S3] SEED_DATA=s3://<bucket>/<prefix> in dwh.cfg',
      });
    }
    if (!/^[A-Za-z0-9_./-]+$/.test(seed.key)) throw new ConfigError(`seed ${seed.name}: its path ${JSON.stringify(seed.key)} cannot be an S3 key in a COPY`, where);
    const uri = `${prefix.replace(/\/+$/, '')}/${seed.key}`;
    this.checked(uri, (v) => parseS3Uri(v) !== undefined, 'S3 location', where);
    const role = this.options.iamRole;
    if (!role) throw new ConfigError('Redshift COPY needs an IAM role that can read the bucket', { ...where, hint: 'set [IAM_ROLE] ARN=arn:aws:iam::<account id>:role/<name> in dwh.cfg' });
    const region = this.options.region ?? 'us-west-2';
    const lines = [
      `COPY ${this.relation(into)} (${columns.map((c) => this.quoteIdent(c.name)).join(', ')})`,
      `FROM ${this.quoteLiteral(uri)}`,
      `IAM_ROLE ${this.quoteLiteral(this.checked(role, (v) => IAM_ROLE.test(v), 'IAM role ARN', where))}`,
      `CSV DELIMITER ${this.quoteLiteral(seedDelimiter(seed))}`,
      'IGNOREHEADER 1',
      "DATEFORMAT 'YYYY-MM-DD'",
      "TIMEFORMAT 'auto'",
      `REGION ${this.quoteLiteral(this.checked(region, (v) => REGION.test(v), 'region', where))}`,
      'MAXERROR 0',
    ];
    return { sql: lines.join('\n'), stdin: false };
  }

  /** The statements a load step sends: the COPY. */
  loadStatements(step: LoadStep): string[] {
    const copy = step.source.copy;
    if (!copy) throw new ProjectError(`source ${step.source.id} has no COPY options`, { file: step.source.file, line: step.source.line });
    return [this.copyFromS3(step.source, step.into, copy)];
  }

  /**
   * `COPY ... FROM 's3://...' IAM_ROLE '...' FORMAT AS JSON ...` with the source's options (AWS
   * docs, COPY: data source, authorization, data format, file compression, data conversion and
   * data load parameters). Every value is checked against a strict pattern before it is quoted.
   */
  copyFromS3(source: SourceTable, into: Relation, copy: CopyOptions): string {
    const where = { file: source.file, line: source.line, node: `${source.sourceName}.${source.name}` };
    if ((copy.format ?? 'json') !== 'json')
      throw new ConfigError(`Redshift COPY of ${copy.format} sources is not supported yet`, { ...where, hint: 'use format: json' });
    const location = source.location;
    if (location === undefined || !isS3Uri(location)) {
      throw new ConfigError(
        `Redshift loads ${source.sourceName}.${source.name} with COPY from S3, but its location is not an s3:// URI: ${location ?? '(none)'}`,
        {
          ...where,
          hint: 'point [S3] LOG_DATA / SONG_DATA (or the location in sources.yml) at s3://bucket/prefix',
        },
      );
    }
    // the FROM path is a key prefix; a folder-style one ends with '/' so log_data cannot match log_data_old.
    // A manifest is one object and is used as written.
    this.checked(location, (v) => parseS3Uri(v) !== undefined, 'S3 location', where);
    const from = this.quoteLiteral(copy.manifest ? location : s3PrefixUri(location));
    const role = this.options.iamRole;
    if (!role) {
      throw new ConfigError('Redshift COPY needs an IAM role that can read the bucket', {
        ...where,
        hint: 'set [IAM_ROLE] ARN=arn:aws:iam::<account id>:role/<name> in dwh.cfg',
      });
    }
    const region = copy.region ?? this.options.region ?? 'us-west-2';
    const lines = [
      `COPY ${this.relation(into)} (${source.columns.map((c: ColumnSpec) => this.quoteIdent(c.name)).join(', ')})`,
      `FROM ${from}`,
      `IAM_ROLE ${this.quoteLiteral(this.checked(role, (v) => IAM_ROLE.test(v), 'IAM role ARN', where))}`,
      `FORMAT AS JSON ${this.jsonOption(copy, where)}`,
      `REGION ${this.quoteLiteral(this.checked(region, (v) => REGION.test(v), 'region', where))}`,
    ];
    if (copy.manifest) lines.push('MANIFEST');
    if (copy.compression === 'gzip') lines.push('GZIP');
    if (copy.compression === 'zstd') lines.push('ZSTD');
    if (copy.timeformat !== undefined)
      lines.push(`TIMEFORMAT AS ${this.quoteLiteral(this.checked(copy.timeformat, (v) => TIMEFORMAT.test(v), 'timeformat', where))}`);
    if (copy.truncateColumns) lines.push('TRUNCATECOLUMNS');
    if (copy.blanksAsNull) lines.push('BLANKSASNULL');
    if (copy.emptyAsNull) lines.push('EMPTYASNULL');
    if (copy.acceptInvChars !== undefined)
      lines.push(
        `ACCEPTINVCHARS AS ${this.quoteLiteral(this.checked(copy.acceptInvChars, (v) => REPLACEMENT_CHAR.test(v), 'acceptinvchars character', where))}`,
      );
    const maxErrors = copy.maxErrors;
    if (!Number.isInteger(maxErrors) || maxErrors < 0 || maxErrors > 100000) throw new ProjectError(`invalid max_errors ${String(maxErrors)}`, where);
    lines.push(`MAXERROR ${maxErrors}`);
    if (copy.compUpdate !== undefined) lines.push(`COMPUPDATE ${copy.compUpdate ? 'ON' : 'OFF'}`);
    if (copy.statUpdate !== undefined) lines.push(`STATUPDATE ${copy.statUpdate ? 'ON' : 'OFF'}`);
    return lines.join('\n');
  }

  // redshift: pg_cancel_backend exists, unnest over an integer array does not
  override cancelBackends(pids: number[]): string {
    return `SELECT ${pids.map((p) => `pg_cancel_backend(${String(Math.trunc(p))})`).join(', ')}`;
  }

  // redshift: extra_float_digits goes up to 2 (PostgreSQL 8.0's limit), which prints the 17
  // significant digits that read back exactly; statement_timeout is set here, after connecting,
  // not as a startup parameter (AWS docs, Configuration reference)
  override sessionSetup(): string[] {
    const timeout = this.options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
    return ['SET DateStyle = ISO', 'SET extra_float_digits = 2', `SET statement_timeout = ${String(Math.max(0, Math.trunc(timeout)))}`];
  }

  /**
   * The query id of this session's latest COPY that started loading. A COPY that fails on bad data
   * still updates it; one that fails before loading (syntax, access, credentials) does not (AWS
   * docs, PG_LAST_COPY_ID). Read before and after a COPY, it tells whether load errors are this COPY's.
   */
  lastCopyIdQuery(): string {
    return 'SELECT pg_last_copy_id() AS copy_id';
  }

  /**
   * The rejected lines of a COPY: STL_LOAD_ERRORS by query id on provisioned clusters;
   * SYS_LOAD_ERROR_DETAIL on Serverless, which has no STL views and no raw values (AWS docs,
   * STL_LOAD_ERRORS and SYS_LOAD_ERROR_DETAIL), by query id when known, else this session's latest.
   */
  loadErrorQuery(view: 'stl' | 'sys', copyId?: number, limit = 10): string {
    const id = copyId === undefined ? undefined : String(Math.trunc(copyId));
    const rows = String(Math.max(1, Math.trunc(limit)));
    if (view === 'stl') {
      if (id === undefined) throw new Error('STL_LOAD_ERRORS is read by query id');
      return (
        'SELECT TRIM(filename) AS file, line_number AS line, TRIM(colname) AS column_name, TRIM(type) AS column_type,\n' +
        '  TRIM(col_length) AS column_length, position, TRIM(raw_field_value) AS raw_value, TRIM(raw_line) AS raw_line,\n' +
        '  err_code AS error_code, TRIM(err_reason) AS reason\n' +
        'FROM stl_load_errors\n' +
        `WHERE query = ${id}\n` +
        'ORDER BY starttime, filename, line_number\n' +
        `LIMIT ${rows}`
      );
    }
    return (
      'SELECT TRIM(file_name) AS file, line_number AS line, TRIM(column_name) AS column_name, TRIM(column_type) AS column_type,\n' +
      '  TRIM(column_length) AS column_length, position, CAST(NULL AS VARCHAR) AS raw_value, CAST(NULL AS VARCHAR) AS raw_line,\n' +
      '  error_code, TRIM(error_message) AS reason\n' +
      'FROM sys_load_error_detail\n' +
      `WHERE ${id !== undefined ? `query_id = ${id}` : 'query_id = (SELECT MAX(query_id) FROM sys_load_error_detail WHERE session_id = pg_backend_pid())'}\n` +
      'ORDER BY start_time, file_name, line_number\n' +
      `LIMIT ${rows}`
    );
  }

  /** How many files a COPY loaded (AWS docs, STL_LOAD_COMMITS: one row per file committed). */
  loadedFilesQuery(copyId: number): string {
    return `SELECT COUNT(DISTINCT TRIM(filename)) AS files FROM stl_load_commits WHERE query = ${String(Math.trunc(copyId))}`;
  }

  /**
   * Where an incremental load's manifest goes: `<[S3] MANIFEST_PREFIX>/<run id>/<source>.manifest`,
   * one object per run and source; undefined without a prefix (each new file is then its own COPY).
   */
  manifestLocation(runId: string, source: string): string | undefined {
    const prefix = this.options.manifestPrefix;
    if (prefix === undefined) return undefined;
    return `${prefix.replace(/\/+$/, '')}/${runId}/${source}.manifest`;
  }

  /**
   * The files a COPY committed and the lines it scanned in each: STL_LOAD_COMMITS on a provisioned
   * cluster, SYS_LOAD_DETAIL on Serverless (AWS docs, STL_LOAD_COMMITS: one row per file, or per
   * range of a file that COPY split; lines_scanned counts lines rejected under MAXERROR too).
   * `'last'` reads the session's latest COPY, as compile shows it.
   */
  loadCommitsQuery(copyId: number | 'last', view: 'stl' | 'sys' = 'stl'): string {
    const id = copyId === 'last' ? 'pg_last_copy_id()' : String(Math.trunc(copyId));
    if (view === 'stl') return `SELECT TRIM(filename) AS file, SUM(lines_scanned) AS lines FROM stl_load_commits WHERE query = ${id} GROUP BY 1 ORDER BY 1`;
    return `SELECT TRIM(file_name) AS file, SUM(lines_scanned) AS lines FROM sys_load_detail WHERE query_id = ${id} GROUP BY 1 ORDER BY 1`;
  }

  /** A query that reads nothing and fails when the view does not exist (Serverless has no STL views). */
  viewExistsQuery(view: 'stl' | 'sys'): string {
    return `SELECT 1 AS present FROM ${view === 'stl' ? 'stl_load_commits' : 'sys_load_detail'} WHERE 1 = 0`;
  }

  private jsonOption(copy: CopyOptions, where: { file: string; line: number }): string {
    switch (copy.json.kind) {
      case 'auto':
        return `'auto'`;
      case 'auto_ignorecase':
        return `'auto ignorecase'`;
      case 'jsonpaths':
        if (!isS3Uri(copy.json.location)) {
          throw new ConfigError(`Redshift reads JSONPaths files from S3, but the JSONPaths location is not an s3:// URI: ${copy.json.location}`, {
            ...where,
            hint: 'set [S3] LOG_JSONPATH to the s3:// URI of the file (e.g. s3://udacity-dend/log_json_path.json)',
          });
        }
        return this.s3Literal(copy.json.location, 'JSONPaths location', where);
    }
  }

  private s3Literal(uri: string, what: string, where: { file: string; line: number }): string {
    return this.quoteLiteral(this.checked(uri, (v) => parseS3Uri(v) !== undefined, what, where));
  }

  private checked(value: string, ok: (v: string) => boolean, what: string, where: { file: string; line: number }): string {
    if (!ok(value))
      throw new ConfigError(`invalid ${what} for Redshift COPY: ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`, {
        ...where,
        hint: 'values that reach SQL must match a strict pattern; quotes, backslashes and spaces are never allowed',
      });
    return value;
  }
}

/** The dialect of a Redshift target: its IAM role and region reach SQL. */
export function redshiftDialectFor(settings: Pick<RedshiftDialectOptions, 'iamRole' | 'region' | 'seedData' | 'manifestPrefix'> | undefined): RedshiftDialect {
  return new RedshiftDialect({ iamRole: settings?.iamRole, region: settings?.region, seedData: settings?.seedData, manifestPrefix: settings?.manifestPrefix });
}
