import nunjucks from 'nunjucks';
import { TemplateError } from '../errors.js';
import { CROSS_DATABASE_NAMES, DBT_CONTEXT_NAMES, CompilerError, type DbtContextInput } from './dbt-context.js';
import { addJinjaExtensions } from './jinja-extensions.js';
import { whereOf } from './jinja-runtime.js';
import { sandboxTemplates } from './sandbox.js';
import { removeMaterializationBlocks, rewriteTestBlocks } from './test-blocks.js';
import type { FastCallCache } from './fast-render.js';
import type { PreparedModel } from './render-model.js';

export interface TemplateFile {
  /** name used by nunjucks and in errors: the path relative to the project */
  path: string;
  /** absolute path */
  file: string;
  text: string;
}

/** Loads templates (macro files) from memory, so rendering never touches the disk. */
class MemoryLoader extends nunjucks.Loader {
  constructor(private readonly files: Map<string, TemplateFile>) {
    super();
  }
  getSource(name: string): nunjucks.LoaderSource {
    const f = this.files.get(name);
    if (!f) throw new Error(`template not found: ${name}`);
    return { src: rewriteTestBlocks(f.text), path: f.path, noCache: false };
  }
}

/** A package's macros (dbt_packages/<name>/macros), called as `<name>.macro(...)`. */
export interface MacroPackage {
  name: string;
  macros: TemplateFile[];
}

export interface TemplateEnvironment {
  env: nunjucks.Environment;
  macroNames: string[];
  /** every macro file, the packages' included, by the path templates are named by */
  macroFiles: Map<string, TemplateFile>;
  /** errors in macro files, reported with the project's other errors */
  errors: TemplateError[];
  /** macro files of packages that cannot be read: their macros fail when called, and each file is a warning */
  warnings: TemplateError[];
  /** the macros of each namespace: '' is the project's own, then one per package */
  namespaces: Map<string, Record<string, unknown>>;
  /** the model being rendered: ref(), this, ... resolve against it, in models and in macros */
  setCurrent(context: Record<string, unknown> | undefined): void;
  /** each model's parsed template, by path (render-model.ts), valid while this environment is */
  prepared: Map<string, PreparedModel>;
  /** the calls of fast templates, parsed once each (fast-render.ts) */
  fastCalls: FastCallCache;
  /** the dbt names, made once (render-model.ts), and the input and statement results of the render running */
  renderState: { dbt?: Record<string, unknown> | undefined; input?: DbtContextInput | undefined; results?: Map<string, unknown> | undefined };
}

/** Names a model's render context defines; macros see them too, through the environment's globals. */
export const CONTEXT_NAMES = [
  'ref',
  'source',
  'config',
  'var',
  'env_var',
  'target',
  'this',
  'is_incremental',
  'epoch_ms_to_timestamp',
  'date_part',
  'surrogate_key',
  'cast_text',
  'newly_loaded',
  'model',
  ...DBT_CONTEXT_NAMES.filter((n) => !(CROSS_DATABASE_NAMES as readonly string[]).includes(n)),
] as const;

const MACRO_DEF = /\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

/** What makes two template environments the same: the macro files, the packages' and the project name. */
export function templateEnvironmentKey(macros: TemplateFile[], packages: MacroPackage[] = [], projectName?: string): string {
  return JSON.stringify([
    macros.map((m) => [m.path, m.file, m.text]),
    packages.map((p) => [p.name, p.macros.map((m) => [m.path, m.file, m.text])]),
    projectName,
  ]);
}

/**
 * A new environment with the macros evaluated. It belongs to its caller (a Compiler reuses one
 * while the macro files are unchanged), and so do the caches it carries.
 */
export function createTemplateEnvironment(macros: TemplateFile[], packages: MacroPackage[] = [], projectName?: string): TemplateEnvironment {
  return buildTemplateEnvironment(macros, packages, projectName);
}

type Globals = Record<string, unknown>;

function setGlobal(env: nunjucks.Environment, name: string, value: unknown): void {
  const g = (env as unknown as { globals: Globals }).globals;
  // a project's macro may take the name of one of dbt's cross-database macros (as in dbt)
  if (Object.getOwnPropertyDescriptor(g, name)?.get) delete g[name];
  g[name] = value;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length;
}

