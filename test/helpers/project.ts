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

/**
 * The fixture warehouse: a frozen copy of the Sparkify project (models, sources.yml, sparkify.yml,
 * snapshots) that framework tests build. The shipped project (models/ at the repo root) may change
 * freely; only the tests in test/sparkify/ read it.
 */
export const FIXTURE_WAREHOUSE = path.join(REPO_ROOT, 'test', 'fixtures', 'warehouse');
/** The sample data the repo ships (data/sample): the fixture's data when the config names none. */
export const SAMPLE_DATA = path.join(REPO_ROOT, 'data', 'sample');

/** An [S3] section pointing the warehouse's sources at a data folder laid out as the Sparkify bucket. */
export function dataCfg(data: string, extra = ''): string {
  return `[S3]\nLOG_DATA = ${data}/log_data\nLOG_JSONPATH = ${data}/log_json_path.json\nSONG_DATA = ${data}/song_data\n${extra}`;
}

/** Copies a project folder (models, property files, snapshots, tests...) into a temp folder. */
export function copyProject(from: string, prefix = 'sparkify-test-'): string {
  const dir = tempDir(prefix);
  cpSync(from, dir, { recursive: true });
  return dir;
}

/**
 * A copy of the fixture warehouse in a temp folder with `cfg` as its dwh.cfg. Without an [S3]
 * section in `cfg`, the sources read the repo's data/sample (never copied into the fixture).
 */
export function copyFixtureProject(cfg = '', prefix = 'sparkify-test-'): string {
  const dir = copyProject(FIXTURE_WAREHOUSE, prefix);
  writeFileSync(path.join(dir, 'dwh.cfg'), /^\[S3\]/m.test(cfg) ? cfg : `${dataCfg(SAMPLE_DATA)}${cfg}`);
  return dir;
}

export function sharedDataCfg(extra = ''): string {
  return dataCfg(SHARED_DATA, extra);
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let scratchCwd: string | undefined;
/** An empty folder of this test process, the CLI's working directory when a test names none (never the repo). */
export function scratchDir(): string {
  if (!scratchCwd || !existsSync(scratchCwd)) {
    const dir = (scratchCwd = tempDir('sparkify-cwd-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return scratchCwd;
}

/**
 * The real binary, as a user runs it. Its working directory is `opts.cwd`, or an empty temp folder:
 * never the repo, so a test reaches a project only through --project-dir or a cwd it names.
 */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? scratchDir(),
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
