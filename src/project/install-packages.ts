import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, throwIfAny, type SparkifyError } from '../errors.js';
import { readPackageProject, readPackageSpecs, type PackageSpec } from './load-packages.js';
import { projectSettings } from './load-project.js';

export interface DepsOutcome {
  /** the install path, relative to the project (dbt_packages) */
  installPath: string;
  /** local packages copied into the install path */
  installed: { name: string; from: string }[];
  /** git, hub, tarball and private packages: they need a network sparkify deps does not reach */
  needNetwork: { spec: PackageSpec; alreadyInstalled: boolean }[];
}

// a package's own build output and installed packages are not part of it (dbt deps leaves them out too)
const SKIPPED = new Set(['target', 'dbt_packages', 'dbt_modules', 'logs', '.git']);

/**
 * `sparkify deps`: installs the local packages of packages.yml (or dependencies.yml) into the install
 * path, each in a folder named after its project (replacing what was there, as dbt deps does). Git,
 * hub and tarball packages are listed: installing them needs the network.
 */
export function installPackages(projectDir: string): DepsOutcome {
  const dir = path.resolve(projectDir);
  const problems: SparkifyError[] = [];
  const specs = readPackageSpecs(dir, problems);
  throwIfAny(problems);
  const installPath = projectSettings(dir).packagesInstallPath;
  const root = path.join(dir, installPath);
  const outcome: DepsOutcome = { installPath, installed: [], needNetwork: [] };
  for (const s of specs) {
    if (s.kind !== 'local') {
      outcome.needNetwork.push({ spec: s, alreadyInstalled: s.name !== undefined && existsSync(path.join(root, s.name, 'dbt_project.yml')) });
      continue;
    }
    const p = readPackageProject(s.dir!);
    if (p instanceof ProjectError) throw p.addContext({ file: s.file, line: s.line });
    const into = path.join(root, p.name);
    if (path.resolve(s.dir!) === path.resolve(into)) continue;
    if (path.resolve(into).startsWith(path.resolve(s.dir!) + path.sep)) throw new ProjectError(`the local package ${s.source} contains the install path`, { file: s.file, line: s.line, hint: 'point local: at the package folder itself' });
    rmSync(into, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    cpSync(s.dir!, into, { recursive: true, dereference: true, filter: (src) => src === s.dir || !SKIPPED.has(path.basename(src)) || path.dirname(src) !== s.dir });
    outcome.installed.push({ name: p.name, from: s.source });
  }
  return outcome;
}
