import type { CopyOptions, SourceTable } from '../types.js';
import { mapRecords, rejectionOf, type OpenFile } from './diagnose.js';
import type { RowMapper } from './json-rows.js';
import { RejectionLimit, rejectionError } from './load-errors.js';
import type { JsonRecord } from './read-json-records.js';

export type { OpenFile } from './diagnose.js';

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
  /** counts records read, rows produced and records rejected, as the text streams */
  stats?: { records: number; rows: number };
  /** applies max_errors: bad records are kept here, and the one past the limit throws */
  limit?: RejectionLimit;
  /** characters per yielded chunk: fewer, larger writes cost less per row */
  chunkSize?: number;
  open?: OpenFile;
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
 * Streams the records of the files, in order, as COPY text in chunks of about `chunkSize`
 * characters. Bad records go to `limit` (max_errors); without one the first bad record throws.
 * Pulled on demand, so a slow database slows the reading down.
 */
export async function* jsonFilesToCopyText(files: string[], compression: CopyOptions['compression'], mapper: RowMapper, opts: CopyTextOptions): AsyncGenerator<string> {
  const chunkSize = opts.chunkSize ?? 64 * 1024;
  const stats = opts.stats ?? { records: 0, rows: 0 };
  const limit = opts.limit ?? new RejectionLimit(opts.source, 0);
  let chunk = '';
  for await (const r of mapRecords(files, compression, mapper, opts.open)) {
    stats.records++;
    if (r.bad) {
      limit.reject(r.bad);
      continue;
    }
    chunk += copyTextRow(r.values!);
    stats.rows++;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}

/** Finds the record that became COPY row `row` (1-based), by reading the files again; rejected records made no row. */
export async function findCopyRow(files: string[], compression: CopyOptions['compression'], row: number, mapper: RowMapper, open?: OpenFile): Promise<{ file: string; line: number; raw: string } | undefined> {
  let n = 0;
  for await (const r of mapRecords(files, compression, mapper, open)) {
    if (!r.bad && ++n === row) return { file: r.file, line: r.record.line, raw: r.record.raw };
  }
  return undefined;
}
