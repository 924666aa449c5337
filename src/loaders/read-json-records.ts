import { isUtf8 } from 'node:buffer';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MAX_RECORD_BYTES, RAW_TEXT_BYTES } from './load-errors.js';

/** One JSON value read from a file: the record, or why it cannot be read. */
export interface JsonRecord {
  /** 1-based line where the record starts */
  line: number;
  /** the record's text; for a record that cannot be read, at most its first few KB */
  raw: string;
  value?: unknown;
  /** set when the record cannot be read: malformed JSON, invalid UTF-8, larger than 4 MB */
  parseError?: string;
  /** the line of the problem, when it is not the record's first line */
  errorLine?: number;
  /** 1-based character position of the problem in its line, when known */
  position?: number;
  /** 1-based character position in its line where the record starts, when it is not 1 */
  column?: number;
}

/**
 * Streams the JSON values of a file, never holding more than one record (at most 4 MB) in memory.
 * Redshift's COPY accepts objects one after another: one per line, several on a line, or one
 * pretty-printed over many lines. Blank lines, CRLF line ends and a UTF-8 BOM at the start are
 * allowed.
 */
export async function* readJsonRecords(input: Readable): AsyncGenerator<JsonRecord> {
  const splitter = new JsonRecordSplitter();
  for await (const chunk of input) {
    const recs = splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer));
    for (const r of recs) yield r;
  }
  for (const r of splitter.end()) yield r;
}

/**
 * A local file as a stream, read as of one moment: its first `size` bytes (by default, its size
 * when opened). A file that has grown beyond that since (a log being written) is read up to its
 * last complete line within `size`, so a line still being written is left for the next load. gzip
 * when the source says so or the file ends in .gz (zstd is read by DuckDB and Redshift only).
 */
export function openLocalFile(file: string, compression: 'none' | 'gzip' | 'zstd' = 'none', size?: number): Readable {
  const gzipped = isGzipped(file, compression);
  let asOf = size;
  let s: Readable | undefined;
  try {
    asOf ??= statSync(file).size;
    if (asOf <= SMALL_FILE) {
      const whole = readFileSync(file);
      s = Readable.from([whole.length > asOf ? completeLines(whole.subarray(0, asOf), gzipped) : whole], { objectMode: false });
    }
  } catch {
    // let the stream report the error
  }
  const stream = s ?? Readable.from(readAsOf(file, asOf, gzipped), { objectMode: false });
  if (!gzipped) return stream;
  const gunzip = createGunzip();
  stream.once('error', (err: Error) => gunzip.destroy(err));
  gunzip.once('close', () => stream.destroy());
  return stream.pipe(gunzip);
}

/** bytes per read of a large file: fewer round trips through the thread pool than the default 64 KB */
const READ_CHUNK = 1024 * 1024;

/**
 * A small file is read in one call: opening a read stream costs several round trips through the
 * thread pool, which dominated loading 100k one-object song files (28 s of reads against 1 s).
 */
const SMALL_FILE = 256 * 1024;

/** The bytes up to the last line end (all of them for a gzip file, whose bytes are not lines). */
function completeLines(buf: Buffer, gzipped: boolean): Buffer {
  return gzipped ? buf : buf.subarray(0, buf.lastIndexOf(LF) + 1);
}

/** The first `size` bytes of a file (all of it when undefined), read in large chunks, as openLocalFile describes. */
async function* readAsOf(file: string, size: number | undefined, gzipped: boolean): AsyncGenerator<Buffer> {
  if (size === 0) return;
  const input = createReadStream(file, { highWaterMark: READ_CHUNK, ...(size !== undefined ? { end: size - 1 } : {}) });
  // the bytes after the last line end so far: held back until it is known whether the file grew
  let tail: Buffer[] = [];
  let tailBytes = 0;
  try {
    for await (const c of input) {
      const chunk = c as Buffer;
      const nl = gzipped ? -1 : chunk.lastIndexOf(LF);
      if (nl >= 0) {
        yield* tail;
        tail = [];
        tailBytes = 0;
        yield chunk.subarray(0, nl + 1);
      }
      const rest = nl >= 0 ? chunk.subarray(nl + 1) : chunk;
      tail.push(rest);
      tailBytes += rest.length;
      if (gzipped || tailBytes > MAX_RECORD_BYTES + 2) {
        // a line longer than any record is a bad line however it ends: not held in memory
        yield* tail;
        tail = [];
        tailBytes = 0;
      }
    }
  } finally {
    input.destroy();
  }
  const grown = size !== undefined && (statSync(file, { throwIfNoEntry: false })?.size ?? 0) > size;
  if (!grown) yield* tail;
}

