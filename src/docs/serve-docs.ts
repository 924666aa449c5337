import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import path from 'node:path';
import { SparkifyError } from '../errors.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export interface DocsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Serves the generated site (target/docs) on 127.0.0.1 only; `port` 0 picks a free port. */
export async function serveDocs(docsDir: string, opts: { port: number }): Promise<DocsServer> {
  if (!existsSync(path.join(docsDir, 'index.html'))) {
    throw new SparkifyError(`no docs site at ${docsDir}`, { hint: 'run sparkify docs generate first' });
  }
  const root = path.resolve(docsDir);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      res.writeHead(400).end('bad path');
      return;
    }
    const file = path.resolve(root, '.' + path.posix.normalize(rel.endsWith('/') ? rel + 'index.html' : rel));
    // nothing outside target/docs is served, whatever the path says
    if ((file !== root && !file.startsWith(root + path.sep)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new SparkifyError(`port ${opts.port} on 127.0.0.1 is in use`, { hint: 'pick another with --port N (0 picks a free one)' })
          : new SparkifyError(`cannot serve the docs on 127.0.0.1:${opts.port}: ${err.message}`, { hint: 'pick another port with --port N' }),
      );
    });
    server.listen(opts.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : opts.port;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
