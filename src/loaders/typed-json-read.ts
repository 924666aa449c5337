import { isUtf8 } from 'node:buffer';
import { open } from 'node:fs/promises';
import { parseColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, JsonMapping } from '../types.js';
import type { PathStep } from './json-paths.js';
import { MAX_RECORD_BYTES } from './load-errors.js';

/**
 * A typed read of newline-delimited JSON: the engine's JSON reader reads each column from one
 * top-level key, numbers straight into the column's type, everything else as the value's text,
 * converted as on the strict path. It gives the strict path's rows only when every line passes
 * fitsTypedRead(): each line one JSON object, and the value under each number key a number the
 * strict path takes as it is (an integer for an integer column; no exponent near a double's limits),
 * so that the reader's own casts (a string, a boolean or 1.5 into an integer) never come into play.
 */
export interface TypedJsonRead {
  /** per column: the top-level key it is read from */
  keys: string[];
  /** per column: 'number', read as its own type (integers and doubles), or 'text', read as text and converted */
  reads: ('number' | 'text')[];
  /** per column: what fitsTypedRead() requires of the value under its key */
  needs: TokenNeed[];
  /** the source has a double or real column: a line that may hold an underflowing number anywhere is left to the strict path, as its record check does */
  underflow?: boolean;
}

/**
 * nothing; a JSON integer (or null); a JSON number (or null) with no exponent of 300 or more either
 * way; any value, but a number only when its text is the same both ways (`text`: no exponent and at
 * most 15 digits, for text columns: the strict path spells a number from its token, the engine's
 * reader from the double it parsed, and the two differ for 1.0e+20 or 12345678901234567.5)
 */
export type TokenNeed = 'any' | 'integer' | 'number' | 'text';

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/**
 * The typed read of a source's mapping, or undefined when it cannot be spelled as one: a JSONPath
 * that is not one top-level key, keys that a reader matching struct fields ignoring case could confuse
 * ('auto ignorecase', or two keys equal but for case), or a key read twice.
 */
export function planTypedJsonRead(columns: ColumnSpec[], mapping: JsonMapping, paths: PathStep[][] | undefined): TypedJsonRead | undefined {
  if (mapping.kind === 'auto_ignorecase') return undefined;
  const keys: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const steps = mapping.kind === 'jsonpaths' ? paths?.[i] : [columns[i]!.name];
    if (steps?.length !== 1 || typeof steps[0] !== 'string') return undefined;
    keys.push(steps[0]);
  }
  if (new Set(keys.map((k) => k.toLowerCase())).size !== keys.length) return undefined;
  const reads: TypedJsonRead['reads'] = [];
  const needs: TokenNeed[] = [];
  for (const c of columns) {
    const base = parseColumnType(c.type)?.base;
    if (base !== undefined && INTEGER_TYPES.has(base)) {
      reads.push('number');
      needs.push('integer');
    } else if (base === 'double precision') {
      reads.push('number');
      needs.push('number');
    } else {
      reads.push('text');
      // real: read as text, whose spelling (0.0) hides an underflow (1e-400) the strict path rejects
      needs.push(base === 'real' ? 'number' : 'text');
    }
  }
  const underflow = columns.some((c) => ['double precision', 'real'].includes(parseColumnType(c.type)?.base ?? ''));
  return underflow ? { keys, reads, needs, underflow } : { keys, reads, needs };
}

const LF = 0x0a;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isDigit = (b: number | undefined) => b !== undefined && b >= 0x30 && b <= 0x39;
/** whitespace within a line (JSON's, less LF) */
const isBlank = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0d;

/** The keys that need a check, by byte length, as bytes. */
class KeyNeeds {
  private readonly byLength = new Map<number, { key: Buffer; need: TokenNeed }[]>();

  constructor(plan: TypedJsonRead) {
    plan.keys.forEach((k, i) => {
      const need = plan.needs[i]!;
      if (need === 'any') return;
      const key = Buffer.from(k, 'utf8');
      const list = this.byLength.get(key.length) ?? [];
      list.push({ key, need });
      this.byLength.set(key.length, list);
    });
  }

  of(b: Buffer, from: number, to: number): TokenNeed {
    const list = this.byLength.get(to - from);
    if (list === undefined) return 'any';
    for (const { key, need } of list) {
      let i = 0;
      while (i < key.length && key[i] === b[from + i]) i++;
      if (i === key.length) return need;
    }
    return 'any';
  }
}

