import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { LoadError, ProjectError } from '../../errors.js';
import { INTEGER_RANGES, formatColumnType, parseColumnType, type ColumnType } from '../../adapters/column-types.js';
import type { SeedConfig } from '../../types.js';

/**
 * CSV, the format of seeds: read here to infer each column's type the way dbt does (agate's type
 * tester, dbt-common `build_type_tester`) and to check every row, so that a bad file is a located
 * error before anything is written. The rows themselves are loaded by the engine's own CSV reader
 * (DuckDB's read_csv, PostgreSQL's COPY ... (FORMAT csv), Redshift's COPY ... CSV).
 */

/** What the values of a column look like, in agate's order of preference: the first kind every value fits. */
export type InferredKind = 'integer' | 'number' | 'date' | 'timestamp' | 'boolean' | 'text';

export interface InferredColumn {
  kind: InferredKind;
  /** integer: whether a value is outside 32 bits (bigint then) */
  big: boolean;
  /** number: the most digits after the decimal point */
  scale: number;
  /** text: the longest value in UTF-8 bytes (Redshift sizes its varchar by it) */
  maxBytes: number;
}

export interface SeedColumn {
  name: string;
  /** a canonical type (src/adapters/column-types.ts): column_types, else the inferred one spelt by the engine */
  type: string;
  /** from column_types */
  declared: boolean;
}

export interface SeedInput {
  name: string;
  /** absolute */
  file: string;
  /** relative to the project */
  path: string;
  config: Pick<SeedConfig, 'column_types' | 'quote_columns' | 'delimiter'>;
  /** the file's path under its seed path ("raw_customers.csv", "lookups/codes.csv"): its key under a seed upload prefix (Redshift) */
  key: string;
  columnTypesAt?: { file: string; line?: number | undefined } | undefined;
  /** column_types keys that must name a column of the file (those given for this seed itself); the others apply where the column exists */
  ownColumnTypes?: string[] | undefined;
}

export interface ReadSeed {
  columns: SeedColumn[];
  rows: number;
}

// dbt-common: Date with "%Y-%m-%d", DateTime with "%Y-%m-%d %H:%M:%S", then ISO 8601 (isodate); Boolean true/false only
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?$/;
const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const BOOLEAN = /^(true|false)$/i;

/** The name a CSV header becomes: as written with quote_columns, else folded to lower case as an unquoted name is. */
function columnName(header: string, quote: boolean): string {
  return quote ? header.trim() : header.trim().toLowerCase();
}

function validDate(y: string, m: string, d: string): boolean {
  const year = Number(y);
  const month = Number(m);
  const day = Number(d);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isDate(v: string): boolean {
  const m = DATE.exec(v);
  return m !== null && validDate(m[1]!, m[2]!, m[3]!);
}

function isTimestamp(v: string): boolean {
  const m = TIMESTAMP.exec(v);
  return m !== null && validDate(m[1]!, m[2]!, m[3]!) && Number(m[4]) < 24 && Number(m[5]) < 60 && Number(m[6] ?? 0) < 60;
}

const KINDS: InferredKind[] = ['integer', 'number', 'date', 'timestamp', 'boolean', 'text'];

function fits(kind: InferredKind, v: string): boolean {
  switch (kind) {
    case 'integer':
      return INTEGER.test(v);
    case 'number':
      return NUMBER.test(v);
    case 'date':
      return isDate(v);
    case 'timestamp':
      // agate's DateTime takes dates too: a column of dates and timestamps is timestamps
      return isTimestamp(v) || isDate(v);
    case 'boolean':
      return BOOLEAN.test(v);
    case 'text':
      return true;
  }
}

/** A column's kinds while its values are read: agate's TypeTester keeps each kind that every value so far fits. */
interface ColumnTally {
  possible: Set<InferredKind>;
  big: boolean;
  scale: number;
  maxBytes: number;
}

function tally(c: ColumnTally, raw: string): void {
  const v = raw.trim();
  c.maxBytes = Math.max(c.maxBytes, Buffer.byteLength(raw, 'utf8'));
  for (const k of c.possible) if (!fits(k, v)) c.possible.delete(k);
  if (c.possible.has('integer')) {
    const n = BigInt(v);
    if (n < INTEGER_RANGES.integer[0] || n > INTEGER_RANGES.integer[1]) c.big = true;
  }
  if (c.possible.has('number')) {
    const mantissa = v.replace(/[eE].*$/, '');
    const dot = mantissa.indexOf('.');
    if (dot >= 0) c.scale = Math.max(c.scale, mantissa.length - dot - 1);
  }
}

/** The first kind, in agate's order, that every value fits (a column of NULLs only is integer, as in dbt). */
function inferredOf(c: ColumnTally): InferredColumn {
  return { kind: KINDS.find((k) => c.possible.has(k)) ?? 'text', big: c.big, scale: c.scale, maxBytes: c.maxBytes };
}

/** Why a value does not fit a declared type, or undefined when it does; the checks the engines make when they cast it. */
export function misfit(value: string, t: ColumnType): string | undefined {
  const v = value.trim();
  switch (t.base) {
    case 'smallint':
    case 'integer':
    case 'bigint': {
      if (!INTEGER.test(v)) return `${JSON.stringify(value)} is not a whole number`;
      const [lo, hi] = INTEGER_RANGES[t.base];
      const n = BigInt(v);
      return n < lo || n > hi ? `${v} is out of range for ${t.base} (${lo} to ${hi})` : undefined;
    }
    case 'real':
    case 'double precision':
      return NUMBER.test(v) && Number.isFinite(Number(v)) ? undefined : `${JSON.stringify(value)} is not a number`;
    case 'numeric': {
      if (!NUMBER.test(v) || /[eE]/.test(v)) return `${JSON.stringify(value)} is not a decimal number`;
      const [whole = '', frac = ''] = v.replace(/^[-+]/, '').split('.');
      const intDigits = whole.replace(/^0+/, '').length;
      const p = t.precision ?? 18;
      const s = t.scale ?? 0;
      // the fraction is rounded to the scale, as the engines do; the whole part must fit p - s digits
      const roundsUp = frac.length > s && Number(frac[s]) >= 5 && /^9*$/.test(whole + frac.slice(0, s));
      return intDigits + (roundsUp ? 1 : 0) > p - s ? `${v} does not fit numeric(${p},${s}) (at most ${p - s} digits before the point)` : undefined;
    }
    case 'boolean':
      return /^(true|false|t|f|1|0)$/i.test(v) ? undefined : `${JSON.stringify(value)} is not a boolean (true, false, t, f, 1 or 0)`;
    case 'date':
      return isDate(v) ? undefined : `${JSON.stringify(value)} is not a date (YYYY-MM-DD)`;
    case 'timestamp':
      return isTimestamp(v) || isDate(v) ? undefined : `${JSON.stringify(value)} is not a timestamp (YYYY-MM-DD HH:MM:SS)`;
    case 'varchar': {
      const bytes = Buffer.byteLength(value, 'utf8');
      return t.length !== undefined && bytes > t.length ? `the value is ${bytes} bytes long, over varchar(${t.length})` : undefined;
    }
    case 'text':
      return undefined;
  }
}

/** The 1-based character column where each field of a CSV line starts (quotes respected). */
function fieldColumns(line: string, delimiter: string): number[] {
  const starts = [1];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') quoted = !quoted;
    else if (ch === delimiter && !quoted) starts.push(i + 2);
  }
  return starts;
}

