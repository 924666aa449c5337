import { INTEGER_RANGES, parseColumnType, type ColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, JsonMapping } from '../types.js';
import { createFastRowEncoder, type FastRowEncoder } from './fast-copy-rows.js';
import type { PathStep } from './json-paths.js';
import { MAX_NESTING, inspectRecord, parseValueAt, type InspectTarget } from './inspect-record.js';

/**
 * Maps one JSON record to column values as text, with Redshift COPY's JSON semantics:
 * 'auto' matches keys to column names exactly, 'auto ignorecase' ignores case, a JSONPaths
 * file maps by position. A missing key is NULL; a number or boolean in a text column is its
 * text; objects and arrays are their JSON text. Values that do not fit the column are rejected.
 */
export interface RowMapper {
  columns: ColumnSpec[];
  /** Returns the values, or a rejection naming the column. `raw` is the record's source text. */
  map(record: unknown, raw: string): (string | null)[] | Rejection;
  /** the byte-level fast path to COPY text, for the lines it can take (fast-copy-rows.ts) */
  fast?: FastRowEncoder | undefined;
}

export interface Rejection {
  rejected: true;
  column?: string;
  reason: string;
  /** the offset in the record's text where the problem is, when it is one place */
  offset?: number;
}

export function isRejection(v: unknown): v is Rejection {
  return typeof v === 'object' && v !== null && (v as Rejection).rejected === true;
}

type Getter = (record: Record<string, unknown>) => unknown;

export function createRowMapper(columns: ColumnSpec[], mapping: JsonMapping, paths?: PathStep[][]): RowMapper {
  const types = columns.map((c) => parseColumnType(c.type) ?? { base: 'text' as const });
  const getters: Getter[] = columns.map((c, i) => {
    if (mapping.kind === 'jsonpaths') {
      const steps = paths?.[i];
      if (!steps) throw new Error(`missing JSONPath for column ${c.name}`);
      return (r) => walk(r, steps);
    }
    if (mapping.kind === 'auto') return (r) => (Object.prototype.hasOwnProperty.call(r, c.name) ? r[c.name] : undefined);
    const lower = c.name.toLowerCase();
    return (r) => {
      if (Object.prototype.hasOwnProperty.call(r, c.name)) return r[c.name];
      for (const k in r) if (k.toLowerCase() === lower) return r[k];
      return undefined;
    };
  });
  const targets: InspectTarget[] = columns.map((c, i) =>
    mapping.kind === 'jsonpaths' ? { steps: paths![i]! } : { steps: [c.name], ignoreCase: mapping.kind === 'auto_ignorecase' },
  );
  return {
    columns,
    fast: createFastRowEncoder(columns, mapping, paths),
    map(record, raw) {
      // redshift: each record is an object, or (mapped by a JSONPaths file) an array (AWS docs, "COPY from JSON format")
      if (typeof record !== 'object' || record === null || (Array.isArray(record) && mapping.kind !== 'jsonpaths')) {
        const found = Array.isArray(record) ? 'an array' : record === null ? 'null' : typeof record === 'object' ? 'an object' : `a ${typeof record}`;
        return { rejected: true, reason: `expected a JSON object, found ${found}${Array.isArray(record) ? " (only a JSONPaths file can map an array's elements to columns)" : ''}` };
      }
      if (mapping.kind === 'jsonpaths') {
        // redshift: a JSONPaths file maps an array's elements by index ($[0]) and an object's members by name
        // ($['key']); an expression of the other kind finds nothing to load, and the line is an error
        const isArray = Array.isArray(record);
        const wrong = paths!.findIndex((steps) => (typeof steps[0] === 'number') !== isArray);
        if (wrong >= 0) {
          const expr = pathText(paths![wrong]!);
          return {
            rejected: true,
            column: columns[wrong]!.name,
            reason: isArray
              ? `the record is an array, but the JSONPath ${expr} reads an object's member (an array's elements are mapped by index, $[0])`
              : `the record is an object, but the JSONPath ${expr} reads an array's element (an object's members are mapped by name, $['key'])`,
          };
        }
      }
      const facts = inspectRecord(raw, targets);
      const out: (string | null)[] = new Array(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const f = facts[i]!;
        if (f.tooDeepAt !== undefined) {
          return { rejected: true, column: columns[i]!.name, reason: `the value nests more than ${MAX_NESTING.toLocaleString('en-US')} arrays and objects deep`, offset: f.tooDeepAt };
        }
        // a key written twice: the first value, on every engine (JSON.parse keeps the last, DuckDB's reader the first)
        const v = f.count > 1 ? parseValueAt(raw, f.start!) : getters[i]!(record as Record<string, unknown>);
        const t = types[i]!;
        const text = typeof v === 'number' && f.token !== undefined ? tokenText(f.token, v) : toText(v);
        if (text === null) {
          out[i] = null;
          continue;
        }
        // postgres: a double that underflows to zero is an error; JSON.parse has already made it 0
        if (typeof v === 'number' && v === 0 && f.token !== undefined && (t.base === 'double precision' || t.base === 'real') && !ZERO_RE.test(f.token)) {
          return { rejected: true, column: columns[i]!.name, reason: `${clip(f.token)} is out of range for ${t.base}` };
        }
        const problem = checkValue(text, t);
        if (problem) return { rejected: true, column: columns[i]!.name, reason: problem };
        out[i] = text;
      }
      return out;
    },
  };
}

