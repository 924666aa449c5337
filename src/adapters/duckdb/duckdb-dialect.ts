import { LoadError } from '../../errors.js';
import type { ColumnSpec, JsonMapping, Relation, SourceTable } from '../../types.js';
import type { PathStep } from '../../loaders/json-paths.js';
import type { Step } from '../adapter.js';
import { BaseDialect } from '../base-dialect.js';
import { INTEGER_RANGES, parseColumnType } from '../column-types.js';

export class DuckDbDialect extends BaseDialect {
  readonly type = 'duckdb' as const;

  override columnType(type: string): string {
    const t = parseColumnType(type);
    // duckdb: VARCHAR(n) is accepted but never enforced; loads enforce lengths themselves
    if (t?.base === 'varchar' || t?.base === 'text') return 'VARCHAR';
    return super.columnType(type).toUpperCase();
  }

  epochMsToTimestamp(expr: string): string {
    return `EPOCH_MS(CAST(${expr} AS BIGINT))`;
  }

  loadSource(source: SourceTable, into: Relation): Step[] {
    return [{ kind: 'load', source, into }];
  }

  /**
   * The statement that loads the given files into `into` with DuckDB's own JSON reader. Each record
   * is read as JSON and every column extracted with Redshift COPY's mapping, then converted
   * strictly: a value that does not fit its column raises an error, so nothing is silently lost.
   */
  loadStatement(source: SourceTable, into: Relation, files: string[], mapping: JsonMapping, paths?: PathStep[][]): string {
    // extract each value once (inner query), then convert it (outer query)
    const raw = source.columns.map((c, i) => `    ${this.extract(c, i, mapping, paths)} AS ${this.quoteIdent(c.name)}`);
    const cols = source.columns.map((c) => `  ${this.convertColumn(c, this.quoteIdent(c.name))} AS ${this.quoteIdent(c.name)}`);
    const fileList = `[${files.map((f) => this.quoteLiteral(f)).join(', ')}]`;
    return (
      `CREATE TABLE ${this.relation(into)} AS\nSELECT\n${cols.join(',\n')}\nFROM (\n  SELECT\n${raw.join(',\n')}\n` +
      `  FROM read_json_objects(${fileList}, format = 'auto', compression = 'auto_detect')\n) AS records`
    );
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

  private convertColumn(c: ColumnSpec, v: string): string {
    const t = parseColumnType(c.type);
    if (!t) throw new LoadError(`unknown column type ${c.type}`);
    const fail = (what: string) => `error(${this.quoteLiteral(`${c.name}: ${what}`)})`;
    switch (t.base) {
      case 'text':
        return v;
      case 'varchar':
        return t.length === undefined ? v : `CASE WHEN strlen(${v}) > ${t.length} THEN ${fail(`value longer than ${t.length} bytes`)} ELSE ${v} END`;
      case 'smallint':
      case 'integer':
      case 'bigint': {
        const [lo, hi] = INTEGER_RANGES[t.base];
        const n = `TRY_CAST(${v} AS HUGEINT)`;
        return (
          `CAST(CASE WHEN ${v} IS NULL THEN NULL WHEN regexp_full_match(${v}, '[+-]?[0-9]+') AND ${n} BETWEEN ${lo} AND ${hi} ` +
          `THEN ${v} ELSE ${fail(`invalid ${t.base}`)} END AS ${t.base.toUpperCase()})`
        );
      }
      default:
        return `CAST(${v} AS ${this.columnType(c.type)})`;
    }
  }
}

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
