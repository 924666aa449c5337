import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, tempDir, writeProject } from '../helpers/project.js';

/** target-path moves every artifact; sparkify clean deletes the clean-targets and nothing else. */
const MODELS = {
  'models/a.sql': "{{ config(materialized='table') }}\nselect 1 as id\n",
  'models/b.sql': "select id from {{ ref('a') }}\n",
};

describe('target-path and sparkify clean', () => {
  const dirs: string[] = [];
  const project = (files: Record<string, string>) => {
    const d = writeProject(files);
    dirs.push(d);
    return d;
  };
  afterAll(() => dirs.forEach(removeDir));

  it('writes compiled SQL, manifest.json and run_results.json under target-path; retry reads them there; clean deletes it', () => {
    const dir = project({ ...MODELS, 'dbt_project.yml': 'name: p\ntarget-path: build/out\nclean-targets: [build/out, dbt_packages]\n' });
    const compiled = runCli(['compile', '--project-dir', dir]);
    expect(compiled.code, compiled.stderr).toBe(0);
    expect(compiled.stdout).toContain('manifest of the whole project at build/out/manifest.json');
    expect(compiled.stdout).toContain('-> build/out/compiled/models/a.sql');
    expect(compiled.stdout + compiled.stderr).not.toContain('target-path');
    expect(JSON.parse(readFileSync(path.join(dir, 'build/out/manifest.json'), 'utf8')).targetPath).toBe('build/out');
    expect(readFileSync(path.join(dir, 'build/out/compiled/models/b.sql'), 'utf8')).toMatch(/from "main"\."a"/);
    expect(existsSync(path.join(dir, 'build/out/compiled/run_plan.sql'))).toBe(true);

    const ran = runCli(['run', '--project-dir', dir]);
    expect(ran.code, ran.stderr).toBe(0);
    const results = JSON.parse(readFileSync(path.join(dir, 'build/out/run_results.json'), 'utf8')) as { complete: boolean; results: { id: string; status: string }[] };
    expect(results.complete).toBe(true);
    expect(results.results.map((r) => `${r.id} ${r.status}`).sort()).toEqual(['model.a success', 'model.b success']);
    // the DuckDB database is not an artifact: it stays where the config says (by default target/sparkify.duckdb)
    expect(existsSync(path.join(dir, 'target/sparkify.duckdb'))).toBe(true);
    expect(existsSync(path.join(dir, 'target/run_results.json'))).toBe(false);
    const retry = runCli(['retry', '--project-dir', dir]);
    expect(retry.code, retry.stderr).toBe(0);
    expect(retry.stdout).toContain('Nothing to retry');

    const clean = runCli(['clean', '--project-dir', dir]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('Deleted build/out/');
    expect(clean.stdout).toContain('Nothing to delete at dbt_packages/');
    expect(existsSync(path.join(dir, 'build/out'))).toBe(false);
    expect(existsSync(path.join(dir, 'build'))).toBe(true);
    expect(existsSync(path.join(dir, 'models/a.sql'))).toBe(true);
    expect(existsSync(path.join(dir, 'target/sparkify.duckdb'))).toBe(true);
  });

  it('without clean-targets, clean deletes the target-path, as dbt does', () => {
    const dir = project({ ...MODELS, 'sparkify.yml': 'target-path: out\n' });
    expect(runCli(['compile', '--project-dir', dir]).code).toBe(0);
    expect(existsSync(path.join(dir, 'out/manifest.json'))).toBe(true);
    const clean = runCli(['clean', '--project-dir', dir]);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stdout).toContain('Deleted out/');
    expect(existsSync(path.join(dir, 'out'))).toBe(false);
    expect(existsSync(path.join(dir, 'models/a.sql'))).toBe(true);
  });

  it.each([
    ['the models', 'clean-targets: [target, models]', /dbt_project\.yml:2: Project error: clean-targets: 'models' holds the project's models \(model-paths\) \(models\); sparkify clean does not delete them/],
    ['the project folder', "clean-targets: ['.']", /dbt_project\.yml:2: Project error: clean-targets: '\.' is the project folder itself/],
    ['a folder above it', 'clean-targets: [../elsewhere]', /dbt_project\.yml:2:\d+: Project error: clean-targets: must be a list of folders inside the project/],
  ])('refuses %s, at its line, and deletes nothing', (_what, line, message) => {
    const dir = project({ ...MODELS, 'dbt_project.yml': `name: p\n${line}\n` });
    mkdirSync(path.join(dir, 'target'));
    writeFileSync(path.join(dir, 'target', 'keep.txt'), 'x');
    const clean = runCli(['clean', '--project-dir', dir]);
    expect(clean.code).toBe(2);
    expect(clean.stderr).toMatch(message);
    expect(existsSync(path.join(dir, 'target/keep.txt'))).toBe(true);
    expect(existsSync(path.join(dir, 'models/a.sql'))).toBe(true);
  });

  it('refuses a folder that a link leads outside the project, and leaves it alone', () => {
    const outside = tempDir('sparkify-outside-');
    dirs.push(outside);
    mkdirSync(path.join(outside, 'sub'));
    writeFileSync(path.join(outside, 'sub', 'precious.txt'), 'x');
    const dir = project({ ...MODELS, 'dbt_project.yml': 'name: p\nclean-targets: [link/sub]\n' });
    symlinkSync(outside, path.join(dir, 'link'));
    const clean = runCli(['clean', '--project-dir', dir]);
    expect(clean.code).toBe(2);
    expect(clean.stderr).toMatch(/clean-targets: 'link\/sub' is outside the project folder/);
    expect(existsSync(path.join(outside, 'sub', 'precious.txt'))).toBe(true);
  });
});