export function isGzipped(file: string, compression: 'none' | 'gzip' | 'zstd' = 'none'): boolean {
  return compression === 'gzip' || file.endsWith('.gz');
}

const LF = 10;
const CR = 13;
const isWs = (b: number) => b === 32 || b === 9 || b === CR || b === LF;
/** a lone UTF-16 surrogate escape, which is not a character (DuckDB and PostgreSQL refuse it) */
const LONE_SURROGATE =
  /(?<!\\)(?:\\\\)*\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})(?<!\\)(?:\\\\)*\\u[dD][c-fC-F][0-9a-fA-F]{2}/;

function charsIn(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if ((buf[i]! & 0xc0) !== 0x80) n++;
  return n;
}

function firstNonWs(buf: Buffer, from: number): number {
  let i = from;
  while (i < buf.length && isWs(buf[i]!)) i++;
  return i;
}

/** The offset of the first byte that is not valid UTF-8 (buf is known to be invalid). */
function firstInvalidUtf8(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (n > 0 && !isUtf8(buf.subarray(i, i + n + 1))) return i;
    i += n + 1;
  }
  return buf.length;
}

/**
 * Splits a byte stream into JSON records. Lines that hold exactly one value take the fast path
 * (JSON.parse of the line); anything else is scanned byte by byte. A malformed record ends at the
 * end of the line where the problem is, and reading resumes on the next line. A record that never
 * closes ends before the next line that cannot continue it, so one truncated line does not swallow
 * the rest of the file.
 */
export interface SplitterOptions {
  /**
   * Offered every whole line (valid UTF-8, without its LF) that may hold a record, before it is
   * parsed: returns true when it took the line (a fast path that writes the line's row itself),
   * and the splitter moves on to the next line.
   */
  takeLine?: (buf: Buffer, from: number, to: number) => boolean;
  /** Receives each record as soon as it is read, in file order, instead of push() returning it. */
  onRecord?: (record: JsonRecord) => void;
}

export class JsonRecordSplitter {
  private out: JsonRecord[] = [];
  private readonly takeLine: ((buf: Buffer, from: number, to: number) => boolean) | undefined;
  private readonly onRecord: ((record: JsonRecord) => void) | undefined;
  /** the line takeLine last declined, so that it is not offered twice */
  private declinedLine = 0;

  constructor(opts: SplitterOptions = {}) {
    this.takeLine = opts.takeLine;
    this.onRecord = opts.onRecord;
  }

  private pending: Buffer[] = [];
  private pendingLen = 0;
  private fragmenting = false;
  private head: Buffer | undefined = Buffer.alloc(0);
  private lineNo = 1;
  /** characters of the current line consumed in earlier fragments */
  private lineChars = 0;
  private skipRestOfLine = false;

  private scanner: ValueScanner | undefined;
  private recLine = 0;
  private recCol = 0;
  private recParts: Buffer[] = [];
  private recLen = 0;
  private recTotal = 0;
  private recOversize = false;

  push(chunk: Buffer): JsonRecord[] {
    if (this.head !== undefined) {
      // a UTF-8 BOM is allowed at the start of a file (DuckDB and Redshift skip it too)
      this.head = Buffer.concat([this.head, chunk]);
      if (this.head.length < 3) return this.take();
      chunk = this.head[0] === 0xef && this.head[1] === 0xbb && this.head[2] === 0xbf ? this.head.subarray(3) : this.head;
      this.head = undefined;
    }
    let pos = 0;
    // the lines wholly inside this chunk, when they are valid UTF-8 (checked once for all of them)
    const lastNl = this.takeLine ? chunk.lastIndexOf(LF) : -1;
    const wholeLines = lastNl >= 0 && isUtf8(chunk.subarray(0, lastNl + 1));
    while (pos < chunk.length) {
      if (wholeLines && pos <= lastNl && this.betweenRecords()) {
        pos = this.takeLines(chunk, pos, lastNl);
        if (pos >= chunk.length) break;
      }
      const nl = chunk.indexOf(LF, pos);
      if (nl < 0) {
        const rest = chunk.subarray(pos);
        if (this.fragmenting) this.piece(rest, false, false);
        else {
          this.pending.push(rest);
          this.pendingLen += rest.length;
          if (this.pendingLen > MAX_RECORD_BYTES + 2) {
            // a line longer than any record may be: read it in pieces instead of holding it
            this.fragmenting = true;
            const all = this.pending;
            this.pending = [];
            this.pendingLen = 0;
            for (const p of all) this.piece(p, false, false);
          }
        }
        break;
      }
      const part = chunk.subarray(pos, nl);
      if (this.fragmenting) {
        this.fragmenting = false;
        this.piece(part, true, false);
      } else if (this.pendingLen === 0) {
        this.piece(part, true, false);
      } else {
        this.pending.push(part);
        const line = Buffer.concat(this.pending, this.pendingLen + part.length);
        this.pending = [];
        this.pendingLen = 0;
        this.piece(line, true, false);
      }
      pos = nl + 1;
    }
    return this.take();
  }