function buildTemplateEnvironment(macros: TemplateFile[], packages: MacroPackage[], projectName: string | undefined): TemplateEnvironment {
  sandboxTemplates();
  const macroFiles = new Map([...macros, ...packages.flatMap((p) => p.macros)].map((m) => [m.path, m]));
  // without a prototype: a name looked up in a namespace is a macro or nothing
  const namespaces = new Map<string, Record<string, unknown>>([
    ['', Object.create(null) as Record<string, unknown>],
    ...packages.map((p) => [p.name, Object.create(null)] as [string, Record<string, unknown>]),
  ]);
  // Macros are evaluated once and registered as globals, instead of being imported "with context"
  // into every model (which re-ran each macro file per render: most of compile time at 10k models).
  // A macro still sees the current model's ref(), this, ...: the globals below read them from the
  // model being rendered. Rendering is synchronous, so one "current model" at a time is exact.
  let current: Record<string, unknown> | undefined;
  const makeEnv = () => {
    const env = new nunjucks.Environment(new MemoryLoader(macroFiles), { autoescape: false, throwOnUndefined: false, trimBlocks: false, dev: true });
    addJinjaExtensions(env);
    const g = (env as unknown as { globals: object }).globals;
    for (const name of CONTEXT_NAMES) Object.defineProperty(g, name, { get: () => current?.[name], enumerable: true, configurable: true });
    for (const name of CROSS_DATABASE_NAMES)
      Object.defineProperty(g, name, { get: () => (current?.dbt as Globals | undefined)?.[name], enumerable: true, configurable: true });
    for (const [pkg, ns] of namespaces) if (pkg) setGlobal(env, pkg, ns);
    if (projectName && !namespaces.has(projectName)) setGlobal(env, projectName, namespaces.get(''));
    return env;
  };
  const macroNames: string[] = [];
  const errors: TemplateError[] = [];
  const warnings: TemplateError[] = [];
  const reserved = new Set<string>(CONTEXT_NAMES);
  const compileFiles = (env: nunjucks.Environment, files: TemplateFile[], register: (name: string, fn: unknown) => void, pkg: string | undefined) => {
    for (const m of files) {
      const stripped = removeMaterializationBlocks(m.text);
      for (const b of stripped.blocks) {
        warnings.push(
          new TemplateError(`{% materialization ${b.name} %}: custom materializations are not supported, so this block has no effect`, {
            file: m.file,
            line: b.line,
            hint: 'a model can use table, view, incremental or a snapshot; a model that names this materialization fails at its config() line',
          }),
        );
      }
      const text = rewriteTestBlocks(stripped.text);
      const defs = [...text.matchAll(MACRO_DEF)];
      if (defs.length === 0) continue;
      try {
        const t = new nunjucks.Template(text, env, m.path, true);
        const exporting = t as unknown as { getExported(ctx: object, frame: null, cb: (err: Error | null, exported: Record<string, unknown>) => void): void };
        exporting.getExported({}, null, (err, exported) => {
          if (err) throw err;
          for (const [name, fn] of Object.entries(exported)) {
            if (typeof fn !== 'function') continue;
            if (pkg === undefined && reserved.has(name)) {
              const at = defs.find((d) => d[1] === name);
              errors.push(
                new TemplateError(`a macro cannot be named '${name}': the name is one of the template functions`, {
                  file: m.file,
                  line: at ? lineOf(text, at.index) : undefined,
                  hint: 'rename the macro',
                }),
              );
              continue;
            }
            register(name, fn);
          }
        });
      } catch (err) {
        const e = toTemplateError(err, m.file, 'parse', macroFiles);
        if (pkg === undefined) {
          errors.push(e);
          continue;
        }
        // a package file nunjucks cannot read (dbt_utils' surrogate_key uses *varargs): its macros
        // fail when called, naming the file, and the project builds without them
        const why = `${m.path}${e.line ? `:${e.line}` : ''}: ${e.message}`;
        e.message = `the macros of this package file cannot be used: ${e.message}`;
        warnings.push(e);
        for (const d of defs) {
          register(d[1]!, () => {
            throw new Error(`${pkg}.${d[1]} cannot be used: ${why}`);
          });
        }
      }
    }
  };
  const env = makeEnv();
  compileFiles(
    env,
    macros,
    (name, fn) => {
      setGlobal(env, name, fn);
      namespaces.get('')![name] = fn;
      macroNames.push(name);
    },
    undefined,
  );
  for (const p of packages) {
    const penv = makeEnv();
    // in a package's macros, its own macros come first, then the project's
    for (const [name, fn] of Object.entries(namespaces.get('')!)) setGlobal(penv, name, fn);
    compileFiles(
      penv,
      p.macros,
      (name, fn) => {
        setGlobal(penv, name, fn);
        namespaces.get(p.name)![name] = fn;
      },
      p.name,
    );
  }
  return {
    env,
    macroNames,
    macroFiles,
    errors,
    warnings,
    namespaces,
    setCurrent: (c) => (current = c),
    prepared: new Map(),
    fastCalls: new Map(),
    renderState: {},
  };
}

/**
 * Turns a nunjucks error into a TemplateError located in the right file.
 * Parse errors carry 1-based positions; errors thrown while rendering carry 0-based ones.
 */
export function toTemplateError(err: unknown, file: string, phase: 'parse' | 'render', macroFiles: Map<string, TemplateFile>): TemplateError {
  const where = whereOf(err);
  const raw = err instanceof Error ? err.message : String(err);
  const m = /^\(([^)]*)\)\s*(?:\[Line (\d+)(?:, Column (\d+))?\])?\s*\n?\s*([\s\S]*)$/.exec(raw);
  let message = (m?.[4] ?? raw).replace(/^Error: /, '').trim();
  let line = m?.[2] ? Number(m[2]) : undefined;
  let column = m?.[3] ? Number(m[3]) : undefined;
  if (phase === 'render') {
    if (line !== undefined) line += 1;
    if (column !== undefined) column += 1;
  }
  let at = file;
  const inMacro = m?.[1] ? macroFiles.get(m[1]) : undefined;
  if (inMacro) at = inMacro.file;
  if (where) {
    // the innermost template that was running when it failed: a macro's file, or the model
    at = macroFiles.get(where.template)?.file ?? file;
    line = where.line;
    column = where.column;
  }
  message = message.replace(/\s*Template render error:?\s*/g, '').replace(/^(CompilerError|Error): /, '');
  let hint: string | undefined;
  if (/Unable to call `(\w+)`/.test(message)) {
    hint = "the name is not a macro of the project or of a package (a package's are called as package.macro()), nor a template function";
  } else if (/unexpected token|expected/.test(message)) {
    hint = 'check the {{ }} / {% %} syntax on this line';
  } else if (/unknown block tag|end/.test(message)) {
    hint = 'every {% if %}, {% for %} and {% macro %} needs its matching {% end... %}';
  }
  if (findCause(err, (e) => e instanceof CompilerError)) hint = undefined;
  return new TemplateError(message, { file: at, line, column, hint, cause: err });
}

function findCause(err: unknown, test: (e: unknown) => boolean): boolean {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    if (test(e)) return true;
  }
  return false;
}
