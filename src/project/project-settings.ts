import { ProjectError, type SparkifyError } from '../errors.js';
import type { TemplateFile } from '../template/environment.js';
import { isMap, parseYamlFile, type YamlFile } from './yaml-file.js';

/** Something in the project that sparkify reads but does not use: listed once per run, and by `sparkify debug`. */
export interface ProjectNote {
  message: string;
  file: string;
  line?: number | undefined;
  column?: number | undefined;
  /** listed by `sparkify debug` only (a key accepted for dbt's sake, like profile:), not warned about on every run */
  quiet?: boolean | undefined;
}

/** Where a note is, for a message: "dbt_project.yml:7: profile: accepted and not used (...)". */
export function describeNote(n: ProjectNote, display: (file: string) => string): string {
  return `${display(n.file)}${n.line !== undefined ? `:${n.line}` : ''}: ${n.message}`;
}

/** One level of a `models:` / `seeds:` / `tests:` tree: the configs set at a resource path. */
export interface ConfigLevel {
  /** the resource path under the tree's root: [] for the root, then the project name, folders, a node's name */
  path: string[];
  config: Record<string, unknown>;
  /** where each config key was written */
  at: Record<string, { line: number; column: number }>;
  /** where the level itself starts */
  line: number;
}

export interface ConfigTree {
  /** `models`, `seeds`, `tests` or `snapshots` */
  kind: string;
  file?: string | undefined;
  levels: Map<string, ConfigLevel>;
}

/** The project file, resolved: dbt's defaults where it says nothing. */
export interface ProjectSettings {
  /** `name:`; 'sparkify' when there is no project file or it has no name */
  name: string;
  /** the file read (dbt_project.yml or sparkify.yml), relative to the project folder; undefined when there is none */
  fileName?: string | undefined;
  file?: string | undefined;
  modelPaths: string[];
  seedPaths: string[];
  testPaths: string[];
  macroPaths: string[];
  snapshotPaths: string[];
  analysisPaths: string[];
  /** where `{% docs %}` blocks are read (.md files); empty: dbt's default, every model, seed, snapshot, macro, test and analysis path */
  docsPaths: string[];
  targetPath: string;
  /** the folders `sparkify clean` deletes: clean-targets, or (dbt's default) the target-path */
  cleanTargets: string[];
  /** the line of clean-targets: in the project file, for clean's errors */
  cleanTargetsLine?: number | undefined;
  packagesInstallPath: string;
  /**
   * `vars:` as written: global keys, and maps under a package's (or this project's) name that only
   * that package sees. `varsFor()` scopes them.
   */
  vars: Record<string, unknown>;
  models: ConfigTree;
  seeds: ConfigTree;
  tests: ConfigTree;
  snapshots: ConfigTree;
  /** keys read and not used (profile, require-dbt-version, ...), each with why */
  notes: ProjectNote[];
}

export const DEFAULT_PROJECT_NAME = 'sparkify';
export const DBT_PROJECT_FILE = 'dbt_project.yml';
export const SPARKIFY_PROJECT_FILE = 'sparkify.yml';

const PATH_LISTS = {
  'model-paths': 'modelPaths',
  'seed-paths': 'seedPaths',
  'test-paths': 'testPaths',
  'macro-paths': 'macroPaths',
  'snapshot-paths': 'snapshotPaths',
  'analysis-paths': 'analysisPaths',
  'clean-targets': 'cleanTargets',
  'docs-paths': 'docsPaths',
} as const;

/** Keys dbt reads that sparkify accepts without using them, with what to tell the user. */
const ACCEPTED_UNUSED: Record<string, string> = {
  profile: 'sparkify connects with dwh.cfg and its targets, not a dbt profile',
  'require-dbt-version': 'sparkify does not check a dbt version',
  'config-version': 'sparkify reads config-version 2 files (the + prefix)',
  version: 'the project version is not used',
};

/** Keys of dbt_project.yml that sparkify does not support: warned about, never silently dropped. */
const DBT_UNSUPPORTED = [
  'asset-paths',
  'log-path',
  'query-comment',
  'quoting',
  'on-run-start',
  'on-run-end',
  'dispatch',
  'flags',
  'restrict-access',
  'dbt-cloud',
  'sources',
  'metrics',
  'semantic-models',
  'saved-queries',
  'exposures',
  'unit_tests',
  'data_tests',
  'analyses',
];

const USED = ['name', 'vars', 'models', 'seeds', 'tests', 'snapshots', 'target-path', 'packages-install-path', ...Object.keys(PATH_LISTS)];

function emptyTree(kind: string): ConfigTree {
  return { kind, levels: new Map() };
}

