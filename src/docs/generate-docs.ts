import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEngine } from '../adapters/create-engine.js';
import { artifactsDir, compileWithDatabase, writeCompiled, type Compiled, type ProjectOptions } from '../api.js';
import { SparkifyError } from '../errors.js';
import { maskSecrets } from '../mask-secrets.js';
import { columnLineage, type ColumnLineageDoc } from '../lineage/column-lineage.js';
import { buildCatalog, catalogColumnNames, type Catalog } from './build-catalog.js';
import { siteData, type RunResultsFile, type SiteData } from './site-data.js';

/** The site's files, bundled from npm packages by `npm run build` (scripts/bundle-docs-site.js). */
export const SITE_ASSETS_DIR = fileURLToPath(new URL('../../dist/docs-site/', import.meta.url));
export const SITE_ASSETS = ['index.html', 'app.js', 'site.css'];

export interface GenerateDocsResult {
  compiled: Compiled;
  catalog: Catalog;
  lineage: ColumnLineageDoc;
  site: SiteData;
  /** target/docs */
  docsDir: string;
  /** nodes whose relation is not in the warehouse */
  missing: string[];
  notes: string[];
}

/**
 * `sparkify docs generate`: compiles the project, reads the warehouse's catalog, traces column
 * lineage, and writes target/catalog.json, target/column_lineage.json and the static site in
 * target/docs/ (index.html opens from file:// with no network).
 */
export async function generateDocs(opts: ProjectOptions & { version: string }, given?: Compiled): Promise<GenerateDocsResult> {
  for (const f of SITE_ASSETS) {
    if (!existsSync(path.join(SITE_ASSETS_DIR, f))) {
      throw new SparkifyError(`the docs site's ${f} is not built (${path.join(SITE_ASSETS_DIR, f)} is missing)`, {
        hint: 'run npm run build (npm ci runs it too)',
      });
    }
  }
  const compiled = given ?? (await compileWithDatabase(opts));
  const { manifest, target, dialect } = compiled;
  writeCompiled(compiled);

  const engine = await openEngine(target, 1);
  let catalog: Catalog;
  let missing: string[];
  try {
    ({ catalog, missing } = await buildCatalog(manifest, engine, opts.version));
  } finally {
    await engine.close();
  }
  const lineage = await columnLineage(manifest, { warehouseColumns: catalogColumnNames(catalog), dialect });

  const notes: string[] = [];
  const targetDir = artifactsDir(manifest);
  const shown = path.relative(manifest.projectDir, targetDir);
  let runResults: RunResultsFile | undefined;
  const runResultsFile = path.join(targetDir, 'run_results.json');
  if (existsSync(runResultsFile)) {
    try {
      runResults = JSON.parse(readFileSync(runResultsFile, 'utf8')) as RunResultsFile;
    } catch (e) {
      notes.push(`${shown}/run_results.json is not valid JSON (${(e as Error).message}); the site shows no last run`);
    }
  } else notes.push(`no ${shown}/run_results.json yet: the site shows no last run (sparkify run writes it)`);
  if (missing.length > 0) notes.push(`not in the warehouse (never built?): ${missing.join(', ')}`);

  const site = siteData({ manifest, catalog, lineage, runResults });
  const mask = (s: string) => maskSecrets(s, target.secrets);
  mkdirSync(targetDir, { recursive: true });
  writeAtomically(path.join(targetDir, 'catalog.json'), mask(JSON.stringify(catalog, null, 2)));
  writeAtomically(path.join(targetDir, 'column_lineage.json'), mask(JSON.stringify(lineage, null, 2)));

  // the site is assembled beside target/docs and swapped in, so a failure never leaves half a site
  const docsDir = path.join(targetDir, 'docs');
  const tmp = path.join(targetDir, `.docs-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    for (const f of SITE_ASSETS) copyFileSync(path.join(SITE_ASSETS_DIR, f), path.join(tmp, f));
    writeFileSync(path.join(tmp, 'data.js'), `window.SPARKIFY_DOCS = ${mask(JSON.stringify(site))};\n`);
    rmSync(docsDir, { recursive: true, force: true });
    renameSync(tmp, docsDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { compiled, catalog, lineage, site, docsDir, missing, notes };
}

function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
