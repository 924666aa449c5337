import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import type { MacroPackage, TemplateFile } from '../template/environment.js';
import { MAX_YAML_BYTES, tooLarge } from './yaml-file.js';
import { DBT_PROJECT_FILE, SPARKIFY_PROJECT_FILE, readProjectSettings, type ProjectNote, type ProjectSettings } from './project-settings.js';
import { loadPackages } from './load-packages.js';
import { readDocsBlocks, type DocsBlock } from './read-docs-blocks.js';

export interface ModelFile extends TemplateFile {
  name: string;
}

/** Everything read from disk; nothing rendered yet. */
export interface Project {
  dir: string;
  /** the project file (sparkify.yml or dbt_project.yml) resolved, with dbt's defaults */
  settings: ProjectSettings;
  models: ModelFile[];
  macros: TemplateFile[];
  sourcesFiles: TemplateFile[];
  /** property files (*.yml) under the model, snapshot and seed paths */
  docFiles: TemplateFile[];
  /** dbt's `{% docs name %}` blocks from the .md files under the docs paths, for `{{ doc('name') }}` in descriptions */
  docsBlocks?: Map<string, DocsBlock> | undefined;
  /** singular tests: the .sql files under tests/, outside tests/generic/ */
  tests?: TemplateFile[] | undefined;
  /** the .sql files under snapshots/: {% snapshot name %} ... {% endsnapshot %} blocks */
  snapshots?: TemplateFile[] | undefined;
  /** the CSV files under the seed paths */
  seeds?: SeedFile[] | undefined;
  projectFile?: TemplateFile | undefined;
  /** files and keys read and not used (a Python model, an analysis, profile:); warned about once per run */
  notes?: ProjectNote[] | undefined;
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

export const PROJECT_FILE = SPARKIFY_PROJECT_FILE;

/** Where tests and snapshots live: the project file's test-paths and snapshot-paths (dbt's defaults: tests/, snapshots/). */
export function projectPaths(dir: string): { testPaths: string[]; snapshotPaths: string[] } {
  const settings = projectSettings(dir);
  return { testPaths: settings.testPaths, snapshotPaths: settings.snapshotPaths };
}

/** The project file's settings alone (paths, name, vars), without reading the models; problems are left to loadProject unless `problems` is given. */
export function projectSettings(dir: string, problems: SparkifyError[] = []): ProjectSettings {
  return readProjectSettings(projectFiles(path.resolve(dir), problems), problems);
}

function projectFiles(abs: string, problems: SparkifyError[]): { sparkify?: TemplateFile | undefined; dbt?: TemplateFile | undefined } {
  const one = (name: string) => (existsSync(path.join(abs, name)) ? readYaml(abs, name, problems)[0] : undefined);
  return { sparkify: one(SPARKIFY_PROJECT_FILE), dbt: one(DBT_PROJECT_FILE) };
}

/** A data file under a seed path: loaded by `sparkify seed` into a table named after it. */
export interface SeedFile {
  name: string;
  /** relative to the project folder */
  path: string;
  file: string;
}

const UNUSED_FILES: [RegExp, string][] = [
  [/\.py$/, 'a Python model: sparkify builds SQL models only'],
  [/\.ipynb$/, 'a notebook: not a model'],
];

export function loadProject(dir: string): Project {
  const abs = path.resolve(dir);
  const problems: SparkifyError[] = [];
  const files = projectFiles(abs, problems);
  const settings = readProjectSettings(files, problems);
  const notes = [...settings.notes];
  const modelRoots = settings.modelPaths.filter((p) => existsSync(path.join(abs, p)));
  if (modelRoots.length === 0) {
    const where = settings.fileName ? ` (model-paths in ${settings.fileName})` : '';
    throw new ProjectError(`no ${settings.modelPaths.map((p) => `${p}/`).join(' or ')} folder in ${abs}${where}`, { file: abs, hint: 'run sparkify in the project folder, or pass --project-dir' });
  }
  const models: ModelFile[] = [];
  const seen = new Map<string, ModelFile>();
  const docFiles: TemplateFile[] = [];
  for (const root of modelRoots) {
    for (const rel of listFiles(path.join(abs, root), ['.sql'])) {
      const f = read(abs, joinRel(root, rel));
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
    for (const rel of listFiles(path.join(abs, root), ['.yml', '.yaml'])) docFiles.push(...readYaml(abs, joinRel(root, rel), problems));
    for (const rel of listFiles(path.join(abs, root), ['.py', '.ipynb'])) {
      const why = UNUSED_FILES.find(([re]) => re.test(rel))![1];
      notes.push({ file: path.join(abs, root, rel), message: `not used: ${why}` });
    }
  }
  const macros: TemplateFile[] = [];
  for (const root of settings.macroPaths) for (const rel of listFiles(path.join(abs, root), ['.sql'])) macros.push(read(abs, joinRel(root, rel)));
  const tests: TemplateFile[] = [];
  for (const folder of settings.testPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.sql'])) {
      // custom generic tests ({% test %} blocks) are macros; the other files are singular tests
      if (rel.startsWith('generic/')) macros.push(read(abs, joinRel(folder, rel)));
      else tests.push(read(abs, joinRel(folder, rel)));
    }
  }
  const snapshots: TemplateFile[] = [];
  for (const folder of settings.snapshotPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.sql'])) snapshots.push(read(abs, joinRel(folder, rel)));
    for (const rel of listFiles(path.join(abs, folder), ['.yml', '.yaml'])) docFiles.push(...readYaml(abs, joinRel(folder, rel), problems));
  }
  const seeds: SeedFile[] = [];
  for (const folder of settings.seedPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.csv'])) {
      const p = joinRel(folder, rel);
      seeds.push({ name: path.basename(rel, '.csv'), path: p, file: path.join(abs, p) });
    }
    for (const rel of listFiles(path.join(abs, folder), ['.yml', '.yaml'])) docFiles.push(...readYaml(abs, joinRel(folder, rel), problems));
  }
  for (const folder of settings.analysisPaths) {
    for (const rel of listFiles(path.join(abs, folder), ['.sql'])) notes.push({ file: path.join(abs, folder, rel), message: 'not used: an analysis (sparkify does not compile analyses)' });
  }
  const sourcesFiles: TemplateFile[] = [];
  for (const name of ['sources.yml', 'sources.yaml']) if (existsSync(path.join(abs, name))) sourcesFiles.push(...readYaml(abs, name, problems));
  const projectFile = files.sparkify ?? files.dbt;
  const packages = loadPackages(abs, settings.packagesInstallPath, problems);
  const docs = readDocsBlocks(abs, docsFolders(settings));
  problems.push(...docs.errors);
  return { dir: abs, settings, models, macros, sourcesFiles, docFiles, docsBlocks: docs.blocks, tests, snapshots, seeds, projectFile, packages, problems, notes };
}