function skipBlanks(b: Buffer, i: number, to: number): number {
  while (i < to && isBlank(b[i])) i++;
  return i;
}

/**
 * The end of the string that starts at b[i] (a quote), or -1: the first quote after it not escaped,
 * that is, after an even run of backslashes. Found with indexOf (memchr), which the check's time
 * is mostly spent in: a byte loop here cost a second of CPU per 440 MB of events.
 */
function stringEnd(b: Buffer, i: number, to: number): number {
  for (let from = i + 1; ; ) {
    const q = b.indexOf(QUOTE, from);
    if (q < 0 || q >= to) return -1;
    let slashes = 0;
    while (q - 1 - slashes > i && b[q - 1 - slashes] === BACKSLASH) slashes++;
    if ((slashes & 1) === 0) return q + 1;
    from = q + 1;
  }
}

/**
 * The end of the value that starts at b[i], or -1. The bytes are only skipped: the engine's reader
 * judges their syntax, and a line it refuses sends the batch to the strict path anyway.
 */
function valueEnd(b: Buffer, i: number, to: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i, to);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (; i < to; i++) {
      const x = b[i]!;
      if (x === QUOTE) {
        i = stringEnd(b, i, to) - 1;
        if (i < 0) return -1;
      } else if (x === 0x7b || x === 0x5b) depth++;
      else if (x === 0x7d || x === 0x5d) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  while (i < to) {
    const x = b[i]!;
    if (x === 0x2c || x === 0x7d || x === 0x5d || isBlank(x)) break;
    i++;
  }
  return i;
}

/** A number token's length plus its exponent's size stays below this: beyond it a double may overflow or underflow to 0 (the strict path decides). */
const MAX_NUMBER_DIGITS = 300;
/** A number read into a text column has at most this many digits: a double holds them exactly, so both paths spell it alike. */
const MAX_TEXT_NUMBER_DIGITS = 15;

/** The end of the number (or null) that starts at b[i], when it is what `need` asks for; else -1. */
function numberEnd(b: Buffer, i: number, to: number, need: TokenNeed): number {
  if (b[i] === 0x6e) return b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c ? i + 4 : -1;
  const start = i;
  if (b[i] === 0x2d) i++;
  if (!isDigit(b[i])) return -1;
  const digitsFrom = i;
  while (i < to && isDigit(b[i])) i++;
  let c = b[i];
  let exp = 0;
  let fraction = 0;
  if (c === 0x2e || c === 0x65 || c === 0x45) {
    if (need === 'integer') return -1;
    if (c === 0x2e) {
      i++;
      while (i < to && isDigit(b[i])) i++;
      fraction = 1;
      c = b[i];
    }
    if (c === 0x65 || c === 0x45) {
      if (need === 'text') return -1;
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      while (i < to && isDigit(b[i])) exp = Math.min(exp * 10 + b[i++]! - 0x30, 1e6);
    }
  }
  if (need === 'text') return i - digitsFrom - fraction > MAX_TEXT_NUMBER_DIGITS ? -1 : i;
  // |value| lies between 10^-(digits + exp) and 10^(digits + exp): within a double's range, and no underflow to 0
  return i - start + exp >= MAX_NUMBER_DIGITS ? -1 : i;
}

/**
 * Whether one line (without its LF) is blank or one object whose top-level number keys hold what
 * they need. A key with an escape (which might spell a number key) is not decoded: the line is
 * left to the strict path.
 */
