import { ProjectError, type SparkifyError } from '../errors.js';
import { TEST_CONFIG_KEYS, parseTestConfig } from '../project/parse-data-tests.js';
import type { ConfigTree, ProjectNote, ProjectSettings } from '../project/project-settings.js';
import { CONFIG_KEYS, checkConfigValue } from '../template/render-model.js';
import { SEED_CONFIG_KEYS, checkSeedConfigValue } from './seed-config.js';

/** Keys every tree keeps although no rule checks their value: meta is read by selectors (config.meta.owner:ana). */
const KEPT = ['meta'];

interface TreeRules {
  keys: readonly string[];
  check: (key: string, value: unknown) => string | undefined;
}

const RULES: Record<string, TreeRules> = {
  models: { keys: CONFIG_KEYS, check: checkConfigValue },
  snapshots: { keys: CONFIG_KEYS, check: checkConfigValue },
  seeds: { keys: SEED_CONFIG_KEYS, check: checkSeedConfigValue },
  tests: {
    keys: TEST_CONFIG_KEYS,
    check: (k, v) => {
      let problem: string | undefined;
      parseTestConfig({ [k]: v }, (_k, message) => (problem = message));
      return problem;
    },
  },
};

/**
 * Checks the configs of the project file's `models:`, `seeds:`, `snapshots:` and `tests:` trees: a
 * bad value of a key sparkify uses is an error at its line; a key sparkify does not use is removed
 * from the tree and noted (dbt has many that have no meaning here: persist_docs, grants, contract).
 */
export function checkTreeConfigs(settings: ProjectSettings, errors: SparkifyError[], notes: ProjectNote[]): void {
  for (const tree of [settings.models, settings.seeds, settings.snapshots, settings.tests]) checkTree(tree, RULES[tree.kind]!, errors, notes);
}

function checkTree(tree: ConfigTree, rules: TreeRules, errors: SparkifyError[], notes: ProjectNote[]): void {
  for (const level of tree.levels.values()) {
    const where = [tree.kind, ...level.path].join('.');
    level.config = checkConfigs(rules, level.config, (k) => level.at[k] ?? { line: level.line, column: 1 }, tree.file ?? '', where, '+', errors, notes);
  }
}

/**
 * A property file's `config:` block of a model or seed, checked like the project file's trees;
 * returns the keys sparkify uses.
 */
export function checkConfigBlock(
  kind: 'models' | 'seeds',
  config: Record<string, unknown>,
  at: (key: string) => { line: number; column: number },
  file: string,
  where: string,
  errors: SparkifyError[],
  notes: ProjectNote[],
): Record<string, unknown> {
  return checkConfigs(RULES[kind]!, config, at, file, where, '', errors, notes);
}

function checkConfigs(
  rules: TreeRules,
  config: Record<string, unknown>,
  at: (key: string) => { line: number; column: number },
  file: string,
  where: string,
  prefix: string,
  errors: SparkifyError[],
  notes: ProjectNote[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) {
    if (KEPT.includes(k)) {
      out[k] = v;
      continue;
    }
    if (!rules.keys.includes(k)) {
      notes.push({ file, ...at(k), message: `${where}: config '${k}' is not used by sparkify, so it has no effect` });
      continue;
    }
    const problem = rules.check(k, v);
    if (problem) errors.push(new ProjectError(`${where}: ${prefix}${k} ${problem}`, { file, ...at(k) }));
    else out[k] = k === 'tags' && typeof v === 'string' ? [v] : k === 'sort' && typeof v === 'string' ? [v] : v;
  }
  return out;
}