  /** Offers whole lines from `pos` to takeLine while it takes them; returns where it stopped. */
  private takeLines(chunk: Buffer, pos: number, lastNl: number): number {
    const take = this.takeLine!;
    while (pos <= lastNl) {
      const nl = chunk.indexOf(LF, pos);
      if (nl - pos > MAX_RECORD_BYTES || !take(chunk, pos, nl)) {
        this.declinedLine = this.lineNo;
        return pos;
      }
      this.lineNo++;
      pos = nl + 1;
    }
    return pos;
  }

  /** No record, line or fragment is open: the next byte starts a line. */
  private betweenRecords(): boolean {
    return this.scanner === undefined && this.pendingLen === 0 && !this.fragmenting && !this.skipRestOfLine && this.lineChars === 0 && this.head === undefined;
  }

  end(): JsonRecord[] {
    if (this.head !== undefined) {
      const h = this.head;
      this.head = undefined;
      if (h.length > 0) this.push(h);
    }
    if (this.fragmenting || this.pendingLen > 0) {
      const line = Buffer.concat(this.pending, this.pendingLen);
      this.pending = [];
      this.pendingLen = 0;
      this.fragmenting = false;
      this.piece(line, true, true);
    } else if (this.scanner) {
      this.piece(Buffer.alloc(0), true, true);
    }
    return this.take();
  }

  private emit(record: JsonRecord): void {
    if (this.onRecord) this.onRecord(record);
    else this.out.push(record);
  }

  private take(): JsonRecord[] {
    const r = this.out;
    this.out = [];
    return r;
  }

  /** A piece of the current line; `endsLine` when the line (or the file) ends after it. */
  private piece(buf: Buffer, endsLine: boolean, atEof: boolean): void {
    if (this.skipRestOfLine) {
      if (endsLine) {
        this.skipRestOfLine = false;
        this.nextLine();
      }
      return;
    }
    let from = 0;
    if (!this.scanner) {
      if (this.lineChars === 0 && endsLine && buf.length <= MAX_RECORD_BYTES) {
        const first = firstNonWs(buf, 0);
        if (first === buf.length) {
          this.nextLine();
          return;
        }
        if ((this.takeLine !== undefined && this.declinedLine !== this.lineNo && isUtf8(buf) && this.takeLine(buf, 0, buf.length)) || this.fastLine(buf)) {
          this.nextLine();
          return;
        }
      }
      from = firstNonWs(buf, 0);
      if (from === buf.length) {
        if (endsLine) this.nextLine();
        else this.lineChars += buf.length;
        return;
      }
      this.startRecord(buf, from);
    }
    for (;;) {
      const scanner = this.scanner!;
      const r = scanner.scan(buf, from, buf.length);
      if (r === MORE) {
        this.append(buf, from, buf.length);
        break;
      }
      if (r >= 0) {
        this.append(buf, from, r);
        this.finishRecord();
        from = firstNonWs(buf, r);
        if (from < buf.length) {
          this.startRecord(buf, from);
          continue;
        }
        break;
      }
      // a syntax error at scanner.errorAt
      const at = scanner.errorAt;
      if (!scanner.tokenBeforeError && this.lineNo > this.recLine) {
        // this line cannot continue the record: the record ended, unfinished, on an earlier line
        this.reject(`malformed JSON: the ${scanner.openKind()} is never closed`, this.recLine, undefined);
        this.scanner = undefined;
        this.piece(buf, endsLine, atEof);
        return;
      }
      this.append(buf, from, buf.length);
      this.reject(`malformed JSON: ${scanner.error}`, this.lineNo, this.lineChars + charsIn(buf, 0, at) + 1);
      this.scanner = undefined;
      if (endsLine) this.nextLine();
      else {
        this.skipRestOfLine = true;
        this.lineChars += charsIn(buf, 0, buf.length);
      }
      return;
    }
    if (!endsLine) {
      this.lineChars += charsIn(buf, 0, buf.length);
      return;
    }
    if (this.scanner) {
      const col = this.lineChars + charsIn(buf, 0, buf.length) + 1;
      const r = atEof ? this.scanner.end() : this.scanner.newline();
      if (r >= 0) this.finishRecord();
      else if (r === ERROR) {
        // at the end of the file the problem is the whole record, not a place in it
        this.reject(`malformed JSON: ${this.scanner.error}`, atEof ? this.recLine : this.lineNo, atEof ? undefined : col);
        this.scanner = undefined;
      } else {
        this.append(Buffer.from('\n'), 0, 1);
      }
    }
    this.nextLine();
  }