/** A JSONPath as Redshift spells it: $['key'][0]. */
function pathText(steps: PathStep[]): string {
  return '$' + steps.map((s) => (typeof s === 'number' ? `[${s}]` : `['${s.replace(/['\\]/g, '\\$&')}']`)).join('');
}

/**
 * The text of a JSON number from its token as written, spelled as DuckDB's JSON reader spells it:
 * integers as written (any size; `-0` as `0`), other numbers in shortest round-trip form with ".0"
 * when integral (`1e3` -> `1000.0`, `10e-1` -> `1.0`, `4.60` -> `4.6`), numbers too large for a
 * double as written.
 */
export function tokenText(token: string, n: number = Number(token)): string {
  if (!/[.eE]/.test(token)) return token === '-0' ? '0' : token;
  if (!Number.isFinite(n)) return token;
  let s = Object.is(n, -0) ? '-0' : String(n);
  s = s.replace('e+', 'e');
  if (!/[.e]/.test(s)) s += '.0';
  return s;
}

function walk(value: unknown, steps: PathStep[]): unknown {
  let cur = value;
  for (const s of steps) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    } else {
      if (Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return cur;
}

function toText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  // (a number's text comes from its token as written; this is only a fallback)
  if (typeof v === 'number') return tokenText(Object.is(v, -0) ? '-0.0' : String(v), v);
  return JSON.stringify(v);
}

/**
 * What each column type accepts, as RE2-compatible patterns (matched whole), shared with the DuckDB
 * dialect's SQL so that every engine accepts exactly the same text.
 */
export const VALUE_PATTERNS = {
  integer: '[+-]?[0-9]+',
  float: '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?',
  numeric: '[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)',
  /** matched ignoring case */
  boolean: 'true|false|t|f|1|0',
  // postgres: year 0 does not exist (1 BC is year 1); hours run to 23 and seconds to 59 (24:00 and leap seconds
  // are accepted by PostgreSQL but not by DuckDB); at most microseconds. Days beyond the month's end are checked apart.
  date: '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])',
  timestamp: '(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])([ T]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?)?',
  /** a float whose digits before the exponent are all zero: zero itself, not an underflow */
  zero: '[+-]?(0+[.]?0*|[.]0+)([eE][+-]?[0-9]+)?',
} as const;

const whole = (p: string, flags = '') => new RegExp(`^(?:${p})$`, flags);
const INT_RE = whole(VALUE_PATTERNS.integer);
const FLOAT_RE = whole(VALUE_PATTERNS.float);
const NUMERIC_RE = whole(VALUE_PATTERNS.numeric);
const BOOL_RE = whole(VALUE_PATTERNS.boolean, 'i');
const TS_RE = whole(VALUE_PATTERNS.timestamp);
const DATE_RE = whole(VALUE_PATTERNS.date);
const ZERO_RE = whole(VALUE_PATTERNS.zero);

