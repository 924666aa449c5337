import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import type { MacroPackage, TemplateFile } from '../template/environment.js';
import { MAX_YAML_BYTES, tooLarge } from './yaml-file.js';
import { loadPackages, packagesInstallPath } from './load-packages.js';

export interface ModelFile extends TemplateFile {
  name: string;
}

/** Everything read from disk; nothing rendered yet. */
export interface Project {
  dir: string;
  models: ModelFile[];
  macros: TemplateFile[];
  sourcesFiles: TemplateFile[];
  /** schema.yml-style files under models/ (and snapshots/) that describe models and snapshots */
  docFiles: TemplateFile[];
  /** singular tests: the .sql files under tests/, outside tests/generic/ */
  tests?: TemplateFile[] | undefined;
  /** the .sql files under snapshots/: {% snapshot name %} ... {% endsnapshot %} blocks */
  snapshots?: TemplateFile[] | undefined;
  projectFile?: TemplateFile | undefined;
  /** the installed packages (dbt_packages/), whose macros are namespaced by package name */
  packages?: MacroPackage[] | undefined;
  /** problems found while reading (duplicate names, bad file names); compile reports them with its own */
  problems: SparkifyError[];
}

function listFiles(dir: string, exts: string[]): string[] {
  if (!existsSync(dir)) return [];
  return walk(dir, '', [])
    .filter((f) => exts.some((e) => f.endsWith(e)) && !f.split('/').some((p) => p.startsWith('.')))
    .sort();
}

/** Every entry under a folder, relative, with forward slashes; symlinked folders are followed. */
function walk(dir: string, rel: string, out: string[]): string[] {
  // one readdir per folder, types included: a stat per entry costs more at 10k models
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    out.push(r);
    if (e.name.startsWith('.')) continue;
    const abs = path.join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && isDirectory(abs))) walk(abs, r, out);
  }
  return out;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function read(dir: string, rel: string): TemplateFile {
  const file = path.join(dir, rel);
  return { path: rel, file, text: readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n') };
}

/** A YAML file, or a problem when it is too large to parse safely (checked before it is read). */
function readYaml(dir: string, rel: string, problems: SparkifyError[]): TemplateFile[] {
  const file = path.join(dir, rel);
  const size = statSync(file).size;
  if (size > MAX_YAML_BYTES) {
    problems.push(tooLarge(file, size));
    return [];
  }
  return [read(dir, rel)];
}

export const PROJECT_FILE = 'sparkify.yml';

/** Where tests and snapshots live: dbt's default folders. */
export function projectPaths(_dir: string): { testPaths: string[]; snapshotPaths: string[] } {
  return { testPaths: ['tests'], snapshotPaths: ['snapshots'] };
}

export function loadProject(dir: string): Project {
  const abs = path.resolve(dir);
  if (!existsSync(path.join(abs, 'models'))) {
    throw new ProjectError(`no models/ folder in ${abs}`, { file: abs, hint: 'run sparkify in the project folder, or pass --project-dir' });
  }
  const problems: SparkifyError[] = [];
  const models: ModelFile[] = [];
  const seen = new Map<string, ModelFile>();
  for (const rel of listFiles(path.join(abs, 'models'), ['.sql'])) {
    const f = read(abs, `models/${rel}`);
    const name = path.basename(rel, '.sql');
    if (!SAFE_IDENTIFIER.test(name)) {
      problems.push(new ProjectError(`model name ${JSON.stringify(name)} is not a safe identifier`, { file: f.file, hint: 'rename the file to letters, digits and underscores, starting with a letter or _' }));
      continue;
    }
    const other = seen.get(name);
    if (other) {
      problems.push(new ProjectError(`two models are named '${name}': ${other.path} and ${f.path}`, { file: f.file, line: 1, column: 1, hint: 'model names come from file names and must be unique; rename one of the files' }));
      continue;
    }
    const m = { ...f, name };
    seen.set(name, m);
    models.push(m);
  }
  const macros = listFiles(path.join(abs, 'macros'), ['.sql']).map((rel) => read(abs, `macros/${rel}`));
  const { testPaths, snapshotPaths } = projectPaths(abs);
  const tests: TemplateFile[] = [];
  for (const folder of testPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.sql'])) {
      // custom generic tests ({% test %} blocks) are macros; the other files are singular tests
      if (rel.startsWith('generic/')) macros.push(read(abs, `${folder}/${rel}`));
      else tests.push(read(abs, `${folder}/${rel}`));
    }
  }
  const snapshots: TemplateFile[] = [];
  const snapshotDocs: TemplateFile[] = [];
  for (const folder of snapshotPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.sql'])) snapshots.push(read(abs, `${folder}/${rel}`));
    for (const rel of listFiles(path.join(abs, folder), ['.yml', '.yaml'])) snapshotDocs.push(...readYaml(abs, `${folder}/${rel}`, problems));
  }
  const sourcesFiles: TemplateFile[] = [];
  for (const name of ['sources.yml', 'sources.yaml']) if (existsSync(path.join(abs, name))) sourcesFiles.push(...readYaml(abs, name, problems));
  const docFiles = [...listFiles(path.join(abs, 'models'), ['.yml', '.yaml']).flatMap((rel) => readYaml(abs, `models/${rel}`, problems)), ...snapshotDocs];
  const projectFile = existsSync(path.join(abs, PROJECT_FILE)) ? readYaml(abs, PROJECT_FILE, problems)[0] : undefined;
  const packages = loadPackages(abs, packagesInstallPath(abs), problems);
  return { dir: abs, models, macros, sourcesFiles, docFiles, tests, snapshots, projectFile, packages, problems };
}
