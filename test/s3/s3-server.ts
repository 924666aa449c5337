import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/**
 * A minimal S3-compatible server for tests, on loopback, path-style only: CreateBucket, HeadBucket,
 * PutObject, GetObject, HeadObject and ListObjectsV2 (prefix, max-keys, continuation-token,
 * start-after). Objects live in memory. Signatures are not checked, but every request is recorded
 * so tests can see what the real AWS SDK sent. Written because s3rver 3.7.1 (and its fork
 * @20minutes/s3rver 4.x) fails ListObjectsV2 continuation on Node 20: it encrypts tokens with
 * DES, which OpenSSL 3 no longer provides.
 */
export class TestS3Server {
  readonly buckets = new Map<string, Map<string, Buffer>>();
  readonly requests: { method: string; url: string; authorization?: string | undefined }[] = [];
  /** keys whose GET fails with this status (for error tests) */
  readonly failGets = new Map<string, number>();
  private server: http.Server | undefined;
  endpoint = '';

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          this.handle(req, Buffer.concat(chunks), res);
        } catch (err) {
          this.error(res, 500, 'InternalError', (err as Error).message);
        }
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  put(bucket: string, key: string, body: string | Buffer): void {
    let b = this.buckets.get(bucket);
    if (!b) this.buckets.set(bucket, (b = new Map()));
    b.set(key, Buffer.isBuffer(body) ? body : Buffer.from(body));
  }

  /** Puts every file under dir (recursively) at prefix + its relative path. Returns the count. */
  putDirectory(bucket: string, prefix: string, dir: string): number {
    let n = 0;
    for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = path.join(e.parentPath, e.name);
      this.put(bucket, prefix + path.relative(dir, full).split(path.sep).join('/'), readFileSync(full));
      n++;
    }
    return n;
  }

  private handle(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://localhost');
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const bucket = this.buckets.get(bucketName);
    if (bucketName === '') return this.error(res, 400, 'InvalidRequest', 'path-style requests only');
    if (key === '') {
      if (req.method === 'PUT') {
        if (!bucket) this.buckets.set(bucketName, new Map());
        res.writeHead(200).end();
        return;
      }
      if (!bucket) return this.error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', req.method === 'HEAD');
      if (req.method === 'HEAD') return void res.writeHead(200).end();
      if (req.method === 'GET' && url.searchParams.get('list-type') === '2') return this.list(bucketName, bucket, url.searchParams, res);
      return this.error(res, 501, 'NotImplemented', `${req.method} on a bucket`);
    }
    if (!bucket) return this.error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', req.method === 'HEAD');
    if (req.method === 'PUT') {
      bucket.set(key, decodeAwsChunked(req, body));
      res.writeHead(200, { ETag: etag(bucket.get(key)!) }).end();
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const fail = this.failGets.get(key);
      if (fail) return this.error(res, fail, fail === 403 ? 'AccessDenied' : 'InternalError', 'injected failure', req.method === 'HEAD');
      const obj = bucket.get(key);
      if (!obj) return this.error(res, 404, 'NoSuchKey', 'The specified key does not exist.', req.method === 'HEAD');
      res.writeHead(200, {
        'Content-Length': obj.length,
        'Content-Type': 'application/octet-stream',
        ETag: etag(obj),
        'Last-Modified': new Date(0).toUTCString(),
      });
      res.end(req.method === 'GET' ? obj : undefined);
      return;
    }
    this.error(res, 501, 'NotImplemented', `${req.method} on an object`);
  }

  private list(name: string, bucket: Map<string, Buffer>, q: URLSearchParams, res: http.ServerResponse): void {
    const prefix = q.get('prefix') ?? '';
    const maxKeys = Math.min(1000, Number(q.get('max-keys') ?? 1000));
    const after = q.get('continuation-token') ? Buffer.from(q.get('continuation-token')!, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
    // S3 lists keys in UTF-8 binary order
    const keys = [...bucket.keys()]
      .filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const page = keys.slice(0, maxKeys);
    const truncated = keys.length > page.length;
    const xml =
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">` +
      `<Name>${esc(name)}</Name><Prefix>${esc(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys>` +
      `<IsTruncated>${truncated}</IsTruncated>` +
      (truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!).toString('base64url')}</NextContinuationToken>` : '') +
      page
        .map(
          (k) =>
            `<Contents><Key>${esc(k)}</Key><LastModified>1970-01-01T00:00:00.000Z</LastModified><ETag>${esc(etag(bucket.get(k)!))}</ETag><Size>${bucket.get(k)!.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`,
        )
        .join('') +
      `</ListBucketResult>`;
    res.writeHead(200, { 'Content-Type': 'application/xml' }).end(xml);
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, head = false): void {
    if (head) return void res.writeHead(status).end();
    res
      .writeHead(status, { 'Content-Type': 'application/xml' })
      .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message></Error>`);
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

/** The SDK may stream uploads as aws-chunked bodies ("<hex size>[;...]\r\n<data>\r\n ... 0\r\n<trailers>"). */
function decodeAwsChunked(req: http.IncomingMessage, body: Buffer): Buffer {
  if (!String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) return body;
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    const size = parseInt(body.subarray(at, eol).toString('latin1').split(';')[0]!, 16);
    if (!size) break;
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
