import type { CopyOptions, SourceTable } from '../types.js';
import type { OpenFile } from './formats/source-format.js';
import { mapRecords, readError, rejectionOf } from './map-json-records.js';
import type { RowMapper } from './json-rows.js';
import { RejectionLimit, rejectionError } from './load-errors.js';
import { JsonRecordSplitter, type JsonRecord } from './json-record-splitter.js';
import { openLocalFile } from './open-local-file.js';

export type { OpenFile } from './formats/source-format.js';

const SPECIAL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One value in PostgreSQL's COPY text format: NULL is `\N`; backslash, tab, newline and carriage
 * return are backslash-escaped, so a text `\N` arrives as `\\N` and stays text.
 */
export function copyTextValue(v: string | null): string {
  if (v === null) return '\\N';
  SPECIAL.lastIndex = 0;
  return SPECIAL.test(v) ? v.replace(SPECIAL, (c) => ESCAPES[c]!) : v;
}

export function copyTextRow(values: (string | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) line += (i === 0 ? '' : '\t') + copyTextValue(values[i]!);
  return line + '\n';
}

export interface CopyTextOptions {
  /** the source being loaded, for errors */
  source: SourceTable;
  /** counts records read, rows produced and records rejected, as the text streams (and, when present, files done and bytes read) */
  stats?: { records: number; rows: number; files?: number; bytes?: number };
  /** applies max_errors: bad records are kept here, and the one past the limit throws */
  limit?: RejectionLimit;
  /** characters per yielded chunk: fewer, larger writes cost less per row */
  chunkSize?: number;
  open?: OpenFile;
  /** false: every record takes the full path (tests compare the two) */
  fast?: boolean;
}

/**
 * One record as a COPY text row. A record that does not fit its columns throws a LoadError with
 * the file, line and column.
 */
export function recordToCopyRow(rec: JsonRecord, file: string, mapper: RowMapper, source: SourceTable): string {
  const mapped = rec.parseError === undefined ? mapper.map(rec.value, rec.raw) : undefined;
  const bad = rejectionOf(file, rec, mapped);
  if (bad) throw rejectionError(source, bad);
  return copyTextRow(mapped as (string | null)[]);
}

/**
 * Streams the records of the files, in order, as COPY text (UTF-8) in chunks of about `chunkSize`
 * bytes. Bad records go to `limit` (max_errors); without one the first bad record throws.
 * Pulled on demand, so a slow database slows the reading down.
 *
 * A line holding one flat object takes the mapper's fast path when it has one (fast-copy-rows.ts:
 * bytes in, bytes out, the same row the full path makes); every other record is parsed and mapped
 * in full. Rows keep the order of the records either way, so COPY row N is still the N-th record
 * that loads (findCopyRow).
 */
export async function* jsonFilesToCopyText(files: string[], compression: CopyOptions['compression'], mapper: RowMapper, opts: CopyTextOptions): AsyncGenerator<Buffer> {
  const chunkSize = opts.chunkSize ?? 256 * 1024;
  const stats = opts.stats ?? { records: 0, rows: 0 };
  const limit = opts.limit ?? new RejectionLimit(opts.source, 0);
  const open = opts.open ?? openLocalFile;
  const fast = opts.fast === false ? undefined : mapper.fast;
  const out = new ChunkWriter(chunkSize);
  for (const file of files) {
    const onRecord = (record: JsonRecord) => {
      stats.records++;
      const mapped = record.parseError === undefined ? mapper.map(record.value, record.raw) : undefined;
      const bad = rejectionOf(file, record, mapped);
      if (bad) {
        limit.reject(bad);
        return;
      }
      out.text(copyTextRow(mapped as (string | null)[]));
      stats.rows++;
    };
    const takeLine = fast
      ? (line: Buffer, from: number, to: number) => {
          const buf = out.room(fast.maxRowBytes(to - from));
          const end = fast.encode(line, from, to, buf, out.at);
          if (end < 0) return false;
          out.at = end;
          stats.records++;
          stats.rows++;
          return true;
        }
      : undefined;
    const splitter = new JsonRecordSplitter({ takeLine, onRecord });
    const input = open(file, compression);
    try {
      for await (const chunk of input) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
        if (stats.bytes !== undefined) stats.bytes += buf.length;
        splitter.push(buf);
        yield* out.full();
      }
      splitter.end();
    } catch (err) {
      throw readError(file, err);
    } finally {
      input.destroy();
    }
    if (stats.files !== undefined) stats.files++;
    yield* out.full();
  }
  const last = out.rest();
  if (last) yield last;
}

/** Collects rows into buffers of about `size` bytes; a full buffer is handed out and never reused. */
class ChunkWriter {
  private buf: Buffer;
  at = 0;
  private done: Buffer[] = [];

  constructor(private readonly size: number) {
    this.buf = Buffer.allocUnsafe(size + 64 * 1024);
  }

  /** The buffer to write at `at`, with at least `n` bytes free. */
  room(n: number): Buffer {
    if (this.at + n > this.buf.length) {
      if (this.at > 0) this.done.push(this.buf.subarray(0, this.at));
      this.buf = Buffer.allocUnsafe(Math.max(this.size + 64 * 1024, n));
      this.at = 0;
    }
    return this.buf;
  }

  text(row: string): void {
    const buf = this.room(Buffer.byteLength(row, 'utf8'));
    this.at += buf.write(row, this.at, 'utf8');
  }

  *full(): Generator<Buffer> {
    if (this.at >= this.size) {
      this.done.push(this.buf.subarray(0, this.at));
      this.buf = Buffer.allocUnsafe(this.size + 64 * 1024);
      this.at = 0;
    }
    const d = this.done;
    this.done = [];
    yield* d;
  }

  rest(): Buffer | undefined {
    const d = this.at > 0 ? this.buf.subarray(0, this.at) : undefined;
    this.at = 0;
    return d;
  }
}

/** Finds the record that became COPY row `row` (1-based), by reading the files again; rejected records made no row. */
export async function findCopyRow(files: string[], compression: CopyOptions['compression'], row: number, mapper: RowMapper, open?: OpenFile): Promise<{ file: string; line: number; raw: string } | undefined> {
  let n = 0;
  for await (const r of mapRecords(files, compression, mapper, open)) {
    if (!r.bad && ++n === row) return { file: r.file, line: r.record.line, raw: r.record.raw };
  }
  return undefined;
}
