import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compile, resolveProjectTarget, type Compiled } from '../../src/api.js';
import { REPO_ROOT, SAMPLE_DATA, dataCfg, tempDir } from '../helpers/project.js';

/**
 * The Sparkify warehouse as the repo ships it: models/, sources.yml, sparkify.yml and, when they
 * exist, snapshots/, tests/, seeds/, macros/ and analyses/ at the repo root. Only the tests in
 * test/sparkify/ read it (test/architecture/fixtures.test.ts checks that); framework tests build
 * the frozen copy in test/fixtures/warehouse instead, so a model added to models/ changes only
 * these tests' figures and goldens (`npm run test:update-goldens` accepts the new goldens).
 */
export const SHIPPED_PATHS = ['models', 'sources.yml', 'sparkify.yml', 'snapshots', 'tests', 'seeds', 'macros', 'analyses'];

/** A copy of the shipped project in a temp folder with `cfg` as its dwh.cfg (data/sample when it has no [S3] section). */
export function copyShippedProject(cfg = '', prefix = 'sparkify-shipped-'): string {
  const dir = tempDir(prefix);
  for (const p of SHIPPED_PATHS) if (existsSync(path.join(REPO_ROOT, p))) cpSync(path.join(REPO_ROOT, p), path.join(dir, p), { recursive: true });
  writeFileSync(path.join(dir, 'dwh.cfg'), /^\[S3\]/m.test(cfg) ? cfg : `${dataCfg(SAMPLE_DATA)}${cfg}`);
  return dir;
}

/** The shipped project compiled offline for a target (DuckDB unless named). */
export function compileShipped(dir: string, targetName?: string): Compiled {
  const opts = { projectDir: dir, targetName, env: {} };
  return compile(opts, resolveProjectTarget(opts));
}

/** The nodes `sparkify run` builds (sources and models), in run order, by name. */
export function runNodes(c: Compiled): string[] {
  return c.manifest.order.filter((id) => ['model', 'source'].includes(c.manifest.nodes[id]!.resourceType)).map((id) => c.manifest.nodes[id]!.name);
}
