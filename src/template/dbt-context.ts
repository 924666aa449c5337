import { createHash, randomUUID } from 'node:crypto';
import type { Dialect } from '../adapters/adapter.js';
import { CROSS_DATABASE_MACROS } from '../adapters/cross-db.js';
import type { Relation } from '../types.js';
import { MacroReturn, Namespace } from './jinja-runtime.js';
import { keywordArgs } from './keyword-args.js';
import { pyRepr, pyStr } from './python-methods.js';
import { datetimeModule, reModule, PyDateTime } from './python-modules.js';

/**
 * The names dbt's Jinja context has beyond ref/source/config/var: relations with attributes,
 * adapter.*, run_query() and statement blocks, exceptions, log(), modules, namespace(), return()
 * and the cross-database macros under `dbt.`. What depends on the model being rendered (its
 * dialect, the warehouse answers) is built per render by dbtContext().
 */


/** Python-style binding of positional and keyword arguments to parameter names. */
export function bindArgs(fn: string, params: string[], raw: unknown[], defaults: Record<string, unknown> = {}): Record<string, unknown> {
  const { args, kwargs } = keywordArgs(raw);
  if (args.length > params.length) throw new Error(`${fn}() takes ${params.length} arguments but ${args.length} were given`);
  const out: Record<string, unknown> = {};
  params.forEach((p, i) => {
    if (i < args.length) out[p] = args[i];
    else if (p in kwargs) out[p] = kwargs[p];
    else if (p in defaults) out[p] = defaults[p];
    else throw new Error(`${fn}() is missing its argument '${p}'`);
  });
  for (const k of Object.keys(kwargs)) if (!params.includes(k) && k !== 'caller') throw new Error(`${fn}() got an unexpected keyword argument '${k}'`);
  return out;
}

/** A relation as dbt's Jinja sees it: `{{ rel }}` renders its name, and it has dbt's attributes. */
export class DbtRelation {
  readonly metadata = { type: 'BaseRelation' };
  readonly is_cte = false;
  constructor(
    private readonly resolve: () => Relation,
    private readonly text: () => string,
    readonly database: string,
    readonly type: 'table' | 'view' | null = null,
    /** the model a ref() names */
    readonly model?: string,
  ) {}
  get schema(): string {
    return this.resolve().schema;
  }
  get identifier(): string {
    return this.resolve().name;
  }
  get name(): string {
    return this.resolve().name;
  }
  get table(): string {
    return this.resolve().name;
  }
  get is_table(): boolean {
    return this.type === 'table';
  }
  get is_view(): boolean {
    return this.type === 'view';
  }
  /** the relation as data, for the engine's queries */
  get relation(): Relation {
    return this.resolve();
  }
  get(key: unknown, fallback: unknown = null): unknown {
    const fields: Record<string, () => unknown> = {
      metadata: () => this.metadata,
      database: () => this.database,
      schema: () => this.schema,
      identifier: () => this.identifier,
      name: () => this.name,
      type: () => this.type,
      is_cte: () => this.is_cte,
    };
    return Object.hasOwn(fields, String(key)) ? fields[String(key)]!() : fallback;
  }
  render(): string {
    return this.text();
  }
  /** sparkify names relations schema.name: there is no database part to leave out */
  include(): DbtRelation {
    return this;
  }
  quote(): DbtRelation {
    return this;
  }
  incorporate(): DbtRelation {
    return this;
  }
  toString(): string {
    return this.text();
  }
}

export class DbtColumn {
  constructor(
    readonly name: string,
    readonly dtype: string,
    readonly char_size?: number,
  ) {}
  /** dbt: a string column's size, 256 when the type has none */
  string_size(): number {
    if (!this.is_string()) throw new Error(`string_size() of the ${this.dtype} column ${this.name}: it is not a string`);
    return this.char_size ?? 256;
  }
  get column(): string {
    return this.name;
  }
  get data_type(): string {
    return this.dtype;
  }
  get quoted(): string {
    return `"${this.name.replace(/"/g, '""')}"`;
  }
  is_string(): boolean {
    return /char|text|string/i.test(this.dtype);
  }
  is_number(): boolean {
    return this.is_numeric() || this.is_integer() || this.is_float();
  }
  is_numeric(): boolean {
    return /^(numeric|decimal)/i.test(this.dtype);
  }
  is_integer(): boolean {
    return /int/i.test(this.dtype);
  }
  is_float(): boolean {
    return /float|double|real/i.test(this.dtype);
  }
  toString(): string {
    return `<Column ${this.name} (${this.dtype})>`;
  }
}