/** dbt's docs-paths, or its default: every model, seed, snapshot, macro, test and analysis path. */
export function docsFolders(settings: ProjectSettings): string[] {
  if (settings.docsPaths.length > 0) return settings.docsPaths;
  return [...settings.modelPaths, ...settings.seedPaths, ...settings.snapshotPaths, ...settings.macroPaths, ...settings.testPaths, ...settings.analysisPaths];
}

function joinRel(root: string, rel: string): string {
  return root === '.' ? rel : `${root}/${rel}`;
}

/**
 * The project with the given model files read again, for a caller that follows the files (watch
 * mode) and knows which changed. Undefined when one of them is not one of the project's model
 * files any more or not yet (added, deleted, a macro, a YAML file): then load the project again.
 */
export function reloadModels(project: Project, files: readonly string[]): Project | undefined {
  if (project.problems.length > 0) return undefined;
  const byFile = new Map(project.models.map((m, i) => [m.file, i]));
  const models = project.models.slice();
  for (const file of files) {
    const i = byFile.get(file);
    if (i === undefined) return undefined;
    const m = models[i]!;
    let f: TemplateFile;
    try {
      f = read(project.dir, m.path);
    } catch {
      return undefined;
    }
    models[i] = { ...m, text: f.text };
  }
  return { ...project, models };
}
