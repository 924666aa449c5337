import { isUtf8 } from 'node:buffer';
import { ERROR, MORE, ValueScanner, isJsonWhitespace } from './json-value-scanner.js';
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

const LF = 10;
const CR = 13;
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
  while (i < buf.length && isJsonWhitespace(buf[i]!)) i++;
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

/** Options of a JsonRecordSplitter. */
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

/**
 * Splits a byte stream into JSON records. Lines that hold exactly one value take the fast path
 * (JSON.parse of the line); anything else is scanned byte by byte. A malformed record ends at the
 * end of the line where the problem is, and reading resumes on the next line. A record that never
 * closes ends before the next line that cannot continue it, so one truncated line does not swallow
 * the rest of the file.
 */
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
    while (end > 0 && isJsonWhitespace(b[end - 1]!)) end--;
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
