import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import type { MacroPackage, TemplateFile } from '../template/environment.js';
import { isMap, parseYamlFile } from './yaml-file.js';

/** One entry of packages.yml / dependencies.yml, as dbt reads it. */
export interface PackageSpec {
  kind: 'local' | 'git' | 'hub' | 'tarball' | 'private';
  /** the path, URL or hub name as written */
  source: string;
  /** the path resolved against the project folder (local packages) */
  dir?: string | undefined;
  /** the package's project name, where it can be known without the network */
  name?: string | undefined;
  file: string;
  line: number;
}

export const PACKAGE_FILES = ['packages.yml', 'dependencies.yml'];

function read(file: string): TemplateFile {
  return { path: path.basename(file), file, text: readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n') };
}

/** A package folder's dbt_project.yml: its `name:` and `macro-paths:` (dbt's default: macros). */
export function readPackageProject(dir: string): { name: string; macroPaths: string[]; testPaths: string[] } | ProjectError {
  const file = path.join(dir, 'dbt_project.yml');
  if (!existsSync(file)) return new ProjectError(`${dir} has no dbt_project.yml, so it is not a dbt package`, { file: dir, hint: 'a package is a dbt project: a folder with a dbt_project.yml' });
  try {
    const y = parseYamlFile(read(file));
    const v = isMap(y.value) ? y.value : {};
    const name = typeof v.name === 'string' ? v.name : undefined;
    if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return new ProjectError(`the package's name: is missing or not a name of letters, digits and _`, { file, ...y.at(['name']), hint: 'dbt_project.yml needs name: my_package' });
    const list = (k: string, d: string[]) => (Array.isArray(v[k]) ? (v[k] as unknown[]).map(String) : d);
    return { name, macroPaths: list('macro-paths', ['macros']), testPaths: list('test-paths', ['tests']) };
  } catch (e) {
    return e as ProjectError;
  }
}

/** The packages a project asks for (packages.yml, or dependencies.yml's packages:), with problems located. */
export function readPackageSpecs(projectDir: string, problems: SparkifyError[]): PackageSpec[] {
  const specs: PackageSpec[] = [];
  const found = PACKAGE_FILES.map((f) => path.join(projectDir, f)).filter((f) => existsSync(f));
  if (found.length === 2) problems.push(new ProjectError('both packages.yml and dependencies.yml are present', { file: found[1], line: 1, hint: 'dbt reads one of them: keep the packages in one file' }));
  const file = found[0];
  if (!file) return specs;
  let y;
  try {
    y = parseYamlFile(read(file));
  } catch (e) {
    problems.push(e as SparkifyError);
    return specs;
  }
  const v = y.value;
  if (v === null || v === undefined) return specs;
  if (!isMap(v) || (v.packages !== undefined && !Array.isArray(v.packages))) {
    problems.push(new ProjectError('expected packages: followed by a list', { file, line: 1, hint: 'packages:\n  - local: ../my_package' }));
    return specs;
  }
  for (const k of Object.keys(v)) if (k !== 'packages') problems.push(new ProjectError(`'${k}:' is not supported (sparkify reads packages:)`, { file, ...y.at([k]), hint: path.basename(file) === 'dependencies.yml' && k === 'projects' ? "dbt Mesh's cross-project refs are not supported" : 'remove the key' }));
  ((v.packages as unknown[] | undefined) ?? []).forEach((entry, i) => {
    const at = y.at(['packages', i]);
    const where = { file, line: at.line };
    if (!isMap(entry)) {
      problems.push(new ProjectError('a package entry must be a mapping (local:, git:, package: or tarball:)', { ...where, hint: '- local: ../my_package' }));
      return;
    }
    if (typeof entry.local === 'string') specs.push({ kind: 'local', source: entry.local, dir: path.resolve(projectDir, entry.local), ...where });
    else if (typeof entry.git === 'string') specs.push({ kind: 'git', source: entry.git, name: nameFromUrl(entry.git), ...where });
    else if (typeof entry.package === 'string') specs.push({ kind: 'hub', source: entry.package, name: entry.package.split('/').pop(), ...where });
    else if (typeof entry.tarball === 'string') specs.push({ kind: 'tarball', source: entry.tarball, name: typeof entry.name === 'string' ? entry.name : undefined, ...where });
    else if (typeof entry.private === 'string') specs.push({ kind: 'private', source: entry.private, name: nameFromUrl(entry.private), ...where });
    else problems.push(new ProjectError('a package entry needs local:, git:, package: or tarball:', { ...where, hint: '- local: ../my_package' }));
  });
  for (const s of specs) {
    if (s.kind !== 'local') continue;
    const p = readPackageProject(s.dir!);
    if (p instanceof ProjectError) problems.push(p.addContext({ file: s.file, line: s.line }));
    else s.name = p.name;
  }
  return specs;
}

/** a git package's likely project name: its repository's, with - as _ (dbt-utils.git: dbt_utils) */
function nameFromUrl(url: string): string | undefined {
  const last = url.replace(/\/+$/, '').split(/[/:]/).pop()?.replace(/\.git$/, '');
  return last ? last.replace(/-/g, '_') : undefined;
}

function listSql(dir: string, rel = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    const abs = path.join(dir, e.name);
    if (e.isDirectory() || (e.isSymbolicLink() && statSync(abs).isDirectory())) out.push(...listSql(abs, r));
    else if (e.name.endsWith('.sql')) out.push(r);
  }
  return out.sort();
}

