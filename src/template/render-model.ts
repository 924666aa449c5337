import nunjucks from 'nunjucks';
import { ProjectError, TemplateError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { DATE_PARTS, type DatePart, type Dialect } from '../adapters/adapter.js';
import type { ModelConfig, Relation, TargetInfo } from '../types.js';
import { MODEL_CONFIG_SCHEMA } from '../materializations/index.js';
import { DbtRelation, UNSUPPORTED_NAMES, createDbtContext, type DbtContextInput, type QueryCache } from './dbt-context.js';
import { toTemplateError, type TemplateEnvironment } from './environment.js';
import { parseFastTemplate, renderFastTemplate, type FastTemplate } from './fast-render.js';
import { addLineMarkers, stripLineMarkers } from './line-markers.js';
import type { ModelFile } from '../project/load-project.js';

/** The config() keys of a model; each materialization declares its own (src/materializations/). */
export const CONFIG_KEYS = MODEL_CONFIG_SCHEMA.keys;

export interface RenderScope {
  templates: TemplateEnvironment;
  dialect: Dialect;
  target: TargetInfo;
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /** relation of every enabled model, by name */
  models: Map<string, Relation>;
  /** relation of every source table, by "source.table" */
  sources: Map<string, Relation>;
  disabled: Set<string>;
  /** the node id a ref() name stands for (model., snapshot. or seed.), when the caller knows */
  nodeIdOf?: ((name: string) => string | undefined) | undefined;
  /** source tables declared with config: {enabled: false}, by "source.table" */
  disabledSources?: Set<string> | undefined;
  /** the sources loaded with copy: {mode: incremental}, by "source.table" (newly_loaded() reads only those) */
  incrementalSources?: Map<string, unknown> | undefined;
  /** the project's name (dbt_project.yml `name:`), as project_name and the root of dispatch */
  projectName?: string | undefined;
  /** the installed packages' names */
  packages?: string[] | undefined;
  /** `dispatch:` search orders by macro namespace */
  dispatch?: Record<string, string[]> | undefined;
  /** the warehouse's answers to queries templates send; without it, a query is an error */
  queries?: QueryCache | undefined;
  /** the relations in `models` are not known yet (the first pass): a render that reads one is done again */
  guessesRelations?: boolean | undefined;
  /** told of log(), print() and exceptions.warn() */
  onLog?: ((message: string, level: 'info' | 'debug' | 'warn') => void) | undefined;
  /** told of each query a render sends */
  onQuery?: (() => void) | undefined;
  /** told when a render reads modules.datetime */
  onClock?: (() => void) | undefined;
}

export interface RenderedModel {
  compiledSql: string;
  lineMap: number[];
  config: Partial<ModelConfig>;
  refs: { name: string; line: number; column?: number | undefined }[];
  sources: { sourceName: string; name: string; line: number }[];
  /** the sources (ids) whose new rows the incremental branch reads with newly_loaded() */
  newlyLoaded: string[];
  errors: SparkifyError[];
  /** the render read a relation's name (ref('x').identifier, this.schema) before every model's relation was known */
  usesRelations?: boolean | undefined;
  /** the render sent queries the warehouse has not answered yet: render it again once they are */
  pendingQueries?: boolean | undefined;
  /** the render queried the warehouse (run_query, statement, adapter.get_relation, ...) */
  queried?: boolean | undefined;
  /** the render read modules.datetime: rendered again later, it may give another text */
  readsClock?: boolean | undefined;
}

const REF_OPEN = '\uE010';
const REF_CLOSE = '\uE011';
const THIS_TOKEN = '\uE012';
const TOKEN_RE = /\uE010([^\uE011]*)\uE011|\uE012/g;

/**
 * Replaces the ref() and `this` tokens a render left with the relations, now that every model's
 * config is known. A ref to an unknown or disabled model becomes a located error.
 */
export function resolveRelations(
  sql: string,
  model: { file: string },
  refs: RenderedModel['refs'],
  scope: Pick<RenderScope, 'dialect' | 'models' | 'disabled'>,
  thisRelation: Relation,
): { sql: string; errors: SparkifyError[] } {
  const errors: SparkifyError[] = [];
  const reported = new Set<string>();
  const out = sql.replace(TOKEN_RE, (_m, name: string | undefined) => {
    if (name === undefined) return scope.dialect.relation(thisRelation);
    const rel = scope.models.get(name);
    if (rel) return scope.dialect.relation(rel);
    if (!reported.has(name)) {
      reported.add(name);
      const where = refs.find((r) => r.name === name);
      const disabled = scope.disabled.has(name);
      errors.push(
        new ProjectError(disabled ? `ref('${name}') points at a disabled model` : `unknown model in ref('${name}')`, {
          file: model.file,
          line: where?.line || undefined,
          column: where?.column,
          hint: disabled ? `enable ${name} or remove the ref` : (didYouMean(name, scope.models.keys()) ?? 'models are the .sql files under models/, named by file name'),
        }),
      );
    }
    return `"${name.replace(/"/g, '')}"`;
  });
  return { sql: out, errors };
}

/** 1-based line and column of the first match of a pattern in a text. */
export function locate(text: string, pattern: RegExp): { line: number; column: number } | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: m.index - lineStart + 1 };
}

