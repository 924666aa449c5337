import { INTEGER_RANGES, parseColumnType, type ColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, JsonMapping } from '../types.js';
import type { PathStep } from './json-paths.js';

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
}

export interface Rejection {
  rejected: true;
  column?: string;
  reason: string;
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
  return {
    columns,
    map(record, raw) {
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        return { rejected: true, reason: `expected a JSON object, found ${Array.isArray(record) ? 'an array' : record === null ? 'null' : typeof record}` };
      }
      const out: (string | null)[] = new Array(columns.length);
      for (let i = 0; i < columns.length; i++) {
        const v = getters[i]!(record as Record<string, unknown>);
        const t = types[i]!;
        const text = toText(v, raw);
        if (text === null) {
          out[i] = null;
          continue;
        }
        const problem = checkValue(text, t);
        if (problem) return { rejected: true, column: columns[i]!.name, reason: problem };
        out[i] = text;
      }
      return out;
    },
  };
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

function toText(v: unknown, raw: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return numberText(v, raw);
  return JSON.stringify(v);
}

/**
 * The text of a JSON number, spelled as DuckDB's JSON reader spells it, so every engine stores the
 * same text: integers as written, other numbers in shortest round-trip form with ".0" when integral
 * (`1e3` -> `1000.0`, `4.60` -> `4.6`). JSON.parse loses whether a token was written as an integer,
 * so integral values are checked against the raw record text.
 */
export function numberText(n: number, raw: string): string {
  if (Number.isInteger(n) && !Object.is(n, -0)) {
    const s = String(n);
    if (!s.includes('e') && Math.abs(n) <= Number.MAX_SAFE_INTEGER && writtenAsInteger(s, raw)) return s;
  }
  let s = Object.is(n, -0) ? '-0' : String(n);
  s = s.replace('e+', 'e');
  if (!/[.e]/.test(s)) s += '.0';
  return s;
}

function writtenAsInteger(s: string, raw: string): boolean {
  // a token like 66 appears in raw followed by a delimiter, not by '.', 'e' or another digit
  let from = 0;
  for (;;) {
    const at = raw.indexOf(s, from);
    if (at < 0) return false;
    const before = raw[at - 1];
    const after = raw[at + s.length];
    const startsToken = before === undefined || /[\s:,[]/.test(before) || (before === '-' && s[0] !== '-');
    if (startsToken && (after === undefined || /[\s,\]}]/.test(after))) return true;
    from = at + 1;
  }
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL_RE = /^(true|false|t|f|1|0)$/i;
const TS_RE = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?)?$/;
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Returns why the text does not fit the column, or undefined when it does. */
export function checkValue(text: string, t: ColumnType): string | undefined {
  switch (t.base) {
    case 'varchar': {
      if (t.length === undefined) return undefined;
      const bytes = text.length <= t.length / 4 ? text.length : Buffer.byteLength(text, 'utf8');
      return bytes > t.length ? `value too long: ${bytes} bytes for varchar(${t.length}) (lengths count bytes, as on Redshift)` : undefined;
    }
    case 'text':
      return undefined;
    case 'smallint':
    case 'integer':
    case 'bigint': {
      if (!INT_RE.test(text)) return `invalid ${t.base} ${JSON.stringify(clip(text))}`;
      const [lo, hi] = INTEGER_RANGES[t.base];
      const n = BigInt(text);
      return n < lo || n > hi ? `${text} is out of range for ${t.base}` : undefined;
    }
    case 'double precision':
    case 'real':
      return FLOAT_RE.test(text) && Number.isFinite(Number(text)) ? undefined : `invalid ${t.base} ${JSON.stringify(clip(text))}`;
    case 'numeric':
      return FLOAT_RE.test(text) && !/[eE]/.test(text) ? undefined : `invalid numeric ${JSON.stringify(clip(text))}`;
    case 'boolean':
      return BOOL_RE.test(text) ? undefined : `invalid boolean ${JSON.stringify(clip(text))}`;
    case 'timestamp':
      return TS_RE.test(text) ? undefined : `invalid timestamp ${JSON.stringify(clip(text))}`;
    case 'date':
      return DATE_RE.test(text) ? undefined : `invalid date ${JSON.stringify(clip(text))}`;
  }
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
