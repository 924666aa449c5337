import type { CopyOptions, SourceTable } from '../types.js';
import { badRecordError } from './diagnose.js';
import { isRejection, type RowMapper } from './json-rows.js';
import { openLocalFile, readJsonRecords, type JsonRecord } from './read-json-records.js';

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
  /** counts records (non-blank lines) read and rows produced, as the text streams */
  stats?: { records: number; rows: number };
  /** characters per yielded chunk: fewer, larger writes cost less per row */
  chunkSize?: number;
}

/**
 * One record as a COPY text row. A record that does not fit its columns throws a LoadError with
 * the file, line and column.
 */
export function recordToCopyRow(rec: JsonRecord, file: string, mapper: RowMapper, source: SourceTable): string {
  const bad = (column: string | undefined, reason: string) => badRecordError(source, { file, line: rec.line, column, reason, raw: rec.raw });
  if (rec.parseError !== undefined) throw bad(undefined, `malformed JSON: ${rec.parseError}`);
  const values = mapper.map(rec.value, rec.raw);
  if (isRejection(values)) throw bad(values.column, values.reason);
  const nul = values.findIndex((v) => v !== null && v.includes('\0'));
  // postgres: text cannot hold NUL, in COPY or anywhere else
  if (nul >= 0) throw bad(mapper.columns[nul]!.name, 'contains a NUL character (\\u0000), which PostgreSQL cannot store');
  return copyTextRow(values);
}

/**
 * Streams the records of the files, in order and line by line, as COPY text in chunks of about
 * `chunkSize` characters. Pulled on demand, so a slow database slows the reading down.
 */
export async function* jsonFilesToCopyText(files: string[], compression: CopyOptions['compression'], mapper: RowMapper, opts: CopyTextOptions): AsyncGenerator<string> {
  const chunkSize = opts.chunkSize ?? 64 * 1024;
  const stats = opts.stats ?? { records: 0, rows: 0 };
  let chunk = '';
  for (const file of files) {
    const input = openLocalFile(file, compression);
    try {
      for await (const rec of readJsonRecords(input)) {
        stats.records++;
        chunk += recordToCopyRow(rec, file, mapper, opts.source);
        stats.rows++;
        if (chunk.length >= chunkSize) {
          yield chunk;
          chunk = '';
        }
      }
    } finally {
      input.destroy();
    }
  }
  if (chunk !== '') yield chunk;
}

/** Finds the record that became COPY row `row` (1-based), by reading the files again. */
export async function findCopyRow(files: string[], compression: CopyOptions['compression'], row: number): Promise<{ file: string; line: number; raw: string } | undefined> {
  let n = 0;
  for (const file of files) {
    const input = openLocalFile(file, compression);
    try {
      for await (const rec of readJsonRecords(input)) if (++n === row) return { file, line: rec.line, raw: rec.raw };
    } finally {
      input.destroy();
    }
  }
  return undefined;
}
