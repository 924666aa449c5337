import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER, identifierTooLong } from '../adapters/base-dialect.js';
import type { Dialect } from '../adapters/adapter.js';
import type { Project } from '../project/load-project.js';
import type { ModelDoc } from '../project/parse-model-docs.js';
import { foldersUnder, levelsFor, mergeConfigs, type ProjectNote } from '../project/project-settings.js';
import type { SeedConfig, SeedNode } from '../types.js';
import { checkConfigBlock } from './check-tree-configs.js';
import { DEFAULT_SEED_CONFIG } from './seed-config.js';

/**
 * The CSV files under the seed paths as nodes (`seed.<name>`, dbt's fqn: the project, the folders
 * under the seed path, the name), each with its config: dbt's defaults, then the project file's
 * `seeds:` tree, then the `config:` of its `seeds:` entry in a property file. A seed shares its name
 * space with models and snapshots (ref() finds all three), so a name used twice is an error.
 */
export function compileSeeds(project: Project, docs: Map<string, ModelDoc>, modelNames: Set<string>, targetSchema: string, dialect: Dialect, errors: SparkifyError[], notes: ProjectNote[]): SeedNode[] {
  const settings = project.settings;
  const out: SeedNode[] = [];
  const byName = new Map<string, string>();
  for (const f of project.seeds ?? []) {
    if (!SAFE_IDENTIFIER.test(f.name)) {
      errors.push(new ProjectError(`seed name ${JSON.stringify(f.name)} is not a safe identifier`, { file: f.file, hint: 'rename the CSV file to letters, digits and underscores, starting with a letter or _' }));
      continue;
    }
    const other = byName.get(f.name);
    if (other) {
      errors.push(new ProjectError(`two seeds are named '${f.name}': ${other} and ${f.path}`, { file: f.file, line: 1, column: 1, hint: 'seed names come from file names and must be unique; rename one of the files' }));
      continue;
    }
    byName.set(f.name, f.path);
    if (modelNames.has(f.name)) {
      const model = project.models.find((m) => m.name === f.name)?.path ?? 'a snapshot';
      errors.push(new ProjectError(`a seed and a model are both named '${f.name}': ${f.path} and ${model}`, { file: f.file, line: 1, column: 1, hint: 'ref() finds seeds, models and snapshots by the same names; rename the CSV file or the model' }));
      continue;
    }
    const fqn = [settings.name, ...foldersUnder(settings.seedPaths, f.path), f.name];
    const levels = levelsFor(settings.seeds, fqn);
    const doc = docs.get(f.name);
    const seedDoc = doc?.kind === 'seeds' ? doc : undefined;
    const fromYml = seedDoc?.config ? checkConfigBlock('seeds', seedDoc.config, seedDoc.configAt ?? (() => ({ line: seedDoc.line, column: 1 })), seedDoc.file, `seed ${f.name}`, errors, notes) : {};
    const config = mergeConfigs([DEFAULT_SEED_CONFIG as unknown as Record<string, unknown>, ...levels.map((l) => l.config), fromYml]) as unknown as SeedConfig;
    config.materialized = 'seed';
    if (config.enabled === false) continue;
    // the most specific place that set column_types, for errors about its columns
    const treeLevel = [...levels].reverse().find((l) => l.config.column_types !== undefined);
    const columnTypesAt =
      fromYml.column_types !== undefined && seedDoc
        ? { file: seedDoc.file, line: seedDoc.configAt?.('column_types').line }
        : treeLevel && settings.seeds.file
          ? { file: path.resolve(project.dir, settings.seeds.file), line: treeLevel.at.column_types?.line ?? treeLevel.line }
          : undefined;
    const own = [...levels.filter((l) => l.path.length === fqn.length).flatMap((l) => Object.keys((l.config.column_types ?? {}) as object)), ...Object.keys((fromYml.column_types ?? {}) as object)];
    const relation = { schema: config.schema ? `${targetSchema}_${config.schema}` : targetSchema, name: config.alias ?? f.name };
    const tooLong = identifierTooLong(relation.name, dialect);
    if (tooLong) errors.push(new ProjectError(`the table of seed ${f.name}, ${relation.name}, ${tooLong}`, { file: f.file, hint: config.alias ? 'choose a shorter alias' : 'rename the CSV file, or give the seed a shorter alias' }));
    out.push({
      id: `seed.${f.name}`,
      resourceType: 'seed',
      name: f.name,
      fqn,
      path: f.path,
      file: f.file,
      config,
      columns: seedDoc?.columns ?? [],
      description: seedDoc?.description,
      patchPath: seedDoc ? path.relative(project.dir, seedDoc.file).split(path.sep).join('/') : undefined,
      relation,
      dependsOn: [],
      columnTypesAt,
      ownColumnTypes: [...new Set(own)],
    });
  }
  return out;
}