  private nextLine(): void {
    this.lineNo++;
    this.lineChars = 0;
  }

  /** One whole line holding one JSON value: the common case, parsed without the byte scanner. */
  private fastLine(buf: Buffer): boolean {
    if (!isUtf8(buf)) return false;
    let text = buf.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return false;
    }
    if (text.charCodeAt(text.length - 1) === CR) text = text.slice(0, -1);
    if (text.includes('\\u') && LONE_SURROGATE.test(text)) {
      this.emit({ line: this.lineNo, raw: text, parseError: 'malformed JSON: a \\u escape is half of a UTF-16 surrogate pair, which is not a character' });
    } else {
      this.emit({ line: this.lineNo, raw: text, value });
    }
    return true;
  }

  private startRecord(buf: Buffer, from: number): void {
    this.scanner = new ValueScanner();
    this.recLine = this.lineNo;
    this.recCol = this.lineChars + charsIn(buf, 0, from) + 1;
    this.recParts = [];
    this.recLen = 0;
    this.recTotal = 0;
    this.recOversize = false;
  }

  private append(buf: Buffer, from: number, to: number): void {
    if (to <= from) return;
    this.recTotal += to - from;
    if (this.recOversize) return;
    this.recParts.push(buf.subarray(from, to));
    this.recLen += to - from;
    if (this.recLen > MAX_RECORD_BYTES) {
      // keep only what an error message or sparkify_load_errors shows
      const kept = Buffer.concat(this.recParts, this.recLen).subarray(0, RAW_TEXT_BYTES * 4);
      this.recParts = [Buffer.from(kept)];
      this.recLen = kept.length;
      this.recOversize = true;
    }
  }

  private recordBytes(): Buffer {
    const b = Buffer.concat(this.recParts, this.recLen);
    // the record's own bytes: no trailing line breaks or blanks
    let end = b.length;
    while (end > 0 && isWs(b[end - 1]!)) end--;
    return b.subarray(0, end);
  }

  private finishRecord(): void {
    const line = this.recLine;
    this.scanner = undefined;
    if (this.recOversize) {
      this.emit({
        line,
        raw: this.recordBytes().toString('utf8'),
        parseError: `the record is ${this.recTotal.toLocaleString('en-US')} bytes, larger than the 4 MB a JSON object may have (Redshift's limit)`,
      });
      return;
    }
    const bytes = this.recordBytes();
    if (!isUtf8(bytes)) {
      const at = firstInvalidUtf8(bytes);
      const before = bytes.subarray(0, at);
      const lines = before.reduce((n, b) => (b === LF ? n + 1 : n), 0);
      const lastNl = before.lastIndexOf(LF);
      const position = lines === 0 ? this.recCol + charsIn(before, 0, at) : charsIn(before, lastNl + 1, at) + 1;
      this.emit({ line, raw: bytes.toString('utf8'), parseError: 'invalid UTF-8', ...(lines > 0 ? { errorLine: line + lines } : {}), position });
      return;
    }
    const text = bytes.toString('utf8');
    if (text.includes('\\u') && LONE_SURROGATE.test(text)) {
      this.emit({ line, raw: text, parseError: 'malformed JSON: a \\u escape is half of a UTF-16 surrogate pair, which is not a character' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.emit({ line, raw: text, parseError: `malformed JSON: ${(e as Error).message}` });
      return;
    }
    this.emit(this.recCol === 1 ? { line, raw: text, value } : { line, raw: text, value, column: this.recCol });
  }

  private reject(reason: string, errorLine: number, position: number | undefined): void {
    const bytes = this.recordBytes();
    const raw = (bytes.length > RAW_TEXT_BYTES * 4 ? bytes.subarray(0, RAW_TEXT_BYTES * 4) : bytes).toString('utf8');
    this.emit({
      line: this.recLine,
      raw,
      parseError: reason,
      ...(errorLine !== this.recLine ? { errorLine } : {}),
      ...(position !== undefined ? { position } : {}),
    });
  }
}

const MORE = -1;
const ERROR = -2;

const enum S {
  Value,
  ObjFirst,
  ObjKey,
  Colon,
  ArrFirst,
  After,
  Str,
  Esc,
  Hex,
  Num,
  Lit,
  Done,
}

// number sub-states: after '-', after a leading 0, integer digits, after '.', fraction digits, after e, after e's sign, exponent digits
const enum N {
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  E,
  ESign,
  Exp,
}

/**
 * A strict JSON (RFC 8259) syntax scanner over bytes, fed piece by piece, that finds where one value
 * ends or where it stops being JSON. It does not build the value: JSON.parse does that afterwards.
 */
export class ValueScanner {
  private state = S.Value;
  private stack: boolean[] = [];
  private isKey = false;
  private num = N.Int;
  private lit = '';
  private litAt = 0;
  private hex = 0;
  /** whether a token was read on the current line before the error */
  tokenBeforeError = false;
  private tokenOnLine = false;
  error = '';
  errorAt = 0;

  /** The kind of the outermost open value, for messages. */
  openKind(): string {
    return this.stack[0] === true ? 'object' : this.stack[0] === false ? 'array' : this.state === S.Str ? 'string' : 'value';
  }

  private fail(at: number, message: string): number {
    this.tokenBeforeError = this.tokenOnLine;
    this.error = message;
    this.errorAt = at;
    return ERROR;
  }

  /** A value ended; true when it was the top-level one. */
  private afterValue(): boolean {
    this.state = this.stack.length === 0 ? S.Done : S.After;
    return this.stack.length === 0;
  }

  /** Scans buf[from, to): MORE, ERROR, or the offset just after the value. */
  scan(buf: Buffer, from: number, to: number): number {
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      switch (this.state) {
        case S.Str:
          if (b === 0x22) {
            if (this.isKey) this.state = S.Colon;
            else if (this.afterValue()) return i + 1;
          } else if (b === 0x5c) this.state = S.Esc;
          else if (b < 0x20) return this.fail(i, 'a control character inside a string (escape it, e.g. \\t)');
          continue;
        case S.Esc:
          if (b === 0x75) {
            this.state = S.Hex;
            this.hex = 0;
          } else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) this.state = S.Str;
          else return this.fail(i, `invalid escape '\\${String.fromCharCode(b)}' in a string`);
          continue;
        case S.Hex:
          if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)) {
            if (++this.hex === 4) this.state = S.Str;
          } else return this.fail(i, 'a \\u escape needs four hex digits');
          continue;
        case S.Num: {
          const r = this.numberByte(b, i);
          if (r === ERROR) return r;
          if (r === 1) continue;
          // the number ended before this byte
          if (this.afterValue()) return i;
          break;
        }
        case S.Lit:
          if (b === this.lit.charCodeAt(this.litAt)) {
            if (++this.litAt === this.lit.length && this.afterValue()) return i + 1;
            continue;
          }
          return this.fail(i, `invalid literal (expected '${this.lit}')`);
        case S.Done:
          return i;
      }
      if (isWs(b)) continue;
      const r = this.structural(b, i);
      if (r !== MORE) return r;
      this.tokenOnLine = true;
    }
    return MORE;
  }

  private structural(b: number, i: number): number {
    switch (this.state) {
      case S.Value:
      case S.ArrFirst:
        if (this.state === S.ArrFirst && b === 0x5d) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.startValue(b, i);
      case S.ObjFirst:
      case S.ObjKey:
        if (b === 0x22) {
          this.state = S.Str;
          this.isKey = true;
          return MORE;
        }
        if (b === 0x7d && this.state === S.ObjFirst) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.fail(
          i,
          this.state === S.ObjKey ? `expected a key in double quotes after ',', found ${show(b)}` : `expected a key in double quotes or '}', found ${show(b)}`,
        );
      case S.Colon:
        if (b === 0x3a) {
          this.state = S.Value;
          return MORE;
        }
        return this.fail(i, `expected ':' after a key, found ${show(b)}`);
      case S.After: {
        const inObject = this.stack[this.stack.length - 1]!;
        if (b === 0x2c) {
          this.state = inObject ? S.ObjKey : S.Value;
          return MORE;
        }
        if (b === (inObject ? 0x7d : 0x5d)) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.fail(i, `expected ',' or '${inObject ? '}' : ']'}' after a value, found ${show(b)}`);
      }
      default:
        return this.fail(i, `unexpected ${show(b)}`);
    }
  }

  private startValue(b: number, i: number): number {
    if (b === 0x7b) {
      this.stack.push(true);
      this.state = S.ObjFirst;
    } else if (b === 0x5b) {
      this.stack.push(false);
      this.state = S.ArrFirst;
    } else if (b === 0x22) {
      this.state = S.Str;
      this.isKey = false;
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      this.state = S.Num;
      this.num = b === 0x2d ? N.Minus : b === 0x30 ? N.Zero : N.Int;
    } else if (b === 0x74 || b === 0x66 || b === 0x6e) {
      this.state = S.Lit;
      this.lit = b === 0x74 ? 'true' : b === 0x66 ? 'false' : 'null';
      this.litAt = 1;
    } else return this.fail(i, `expected a value, found ${show(b)}`);
    return MORE;
  }

  /** 1: the byte belongs to the number; 0: the number ended before it; ERROR */
  private numberByte(b: number, i: number): number {
    const digit = b >= 0x30 && b <= 0x39;
    switch (this.num) {
      case N.Minus:
        if (digit) {
          this.num = b === 0x30 ? N.Zero : N.Int;
          return 1;
        }
        return this.fail(i, "a '-' must be followed by a digit");
      case N.Zero:
        if (digit) return this.fail(i, 'a number may not have a leading zero');
      // falls through
      case N.Int:
        if (digit) return 1;
        if (b === 0x2e) {
          this.num = N.Dot;
          return 1;
        }
        if (b === 0x65 || b === 0x45) {
          this.num = N.E;
          return 1;
        }
        return 0;
      case N.Dot:
        if (digit) {
          this.num = N.Frac;
          return 1;
        }
        return this.fail(i, "a '.' in a number must be followed by a digit");
      case N.Frac:
        if (digit) return 1;
        if (b === 0x65 || b === 0x45) {
          this.num = N.E;
          return 1;
        }
        return 0;
      case N.E:
        if (b === 0x2b || b === 0x2d) {
          this.num = N.ESign;
          return 1;
        }
      // falls through
      case N.ESign:
        if (digit) {
          this.num = N.Exp;
          return 1;
        }
        return this.fail(i, 'an exponent needs digits');
      case N.Exp:
        return digit ? 1 : 0;
    }
  }

  private numberComplete(): boolean {
    return this.state === S.Num && (this.num === N.Zero || this.num === N.Int || this.num === N.Frac || this.num === N.Exp);
  }

  /** The line ends: whitespace, except inside a string. Returns MORE, ERROR or 0 (the value ended). */
  newline(): number {
    if (this.state === S.Str || this.state === S.Esc || this.state === S.Hex)
      return this.failEnd('a line break inside a string (the string is never closed on its line)');
    if (this.state === S.Num) {
      if (!this.numberComplete()) return this.failEnd('the number is incomplete');
      this.afterValue();
    }
    if (this.state === S.Lit) return this.failEnd(`invalid literal (expected '${this.lit}')`);
    this.tokenOnLine = false;
    return this.state === S.Done ? 0 : MORE;
  }

  /** The file ends. Returns ERROR or 0 (the value ended). */
  end(): number {
    if (this.numberComplete() && this.stack.length === 0) return 0;
    if (this.state === S.Done) return 0;
    return this.failEnd(`unexpected end of file: the ${this.openKind()} is never closed (a truncated record?)`);
  }

  private failEnd(message: string): number {
    this.tokenBeforeError = true;
    this.error = message;
    this.errorAt = -1;
    return ERROR;
  }
}

function show(b: number): string {
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}
