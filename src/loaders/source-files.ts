import { readFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { LoadError } from '../errors.js';
import { quotePath } from '../display-path.js';
import type { CopyOptions } from '../types.js';
import { listLocalFiles } from './list-files.js';
import { openLocalFile } from './open-local-file.js';
import { createS3Client, type ResolvedS3Client, type S3Settings } from './s3-client.js';
import { downloadS3Object, getS3Object, listS3Objects, openS3Object, putS3Object, readS3Text } from './s3-objects.js';
import { isS3Uri } from './s3-uri.js';

/** One file of a source: a local path or an s3:// URI, with its size when the listing gave it. */
export interface FileRef {
  uri: string;
  size?: number | undefined;
  /** S3 objects: the ETag the listing gave */
  etag?: string | undefined;
}

/** Local copies of a batch of files, for engines that read files themselves (DuckDB). */
export interface StagedBatch {
  /** local paths, in the order of `refs` */
  paths: string[];
  refs: FileRef[];
  /** the original location of a local path, for errors */
  uriOf(localPath: string): string;
}

export interface StageLimits {
  /** files per batch */
  maxFiles: number;
  /** bytes of S3 objects per batch (by their listed size); a larger object is a batch on its own */
  maxBytes?: number;
  /** objects downloaded at once */
  concurrency?: number;
}

export type Compression = CopyOptions['compression'];

/**
 * The files of sources, local or in S3, behind one interface: list a location, open a file as a
 * stream, read a small file whole (JSONPaths), or stage batches of files on local disk. One
 * instance per engine; it owns the S3 client and closes it.
 */
export class SourceFiles {
  private s3: Promise<ResolvedS3Client> | undefined;

  constructor(
    private readonly settings: S3Settings = {},
    private readonly options: { pageSize?: number } = {},
  ) {}

  private client(): Promise<ResolvedS3Client> {
    this.s3 ??= createS3Client(this.settings);
    return this.s3;
  }

  /**
   * The files of a location, sorted: local (file, folder or glob) or an s3:// key prefix. With
   * `manifest`, the location is a manifest file and its entries are the files, as in Redshift's COPY.
   */
  async list(
    location: string,
    sourceFile?: string,
    opts: { manifest?: boolean | undefined; onWarning?: ((message: string) => void) | undefined } = {},
  ): Promise<FileRef[]> {
    if (opts.manifest) return this.listManifest(location, sourceFile);
    if (!isS3Uri(location)) return (await listLocalFiles(location, sourceFile, opts.onWarning)).map((uri) => ({ uri }));
    const { client, anonymous } = await this.client();
    const objects = await listS3Objects(client, location, { sourceFile, anonymous, pageSize: this.options.pageSize });
    return objects.map((o) => ({ uri: o.uri, size: o.size, etag: o.etag }));
  }

  /**
   * The entries of a manifest (AWS docs, "Using a manifest to specify data files"):
   * `{"entries": [{"url": "s3://bucket/key", "mandatory": true}, ...]}`. A missing mandatory entry
   * is an error, a missing optional one is skipped, and no file at all is an error, as in COPY.
   * Entries may also be local paths, relative to the manifest.
   */
  private async listManifest(location: string, sourceFile?: string): Promise<FileRef[]> {
    const text = await this.readText(location, sourceFile);
    const bad = (why: string) =>
      new LoadError(`invalid manifest ${location}: ${why}`, {
        file: sourceFile,
        hint: 'a manifest is {"entries": [{"url": "s3://bucket/key", "mandatory": true}]}',
      });
    let doc: unknown;
    try {
      doc = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (e) {
      throw bad((e as Error).message);
    }
    const entries = (doc as { entries?: unknown } | null)?.entries;
    if (!Array.isArray(entries)) throw bad('no "entries" array');
    const files: FileRef[] = [];
    for (const [i, entry] of entries.entries()) {
      const url = (entry as { url?: unknown } | null)?.url;
      if (typeof url !== 'string' || url === '') throw bad(`entry ${i + 1} has no "url"`);
      const mandatory = (entry as { mandatory?: unknown }).mandatory === true;
      const uri = isS3Uri(url) || path.isAbsolute(url) || isS3Uri(location) ? url : path.resolve(path.dirname(location), url);
      const found = await this.stat(uri, sourceFile);
      if (found) files.push(found);
      else if (mandatory) throw new LoadError(`a mandatory file of manifest ${location} does not exist: ${uri}`, { file: sourceFile });
    }
    if (files.length === 0) throw new LoadError(`no files found from manifest ${location}`, { file: sourceFile });
    return files;
  }

  /** The file with its size, or undefined when there is no such file (or object). */
  private async stat(uri: string, sourceFile?: string): Promise<FileRef | undefined> {
    if (!isS3Uri(uri)) {
      try {
        const st = await stat(uri);
        return st.isFile() ? { uri, size: st.size } : undefined;
      } catch {
        return undefined;
      }
    }
    const { client, anonymous } = await this.client();
    // the object itself: the first key of a listing by its own name, when it is that name
    const objects = await listS3Objects(client, uri, { sourceFile, anonymous, pageSize: 1, exact: true }).catch((err: unknown) => {
      if (err instanceof LoadError && /^no objects found/.test(err.message)) return [];
      throw err;
    });
    const o = objects.find((x) => x.uri === uri);
    return o ? { uri: o.uri, size: o.size } : undefined;
  }

  /** A file's content as a stream, decompressed by the same rule for local files and S3 objects. */
  open(uri: string, compression: Compression = 'none'): Readable {
    if (!isS3Uri(uri)) return openLocalFile(uri, compression);
    return this.decompress(
      openS3Object(
        this.client().then(({ client, anonymous }) => getS3Object(client, uri, anonymous)),
        uri,
      ),
      uri,
      compression,
    );
  }

  /**
   * An `open` for reading `files` in order that requests the next few S3 objects while the
   * current one streams, so a source of many small objects is not one round trip per object.
   * Bodies wait unread (TCP backpressure), so memory stays bounded. close() drops what was not read.
   */
  opener(files: string[], compression: Compression = 'none', prefetch = 8): { open: (uri: string) => Readable; close: () => void } {
    const pending = new Map<string, Promise<Readable>>();
    const index = new Map(files.map((f, i) => [f, i]));
    const start = (uri: string) => {
      if (!pending.has(uri)) {
        const p = this.client().then(({ client, anonymous }) => getS3Object(client, uri, anonymous));
        p.catch(() => undefined); // reported when the stream is opened
        pending.set(uri, p);
      }
      return pending.get(uri)!;
    };
    return {
      open: (uri) => {
        if (!isS3Uri(uri)) return openLocalFile(uri, compression);
        const body = start(uri);
        pending.delete(uri);
        const at = index.get(uri) ?? -1;
        for (let i = at + 1; at >= 0 && i <= at + prefetch && i < files.length; i++) void start(files[i]!);
        return this.decompress(openS3Object(body, uri), uri, compression);
      },
      close: () => {
        for (const p of pending.values())
          void p.then(
            (s) => s.destroy(),
            () => undefined,
          );
        pending.clear();
      },
    };
  }

  /** A small file read whole, such as a JSONPaths file. */
  async readText(uri: string, sourceFile?: string): Promise<string> {
    if (isS3Uri(uri)) {
      const { client, anonymous } = await this.client();
      return readS3Text(client, uri, anonymous);
    }
    try {
      return await readFile(uri, 'utf8');
    } catch {
      throw new LoadError(`cannot read ${quotePath(uri)}`, { file: sourceFile, hint: 'check the path in sources.yml and the [S3] paths in your config' });
    }
  }

  /** Writes a small S3 object whole (the manifest of an incremental load on Redshift). */
  async writeS3Text(uri: string, text: string, contentType = 'application/json'): Promise<void> {
    const { client, anonymous } = await this.client();
    await putS3Object(client, uri, text, contentType, anonymous);
  }

  /**
   * Batches of files as local paths. Local files are yielded in place; S3 objects are downloaded
   * into a private temporary folder a batch at a time and deleted when the consumer asks for the
   * next batch (or stops), so at most one batch is ever on disk.
   */
  async *stage(files: FileRef[], limits: StageLimits): AsyncGenerator<StagedBatch> {
    const maxBytes = limits.maxBytes ?? 256 * 1024 * 1024;
    const batches: FileRef[][] = [];
    let current: FileRef[] = [];
    let bytes = 0;
    for (const f of files) {
      const size = f.size ?? 0;
      if (current.length > 0 && (current.length >= limits.maxFiles || (isS3Uri(f.uri) && bytes + size > maxBytes))) {
        batches.push(current);
        current = [];
        bytes = 0;
      }
      current.push(f);
      bytes += size;
    }
    if (current.length > 0) batches.push(current);

    let dir: string | undefined;
    try {
      let n = 0;
      for (const refs of batches) {
        if (!refs.some((r) => isS3Uri(r.uri))) {
          yield { paths: refs.map((r) => r.uri), refs, uriOf: (p) => p };
          continue;
        }
        dir ??= await mkdtemp(path.join(tmpdir(), 'sparkify-s3-'));
        const byPath = new Map<string, string>();
        const paths = refs.map((r) => {
          if (!isS3Uri(r.uri)) return r.uri;
          // keep the object's name: DuckDB detects compression from the extension
          const p = path.join(dir!, `${String(n++).padStart(7, '0')}-${path.posix.basename(r.uri)}`);
          byPath.set(p, r.uri);
          return p;
        });
        const { client, anonymous } = await this.client();
        await mapLimit(refs, limits.concurrency ?? 8, async (r, i) => {
          if (isS3Uri(r.uri)) await downloadS3Object(client, r.uri, paths[i]!, anonymous);
        });
        try {
          yield { paths, refs, uriOf: (p) => byPath.get(p) ?? p };
        } finally {
          await Promise.all([...byPath.keys()].map((p) => rm(p, { force: true })));
        }
      }
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    const s3 = this.s3;
    this.s3 = undefined;
    if (s3) (await s3.catch(() => undefined))?.client.destroy();
  }

  private decompress(stream: Readable, uri: string, compression: Compression): Readable {
    if (compression !== 'gzip' && !uri.endsWith('.gz')) return stream;
    const gunzip = createGunzip();
    stream.once('error', (err) => gunzip.destroy(err));
    gunzip.once('close', () => stream.destroy());
    return stream.pipe(gunzip);
  }
}

/** Runs fn over items with at most `limit` at once; the first failure rejects (after the rest settle). */
async function mapLimit<T>(items: T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i]!, i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) throw failed;
}