/** One line of the file (1-based), read again from the start, for an error's column. */
async function lineOf(open: () => Readable, line: number): Promise<string> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of open()) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
    return Buffer.concat(chunks).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/)[line - 1] ?? '';
  } catch {
    return '';
  }
}

/**
 * Reads a seed's CSV file: its header (each name a safe identifier), every row checked (as many
 * fields as the header, quotes closed, each value fitting its column_types type), and each
 * column's type: column_types, else inferred from the values and spelt by `typeFor` (the engine's
 * dbt adapter rules). An error names the file, line and column, and the fix. `open` gives the bytes
 * (a test may pass its own).
 */
export async function readSeedCsv(seed: SeedInput, typeFor: (c: InferredColumn) => string, open: (file: string) => Readable = (f) => createReadStream(f)): Promise<ReadSeed> {
  const delimiter = seed.config.delimiter || ',';
  const quoteColumns = seed.config.quote_columns === true;
  const at = (line: number, column?: number) => `${seed.path}:${line}${column !== undefined ? `:${column}` : ''}`;
  const fail = (message: string, line: number, column: number | undefined, hint: string): never => {
    throw new LoadError(`${at(line, column)}: seed ${seed.name}: ${message}`, { file: seed.file, line, column, node: seed.name, hint: `${hint}; no table was written (the seed's table keeps its previous contents)` });
  };
  const parser = open(seed.file).pipe(
    parse({
      delimiter,
      quote: '"',
      escape: '"',
      bom: true,
      info: true,
      raw: true,
      // an empty field is NULL, a quoted empty one ("") an empty string, as COPY ... CSV reads them
      cast: (v, ctx) => (v === '' && !ctx.quoting ? null : v) as unknown as string,
    }),
  );
  let header: string[] | undefined;
  let declared: (ColumnType | undefined)[] = [];
  let inferred: ColumnTally[] = [];
  let rows = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: (string | null)[]; raw: string; info: { lines: number } }>) {
      const lineEnd = rec.info.lines;
      const line = lineEnd - (rec.raw.replace(/\r?\n$/, '').match(/\n/g)?.length ?? 0);
      if (!header) {
        header = rec.record.map((h, i) => {
          const name = columnName(h ?? '', quoteColumns);
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
            fail(
              `column ${i + 1} of the header, ${JSON.stringify(h ?? '')}, is not a column name sparkify accepts`,
              line,
              fieldColumns(rec.raw, delimiter)[i],
              'name every column with letters, digits and _ (starting with a letter or _) in the first line',
            );
          }
          return name;
        });
        const seen = new Set<string>();
        header.forEach((n, i) => {
          if (seen.has(n)) fail(`the header names column ${n} twice`, line, fieldColumns(rec.raw, delimiter)[i], 'give every column its own name');
          seen.add(n);
        });
        declared = header.map(() => undefined);
        for (const [col, type] of Object.entries(seed.config.column_types ?? {})) {
          const name = columnName(col, quoteColumns);
          const i = header.indexOf(name);
          const where = seed.columnTypesAt;
          if (i < 0 && !(seed.ownColumnTypes ?? []).includes(col)) continue;
          if (i < 0) {
            throw new ProjectError(`seed ${seed.name}: column_types names column ${col}, which ${seed.path} does not have (its columns: ${header.join(', ')})`, {
              file: where?.file ?? seed.file,
              line: where?.line,
              node: seed.name,
              hint: 'fix the column name in column_types, or remove it; no table was written',
            });
          }
          const t = parseColumnType(type);
          if (!t) {
            throw new ProjectError(`seed ${seed.name}: column_types gives column ${col} the type ${JSON.stringify(type)}, which sparkify does not know`, {
              file: where?.file ?? seed.file,
              line: where?.line,
              node: seed.name,
              hint: 'use one of varchar(n), text, smallint, integer, bigint, real, double precision, numeric(p,s), boolean, date, timestamp',
            });
          }
          declared[i] = t;
        }
        inferred = header.map(() => ({ possible: new Set(KINDS), big: false, scale: 0, maxBytes: 0 }));
        continue;
      }
      rows++;
      rec.record.forEach((v, i) => {
        if (v === null) return;
        const t = declared[i];
        if (t) {
          const why = misfit(v, t);
          if (why) {
            const rawLine = rec.raw.split(/\r?\n/)[0] ?? '';
            fail(`column ${header![i]} (${formatColumnType(t)} in column_types): ${why}`, line, fieldColumns(rawLine, delimiter)[i], `fix the value, or change the type of ${header![i]} in column_types`);
          }
        } else tally(inferred[i]!, v);
      });
    }
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    const e = err as CsvError & { lines?: number; column?: number | string; index?: number };
    const line = e.lines ?? 1;
    switch (e.code as string) {
      case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
        const got = Array.isArray((e as unknown as { record?: unknown[] }).record) ? (e as unknown as { record: unknown[] }).record.length : undefined;
        const text = await lineOf(() => open(seed.file), line);
        const starts = fieldColumns(text, delimiter);
        // the parser may fail before the header reached this loop: count the first line's fields
        const expected = header?.length ?? fieldColumns(await lineOf(() => open(seed.file), 1), delimiter).length;
        const column = got !== undefined && got > expected ? starts[expected] : text.length + 1;
        return fail(
          text.trim() === '' ? 'the line is empty' : `the row has ${got ?? 'a different number of'} field${got === 1 ? '' : 's'}, the header ${expected}`,
          line,
          column,
          text.trim() === '' ? 'remove the empty line' : `give every row ${expected} fields (quote a value that holds the delimiter ${JSON.stringify(delimiter)})`,
        );
      }
      case 'CSV_QUOTE_NOT_CLOSED':
        return fail('a quoted value is never closed', line, undefined, 'close the quote, or double a quote inside a quoted value ("")');
      case 'CSV_INVALID_CLOSING_QUOTE':
      case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE': {
        const text = await lineOf(() => open(seed.file), line);
        const field = typeof e.column === 'number' ? e.column : 0;
        return fail('a quote closes in the middle of a value', line, fieldColumns(text, delimiter)[field], 'quote the whole value and double each quote inside it ("a ""b"" c")');
      }
      case 'INVALID_OPENING_QUOTE': {
        const text = await lineOf(() => open(seed.file), line);
        const field = typeof e.column === 'number' ? e.column : 0;
        return fail('a quote opens in the middle of a value', line, fieldColumns(text, delimiter)[field], 'quote the whole value and double each quote inside it ("a ""b"" c")');
      }
      default:
        return fail(e.message, line, undefined, 'fix the CSV file');
    }
  }
  if (!header) fail('the file is empty: a seed needs a header line naming its columns', 1, 1, 'write the column names on the first line');
  const columns = header!.map((name, i) => {
    const t = declared[i];
    return t ? { name, type: formatColumnType(t), declared: true } : { name, type: typeFor(inferredOf(inferred[i]!)), declared: false };
  });
  return { columns, rows };
}

/** A seed file's bytes, for engines that are streamed them (PostgreSQL's COPY ... FROM STDIN). */
export function openSeedFile(file: string): Readable {
  return createReadStream(file);
}

/** dbt's SQL adapter defaults (dbt-adapters `SQLAdapter.convert_*_type`), as canonical types: PostgreSQL and DuckDB. */
export function defaultSeedType(c: InferredColumn): string {
  switch (c.kind) {
    case 'integer':
      // dbt says integer; a value past 32 bits would not load, so such a column is bigint
      return c.big ? 'bigint' : 'integer';
    case 'number':
      return 'double precision';
    case 'date':
      return 'date';
    case 'timestamp':
      return 'timestamp';
    case 'boolean':
      return 'boolean';
    case 'text':
      return 'text';
  }
}
