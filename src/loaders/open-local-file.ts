import { createReadStream, readFileSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { MAX_RECORD_BYTES } from './load-errors.js';

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