function daysIn(year: number, month: number): number {
  return month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function dayExists(text: string): boolean {
  const y = Number(text.slice(0, 4));
  const m = Number(text.slice(5, 7));
  return Number(text.slice(8, 10)) <= daysIn(y, m);
}

/** numeric(p,s): rounded half away from zero to s digits (as PostgreSQL and DuckDB do), it must stay below 10^(p-s). */
function numericFits(text: string, p: number, s: number): boolean {
  const unsigned = text.replace(/^[+-]/, '');
  const dot = unsigned.indexOf('.');
  const intDigits = (dot < 0 ? unsigned : unsigned.slice(0, dot)).replace(/^0+/, '');
  const frac = dot < 0 ? '' : unsigned.slice(dot + 1);
  if (intDigits.length > p - s) return false;
  let scaled = BigInt((intDigits || '0') + frac.slice(0, s).padEnd(s, '0'));
  if (frac.length > s && frac.charCodeAt(s) >= 0x35) scaled += 1n;
  return scaled < 10n ** BigInt(p);
}

/** Returns why the text does not fit the column, or undefined when it does. */
const SMALL_RANGES = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  bigint: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
} as const;

export function checkValue(text: string, t: ColumnType): string | undefined {
  switch (t.base) {
    case 'varchar':
    case 'text': {
      // postgres and redshift: text cannot hold NUL; DuckDB could, but then the engines would differ
      if (text.includes('\0')) return 'contains a NUL character (\\u0000), which PostgreSQL and Redshift cannot store';
      if (t.length === undefined) return undefined;
      const bytes = text.length <= t.length / 4 ? text.length : Buffer.byteLength(text, 'utf8');
      return bytes > t.length ? `value too long: ${bytes} bytes for varchar(${t.length}) (lengths count bytes, as on Redshift)` : undefined;
    }
    case 'smallint':
    case 'integer':
    case 'bigint': {
      if (!INT_RE.test(text)) return `invalid ${t.base} ${JSON.stringify(clip(text))}`;
      // most values have few digits: a Number compares exactly there, without a BigInt per value
      if (text.length <= 15) {
        const v = Number(text);
        const [lo, hi] = SMALL_RANGES[t.base];
        return v < lo || v > hi ? `${clip(text)} is out of range for ${t.base}` : undefined;
      }
      const [lo, hi] = INTEGER_RANGES[t.base];
      const n = text.length > 40 ? (text.startsWith('-') ? lo - 1n : hi + 1n) : BigInt(text);
      return n < lo || n > hi ? `${clip(text)} is out of range for ${t.base}` : undefined;
    }
    case 'double precision':
    case 'real': {
      if (!FLOAT_RE.test(text)) return `invalid ${t.base} ${JSON.stringify(clip(text))}`;
      const d = Number(text);
      const n = t.base === 'real' ? Math.fround(d) : d;
      // postgres: a value that overflows, or underflows to zero, is an error rather than infinity or 0
      if (!Number.isFinite(n) || (n === 0 && !ZERO_RE.test(text))) return `${clip(text)} is out of range for ${t.base}`;
      return undefined;
    }
    case 'numeric':
      if (!NUMERIC_RE.test(text)) return `invalid numeric ${JSON.stringify(clip(text))}`;
      return numericFits(text, t.precision ?? 18, t.scale ?? 0) ? undefined : `${clip(text)} is out of range for numeric(${t.precision ?? 18},${t.scale ?? 0})`;
    case 'boolean':
      return BOOL_RE.test(text) ? undefined : `invalid boolean ${JSON.stringify(clip(text))}`;
    case 'timestamp':
      return TS_RE.test(text) && dayExists(text) ? undefined : `invalid timestamp ${JSON.stringify(clip(text))}`;
    case 'date':
      return DATE_RE.test(text) && dayExists(text) ? undefined : `invalid date ${JSON.stringify(clip(text))}`;
  }
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
