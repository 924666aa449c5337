import { compile, resolveProjectTarget, type ProjectOptions } from '../api.js';
import { describeTarget, type Target } from '../config/load-config.js';
import { formatError } from '../errors.js';
import { MIN_SECRET_LENGTH } from '../mask-secrets.js';
import { loadProject } from '../project/load-project.js';
import type { ProjectNote } from '../project/project-settings.js';
import type { Manifest } from '../types.js';

/** What `sparkify debug` shows before it connects: the config as resolved (secrets masked), the project, and what sparkify does not use. */
export interface ProjectInspection {
  target: Target;
  /** the target as debug prints it: every setting, secrets masked */
  described: ReturnType<typeof describeTarget>;
  configFile: string | undefined;
  projectDir: string;
  models: number;
  /** sparkify.yml or dbt_project.yml; undefined when the project has none (dbt's defaults) */
  projectFile: string | undefined;
  name: string;
  modelPaths: string[];
  seedPaths: string[];
  /** the files and keys sparkify reads and does not use, the quiet ones too */
  notes: ProjectNote[];
  /** the project's first compile error, when it does not compile (the rest of the inspection still holds) */
  compileProblem: string | undefined;
  /** the manifest, when the project compiles */
  manifest: Manifest | undefined;
  /** the names of secrets too short to mask */
  shortSecrets: string[];
  minSecretLength: number;
}

/** `sparkify debug`, the part that needs no connection. Throws only for a config that cannot be resolved. */
export function inspectProject(opts: ProjectOptions, target: Target = resolveProjectTarget(opts)): ProjectInspection {
  const project = loadProject(opts.projectDir);
  let notes: ProjectNote[];
  let compileProblem: string | undefined;
  let manifest: Manifest | undefined;
  try {
    manifest = compile(opts, target).manifest;
    notes = manifest.notes ?? [];
  } catch (err) {
    notes = project.notes ?? [];
    compileProblem = formatError(err).split('\n')[0];
  }
  return {
    target,
    described: describeTarget(target),
    configFile: target.configFile,
    projectDir: project.dir,
    models: project.models.length,
    projectFile: project.settings.fileName,
    name: project.settings.name,
    modelPaths: project.settings.modelPaths,
    seedPaths: project.settings.seedPaths,
    notes,
    compileProblem,
    manifest,
    shortSecrets: target.unmaskedSecrets ?? [],
    minSecretLength: MIN_SECRET_LENGTH,
  };
}