export function defaultSettings(): ProjectSettings {
  return {
    name: DEFAULT_PROJECT_NAME,
    modelPaths: ['models'],
    seedPaths: ['seeds'],
    testPaths: ['tests'],
    macroPaths: ['macros'],
    snapshotPaths: ['snapshots'],
    analysisPaths: ['analyses'],
    docsPaths: [],
    targetPath: 'target',
    cleanTargets: ['target'],
    packagesInstallPath: 'dbt_packages',
    vars: {},
    models: emptyTree('models'),
    seeds: emptyTree('seeds'),
    tests: emptyTree('tests'),
    snapshots: emptyTree('snapshots'),
    notes: [],
  };
}

/** A folder of the project, written relative to it: no absolute path, no `..`, "/" separators, no trailing "/". */
function projectFolder(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const p = v.trim().replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p) || p.split('/').includes('..')) return undefined;
  return p === '' ? '.' : p;
}

/**
 * Reads the project file: `sparkify.yml` when present (sparkify's own name for it), otherwise
 * `dbt_project.yml`. When both exist sparkify.yml wins and dbt_project.yml is noted as not read.
 * `files` holds the ones that exist. Problems are pushed to `errors`; the settings returned are
 * usable either way (dbt's defaults for what could not be read).
 */
export function readProjectSettings(files: { sparkify?: TemplateFile | undefined; dbt?: TemplateFile | undefined }, errors: SparkifyError[]): ProjectSettings {
  const settings = defaultSettings();
  const f = files.sparkify ?? files.dbt;
  if (!f) return settings;
  if (files.sparkify && files.dbt) {
    settings.notes.push({ file: files.dbt.file, line: 1, message: `${DBT_PROJECT_FILE} is not read: ${SPARKIFY_PROJECT_FILE} is there too, and sparkify reads only its own file` });
  }
  settings.fileName = f.path;
  settings.file = f.file;
  let y: YamlFile;
  try {
    y = parseYamlFile(f);
  } catch (e) {
    errors.push(e as SparkifyError);
    return settings;
  }
  const v = y.value;
  if (v === null || v === undefined) return settings;
  if (!isMap(v)) {
    errors.push(new ProjectError(`${f.path} must be a mapping of keys (name:, models:, ...)`, { file: f.file, line: 1, column: 1 }));
    return settings;
  }
  const fail = (key: (string | number)[], message: string, hint?: string) => errors.push(new ProjectError(message, { file: f.file, ...y.at(key), hint }));
  for (const [k, val] of Object.entries(v)) {
    if (k in ACCEPTED_UNUSED) settings.notes.push({ file: f.file, ...y.at([k]), message: `${k}: accepted and not used (${ACCEPTED_UNUSED[k]})`, quiet: true });
    else if (DBT_UNSUPPORTED.includes(k)) settings.notes.push({ file: f.file, ...y.at([k]), message: `${k}: not supported by sparkify, so it has no effect` });
    else if (!USED.includes(k)) fail([k], `unknown key '${k}' in ${f.path}`, `the project file knows ${[...USED, ...Object.keys(ACCEPTED_UNUSED)].join(', ')}`);
    if (k === 'name') {
      if (typeof val !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(val)) fail([k], 'name: must be a name of letters, digits and _', `e.g. name: ${DEFAULT_PROJECT_NAME}`);
      else settings.name = val;
    }
  }
  for (const [key, field] of Object.entries(PATH_LISTS)) {
    const raw = v[key];
    if (raw === undefined) continue;
    const list = typeof raw === 'string' ? [raw] : raw;
    const folders = Array.isArray(list) ? list.map(projectFolder) : [undefined];
    if (folders.length === 0 || folders.some((p) => p === undefined)) {
      fail([key], `${key}: must be a list of folders inside the project`, `e.g. ${key}: ["${defaultSettings()[field][0] ?? 'models'}"]`);
      continue;
    }
    settings[field] = [...new Set(folders as string[])];
  }
  for (const [key, field] of [
    ['target-path', 'targetPath'],
    ['packages-install-path', 'packagesInstallPath'],
  ] as const) {
    if (v[key] === undefined) continue;
    const p = projectFolder(v[key]);
    if (p === undefined || p === '.') fail([key], `${key}: must be a folder inside the project`, `e.g. ${key}: ${defaultSettings()[field]}`);
    else settings[field] = p;
  }
  // dbt: clean-targets defaults to the target-path
  if (v['clean-targets'] === undefined) settings.cleanTargets = [settings.targetPath];
  else settings.cleanTargetsLine = y.at(['clean-targets']).line;
  if (v.vars !== undefined && v.vars !== null) {
    if (isMap(v.vars)) settings.vars = v.vars;
    else fail(['vars'], 'vars: must be a mapping of names to values', 'e.g. vars: {start_date: 2018-11-01}');
  }
  for (const kind of ['models', 'seeds', 'tests', 'snapshots'] as const) {
    const tree = v[kind];
    if (tree === undefined || tree === null) continue;
    if (!isMap(tree)) {
      fail([kind], `${kind}: must be a mapping of resource paths and +configs`, `e.g. ${kind}: {${settings.name}: {+tags: [nightly]}}`);
      continue;
    }
    settings[kind] = readConfigTree(kind, tree, y);
  }
  return settings;
}