/**
 * The packages installed under the install path (dbt_packages/), each with its macros (its
 * macro-paths, and the generic tests under its test-paths' generic/ folders). A package asked for in
 * packages.yml that is not installed is an error, as in dbt.
 */
export function loadPackages(projectDir: string, installPath: string, problems: SparkifyError[]): MacroPackage[] {
  const specs = readPackageSpecs(projectDir, problems);
  const root = path.join(projectDir, installPath);
  const packages: MacroPackage[] = [];
  const byName = new Map<string, string>();
  if (existsSync(root)) {
    for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const dir = path.join(root, e.name);
      if (e.name.startsWith('.') || !(e.isDirectory() || (e.isSymbolicLink() && statSync(dir).isDirectory()))) continue;
      const p = readPackageProject(dir);
      if (p instanceof ProjectError) {
        problems.push(p);
        continue;
      }
      if (byName.has(p.name)) {
        problems.push(new ProjectError(`two installed packages are named '${p.name}': ${byName.get(p.name)} and ${dir}`, { file: path.join(dir, 'dbt_project.yml'), hint: 'remove one of them' }));
        continue;
      }
      byName.set(p.name, dir);
      const macros: TemplateFile[] = [];
      const add = (folder: string, rel: string) => {
        const file = path.join(dir, folder, rel);
        macros.push({ path: path.relative(projectDir, file).split(path.sep).join('/'), file, text: readFileSync(file, 'utf8').replace(/^\uFEFF/, '').replace(/\r\n/g, '\n') });
      };
      for (const folder of p.macroPaths) for (const rel of listSql(path.join(dir, folder))) add(folder, rel);
      for (const folder of p.testPaths) for (const rel of listSql(path.join(dir, folder, 'generic'))) add(path.join(folder, 'generic'), rel);
      packages.push({ name: p.name, macros });
    }
  }
  for (const s of specs) {
    if (s.name !== undefined && byName.has(s.name)) continue;
    if (s.kind === 'local' && s.name === undefined) continue; // its own problem is reported above
    const what = s.kind === 'local' ? `the local package ${s.source}` : s.kind === 'hub' ? `the package ${s.source}` : `the ${s.kind} package ${s.source}`;
    problems.push(
      new ProjectError(`${what} is not installed in ${installPath}/`, {
        file: s.file,
        line: s.line,
        hint: s.kind === 'local' ? 'run sparkify deps' : `sparkify deps cannot download it (no network): put the package's folder in ${installPath}/ yourself`,
      }),
    );
  }
  return packages;
}
