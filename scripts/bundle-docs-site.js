// Builds the docs site's assets into dist/docs-site/: src/docs/site/app.ts bundled for the browser
// with @dagrejs/dagre and sparkify's selector code (esbuild), plus index.html and site.css.
// Run by `npm run build` (and so by npm ci). `sparkify docs generate` copies them into target/docs/.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'docs-site');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [path.join(root, 'src/docs/site/app.ts')],
  outfile: path.join(out, 'app.js'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['es2022'],
  minify: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
for (const f of ['index.html', 'site.css']) copyFileSync(path.join(root, 'src/docs/site', f), path.join(out, f));
