import { LoadError } from '../errors.js';
import { quotePath } from '../display-path.js';
import type { CopyOptions } from '../types.js';
import type { MappedRecord, OpenFile } from './formats/source-format.js';
import { isRejection, type RowMapper } from './json-rows.js';
import type { RejectedLine } from './load-errors.js';
import type { JsonRecord } from './json-record-splitter.js';
import { openLocalFile } from './open-local-file.js';
import { readJsonRecords } from './read-json-records.js';

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
