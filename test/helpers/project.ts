import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
export const SHARED_DATA = path.resolve(REPO_ROOT, '../shared/data/sparkify');
export const HAS_SHARED_DATA = existsSync(path.join(SHARED_DATA, 'log_json_path.json'));
export const SHARED_DATA_SKIP_REASON = `the published Sparkify data is not at ${SHARED_DATA} (CI has it; a fresh clone does not)`;
export const BIN = path.join(REPO_ROOT, 'bin', 'sparkify.js');

export function tempDir(prefix = 'sparkify-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * The project file of a fixture that brings none: its models are tables unless they say otherwise
 * (the framework tests were written for that; dbt's default, view, is tested with a project file of its own).
 */
export const TABLE_DEFAULT_PROJECT_FILE = 'models:\n  +materialized: table\n';

/** A throwaway project: the given files (relative path -> content) in a temp folder; without a project file, models default to tables. */
export function writeProject(files: Record<string, string>): string {
  const dir = tempDir();
  if (!('sparkify.yml' in files) && !('dbt_project.yml' in files)) files = { 'sparkify.yml': TABLE_DEFAULT_PROJECT_FILE, ...files };
  for (const [rel, text] of Object.entries(files)) {
    const f = path.join(dir, rel);
    mkdirSync(path.dirname(f), { recursive: true });
    writeFileSync(f, text);
  }
  if (!existsSync(path.join(dir, 'models'))) mkdirSync(path.join(dir, 'models'));
  return dir;
}

/** A copy of the repo's own project (models, sources.yml, snapshots, tests) in a temp folder, with a dwh.cfg. */
export function copyRepoProject(cfg: string): string {
  const dir = tempDir();
  cpSync(path.join(REPO_ROOT, 'models'), path.join(dir, 'models'), { recursive: true });
  cpSync(path.join(REPO_ROOT, 'sources.yml'), path.join(dir, 'sources.yml'));
  cpSync(path.join(REPO_ROOT, 'sparkify.yml'), path.join(dir, 'sparkify.yml'));
  for (const folder of ['snapshots', 'tests']) if (existsSync(path.join(REPO_ROOT, folder))) cpSync(path.join(REPO_ROOT, folder), path.join(dir, folder), { recursive: true });
  writeFileSync(path.join(dir, 'dwh.cfg'), cfg);
  return dir;
}

export function sharedDataCfg(extra = ''): string {
  return `[S3]\nLOG_DATA = ${SHARED_DATA}/log_data\nLOG_JSONPATH = ${SHARED_DATA}/log_json_path.json\nSONG_DATA = ${SHARED_DATA}/song_data\n${extra}`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