/** A warehouse answer: the rows of a query (or why it failed). */
export type QueryAnswer = { rows: Record<string, unknown>[] } | { error: string };

/**
 * The answers of the queries templates sent (run_query, statement, adapter.get_relation, ...), by
 * SQL. A query not answered yet gets no rows and is added to `pending` by the render: the compile is
 * then done again once the pending queries have run (compileWithDatabase).
 */
export interface QueryCache {
  answers: Map<string, QueryAnswer>;
  pending: Set<string>;
}

class AgateColumn {
  constructor(
    readonly name: string,
    private readonly data: unknown[],
  ) {}
  values(): unknown[] {
    return [...this.data];
  }
}

/** A query's rows as an agate table: rows by index or column name, columns with values(). */
export function agateTable(rows: Record<string, unknown>[]): unknown[] & Record<string, unknown> {
  const names = rows.length > 0 ? Object.keys(rows[0]!) : [];
  const asRow = (r: Record<string, unknown>) => {
    const row = names.map((n) => r[n]) as unknown[] & Record<string, unknown>;
    for (const n of names) if (!(n in row)) row[n] = r[n];
    return row;
  };
  const table = rows.map(asRow) as unknown[] & Record<string, unknown>;
  const columns = names.map((n) => new AgateColumn(n, rows.map((r) => r[n]))) as unknown[] & Record<string, unknown>;
  for (const c of columns as { name: string }[]) if (!(c.name in columns)) columns[c.name] = c;
  Object.assign(table, { rows: table.slice(), columns, column_names: names, print_table: () => '' });
  return table;
}

export class CompilerError extends Error {}

export interface DbtContextInput {
  dialect: Dialect;
  /** the database name, as target.database */
  database: string;
  projectName: string;
  queries: QueryCache | undefined;
  /** told of each log(), print() and exceptions.warn() */
  log(message: string, level: 'info' | 'debug' | 'warn'): void;
  /** finds a macro by package namespace and name ('' is the root project) */
  macro(namespace: string, name: string): unknown;
  /** the installed packages' names */
  packages: string[];
  /** dispatch search orders from the project's `dispatch:` config, by macro namespace */
  dispatch?: Record<string, string[]> | undefined;
  /** told of each query whose answer the cache does not have yet (the query gets no rows) */
  onPending(sql: string): void;
  /** told of every query the render sends */
  onQuery?(): void;
  /** told when the render reads modules.datetime (the clock: a render that does is not repeatable) */
  onClock?(): void;
}

const STATIC = {
  modules: { datetime: datetimeModule, re: reModule },
  namespace: (...args: unknown[]) => new Namespace(keywordArgs(args).kwargs),
  return: (value: unknown) => {
    throw new MacroReturn(value);
  },
  tojson: (v: unknown) => JSON.stringify(v),
  fromjson: (s: unknown, fallback: unknown = null) => {
    try {
      return JSON.parse(String(s)) as unknown;
    } catch {
      return fallback;
    }
  },
  zip: (...lists: unknown[]) => {
    const ls = lists.map((l) => [...(l as Iterable<unknown>)]);
    const n = Math.min(...ls.map((l) => l.length));
    return Array.from({ length: ls.length ? n : 0 }, (_v, i) => ls.map((l) => l[i]));
  },
  set: (items: unknown = []) => [...new Set(items as Iterable<unknown>)],
  local_md5: (s: unknown) => createHash('md5').update(String(s)).digest('hex'),
  // a test with store_failures keeps the rows its query returns, whatever columns it selects
  should_store_failures: () => false,
  execute: true,
};

/** The names below, unqualified, as dbt's global macros (a project macro of the same name wins). */
export const CROSS_DATABASE_NAMES = Object.keys(CROSS_DATABASE_MACROS);

/** dbt context names sparkify does not have: using one is an error naming it (not an empty value). */
export const UNSUPPORTED_NAMES = ['graph', 'selected_resources', 'context', 'builtins', 'store_result', 'load_relation'] as const;

export const DBT_CONTEXT_NAMES = [...Object.keys(STATIC), ...UNSUPPORTED_NAMES, 'exceptions', 'log', 'print', 'adapter', 'api', 'run_query', 'statement', 'load_result', 'dbt', 'flags', 'run_started_at', 'invocation_id', 'project_name', ...CROSS_DATABASE_NAMES] as const;

const runStartedAt = new PyDateTime(Date.now() * 1000, false, true);

/** The dbt names for one render. */
export function dbtContext(input: DbtContextInput): Record<string, unknown> {
  const results = new Map<string, unknown>();
  return createDbtContext(() => input, () => results);
}