function lineFits(b: Buffer, from: number, to: number, keys: KeyNeeds): boolean {
  let i = skipBlanks(b, from, to);
  if (i === to) return true;
  if (to - from > MAX_RECORD_BYTES || b[i] !== 0x7b) return false;
  i++;
  for (let first = true; ; first = false) {
    i = skipBlanks(b, i, to);
    // '}' only for an empty object: after a comma a key must follow (DuckDB takes a trailing comma, JSON does not)
    if (b[i] === 0x7d && first) break;
    if (b[i] !== QUOTE) return false;
    const keyStart = i + 1;
    i = keyStart;
    while (i < to && b[i] !== QUOTE && b[i] !== BACKSLASH) i++;
    if (i >= to || b[i] === BACKSLASH) return false;
    const need = keys.of(b, keyStart, i);
    i = skipBlanks(b, i + 1, to);
    if (b[i] !== 0x3a) return false;
    i = skipBlanks(b, i + 1, to);
    i = need === 'any' || (need === 'text' && b[i] !== 0x2d && !isDigit(b[i])) ? valueEnd(b, i, to) : numberEnd(b, i, to, need);
    if (i < 0) return false;
    i = skipBlanks(b, i, to);
    if (b[i] === 0x2c) i++;
    else if (b[i] === 0x7d) break;
    else return false;
  }
  // one object per line: anything after it is left to the strict path
  return skipBlanks(b, i + 1, to) === to;
}

/** bytes per read: twice the longest record, so that a whole line always fits */
const BUFFER_BYTES = 2 * MAX_RECORD_BYTES + 2;

/** Whether every line of a local, uncompressed file, up to `size` bytes, fits the typed read. */
const ZEROS_300 = Buffer.from('.' + '0'.repeat(300));

/**
 * Whether whole lines b[0, to) may hold a number below the smallest double, anywhere (in a nested
 * value or a string too): the strict path's record check (an exponent of -300 or less, or 300 zeros
 * after a point) sends such a record to sparkify's reader, so the typed read must not take it.
 */
function mayUnderflow(b: Buffer, to: number): boolean {
  for (const e of [0x65, 0x45]) {
    for (let at = b.indexOf(e, 0); at >= 0 && at < to; at = b.indexOf(e, at + 1)) {
      if (b[at + 1] !== 0x2d) continue;
      let i = at + 2;
      while (i < to && b[i] === 0x30) i++;
      let digits = 0;
      const first = b[i];
      while (i < to && isDigit(b[i])) (i++, digits++);
      if (digits >= 4 || (digits === 3 && first! >= 0x33)) return true;
    }
  }
  const z = b.indexOf(ZEROS_300, 0);
  return z >= 0 && z + ZEROS_300.length <= to;
}

async function fileFits(file: string, size: number | undefined, keys: KeyNeeds, signal: AbortSignal | undefined, underflow = false): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const end = size ?? (await fh.stat()).size;
    if (end === 0) return true;
    const buf = Buffer.allocUnsafe(Math.min(BUFFER_BYTES, end));
    let pos = 0;
    let held = 0;
    for (;;) {
      if (signal?.aborted) return false;
      const { bytesRead } = await fh.read(buf, held, Math.min(buf.length - held, end - pos), pos);
      // a UTF-8 BOM is left to the strict path, which reads it as sparkify's reader does
      if (pos === 0 && bytesRead >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return false;
      pos += bytesRead;
      const filled = held + bytesRead;
      const atEnd = pos >= end || bytesRead === 0;
      const upTo = atEnd ? filled : buf.lastIndexOf(LF, filled - 1) + 1;
      // no line end in a full buffer: a line longer than any record
      if (upTo === 0) return false;
      if (!isUtf8(buf.subarray(0, upTo))) return false;
      if (underflow && mayUnderflow(buf, upTo)) return false;
      for (let from = 0; from < upTo;) {
        let nl = buf.indexOf(LF, from);
        if (nl < 0 || nl >= upTo) nl = upTo;
        if (!lineFits(buf, from, nl, keys)) return false;
        from = nl + 1;
      }
      if (atEnd) return true;
      held = filled - upTo;
      buf.copy(buf, 0, upTo, filled);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The pre-check of a typed read: whether every line of the files, each read up to its size in
 * `sizes`, fits it (see TypedJsonRead). Byte-level and conservative: a line it cannot vouch for
 * (a value not of its column's kind, an escape in a key, a UTF-8 BOM, invalid UTF-8) makes the
 * answer false, and the batch loads on the strict path, which finds and reports bad lines. An
 * aborted `signal` stops it (false).
 */
export async function fitsTypedRead(
  files: string[],
  sizes: ReadonlyMap<string, number | undefined>,
  plan: TypedJsonRead,
  signal?: AbortSignal,
): Promise<boolean> {
  const keys = new KeyNeeds(plan);
  for (const f of files) if (!(await fileFits(f, sizes.get(f), keys, signal, plan.underflow === true))) return false;
  return true;
}