/**
 * A `models:`-style tree, as dbt reads it (dbt-core context_config.py, `_project_configs`): at each
 * level, a `+key` is a config, a key without `+` whose value is not a mapping is a config too, and a
 * key without `+` whose value is a mapping is the next level of the resource path.
 */
function readConfigTree(kind: string, root: Record<string, unknown>, y: YamlFile): ConfigTree {
  const tree: ConfigTree = { kind, file: y.file, levels: new Map() };
  const walk = (node: Record<string, unknown>, p: string[]) => {
    const level: ConfigLevel = { path: p, config: {}, at: {}, line: y.at([kind, ...p]).line };
    for (const [k, val] of Object.entries(node)) {
      if (k.startsWith('+')) {
        level.config[k.slice(1).trim()] = val;
        level.at[k.slice(1).trim()] = y.at([kind, ...p, k]);
      } else if (isMap(val)) walk(val, [...p, k]);
      else {
        level.config[k] = val;
        level.at[k] = y.at([kind, ...p, k]);
      }
    }
    tree.levels.set(levelKey(p), level);
  };
  walk(root, []);
  return tree;
}

function levelKey(p: string[]): string {
  return p.join('\u0000');
}

/**
 * The levels of a tree that apply to a node, least specific first: the root, then each part of the
 * node's fqn while the tree has it (dbt-core's `fqn_search`).
 */
export function levelsFor(tree: ConfigTree, fqn: string[]): ConfigLevel[] {
  const out: ConfigLevel[] = [];
  const root = tree.levels.get('');
  if (root) out.push(root);
  for (let i = 1; i <= fqn.length; i++) {
    const l = tree.levels.get(levelKey(fqn.slice(0, i)));
    if (!l) break;
    out.push(l);
  }
  return out;
}

/** Configs whose values are added to, not replaced, by a more specific level (dbt's MergeBehavior.Append). */
const APPENDED = new Set(['tags', 'pre-hook', 'post-hook', 'pre_hook', 'post_hook']);
/** Configs whose mappings are merged key by key (dbt's MergeBehavior.Update). */
const UPDATED = new Set(['meta', 'grants', 'docs', 'persist_docs', 'column_types']);

function asList(v: unknown): unknown[] {
  return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
}

/**
 * dbt's config merge, least specific first: tags (and hooks) are added to and kept once each,
 * meta-like mappings are merged key by key, every other key is replaced by the most specific level
 * that sets it.
 */
export function mergeConfigs(levels: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const level of levels) {
    for (const [k, v] of Object.entries(level)) {
      if (v === undefined) continue;
      if (APPENDED.has(k)) {
        const merged = [...asList(out[k]), ...asList(v)];
        out[k] = k === 'tags' ? [...new Set(merged)] : merged;
      } else if (UPDATED.has(k) && isMap(v) && isMap(out[k])) out[k] = { ...out[k], ...v };
      else out[k] = v;
    }
  }
  return out;
}

/** The project-file configs for a node with this fqn, merged. */
export function treeConfig(tree: ConfigTree, fqn: string[]): Record<string, unknown> {
  return mergeConfigs(levelsFor(tree, fqn).map((l) => l.config));
}

/**
 * Levels of a tree that set configs and apply to none of the nodes: dbt warns about these too
 * ("Configuration paths exist in your dbt_project.yml file which do not apply to any resources").
 */
export function unusedConfigPaths(tree: ConfigTree, fqns: string[][]): ConfigLevel[] {
  const used = new Set<string>(['']);
  for (const fqn of fqns) for (let i = 1; i <= fqn.length; i++) used.add(levelKey(fqn.slice(0, i)));
  return [...tree.levels.values()].filter((l) => Object.keys(l.config).length > 0 && !used.has(levelKey(l.path)));
}

/**
 * The vars a package sees, as dbt-core scopes them (config version 2, `VarProvider.vars_for`):
 * every key of `vars:`, with the keys of the mapping under the package's own name laid over them.
 */
export function varsFor(settings: Pick<ProjectSettings, 'vars'>, packageName: string): Record<string, unknown> {
  const own = settings.vars[packageName];
  return isMap(own) ? { ...settings.vars, ...own } : { ...settings.vars };
}

/** Where a node's fqn starts: the folders of its file under the resource path it was found in. */
export function foldersUnder(roots: string[], filePath: string): string[] {
  const folders = filePath.split('/').slice(0, -1);
  for (const root of [...roots].sort((a, b) => b.length - a.length)) {
    if (root === '.') return folders;
    const parts = root.split('/');
    if (parts.every((p, i) => folders[i] === p)) return folders.slice(parts.length);
  }
  return [];
}
