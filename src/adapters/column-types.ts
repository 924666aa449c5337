/** Canonical column types that sources.yml may declare, and how they parse. */
export type BaseType = 'varchar' | 'text' | 'smallint' | 'integer' | 'bigint' | 'double precision' | 'real' | 'boolean' | 'timestamp' | 'date' | 'numeric';

export interface ColumnType {
  base: BaseType;
  /** varchar length in bytes (Redshift counts bytes) */
  length?: number;
  precision?: number;
  scale?: number;
}

const ALIASES: Record<string, BaseType> = {
  varchar: 'varchar',
  'character varying': 'varchar',
  text: 'text',
  string: 'text',
  smallint: 'smallint',
  int2: 'smallint',
  integer: 'integer',
  int: 'integer',
  int4: 'integer',
  bigint: 'bigint',
  int8: 'bigint',
  'double precision': 'double precision',
  double: 'double precision',
  float: 'double precision',
  float8: 'double precision',
  real: 'real',
  float4: 'real',
  boolean: 'boolean',
  bool: 'boolean',
  timestamp: 'timestamp',
  'timestamp without time zone': 'timestamp',
  date: 'date',
  numeric: 'numeric',
  decimal: 'numeric',
};

export const COLUMN_TYPE_NAMES = Object.keys(ALIASES);

/** Returns undefined for a type we do not know. */
export function parseColumnType(text: string): ColumnType | undefined {
  const m = /^\s*([a-z][a-z0-9 ]*?)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$/i.exec(text);
  if (!m) return undefined;
  const base = ALIASES[m[1]!.toLowerCase().replace(/\s+/g, ' ')];
  if (!base) return undefined;
  const a = m[2] === undefined ? undefined : Number(m[2]);
  const b = m[3] === undefined ? undefined : Number(m[3]);
  if (base === 'varchar') {
    if (b !== undefined || (a !== undefined && (a < 1 || a > 65535))) return undefined;
    return a === undefined ? { base } : { base, length: a };
  }
  if (base === 'numeric') {
    if (a === undefined) return { base, precision: 18, scale: 0 };
    if (a < 1 || a > 38 || (b ?? 0) > a) return undefined;
    return { base, precision: a, scale: b ?? 0 };
  }
  if (a !== undefined) return undefined;
  return { base };
}

export function formatColumnType(t: ColumnType): string {
  if (t.base === 'varchar') return t.length === undefined ? 'varchar' : `varchar(${t.length})`;
  if (t.base === 'numeric') return `numeric(${t.precision ?? 18},${t.scale ?? 0})`;
  return t.base;
}

export function isIntegerType(t: ColumnType): boolean {
  return t.base === 'smallint' || t.base === 'integer' || t.base === 'bigint';
}

export function isTextType(t: ColumnType): boolean {
  return t.base === 'varchar' || t.base === 'text';
}

export const INTEGER_RANGES: Record<'smallint' | 'integer' | 'bigint', [bigint, bigint]> = {
  smallint: [-32768n, 32767n],
  integer: [-2147483648n, 2147483647n],
  bigint: [-9223372036854775808n, 9223372036854775807n],
};
