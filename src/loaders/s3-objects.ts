import { createWriteStream } from 'node:fs';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { LoadError } from '../errors.js';
import { formatS3Uri, requireS3Uri, s3KeyPrefix } from './s3-uri.js';

/** One object under an s3:// location. */
export interface S3Object {
  uri: string;
  key: string;
  size: number;
  /** the object's ETag as S3 lists it (quoted), which changes when the object is rewritten */
  etag?: string | undefined;
}

export interface ListS3Options {
  /** keys per ListObjectsV2 page (S3's maximum and default is 1000) */
  pageSize?: number;
  /** the sources.yml that named the location, for errors */
  sourceFile?: string | undefined;
  /** true when the client sends unsigned requests, for the hint of an access error */
  anonymous?: boolean;
  /** list by the key exactly as written (no trailing '/' for a folder-style key), one page only */
  exact?: boolean;
}

/** An SDK or network error as a LoadError that names the object and says what to check. */
export function s3Error(err: unknown, uri: string, anonymous = false, sourceFile?: string): LoadError {
  if (err instanceof LoadError) return err;
  const e = err as { name?: string; Code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  let hint = 'check [S3] REGION, ENDPOINT and FORCE_PATH_STYLE in your config';
  if (code === 'NoSuchBucket') hint = 'check the bucket name in the location';
  else if (code === 'NoSuchKey' || status === 404) hint = 'the object does not exist (any more); check the location';
  else if (code === 'AccessDenied' || code === 'Forbidden' || status === 403) {
    hint = anonymous
      ? 'no AWS credentials were found, so the request was unsigned; set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for a private bucket'
      : 'the credentials in use may not read this bucket: it needs s3:ListBucket and s3:GetObject';
  }
  const detail = e.message && e.message !== code && e.message !== 'UnknownError' ? `: ${e.message}` : '';
  return new LoadError(`cannot read ${uri}: ${code}${status ? ` (HTTP ${status})` : ''}${detail}`, { file: sourceFile, hint, cause: err });
}

/**
 * Every object under an s3:// location, sorted by key, page by page. The location is a key
 * prefix with Redshift COPY's semantics (see s3KeyPrefix); "folder" marker keys ending in '/'
 * hold no data and are left out.
 */
export async function listS3Objects(client: S3Client, location: string, opts: ListS3Options = {}): Promise<S3Object[]> {
  const { bucket, key } = requireS3Uri(location, 'S3 location', { file: opts.sourceFile });
  const prefix = opts.exact ? key : s3KeyPrefix(key);
  const objects: S3Object[] = [];
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: opts.pageSize }));
    } catch (err) {
      throw s3Error(err, formatS3Uri(bucket, prefix), opts.anonymous, opts.sourceFile);
    }
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      objects.push({ uri: formatS3Uri(bucket, o.Key), key: o.Key, size: o.Size ?? 0, etag: o.ETag });
    }
    token = page.IsTruncated && !opts.exact ? page.NextContinuationToken : undefined;
  } while (token);
  if (objects.length === 0) {
    throw new LoadError(`no objects found at ${formatS3Uri(bucket, prefix)}`, {
      file: opts.sourceFile,
      hint: 'check the location in sources.yml and the [S3] paths in your config (a location is a key prefix)',
    });
  }
  // S3 lists in UTF-8 byte order already; sort anyway so that every engine reads in one order
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Starts a GetObject and resolves with its body stream once the headers have arrived. */
export async function getS3Object(client: S3Client, uri: string, anonymous = false): Promise<Readable> {
  const { bucket, key } = requireS3Uri(uri);
  try {
    const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!(r.Body instanceof Readable)) throw new Error('the response has no body stream');
    return r.Body;
  } catch (err) {
    throw s3Error(err, uri, anonymous);
  }
}

/**
 * An object's body as a stream that exists at once: the request starts now and its bytes flow
 * when the stream is read, with backpressure, so no object is ever held whole in memory.
 */
export function openS3Object(body: Promise<Readable>, uri: string): Readable {
  const out = new PassThrough();
  body.then(
    (src) => {
      if (out.destroyed) {
        src.destroy();
        return;
      }
      out.once('close', () => src.destroy());
      src.once('error', (err) => out.destroy(s3Error(err, uri)));
      src.pipe(out);
    },
    (err) => out.destroy(err instanceof Error ? err : new Error(String(err))),
  );
  return out;
}

export async function readS3Text(client: S3Client, uri: string, anonymous = false): Promise<string> {
  const body = await getS3Object(client, uri, anonymous);
  const chunks: Buffer[] = [];
  try {
    for await (const c of body) chunks.push(c as Buffer);
  } catch (err) {
    throw s3Error(err, uri, anonymous);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Streams an object into a local file. */
export async function downloadS3Object(client: S3Client, uri: string, file: string, anonymous = false): Promise<void> {
  const body = await getS3Object(client, uri, anonymous);
  try {
    await pipeline(body, createWriteStream(file));
  } catch (err) {
    throw s3Error(err, uri, anonymous);
  }
}

/** Writes a small object whole (a COPY manifest). */
export async function putS3Object(client: S3Client, uri: string, body: string, contentType: string, anonymous = false): Promise<void> {
  const { bucket, key } = requireS3Uri(uri);
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }));
  } catch (err) {
    const e = s3Error(err, uri, anonymous);
    e.message = e.message.replace(/^cannot read /, 'cannot write ');
    if (/s3:ListBucket and s3:GetObject/.test(e.hint ?? ''))
      e.hint = 'the credentials in use may not write this bucket: writing a manifest needs s3:PutObject on [S3] MANIFEST_PREFIX';
    throw e;
  }
}
