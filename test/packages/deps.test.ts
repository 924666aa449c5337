import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { REPO_ROOT, removeDir, runCli, writeProject } from '../helpers/project.js';

const DBT_UTILS = path.resolve(REPO_ROOT, '../shared/dbt-projects/packages/dbt_utils');

/** `sparkify deps` and what a run says about packages, through the real CLI. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});

function project(files: Record<string, string>): string {
  const dir = writeProject({ 'dwh.cfg': '[DUCKDB]\nPATH = w.duckdb\nSCHEMA = main\n', ...files });
  dirs.push(dir);
  return dir;
}

const LOCAL_PACKAGE = {
  'pkgs/my_macros/dbt_project.yml': 'name: my_macros\nversion: "1.0"\n',
  'pkgs/my_macros/macros/greet.sql': "{% macro greet(name) %}'hello ' || {{ name }}{% endmacro %}\n",
  'pkgs/my_macros/target/stale.sql': 'not part of the package\n',
};

describe('sparkify deps', () => {
  it('installs a local package under its project name, and its macros are namespaced', () => {
    const dir = project({
      ...LOCAL_PACKAGE,
      'packages.yml': 'packages:\n  - local: pkgs/my_macros\n',
      'models/hello.sql': "{{ config(materialized='view') }}select {{ my_macros.greet(\"'you'\") }} as said\n",
    });
    const deps = runCli(['deps', '--project-dir', dir]);
    expect(deps.stderr).toBe('');
    expect(deps.code).toBe(0);
    expect(deps.stdout).toContain('Installed my_macros from pkgs/my_macros into dbt_packages/my_macros');
    expect(readFileSync(path.join(dir, 'dbt_packages/my_macros/macros/greet.sql'), 'utf8')).toContain('macro greet');
    expect(existsSync(path.join(dir, 'dbt_packages/my_macros/target'))).toBe(false);
    const runIt = runCli(['run', '--project-dir', dir]);
    expect(runIt.code).toBe(0);
    expect(runCli(['show', '--select', 'hello', '--project-dir', dir]).stdout).toContain('hello you');
  });

  it('says plainly that git and hub packages need a network, and fails while they are missing', () => {
    const dir = project({ 'packages.yml': 'packages:\n  - package: dbt-labs/dbt_utils\n    version: 1.4.1\n  - git: https://github.com/dbt-labs/dbt-codegen.git\n    revision: 0.13.1\n' });
    const deps = runCli(['deps', '--project-dir', dir]);
    expect(deps.code).toBe(1);
    expect(deps.stderr).toContain('the hub package dbt-labs/dbt_utils needs a network that sparkify deps cannot reach: download it and put its folder in dbt_packages/dbt_utils');
    expect(deps.stderr).toContain('the git package https://github.com/dbt-labs/dbt-codegen.git needs a network');
  });

  it('a run with a listed package that is not installed is an error at its line in packages.yml', () => {
    const dir = project({ ...LOCAL_PACKAGE, 'packages.yml': 'packages:\n  - local: pkgs/my_macros\n', 'models/m.sql': 'select 1 as x\n' });
    const r = runCli(['run', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/packages\.yml:2.*the local package pkgs\/my_macros is not installed in dbt_packages\//);
    expect(r.stderr).toContain('run sparkify deps');
  });
});

describe('a package file sparkify cannot read', () => {
  it('is a warning naming the file and line, and the run goes on', () => {
    // Jinja's {% with %} block is not nunjucks syntax
    const dir = project({
      'dbt_packages/odd/dbt_project.yml': 'name: odd\n',
      'dbt_packages/odd/macros/odd.sql': '{% macro odd_ones(xs) %}\n{% with n = xs | length %}{{ n }}{% endwith %}\n{% endmacro %}\n',
      'dbt_packages/odd/macros/fine.sql': "{% macro one() %}1{% endmacro %}\n",
      'models/m.sql': "{{ config(materialized='view') }}select {{ odd.one() }} as k\n",
    });
    const r = runCli(['run', '--project-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/dbt_packages\/odd\/macros\/odd\.sql:2: the macros of this package file cannot be used: /);
    // a project note: warned once per run, and listed by debug
    expect(r.stderr.split('odd.sql:2:').length - 1).toBe(1);
    const debug = runCli(['debug', '--project-dir', dir]);
    expect(debug.stdout).toMatch(/dbt_packages\/odd\/macros\/odd\.sql:2: the macros of this package file cannot be used/);
    const called = runCli(['compile', '--project-dir', dir]);
    expect(called.code).toBe(0);
  });
});

describe.skipIf(!existsSync(DBT_UTILS))('dbt-utils 1.4.1', () => {
  it('every macro file loads: no warning about a file sparkify cannot read', () => {
    const dir = project({ 'models/m.sql': "{{ config(materialized='view') }}select {{ dbt_utils.generate_surrogate_key(['1']) }} as k\n" });
    cpSync(DBT_UTILS, path.join(dir, 'dbt_packages', 'dbt_utils'), { recursive: true });
    const r = runCli(['run', '--project-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('cannot be used');
  });
});
