import { LoadError } from '../errors.js';
import type { SourceTable } from '../types.js';

/** The table, in the target schema, that records every line a load skipped under `max_errors`. */
export const LOAD_ERRORS_TABLE = 'sparkify_load_errors';

/** Raw text is kept to this many bytes, as Redshift's STL_LOAD_ERRORS.raw_line (char(1024)). */
export const RAW_TEXT_BYTES = 1024;

/**
 * Redshift's limit for one JSON object ("the maximum size of a JSON object is 4 MB, applied before
 * any parsing": AWS docs, "Using COPY to load data into SUPER columns"). Every engine rejects larger
 * records, so a huge line is never held in memory whole.
 */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;

/**
 * One input line a load could not use. Every engine reports rejections in this shape; on Redshift
 * they come from STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL (filename, line_number, colname, position,
 * err_reason, raw_line).
 */
export interface RejectedLine {
  /** the file as the user named it: an absolute local path or an s3:// URI */
  file: string;
  /** 1-based line where the record starts */
  line: number;
  /** the table column the value was meant for, when the problem is one value */
  column?: string | undefined;
  /** 1-based character position in the line where reading failed (malformed JSON), when known */
  position?: number | undefined;
  reason: string;
  /** the record's text, at most RAW_TEXT_BYTES bytes of UTF-8 */
  raw: string;
}

/** A row of sparkify_load_errors: a rejected line plus the run and the source it belongs to. */
export interface RecordedRejection extends RejectedLine {
  runId: string;
  /** "sparkify.staging_events" */
  source: string;
  /** ISO 8601, UTC */
  recordedAt: string;
}

/** Cuts text to at most `bytes` bytes of UTF-8 without splitting a character; NULs become U+FFFD. */
export function truncateRaw(text: string, bytes = RAW_TEXT_BYTES): string {
  let s = text.includes('\0') ? text.replace(/\0/g, '\ufffd') : text;
  if (s.length * 3 <= bytes || Buffer.byteLength(s, 'utf8') <= bytes) return s;
  const buf = Buffer.from(s, 'utf8');
  let end = bytes;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  s = buf.subarray(0, end).toString('utf8');
  return s;
}

export function sourceLabel(source: SourceTable): string {
  return `${source.sourceName}.${source.name}`;
}

/** The located error for one rejected line: file:line:position, the column, the reason and a snippet. */
export function rejectionError(source: SourceTable, bad: RejectedLine, extra?: string): LoadError {
  const snippet = bad.raw.length > 200 ? bad.raw.slice(0, 197) + '...' : bad.raw;
  const e = new LoadError(
    `${extra ? `${extra}: ` : ''}${bad.column ? `column ${bad.column}: ` : ''}${bad.reason}\n  line: ${snippet.replace(/\r?\n/g, '\\n')}`,
    {
      file: bad.file,
      line: bad.line,
      column: bad.position,
      node: sourceLabel(source),
      hint:
        (source.copy?.maxErrors ?? 0) > 0
          ? `fix or remove the bad lines, or raise max_errors (now ${source.copy!.maxErrors}); the staging table keeps its previous contents`
          : 'fix or remove the line, or set copy.max_errors in sources.yml to skip bad lines; the staging table keeps its previous contents',
    },
  );
  e.rejected = [bad];
  return e;
}

/**
 * Redshift's MAXERROR: up to `maxErrors` bad lines are skipped and kept; the next one fails the load
 * with its location (and every line kept so far travels with the error, for the record).
 */
export class RejectionLimit {
  readonly rejected: RejectedLine[] = [];

  constructor(
    readonly source: SourceTable,
    readonly maxErrors: number = source.copy?.maxErrors ?? 0,
  ) {}

  /** Records a bad line; throws the located LoadError once there are more than maxErrors. */
  reject(bad: RejectedLine): void {
    const kept = { ...bad, raw: truncateRaw(bad.raw) };
    if (this.rejected.length < this.maxErrors) {
      this.rejected.push(kept);
      return;
    }
    const e = rejectionError(
      this.source,
      kept,
      this.maxErrors > 0 ? `more than max_errors (${this.maxErrors}) bad lines; bad line ${this.rejected.length + 1}` : undefined,
    );
    e.rejected = [...this.rejected, kept];
    throw e;
  }
}
