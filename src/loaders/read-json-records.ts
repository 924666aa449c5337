import type { Readable } from 'node:stream';
import { JsonRecordSplitter, type JsonRecord } from './json-record-splitter.js';

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
