import type { Readable } from 'node:stream';
import { LoadError, quotePath } from '../errors.js';
import type { CopyOptions, SourceTable } from '../types.js';
import { isRejection, type RowMapper } from './json-rows.js';
import { RejectionLimit, rejectionError, type RejectedLine } from './load-errors.js';
import { openLocalFile, readJsonRecords, type JsonRecord } from './read-json-records.js';

/** Opens one file of a source as a byte stream (decompressed). */
export type OpenFile = (file: string, compression: CopyOptions['compression']) => Readable;

/** One record of a source: its column values, or why it is rejected. */
export interface MappedRecord {
  file: string;
  record: JsonRecord;
  values?: (string | null)[] | undefined;
  bad?: RejectedLine | undefined;
}

/** Why a record cannot load, as a RejectedLine; undefined when it maps to a row. */
export function rejectionOf(file: string, rec: JsonRecord, mapped: ReturnType<RowMapper['map']> | undefined): RejectedLine | undefined {
  if (rec.parseError !== undefined) {
    const at = rec.errorLine ?? rec.line;
    return {
      file,
      line: at,
      position: rec.position,
      reason: rec.parseError + (at !== rec.line ? ` (in the record that starts on line ${rec.line})` : ''),
      raw: rec.raw,
    };
  }
  if (mapped !== undefined && isRejection(mapped)) {
    if (mapped.offset === undefined) return { file, line: rec.line, column: mapped.column, reason: mapped.reason, raw: rec.raw };
    const { lines, position } = placeOf(rec.raw, mapped.offset, rec.column ?? 1);
    return {
      file,
      line: rec.line + lines,
      column: mapped.column,
      position,
      reason: mapped.reason + (lines > 0 ? ` (in the record that starts on line ${rec.line})` : ''),
      raw: rec.raw,
    };
  }
  return undefined;
}

/** The line (counted from the record's first) and 1-based character position of an offset in a record's text. */
function placeOf(raw: string, offset: number, startColumn: number): { lines: number; position: number } {
  let lines = 0;
  let lineStart = 0;
  for (let i = raw.indexOf('\n'); i >= 0 && i < offset; i = raw.indexOf('\n', i + 1)) {
    lines++;
    lineStart = i + 1;
  }
  let chars = 0;
  for (let i = lineStart; i < offset; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) chars++; // a surrogate pair is one character
  }
  return { lines, position: (lines === 0 ? startColumn : 1) + chars };
}

/**
 * Reads the files in order, record by record, and maps each one: the values of its row, or why it
 * is rejected. A file that cannot be read at all (a broken gzip stream) is a LoadError.
 */
export async function* mapRecords(
  files: string[],
  compression: CopyOptions['compression'],
  mapper: RowMapper,
  open: OpenFile = openLocalFile,
): AsyncGenerator<MappedRecord> {
  for (const file of files) {
    const input = open(file, compression);
    try {
      for await (const record of readJsonRecords(input)) {
        const mapped = record.parseError === undefined ? mapper.map(record.value, record.raw) : undefined;
        const bad = rejectionOf(file, record, mapped);
        yield bad ? { file, record, bad } : { file, record, values: mapped as (string | null)[] };
      }
    } catch (err) {
      throw readError(file, err);
    } finally {
      input.destroy();
    }
  }
}

/** A failure while reading a file, as a LoadError naming it (a LoadError passes through). */
export function readError(file: string, err: unknown): LoadError {
  if (err instanceof LoadError) return err;
  // a file name with a newline would split the message: it is quoted, in the system's message too
  const msg = (err instanceof Error ? err.message : String(err)).split(file).join(quotePath(file));
  return new LoadError(`cannot read ${quotePath(file)}: ${msg}`, {
    file,
    hint: /header|gzip|unexpected end/i.test(msg)
      ? 'is it really gzip? copy.compression: gzip reads every file as gzip; without it only files ending in .gz are'
      : undefined,
    cause: err,
  });
}

/** Scans files in order for the first record that cannot load; used to locate an engine's error. */
export async function findFirstBadRecord(
  files: string[],
  mapper: RowMapper,
  compression: CopyOptions['compression'] = 'none',
  open?: OpenFile,
): Promise<RejectedLine | undefined> {
  for await (const r of mapRecords(files, compression, mapper, open)) if (r.bad) return r.bad;
  return undefined;
}

export interface Rejections {
  /** records read (JSON values; a pretty-printed object counts once) */
  records: number;
  rejected: RejectedLine[];
  /** the files that hold at least one rejected record */
  files: Set<string>;
}

/** Reads every file and applies the source's max_errors; throws the located LoadError past it. */
export async function collectRejections(files: string[], source: SourceTable, mapper: RowMapper, open?: OpenFile): Promise<Rejections> {
  const limit = new RejectionLimit(source);
  const bad = new Set<string>();
  let records = 0;
  for await (const r of mapRecords(files, source.copy?.compression ?? 'none', mapper, open)) {
    records++;
    if (r.bad) {
      limit.reject(r.bad);
      bad.add(r.file);
    }
  }
  return { records, rejected: limit.rejected, files: bad };
}

export function badRecordError(source: SourceTable, bad: RejectedLine): LoadError {
  return rejectionError(source, bad);
}
