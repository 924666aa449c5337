import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export interface JsonRecord {
  line: number;
  raw: string;
  value?: unknown;
  /** set when the line is not valid JSON */
  parseError?: string;
}

/** Streams the records of a newline-delimited JSON file, one line at a time, never the whole file. */
export async function* readJsonRecords(input: Readable): AsyncGenerator<JsonRecord> {
  const rl = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (let raw of rl) {
    line++;
    if (line === 1 && raw.charCodeAt(0) === 0xfeff) raw = raw.slice(1);
    if (raw.trim() === '') continue;
    try {
      yield { line, raw, value: JSON.parse(raw) };
    } catch (e) {
      yield { line, raw, parseError: (e as Error).message };
    }
  }
}

export function openLocalFile(file: string, compression: 'none' | 'gzip' | 'zstd' = 'none'): Readable {
  const s = createReadStream(file);
  return compression === 'gzip' || file.endsWith('.gz') ? s.pipe(createGunzip()) : s;
}
