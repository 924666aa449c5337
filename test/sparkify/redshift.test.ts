// The Redshift SQL of the Sparkify warehouse as shipped (models/ at the repo root), pinned by golden
// files that follow models/: a model added or changed there changes them. Accept an intended change
// with `npm run test:update-goldens` (or `npm test -- -u`) and review the diff. The mechanics of the
// Redshift compile are tested on the frozen fixture in test/redshift/.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli } from '../helpers/project.js';
import { SEED_CFG, buildPlanText, compileRedshift, planText } from '../redshift/redshift-project.js';
import { copyShippedProject, runNodes } from './shipped-project.js';

const dirs: string[] = [];
const shipped = (cfg = SEED_CFG) => {
  const dir = copyShippedProject(cfg, 'sparkify-redshift-');
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach(removeDir));

describe('the shipped Sparkify project compiled for Redshift, offline', () => {
  it('sparkify compile --target redshift writes every statement of a run to target/compiled/run_plan.sql', async () => {
    const dir = shipped();
    const r = runCli(['compile', '--target', 'redshift', '--project-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Compiled ${runNodes(compileRedshift(dir)).length} nodes for redshift`);
    await expect(readFileSync(path.join(dir, 'target/compiled/run_plan.sql'), 'utf8')).toMatchFileSnapshot('./__golden__/sparkify-run-plan.sql');
  });

  it('its incremental loads with [S3] MANIFEST_PREFIX', async () => {
    const c = compileRedshift(shipped(SEED_CFG.replace('[S3]\n', '[S3]\nMANIFEST_PREFIX = s3://sparkify-loads/manifests/\n')));
    await expect(planText(c, 'all')).toMatchFileSnapshot('./__golden__/sparkify-manifest-loads.sql');
  });

  it('its first build', async () => {
    await expect(planText(compileRedshift(shipped()), 'none')).toMatchFileSnapshot('./__golden__/sparkify-first-build.sql');
  });

  it('its snapshots and data tests: a first build, then a build where every relation exists', async () => {
    const c = compileRedshift(shipped());
    const only = (text: string) =>
      text
        .split('\n\n')
        .filter((block) => /^-- (snapshot|test)\./.test(block))
        .join('\n\n') + '\n';
    await expect(only(buildPlanText(c, 'none'))).toMatchFileSnapshot('./__golden__/sparkify-build-first.sql');
    await expect(only(buildPlanText(c, 'all'))).toMatchFileSnapshot('./__golden__/sparkify-build-rebuild.sql');
  });
});
