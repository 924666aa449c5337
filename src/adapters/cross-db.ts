/**
 * dbt's cross-database macros (`dbt.dateadd(...)`, `dbt.type_string()`, ...), spelled for each
 * engine as dbt-core, dbt-postgres, dbt-redshift and dbt-duckdb spell them. Arguments are SQL
 * expressions (strings), except part numbers and limits, which are numbers. PostgreSQL's spelling
 * is the base; the DuckDB and Redshift classes override what differs. Pure.
 */
export class CrossDatabaseSql {
  /** the adapter names adapter.dispatch() tries, most specific first (dbt: redshift, postgres, default) */
  readonly dispatchPrefixes: readonly string[] = ['postgres', 'default'];

  type_string(): string {
    return 'TEXT';
  }
  type_timestamp(): string {
    return 'TIMESTAMP';
  }
  type_float(): string {
    return 'FLOAT';
  }
  type_numeric(): string {
    return 'numeric(28,6)';
  }
  type_bigint(): string {
    return 'bigint';
  }
  type_int(): string {
    return 'INT';
  }
  type_boolean(): string {
    return 'BOOLEAN';
  }

  any_value(expression: string): string {
    // postgres: no any_value() before PostgreSQL 16; dbt-postgres takes min()
    return `min(${expression})`;
  }
  bool_or(expression: string): string {
    return `bool_or(${expression})`;
  }
  cast(field: string, type: string): string {
    return `cast(${field} as ${type})`;
  }
  safe_cast(field: string, type: string): string {
    return `cast(${field} as ${type})`;
  }
  cast_bool_to_text(field: string): string {
    return `cast(${field} as ${this.type_string()})`;
  }
  concat(fields: string[]): string {
    return `concat(${fields.join(', ')})`;
  }
  hash(field: string): string {
    return `md5(cast(${field} as ${this.type_string()}))`;
  }
  current_timestamp(): string {
    return 'now()';
  }
  date_trunc(datepart: string, date: string): string {
    return `date_trunc('${datepart}', ${date})`;
  }
  dateadd(datepart: string, interval: string, from: string): string {
    return `${from} + ((interval '1 ${datepart}') * (${interval}))`;
  }
  datediff(first: string, second: string, datepart: string): string {
    const part = (p: string, cast: 'date' | 'timestamp', floor = false) => {
      const f = (x: string) => (floor ? `floor(date_part('${p}', (${x})::${cast}))` : `date_part('${p}', (${x})::${cast})`);
      return `${f(second)} - ${f(first)}`;
    };
    switch (datepart.toLowerCase()) {
      case 'year':
        return `(${part('year', 'date')})`;
      case 'quarter':
        return `(${this.datediff(first, second, 'year')} * 4 + ${part('quarter', 'date')})`;
      case 'month':
        return `(${this.datediff(first, second, 'year')} * 12 + ${part('month', 'date')})`;
      case 'day':
        return `((${second})::date - (${first})::date)`;
      case 'week':
        return (
          `(${this.datediff(first, second, 'day')} / 7 + case\n` +
          `    when date_part('dow', (${first})::timestamp) <= date_part('dow', (${second})::timestamp) then\n` +
          `        case when ${first} <= ${second} then 0 else -1 end\n` +
          `    else\n` +
          `        case when ${first} <= ${second} then 1 else 0 end\n` +
          `end)`
        );
      case 'hour':
        return `(${this.datediff(first, second, 'day')} * 24 + ${part('hour', 'timestamp')})`;
      case 'minute':
        return `(${this.datediff(first, second, 'hour')} * 60 + ${part('minute', 'timestamp')})`;
      case 'second':
        return `(${this.datediff(first, second, 'minute')} * 60 + ${part('second', 'timestamp', true)})`;
      case 'millisecond':
        return `(${this.datediff(first, second, 'minute')} * 60000 + ${part('millisecond', 'timestamp', true)})`;
      case 'microsecond':
        return `(${this.datediff(first, second, 'minute')} * 60000000 + ${part('microsecond', 'timestamp', true)})`;
      default:
        throw new Error(`Unsupported datepart for macro datediff: '${datepart}'`);
    }
  }
  escape_single_quotes(expression: string): string {
    return expression.replace(/'/g, "''");
  }
  except(): string {
    return 'except';
  }
  intersect(): string {
    return 'intersect';
  }
  last_day(date: string, datepart: string): string {
    // postgres: intervals have no quarter unit, so a quarter is three months
    const step = datepart.toLowerCase() === 'quarter' ? this.dateadd('month', '3', this.date_trunc(datepart, date)) : this.dateadd(datepart, '1', this.date_trunc(datepart, date));
    return `cast(${this.dateadd('day', '-1', step)} as date)`;
  }
  length(expression: string): string {
    return `length(${expression})`;
  }
  listagg(measure: string, delimiter: string, orderBy: string | undefined, limit: number | undefined): string {
    if (limit) return `array_to_string((array_agg(${measure}${orderBy ? ` ${orderBy}` : ''}))[1:${limit}], ${delimiter})`;
    return `string_agg(${measure}, ${delimiter}${orderBy ? ` ${orderBy}` : ''})`;
  }
  position(substring: string, text: string): string {
    return `position(${substring} in ${text})`;
  }
  replace(field: string, oldChars: string, newChars: string): string {
    return `replace(${field}, ${oldChars}, ${newChars})`;
  }
  right(text: string, length: string): string {
    return `right(${text}, ${length})`;
  }
  split_part(text: string, delimiter: string, part: number): string {
    if (part >= 0) return `split_part(${text}, ${delimiter}, ${part})`;
    return this.splitPartFromEnd(text, delimiter, part);
  }
  protected splitPartFromEnd(text: string, delimiter: string, part: number): string {
    return `split_part(${text}, ${delimiter}, length(${text}) - length(replace(${text}, ${delimiter}, '')) + 2 + ${part})`;
  }
  string_literal(value: string): string {
    return `'${value.replace(/'/g, "''")}'`;
  }
}

export class DuckDbCrossDatabaseSql extends CrossDatabaseSql {
  override readonly dispatchPrefixes = ['duckdb', 'default'];
  override any_value(expression: string): string {
    return `any_value(${expression})`;
  }
  override dateadd(datepart: string, interval: string, from: string): string {
    return `date_add(${from}, interval (${interval}) ${datepart})`;
  }
  override current_timestamp(): string {
    return 'now()';
  }
  override last_day(date: string, datepart: string): string {
    return `cast(${this.dateadd('day', '-1', this.dateadd(datepart, '1', this.date_trunc(datepart, date)))} as date)`;
  }
  override listagg(measure: string, delimiter: string, orderBy: string | undefined, limit: number | undefined): string {
    if (limit) return `list_aggr((array_agg(${measure}${orderBy ? ` ${orderBy}` : ''}))[1:${limit}], 'string_agg', ${delimiter})`;
    return super.listagg(measure, delimiter, orderBy, undefined);
  }
  override split_part(text: string, delimiter: string, part: number): string {
    if (part >= 0) return `coalesce(string_split(${text}, ${delimiter})[${part}], '')`;
    return this.splitPartFromEnd(text, delimiter, part);
  }
}

export class RedshiftCrossDatabaseSql extends CrossDatabaseSql {
  override readonly dispatchPrefixes = ['redshift', 'postgres', 'default'];
  override any_value(expression: string): string {
    return `any_value(${expression})`;
  }
  // redshift: CONCAT takes two arguments (AWS docs, CONCAT); || takes any number
  override concat(fields: string[]): string {
    return fields.join(' || ');
  }
  // redshift: a boolean cannot be cast to a character type (AWS docs, CAST)
  override cast_bool_to_text(field: string): string {
    return `case when ${field} is true then 'true' when ${field} is false then 'false' end`;
  }
  override current_timestamp(): string {
    return 'getdate()';
  }
  override dateadd(datepart: string, interval: string, from: string): string {
    return `dateadd(${datepart}, ${interval}, ${from})`;
  }
  override datediff(first: string, second: string, datepart: string): string {
    return `datediff(${datepart}, ${first}, ${second})`;
  }
  override last_day(date: string, datepart: string): string {
    return `cast(${this.dateadd('day', '-1', this.dateadd(datepart, '1', this.date_trunc(datepart, date)))} as date)`;
  }
  override length(expression: string): string {
    return `len(${expression})`;
  }
  override listagg(measure: string, delimiter: string, orderBy: string | undefined, limit: number | undefined): string {
    if (limit) throw new Error('listagg(limit_num=...) is not supported on Redshift');
    return `listagg(${measure}, ${delimiter})${orderBy ? ` within group (${orderBy})` : ''}`;
  }
  override split_part(text: string, delimiter: string, part: number): string {
    return `split_part(${text}, ${delimiter}, ${part})`;
  }
}

/** The macros under `dbt.`, with their parameters in dbt's order and defaults. */
export const CROSS_DATABASE_MACROS: Record<string, { params: string[]; defaults?: Record<string, unknown> }> = {
  type_string: { params: [] },
  type_timestamp: { params: [] },
  type_float: { params: [] },
  type_numeric: { params: [] },
  type_bigint: { params: [] },
  type_int: { params: [] },
  type_boolean: { params: [] },
  any_value: { params: ['expression'] },
  bool_or: { params: ['expression'] },
  cast: { params: ['field', 'type'] },
  safe_cast: { params: ['field', 'type'] },
  cast_bool_to_text: { params: ['field'] },
  concat: { params: ['fields'] },
  hash: { params: ['field'] },
  current_timestamp: { params: [] },
  date_trunc: { params: ['datepart', 'date'] },
  dateadd: { params: ['datepart', 'interval', 'from_date_or_timestamp'] },
  datediff: { params: ['first_date', 'second_date', 'datepart'] },
  escape_single_quotes: { params: ['expression'] },
  except: { params: [] },
  intersect: { params: [] },
  last_day: { params: ['date', 'datepart'] },
  length: { params: ['expression'] },
  listagg: { params: ['measure', 'delimiter_text', 'order_by_clause', 'limit_num'], defaults: { delimiter_text: "','", order_by_clause: null, limit_num: null } },
  position: { params: ['substring_text', 'string_text'] },
  replace: { params: ['field', 'old_chars', 'new_chars'] },
  right: { params: ['string_text', 'length_expression'] },
  split_part: { params: ['string_text', 'delimiter_text', 'part_number'] },
  string_literal: { params: ['value'] },
};