/**
 * The dbt names, made once and used by every render: each function reads the render's input (and
 * its statement results) when it is called. Rendering is synchronous, so the input of the render
 * that calls is the one `current()` returns. Making these functions anew for each of 10k renders
 * was a large part of compile time.
 */
export function createDbtContext(current: () => DbtContextInput, currentResults: () => Map<string, unknown>): Record<string, unknown> {

  const query = (sql: string): Record<string, unknown>[] => {
    const text = sql.trim();
    const queries = current().queries;
    if (!queries) throw new Error('this compile has no connection to the warehouse, so it cannot run a query; run_query(), statement blocks and adapter.get_relation() work in run, build, test and compile');
    current().onQuery?.();
    const answer = queries.answers.get(text);
    if (!answer) {
      current().onPending(text);
      return [];
    }
    if ('error' in answer) throw new Error(`the query failed: ${answer.error}`);
    return answer.rows;
  };

  const relationOf = (schema: string, identifier: string, type: 'table' | 'view' | null = null) => {
    const rel = { schema, name: identifier };
    return new DbtRelation(
      () => rel,
      () => current().dialect.relation(rel),
      current().database,
      type,
    );
  };

  const asRelation = (v: unknown, fn: string): Relation => {
    if (v instanceof DbtRelation) return v.relation;
    throw new Error(`${fn}() expects a relation (ref(), source() or api.Relation.create()), not ${pyRepr(v)}`);
  };

  const getRelation = (...raw: unknown[]) => {
    const a = bindArgs('adapter.get_relation', ['database', 'schema', 'identifier'], raw);
    const rows = query(current().dialect.findRelation(String(a.schema), String(a.identifier)));
    const row = rows[0];
    if (!row) return null;
    return relationOf(String(row.schema), String(row.name), row.type === 'view' ? 'view' : 'table');
  };

  const columnsIn = (rel: unknown) => {
    const sql = current().dialect.relationColumns(asRelation(rel, 'adapter.get_columns_in_relation'));
    const rows = query(sql);
    const model = rel instanceof DbtRelation ? rel.model : undefined;
    // sparkify compiles every model before the run (dbt compiles each just before it runs): the
    // columns of a model that is not built yet would silently be none
    if (rows.length === 0 && model !== undefined && current().queries?.answers.has(sql.trim())) {
      throw new CompilerError(`the columns of ${model} are read (adapter.get_columns_in_relation, as dbt_utils.star and union_relations do) before ${model} exists in the warehouse: sparkify compiles every model before the run starts; build ${model} first (sparkify run -s ${model}), then this model`);
    }
    return rows.map((r) => new DbtColumn(String(r.column_name), r.char_size === null || r.char_size === undefined ? String(r.data_type) : `${String(r.data_type)}(${String(r.char_size)})`, r.char_size === null || r.char_size === undefined ? undefined : Number(r.char_size)));
  };

  const dispatch = (...raw: unknown[]) => {
    const a = bindArgs('adapter.dispatch', ['macro_name', 'macro_namespace'], raw, { macro_namespace: null });
    const name = String(a.macro_name);
    const ns = a.macro_namespace === null || a.macro_namespace === undefined ? undefined : String(a.macro_namespace);
    let order: string[];
    if (ns === undefined) order = ['', 'dbt'];
    else if (current().dispatch?.[ns]) order = current().dispatch![ns]!.map((p) => (p === current().projectName ? '' : p));
    else if (ns === 'dbt' || current().packages.includes(ns)) order = ['', ns];
    else order = [ns];
    const searched: string[] = [];
    for (const pkg of order) {
      for (const prefix of current().dialect.crossDb.dispatchPrefixes) {
        const candidate = `${prefix}__${name}`;
        searched.push(`${pkg || current().projectName}.${candidate}`);
        const m = pkg === 'dbt' ? undefined : current().macro(pkg, candidate);
        if (typeof m === 'function') return m;
      }
      if (pkg === 'dbt') {
        if (Object.hasOwn(dbt, name)) return dbt[name];
      }
    }
    throw new CompilerError(`In dispatch: No macro named '${name}' found within namespace: '${ns ?? current().projectName}'\n    Searched for: ${searched.map((s) => `'${s}'`).join(', ')}`);
  };

  const dbt: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, spec] of Object.entries(CROSS_DATABASE_MACROS)) {
    dbt[name] = (...raw: unknown[]) => {
      const a = bindArgs(`dbt.${name}`, spec.params, raw, spec.defaults);
      const s = (k: string) => pyStr(a[k]);
      const sql = current().dialect.crossDb;
      switch (name) {
        case 'concat':
          return sql.concat([...(a.fields as Iterable<unknown>)].map(pyStr));
        case 'split_part':
          return sql.split_part(s('string_text'), s('delimiter_text'), Number(a.part_number));
        case 'listagg':
          return sql.listagg(s('measure'), s('delimiter_text'), a.order_by_clause ? s('order_by_clause') : undefined, a.limit_num ? Number(a.limit_num) : undefined);
        default:
          return (sql[name as 'hash'] as (...x: string[]) => string).apply(sql, spec.params.map(s));
      }
    };
  }

  const log = (...raw: unknown[]) => {
    const a = bindArgs('log', ['msg', 'info'], raw, { info: false });
    current().log(pyStr(a.msg), a.info ? 'info' : 'debug');
    return '';
  };

  const statement = (...raw: unknown[]) => {
    const { kwargs } = keywordArgs(raw);
    const a = bindArgs('statement', ['name', 'fetch_result', 'auto_begin', 'language'], raw, { name: null, fetch_result: false, auto_begin: true, language: 'sql' });
    const caller = kwargs.caller as (() => unknown) | undefined;
    if (typeof caller !== 'function') throw new Error('statement() is a block: {% call statement(name, fetch_result=True) %} SQL {% endcall %}');
    const rows = query(String(caller()));
    if (a.name !== null) {
      const table = agateTable(rows);
      currentResults().set(String(a.name), { response: { code: 'SELECT', rows_affected: rows.length }, data: a.fetch_result ? table.map((r) => [...(r as unknown[])]) : [], table: a.fetch_result ? table : null });
    }
    return '';
  };

  const context: Record<string, unknown> = {
    ...STATIC,
    modules: {
      get datetime() {
        current().onClock?.();
        return datetimeModule;
      },
      re: reModule,
    },
    dbt,
    ...Object.fromEntries(CROSS_DATABASE_NAMES.map((n) => [n, dbt[n]])),
    get project_name() {
      return current().projectName;
    },
    flags: { WHICH: 'run', FULL_REFRESH: false, STORE_FAILURES: false },
    run_started_at: runStartedAt,
    invocation_id: invocationId,
    exceptions: {
      raise_compiler_error: (msg: unknown) => {
        throw new CompilerError(pyStr(msg));
      },
      raise_not_implemented: (msg: unknown) => {
        throw new CompilerError(`not implemented: ${pyStr(msg)}`);
      },
      warn: (msg: unknown) => {
        current().log(pyStr(msg), 'warn');
        return '';
      },
    },
    log,
    print: (msg: unknown) => {
      current().log(pyStr(msg), 'info');
      return '';
    },
    run_query: (sql: unknown) => agateTable(query(pyStr(sql))),
    statement,
    load_result: (name: unknown) => currentResults().get(String(name)) ?? null,
    adapter: {
      dispatch,
      quote: (name: unknown) => current().dialect.quoteName(pyStr(name)),
      type: () => current().dialect.type,
      get_relation: getRelation,
      load_relation: (rel: unknown) => {
        const r = asRelation(rel, 'adapter.load_relation');
        return getRelation(current().database, r.schema, r.name);
      },
      get_columns_in_relation: columnsIn,
      already_exists: (schema: unknown, name: unknown) => getRelation(current().database, schema, name) !== null,
    },
    api: {
      Relation: {
        create: (...raw: unknown[]) => {
          const a = bindArgs('api.Relation.create', ['database', 'schema', 'identifier', 'type'], raw, { database: current().database, schema: null, identifier: null, type: null });
          if (a.schema === null || a.identifier === null) throw new Error('api.Relation.create() needs a schema and an identifier');
          return relationOf(String(a.schema), String(a.identifier), a.type === 'view' ? 'view' : a.type === 'table' ? 'table' : null);
        },
      },
      Column: {
        translate_type: (t: unknown) => {
          const labels: Record<string, string> = { string: current().dialect.crossDb.type_string(), timestamp: current().dialect.crossDb.type_timestamp(), float: current().dialect.crossDb.type_float(), integer: current().dialect.crossDb.type_int(), boolean: current().dialect.crossDb.type_boolean() };
          const k = String(t).toLowerCase();
          return Object.hasOwn(labels, k) ? labels[k] : String(t);
        },
        numeric_type: (dtype: unknown, precision: unknown, scale: unknown) => (precision === null || precision === undefined ? String(dtype) : `${String(dtype)}(${String(precision)},${String(scale)})`),
      },
    },
  };
  for (const name of UNSUPPORTED_NAMES) {
    Object.defineProperty(context, name, {
      get: () => {
        throw new CompilerError(`'${name}' is not supported by sparkify's templates`);
      },
      enumerable: false,
    });
  }
  return context;
}

const invocationId = randomUUID();

