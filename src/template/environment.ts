import nunjucks from 'nunjucks';
import { TemplateError } from '../errors.js';
import { sandboxTemplates } from './sandbox.js';
import { rewriteTestBlocks } from './test-blocks.js';

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

export interface TemplateEnvironment {
  env: nunjucks.Environment;
  macroNames: string[];
  macroFiles: Map<string, TemplateFile>;
  /** errors in macro files, reported with the project's other errors */
  errors: TemplateError[];
  /** the model being rendered: ref(), this, ... resolve against it, in models and in macros */
  setCurrent(context: Record<string, unknown> | undefined): void;
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
] as const;

const MACRO_DEF = /\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(/g;

// Watch mode compiles the project on every save: reuse the environment (and, in render-model.ts,
// each parsed template) while the macro files are unchanged.
let lastEnvironment: { key: string; value: TemplateEnvironment } | undefined;

export function createTemplateEnvironment(macros: TemplateFile[]): TemplateEnvironment {
  const key = JSON.stringify(macros.map((m) => [m.path, m.file, m.text]));
  if (lastEnvironment?.key === key) return lastEnvironment.value;
  const value = buildTemplateEnvironment(macros);
  lastEnvironment = { key, value };
  return value;
}

function buildTemplateEnvironment(macros: TemplateFile[]): TemplateEnvironment {
  sandboxTemplates();
  const macroFiles = new Map(macros.map((m) => [m.path, m]));
  const env = new nunjucks.Environment(new MemoryLoader(macroFiles), {
    autoescape: false,
    throwOnUndefined: false,
    trimBlocks: false,
  });
  // Macros are evaluated once and registered as globals, instead of being imported "with context"
  // into every model (which re-ran each macro file per render: most of compile time at 10k models).
  // A macro still sees the current model's ref(), this, ...: the globals below read them from the
  // model being rendered. Rendering is synchronous, so one "current model" at a time is exact.
  let current: Record<string, unknown> | undefined;
  for (const name of CONTEXT_NAMES) {
    Object.defineProperty((env as unknown as { globals: object }).globals, name, { get: () => current?.[name], enumerable: true, configurable: true });
  }
  const macroNames: string[] = [];
  const errors: TemplateError[] = [];
  for (const m of macros) {
    const text = rewriteTestBlocks(m.text);
    const names = [...text.matchAll(MACRO_DEF)].map((x) => x[1]!);
    if (names.length === 0) continue;
    try {
      const t = new nunjucks.Template(text, env, m.path, true);
      const exporting = t as unknown as { getExported(ctx: object, frame: null, cb: (err: Error | null, exported: Record<string, unknown>) => void): void };
      exporting.getExported({}, null, (err, exported) => {
        if (err) throw err;
        for (const [name, fn] of Object.entries(exported)) {
          if (typeof fn === 'function') {
            env.addGlobal(name, fn);
            macroNames.push(name);
          }
        }
      });
    } catch (err) {
      errors.push(toTemplateError(err, m.file, 'parse', macroFiles));
    }
  }
  return { env, macroNames, macroFiles, errors, setCurrent: (c) => (current = c) };
}

/**
 * Turns a nunjucks error into a TemplateError located in the right file.
 * Parse errors carry 1-based positions; errors thrown while rendering carry 0-based ones.
 */
export function toTemplateError(err: unknown, file: string, phase: 'parse' | 'render', macroFiles: Map<string, TemplateFile>): TemplateError {
  const raw = err instanceof Error ? err.message : String(err);
  const m = /^\(([^)]*)\)\s*(?:\[Line (\d+)(?:, Column (\d+))?\])?\s*\n?\s*([\s\S]*)$/.exec(raw);
  let message = (m?.[4] ?? raw).replace(/^Error: /, '').trim();
  let line = m?.[2] ? Number(m[2]) : undefined;
  let column = m?.[3] ? Number(m[3]) : undefined;
  if (phase === 'render') {
    if (line !== undefined) line += 1;
    if (column !== undefined) column += 1;
  }
  let where = file;
  const inMacro = m?.[1] ? macroFiles.get(m[1]) : undefined;
  if (inMacro) where = inMacro.file;
  message = message.replace(/\s*Template render error:?\s*/g, '');
  let hint: string | undefined;
  if (/Unable to call `(\w+)`/.test(message)) {
    hint = 'only ref(), source(), config(), var(), env_var(), is_incremental(), the SQL helpers and macros from macros/ can be called';
  } else if (/unexpected token|expected/.test(message)) {
    hint = 'check the {{ }} / {% %} syntax on this line';
  } else if (/unknown block tag|end/.test(message)) {
    hint = 'every {% if %}, {% for %} and {% macro %} needs its matching {% end... %}';
  }
  return new TemplateError(message, { file: where, line, column, hint, cause: err });
}
