import { existsSync, realpathSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, throwIfAny, type SparkifyError } from '../errors.js';
import { projectSettings } from './load-project.js';
import type { ProjectSettings } from './project-settings.js';

export interface CleanResult {
  /** the folders deleted, relative to the project folder */
  removed: string[];
  /** the clean-targets that did not exist */
  absent: string[];
}

/**
 * dbt's `clean`: deletes the project file's clean-targets (default: the target-path). A folder outside
 * the project (through a link, too), the project folder itself, and a folder that holds the project's
 * own files (models, macros, seeds, ... or the project file) are refused before anything is deleted.
 */
export function cleanProject(projectDir: string): CleanResult {
  const dir = path.resolve(projectDir);
  const problems: SparkifyError[] = [];
  const settings = projectSettings(dir, problems);
  // an unreadable clean-targets must not fall back to the default and delete that
  throwIfAny(problems);
  const root = realpathSync(dir);
  const where = { file: settings.file ?? dir, line: settings.cleanTargetsLine };
  const kept = keptPaths(settings);
  const targets: { rel: string; abs: string }[] = [];
  for (const rel of settings.cleanTargets) {
    const abs = path.resolve(dir, rel);
    const real = existsSync(abs) ? realpathSync(abs) : abs;
    const inside = path.relative(root, real);
    if (inside === '' || rel === '.') {
      throw new ProjectError(`clean-targets: '${rel}' is the project folder itself; sparkify clean deletes folders inside it only`, { ...where, hint: 'list the folders to delete, e.g. clean-targets: [target, dbt_packages]' });
    }
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new ProjectError(`clean-targets: '${rel}' is outside the project folder (${real}); sparkify clean deletes folders inside the project only`, { ...where, hint: 'remove it from clean-targets, and delete it yourself if you mean to' });
    }
    const holds = kept.find((k) => k.path === inside || k.path.startsWith(`${inside}/`) || inside.startsWith(`${k.path}/`));
    if (holds) {
      throw new ProjectError(`clean-targets: '${rel}' holds the project's ${holds.what} (${holds.path}); sparkify clean does not delete them`, { ...where, hint: 'clean-targets lists generated folders only: the target-path, packages-install-path, logs' });
    }
    targets.push({ rel, abs });
  }
  const removed: string[] = [];
  const absent: string[] = [];
  for (const t of targets) {
    if (!existsSync(t.abs)) {
      absent.push(t.rel);
      continue;
    }
    // a link is removed itself, never what it points at
    rmSync(t.abs, { recursive: true, force: true });
    removed.push(t.rel);
  }
  return { removed, absent };
}

/** The project's own files and folders, which clean never deletes (a generated folder such as the target-path may sit inside none of them). */
function keptPaths(s: ProjectSettings): { path: string; what: string }[] {
  const out: { path: string; what: string }[] = [];
  const add = (paths: string[], what: string) => {
    for (const p of paths) if (p !== '.') out.push({ path: p, what });
  };
  add(s.modelPaths, 'models (model-paths)');
  add(s.seedPaths, 'seeds (seed-paths)');
  add(s.testPaths, 'tests (test-paths)');
  add(s.macroPaths, 'macros (macro-paths)');
  add(s.snapshotPaths, 'snapshots (snapshot-paths)');
  add(s.analysisPaths, 'analyses (analysis-paths)');
  add(s.docsPaths, 'docs (docs-paths)');
  for (const f of [s.fileName, 'sources.yml', 'dwh.cfg', 'packages.yml', 'dependencies.yml']) if (f) out.push({ path: f, what: 'files' });
  return out;
}
