import path from 'node:path';
import type { Argv } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { compileWithDatabase, describeNote, displayPath, INDIRECT_SELECTION_MODES, resolveProjectTarget, UsageError, type Compiled, type IndirectSelection, type Manifest, type ProjectOptions } from '../index.js';
import type { CliContext } from './cli-command.js';
import type { LogFormat, Reporter } from './reporter.js';

/** Options every command takes. */
export interface GlobalArgs {
  'project-dir': string;
  config?: string | undefined;
  'log-format': LogFormat;
  color?: boolean | undefined;
}

/** Options of the commands that read the project and a target. */
export interface ProjectArgs extends GlobalArgs {
  target?: string | undefined;
  vars?: string | undefined;
}

export interface SelectArgs extends ProjectArgs {
  select?: string[] | undefined;
  exclude?: string[] | undefined;
}

export interface ThreadsArgs {
  threads?: number | undefined;
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('project-dir', { type: 'string', default: '.', describe: 'folder holding models/ and sources.yml (relative paths of other options resolve against it)' })
    .option('config', { type: 'string', describe: 'config file (default: dwh.cfg in the project folder, if present)' })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json prints one JSON event per line' })
    .option('color', { type: 'boolean', describe: 'colour the output (default: on a terminal, unless NO_COLOR is set; FORCE_COLOR forces it); --no-color turns it off' });
}

export function targetOptions<T>(y: Argv<T>) {
  return y
    .option('target', { alias: 't', type: 'string', describe: 'engine to use: duckdb, postgres or redshift (default: [SPARKIFY] TARGET, or duckdb)' })
    .option('vars', { type: 'string', describe: "variables for var(), as JSON or YAML: '{\"k\": \"v\"}'" });
}

export function selectOption<T>(y: Argv<T>) {
  return y.option('select', { alias: ['s', 'm', 'models', 'model'], type: 'array', string: true, describe: 'nodes to include (dbt selector grammar; repeat or space-separate for union); -m, --models and --model are aliases, as in dbt' });
}

/** --target, --vars, --select and --exclude */
export function selectOptions<T>(y: Argv<T>) {
  return selectOption(targetOptions(y)).option('exclude', { type: 'array', string: true, describe: 'nodes to leave out (same grammar)' });
}

export function indirectOption<T>(y: Argv<T>) {
  return y.option('indirect-selection', { choices: INDIRECT_SELECTION_MODES, default: 'eager' as IndirectSelection, describe: 'which tests selecting a node selects: eager (any test on it), cautious (only tests of selected nodes only), buildable, empty' });
}

export function waitForLockOption<T>(y: Argv<T>) {
  return y.option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' });
}

export function threadsOption<T>(y: Argv<T>) {
  return y.option('threads', { requiresArg: true, coerce: wholeNumber('threads', 1), describe: 'nodes built at once, a whole number >= 1 (default 4, or [SPARKIFY] THREADS)' });
}

/**
 * A coercer for a numeric option: a whole number in [min, max], else a usage error (exit 2) that
 * names the option and the value given. A repeated option takes its last value.
 */
export function wholeNumber(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: unknown): number => {
    const raw = Array.isArray(v) ? (v[v.length - 1] as unknown) : v;
    const text = String(raw).trim();
    const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? 'a whole number' : `a whole number >= ${min}`) : `a whole number from ${min} to ${max}`;
      throw new UsageError(`--${name} must be ${range}, got '${text}'`, { hint: `see sparkify <command> --help` });
    }
    return n;
  };
}

/** A coercer for a fraction option: a number in [min, max]. */
export function numberIn(name: string, min: number, max: number) {
  return (v: unknown): number => {
    const raw = Array.isArray(v) ? (v[v.length - 1] as unknown) : v;
    const text = String(raw).trim();
    const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${text}'`, { hint: 'see sparkify <command> --help' });
    return n;
  };
}

export function parseVars(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    throw new UsageError(`--vars is not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --vars '{"start_date": "2018-11-01"}'` });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--vars must be a JSON or YAML mapping', { hint: `e.g. --vars '{"start_date": "2018-11-01"}'` });
  return v as Record<string, unknown>;
}

export function projectOptions(a: ProjectArgs, env: Record<string, string | undefined>, extra: { offline?: boolean } = {}): ProjectOptions {
  return {
    projectDir: path.resolve(a['project-dir']),
    configPath: a.config === undefined ? undefined : path.resolve(a.config),
    targetName: a.target,
    vars: parseVars(a.vars),
    env,
    ...(extra.offline ? { offline: true } : {}),
  };
}

export function splitSelectors(v: string[] | undefined): string[] | undefined {
  return v === undefined || v.length === 0 ? undefined : v.map(String);
}

/**
 * load -> compile for a command, with the target's secrets handed to the reporter first. Templates
 * that query the warehouse (run_query(), ...) are answered from the target; their log() lines are
 * shown.
 */
export async function compileFor(a: ProjectArgs, ctx: CliContext, extra: { offline?: boolean } = {}): Promise<Compiled> {
  const opts = projectOptions(a, ctx.env, extra);
  const target = resolveProjectTarget(opts);
  ctx.reporter.setSecrets(target.secrets);
  const c = await compileWithDatabase({ ...opts, onLog: templateLog(ctx) }, target);
  warnNotes(c.manifest, ctx.reporter);
  return c;
}

/** The files and keys of the project that sparkify does not use, once per run (debug lists the quiet ones too). */
export function warnNotes(manifest: Manifest, reporter: Reporter, all = false): void {
  for (const n of manifest.notes ?? []) if (all || !n.quiet) reporter.warn(describeNote(n, displayPath));
}

/** log(msg, info=True) and print() are shown, exceptions.warn() is a warning; log(msg) goes nowhere, as in dbt's console. */
export function templateLog(ctx: CliContext): (message: string, level: 'info' | 'debug' | 'warn') => void {
  return (message, level) => {
    if (level === 'info') ctx.reporter.info(message);
    else if (level === 'warn') ctx.reporter.warn(message);
  };
}