const REF_CALL = /\bref\s*\(\s*['"]([^'"]*)['"]/g;

/**
 * Where each ref('name') first appears in a template: what locate() finds for that name's pattern,
 * for all names in one scan (an aggregate model has dozens of refs).
 */
function refLocations(text: string): Map<string, { line: number; column: number }> {
  const found = new Map<string, { line: number; column: number }>();
  let line = 1;
  let lineStart = 0;
  REF_CALL.lastIndex = 0;
  for (let m = REF_CALL.exec(text); m; m = REF_CALL.exec(text)) {
    for (let i = text.indexOf('\n', lineStart); i !== -1 && i < m.index; i = text.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    if (!found.has(m[1]!)) found.set(m[1]!, { line, column: m.index - lineStart + 1 });
    // every start is tried, as locate() would for each name
    REF_CALL.lastIndex = m.index + 1;
  }
  return found;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function kwargs(args: unknown[]): Record<string, unknown> {
  const last = args[args.length - 1] as Record<string, unknown> | undefined;
  if (last && typeof last === 'object' && (last as { __keywords?: boolean }).__keywords) {
    const { __keywords: _, ...rest } = last;
    return rest;
  }
  return {};
}

/**
 * Renders one model. ref(), source() and config() record what they see; unknown names become
 * located errors (all of them, not just the first) and render as a placeholder.
 */
/** The config() keys a kind of node accepts, and the check of each value (undefined when it is valid). */
export interface ConfigRules {
  keys: readonly string[];
  check(key: string, value: unknown): string | undefined;
}

export const MODEL_CONFIG: ConfigRules = { keys: CONFIG_KEYS, check: (k, v) => checkConfigValue(k, v) };

export function renderModel(prepared: PreparedModel, scope: RenderScope, opts: { isIncremental: boolean; config?: ConfigRules | undefined }): RenderedModel {
  const rules = opts.config ?? MODEL_CONFIG;
  const model = prepared.model;
  const errors: SparkifyError[] = [];
  const refs: RenderedModel['refs'] = [];
  const sources: RenderedModel['sources'] = [];
  const config: Partial<ModelConfig> = {};
  const text = model.text;
  const d = scope.dialect;

  const lineOf = (pattern: RegExp) => locate(text, pattern) ?? { line: undefined, column: undefined };
  let refsAt: Map<string, { line: number; column: number }> | undefined;

  const ref = (...args: unknown[]) => {
    const pos = args.filter((a) => typeof a === 'string') as string[];
    const name = pos[pos.length - 1];
    if (name === undefined) {
      errors.push(new ProjectError(`ref() needs a model name`, { file: model.file, ...lineOf(/\bref\s*\(/) }));
      return '__missing__';
    }
    if (!refs.some((r) => r.name === name)) {
      let where: { line?: number | undefined; column?: number | undefined };
      if (/['"]/.test(name)) where = lineOf(new RegExp(`\\bref\\s*\\(\\s*['"]${escapeRe(name)}['"]`));
      else where = (refsAt ??= refLocations(text)).get(name) ?? { line: undefined, column: undefined };
      refs.push({ name, line: where.line ?? 0, column: where.column });
    }
    // resolved by resolveRelations() once every model's config (alias, schema, enabled) is known
    const token = `${REF_OPEN}${name}${REF_CLOSE}`;
    return new DbtRelation(() => relationOf(name), () => token, database, null, name);
  };

  // a relation's parts, when a template reads them: known once every model's config is (the
  // second pass of compileProject); before that, a guess, and the model is rendered again
  const database = databaseOf(scope.target);
  let usesRelations = false;
  const relationOf = (name: string): Relation => {
    const rel = scope.models.get(name);
    if (rel) return rel;
    usesRelations = true;
    return { schema: scope.target.schema, name };
  };

  const source = (sourceName: unknown, tableName: unknown) => {
    const key = `${String(sourceName)}.${String(tableName)}`;
    const where = lineOf(new RegExp(`\\bsource\\s*\\(\\s*['"]${escapeRe(String(sourceName))}['"]\\s*,\\s*['"]${escapeRe(String(tableName))}['"]`));
    if (!sources.some((s) => `${s.sourceName}.${s.name}` === key)) sources.push({ sourceName: String(sourceName), name: String(tableName), line: where.line ?? 0 });
    const rel = scope.sources.get(key);
    if (!rel) {
      const off = scope.disabledSources?.has(key) === true;
      errors.push(
        new ProjectError(off ? `source('${String(sourceName)}', '${String(tableName)}') points at a disabled source` : `unknown source in source('${String(sourceName)}', '${String(tableName)}')`, {
          file: model.file,
          ...where,
          hint: off
            ? `enable it (config: {enabled: true} on source ${key}) or remove the source() call`
            : (didYouMean(key, scope.sources.keys()) ?? 'sources are declared under sources: in sources.yml or in a .yml file under models/'),
        }),
      );
      return `"${String(tableName).replace(/"/g, '')}"`;
    }
    const text = d.relation(rel);
    return new DbtRelation(() => rel, () => text, database);
  };

  const configFn = (...args: unknown[]) => {
    const kw = kwargs(args);
    const where = lineOf(/\bconfig\s*\(/);
    for (const [k, v] of Object.entries(kw)) {
      if (!rules.keys.includes(k)) {
        const wk = lineOf(new RegExp(`\\b${escapeRe(k)}\\s*=`));
        errors.push(
          new ProjectError(`unknown config key '${k}'`, {
            file: model.file,
            line: wk.line ?? where.line,
            column: wk.column ?? where.column,
            hint: didYouMean(k, rules.keys) ?? `valid keys: ${rules.keys.join(', ')}`,
          }),
        );
        continue;
      }
      const problem = rules.check(k, v);
      if (problem) {
        const wk = lineOf(new RegExp(`\\b${escapeRe(k)}\\s*=`));
        errors.push(new ProjectError(`config ${k}: ${problem}`, { file: model.file, line: wk.line, column: wk.column }));
        continue;
      }
      (config as Record<string, unknown>)[k] = k === 'tags' && typeof v === 'string' ? [v] : k === 'sort' && typeof v === 'string' ? [v] : v;
    }
    return '';
  };

  const varFn = (name: unknown, ...rest: unknown[]) => {
    const key = String(name);
    if (Object.prototype.hasOwnProperty.call(scope.vars, key)) return scope.vars[key];
    if (rest.length > 0) return rest[0];
    errors.push(
      new ProjectError(`required var '${key}' is not set`, {
        file: model.file,
        ...lineOf(new RegExp(`\\bvar\\s*\\(\\s*['"]${escapeRe(key)}['"]`)),
        hint: `pass --vars '{"${key}": ...}', set it under vars: in sparkify.yml, or give var() a default`,
      }),
    );
    return '';
  };

  const envVar = (name: unknown, ...rest: unknown[]) => {
    const key = String(name);
    const v = scope.env[key];
    if (v !== undefined) return v;
    if (rest.length > 0) return rest[0];
    errors.push(
      new ProjectError(`environment variable '${key}' is not set`, {
        file: model.file,
        ...lineOf(new RegExp(`\\benv_var\\s*\\(\\s*['"]${escapeRe(key)}['"]`)),
        hint: `export ${key}=... or give env_var() a default`,
      }),
    );
    return '';
  };

  const datePart = (part: unknown, expr: unknown) => {
    const p = String(part).toLowerCase();
    if (!(DATE_PARTS as readonly string[]).includes(p)) {
      errors.push(
        new TemplateError(`date_part('${String(part)}', ...): unknown part`, {
          file: model.file,
          ...lineOf(/\bdate_part\s*\(/),
          hint: `use one of ${DATE_PARTS.join(', ')}`,
        }),
      );
      return 'NULL';
    }
    return d.datePart(p as DatePart, String(expr));
  };

  const newlyLoaded: string[] = [];
  // an incremental source's rows loaded since this model last read it; every row in a full build
  const newlyLoadedFn = (sourceName: unknown, tableName: unknown, alias?: unknown) => {
    const key = `${String(sourceName)}.${String(tableName)}`;
    const where = lineOf(/\bnewly_loaded\s*\(/);
    const table = scope.incrementalSources?.get(key);
    if (!scope.sources.has(key)) {
      errors.push(new ProjectError(`unknown source in newly_loaded('${String(sourceName)}', '${String(tableName)}')`, { file: model.file, ...where, hint: didYouMean(key, scope.sources.keys()) ?? 'sources are declared in sources.yml' }));
      return '1 = 1';
    }
    if (scope.incrementalSources && !table) {
      errors.push(new ProjectError(`newly_loaded('${String(sourceName)}', '${String(tableName)}'): the source is not loaded incrementally`, { file: model.file, ...where, hint: 'set copy: {mode: incremental} on it in sources.yml, so that its rows carry the load that added them' }));
      return '1 = 1';
    }
    if (alias !== undefined && (typeof alias !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(alias))) {
      errors.push(new ProjectError(`newly_loaded(): the alias must be a name of letters, digits and _`, { file: model.file, ...where }));
      return '1 = 1';
    }
    if (!newlyLoaded.includes(`source.${key}`)) newlyLoaded.push(`source.${key}`);
    return opts.isIncremental ? d.newlyLoaded(scope.target.schema, model.name, key, alias as string | undefined) : '1 = 1';
  };

  const pendingList: string[] = [];
  let queried = false;
  let readsClock = false;
  const state = scope.templates.renderState;
  const input: DbtContextInput = {
    dialect: d,
    database,
    projectName: scope.projectName ?? 'sparkify',
    queries: scope.queries,
    onQuery: () => {
      queried = true;
      scope.onQuery?.();
    },
    onClock: () => {
      readsClock = true;
      scope.onClock?.();
    },
    log: (message, level) => scope.onLog?.(message, level),
    macro: (ns, name) => scope.templates.namespaces.get(ns)?.[name],
    packages: scope.packages ?? [],
    dispatch: scope.dispatch,
    onPending: (sql) => pendingList.push(sql),
  };
  // the dbt names are made once per environment and read this render's input while it runs
  state.dbt ??= createDbtContext(
    () => state.input!,
    () => state.results!,
  );
  const dbt = state.dbt;

  const own = {
    newly_loaded: newlyLoadedFn,
    model: { name: model.name, package_name: scope.projectName ?? 'sparkify', unique_id: `model.${scope.projectName ?? 'sparkify'}.${model.name}`, resource_type: 'model', path: model.path, original_file_path: model.path },
    ref,
    source,
    config: configFn,
    var: varFn,
    env_var: envVar,
    target: scope.target,
    this: new DbtRelation(() => relationOf(model.name), () => THIS_TOKEN, database),
    is_incremental: () => opts.isIncremental,
    epoch_ms_to_timestamp: (expr: unknown) => d.epochMsToTimestamp(String(expr)),
    date_part: datePart,
    surrogate_key: (...exprs: unknown[]) => d.surrogateKey(exprs.flat().map(String)),
    cast_text: (expr: unknown) => d.castText(String(expr)),
  };
  // what macros see (the environment's globals read it): this render's names over the dbt ones
  const context = Object.assign(Object.create(dbt) as Record<string, unknown>, own);
  // what nunjucks renders with: it copies a context's own enumerable values, so one flat object;
  // dbt names sparkify lacks throw when read (not enumerable, so not copied)
  const flatContext = () => {
    const flat: Record<string, unknown> = Object.assign({}, dbt, own);
    for (const n of UNSUPPORTED_NAMES) Object.defineProperty(flat, n, { get: () => dbt[n], enumerable: false });
    return flat;
  };

  // the queries of a render that guessed relation names are not sent: it is rendered again
  const notePending = (): boolean => {
    if (pendingList.length === 0) return false;
    if (!(usesRelations && scope.guessesRelations)) for (const q of pendingList) scope.queries?.pending.add(q);
    return true;
  };

  let rendered: string | undefined;
  scope.templates.setCurrent(context);
  const outer = { input: state.input, results: state.results };
  state.input = input;
  state.results = new Map();
  try {
    if (prepared.fast) {
      const errorCount = errors.length;
      const globals = (scope.templates.env as unknown as { globals: Record<string, unknown> }).globals;
      try {
        rendered = renderFastTemplate(prepared.fast, (name) => (name in context ? context[name] : globals[name]));
      } catch {
        // let nunjucks render it again, so the error carries nunjucks' location
        errors.length = errorCount;
      }
    }
    rendered ??= templateOf(prepared, scope.templates).render(flatContext());
  } catch (err) {
    const pendingQueries = notePending();
    // with queries unanswered, an error can come of an empty answer: the render is done again
    if (!pendingQueries) errors.push(toTemplateError(err, model.file, 'render', scope.templates.macroFiles));
    return { compiledSql: '', lineMap: [], config, refs, sources, newlyLoaded, errors: pendingQueries ? [] : errors, usesRelations, pendingQueries, queried, readsClock };
  } finally {
    scope.templates.setCurrent(undefined);
    state.input = outer.input;
    state.results = outer.results;
  }
  const pendingQueries = notePending();
  const { text: compiledSql, lineMap } = stripLineMarkers(rendered!);
  return { compiledSql, lineMap, config, refs, sources, newlyLoaded, errors: pendingQueries ? [] : errors, usesRelations, pendingQueries, queried, readsClock };
}

/** target.database: the database the target connects to (DuckDB's is named after its file) */
function databaseOf(target: TargetInfo): string {
  return (target as TargetInfo & { database?: string }).database ?? target.name;
}

export interface PreparedModel {
  model: ModelFile;
  /** the template with its line markers */
  marked: string;
  /** set when the template only calls functions with literal arguments (fast-render.ts) */
  fast?: FastTemplate | undefined;
  /** nunjucks' compiled template: made at once when there is no fast form, else when first needed */
  template?: nunjucks.Template | undefined;
}

function templateOf(prepared: PreparedModel, templates: TemplateEnvironment): nunjucks.Template {
  prepared.template ??= new nunjucks.Template(prepared.marked, templates.env, prepared.model.path, true);
  return prepared.template;
}

/** Parses a model's template once: cached in the environment while the file is unchanged. */
export function prepareModel(model: ModelFile, templates: TemplateEnvironment): PreparedModel | SparkifyError {
  const cache = templates.prepared;
  // keyed by path, the text compared: hashing every model's text as a key costs more at 10k models
  const hit = cache.get(model.path);
  if (hit && hit.model.text === model.text) return { ...hit, model };
  const marked = addLineMarkers(model.text);
  const prepared: PreparedModel = { model, marked, fast: parseFastTemplate(marked, templates.fastCalls) };
  try {
    if (!prepared.fast) templateOf(prepared, templates);
  } catch (err) {
    return toTemplateError(err, model.file, 'parse', templates.macroFiles);
  }
  if (cache.size > 20000) cache.clear();
  cache.set(model.path, prepared);
  return prepared;
}

export function checkConfigValue(key: string, v: unknown): string | undefined {
  return MODEL_CONFIG_SCHEMA.check(key, v);
}
