import path from 'node:path';
import nunjucks from 'nunjucks';
import { ProjectError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import { COLUMN_TYPE_NAMES, formatColumnType, parseColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, CopyOptions, FreshnessRule, JsonMapping, SourceTable } from '../types.js';
import { BUILTIN_TESTS, parseDataTests } from './parse-data-tests.js';
import type { TemplateFile } from '../template/environment.js';
import { sandboxTemplates } from '../template/sandbox.js';
import { isMap, parseYamlFile, type YamlFile } from './yaml-file.js';
import { resolveDescription, type DocsBlock } from './read-docs-blocks.js';
import type { ProjectNote } from './project-settings.js';
import { FORMATS } from '../loaders/formats/formats.js';

// the keys dbt reads on a source, a source table and a column, and sparkify's own (location, copy, type)
const SOURCE_KEYS = ['name', 'description', 'database', 'schema', 'tables', 'tags', 'meta', 'config', 'quoting', 'loader', 'loaded_at_field', 'freshness'];
const TABLE_KEYS = ['name', 'identifier', 'description', 'location', 'copy', 'columns', 'tags', 'meta', 'config', 'quoting', 'tests', 'data_tests', 'loaded_at_field', 'freshness'];
const SOURCE_CONFIG_KEYS = ['enabled', 'tags', 'meta', 'loaded_at_field', 'freshness'];
const QUOTING_KEYS = ['database', 'schema', 'identifier'];
/** dbt keys sparkify reads and does not use: a note each, with why */
const DBT_UNUSED: Record<string, string> = {
  overrides: "sparkify loads no package's sources, so there is nothing to override",
  loaded_at_query: 'source freshness reads loaded_at_field only',
  external: 'sparkify does not create external tables (location: and copy: load files into a table)',
  event_time: 'sparkify has no microbatch models',
  constraints: 'sparkify does not create constraints',
  quote: 'sparkify quotes every column name in the SQL it writes',
  policy_tags: 'BigQuery only',
  granularity: 'semantic layer only',
  docs: 'the docs site shows every node',
};
const COPY_KEYS = [
  'format',
  'json',
  'max_errors',
  'compression',
  'timeformat',
  'truncatecolumns',
  'blanksasnull',
  'emptyasnull',
  'acceptinvchars',
  'compupdate',
  'statupdate',
  'manifest',
  'region',
  'mode',
  'on_file_change',
];
const COLUMN_KEYS = ['name', 'type', 'data_type', 'description', 'tests', 'data_tests', 'meta', 'tags'];

/** Local paths and s3:// URIs that may reach SQL: no quotes, backslashes or control characters. */
const LOCATION_RE = /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\x00-\x1f'\\]*)?|[^\x00-\x1f'\\;]+)$/;
const TIMEFORMAT_RE = /^(auto|epochsecs|epochmillisecs|[A-Za-z0-9 :.\-/]{1,40})$/;

// nunjucks' default environment escapes HTML (a path with & or ' would change); these strings are not HTML
const yamlTemplates = new nunjucks.Environment(null, { autoescape: false });
sandboxTemplates();

export interface SourceRenderContext {
  /** target.* in templates; `database` is the database every source is read from */
  target: Record<string, unknown> & { database?: unknown };
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

export interface ParseSourcesOptions {
  /** the project's own generic tests, and its packages' (dbt_utils.expression_is_true) */
  customTests?: string[] | undefined;
  /**
   * property files (*.yml under the model and snapshot paths): their `sources:` are read as dbt reads
   * them; a key nobody knows is a note there (in the project's sources.yml, an error)
   */
  propertyFiles?: TemplateFile[] | undefined;
  /** `{% docs %}` blocks for `{{ doc('x') }}` in descriptions */
  docsBlocks?: Map<string, DocsBlock> | undefined;
}

export interface ParsedSources {
  tables: SourceTable[];
  errors: SparkifyError[];
  /** dbt keys read and not used, and (in property files) keys nobody knows */
  notes: ProjectNote[];
  /** source tables declared with config: {enabled: false}: "source.table" */
  disabled: string[];
}

/**
 * Reads the `sources:` of sources.yml and of the property files: string values are templates
 * (target, var, env_var), as in dbt's yml files.
 */
export function parseSources(files: TemplateFile[], projectDir: string, ctx: SourceRenderContext, defaultSchema: string, options: ParseSourcesOptions = {}): ParsedSources {
  const tables: SourceTable[] = [];
  const errors: SparkifyError[] = [];
  const notes: ProjectNote[] = [];
  const disabled: string[] = [];
  const declared = new Map<string, { file: string; line: number }>();
  const known = [...BUILTIN_TESTS, ...(options.customTests ?? [])];
  const all = [...files.map((f) => ({ f, property: false })), ...(options.propertyFiles ?? []).map((f) => ({ f, property: true }))];
  for (const { f, property } of all) {
    let y: YamlFile;
    try {
      y = parseYamlFile(f);
    } catch (e) {
      // a property file's YAML errors are reported once, by parseModelDocs
      if (!property) errors.push(e as SparkifyError);
      continue;
    }
    const root = y.value;
    if (property && !(isMap(root) && root.sources !== undefined)) continue;
    const err = (p: (string | number)[], message: string, hint?: string) => errors.push(new ProjectError(message, { file: f.file, ...y.at(p), hint }));
    const render = (p: (string | number)[], v: unknown): string | undefined => {
      if (typeof v !== 'string') return v === undefined || v === null ? undefined : String(v);
      if (!v.includes('{')) return v;
      try {
        return yamlTemplates.renderString(v, {
          target: ctx.target,
          var: (name: string, d?: unknown) => (name in ctx.vars ? ctx.vars[name] : d),
          env_var: (name: string, d?: unknown) => ctx.env[name] ?? d,
        });
      } catch (e) {
        err(p, `cannot render ${JSON.stringify(v)}: ${(e as Error).message.split('\n').pop()!.trim()}`);
        return undefined;
      }
    };
    const unknownKeys = (p: (string | number)[], obj: Record<string, unknown>, allowed: string[]) => {
      for (const k of Object.keys(obj)) {
        if (allowed.includes(k)) continue;
        const why = DBT_UNUSED[k];
        if (why !== undefined) notes.push({ file: f.file, ...y.at([...p, k]), message: `${k}: not used by sparkify (${why}), so it has no effect` });
        else if (property) notes.push({ file: f.file, ...y.at([...p, k]), message: `unknown key '${k}' (neither dbt nor sparkify reads it), so it has no effect${hintText(didYouMean(k, allowed))}` });
        else err([...p, k], `unknown key '${k}'`, didYouMean(k, allowed) ?? `valid keys: ${allowed.join(', ')}`);
      }
    };
    const describe = (p: (string | number)[], v: unknown, what: string) => resolveDescription(v, options.docsBlocks, { file: f.file, ...y.at([...p, 'description']), what }, errors);
    const fileLabel = property ? f.path : 'sources.yml';
    if (!isMap(root) || !Array.isArray(root.sources)) {
      err(property ? ['sources'] : [], `${fileLabel} must have a top-level "sources:" list`, 'see the README, section "sources.yml"');
      continue;
    }
    root.sources.forEach((src: unknown, si: number) => {
      const sp = ['sources', si];
      if (!isMap(src) || typeof src.name !== 'string' || !SAFE_IDENTIFIER.test(src.name)) {
        err(sp, 'each source needs a name of letters, digits and _');
        return;
      }
      unknownKeys(sp, src, SOURCE_KEYS);
      const srcConfig = parseSourceConfig(src.config, [...sp, 'config'], err, unknownKeys);
      const srcQuoting = parseQuoting(src.quoting, [...sp, 'quoting'], err, unknownKeys, {});
      if (src.database !== undefined) {
        const database = render([...sp, 'database'], src.database);
        const targetDatabase = ctx.target.database === undefined ? undefined : String(ctx.target.database);
        if (database !== undefined && targetDatabase !== undefined && database.toLowerCase() !== targetDatabase.toLowerCase()) {
          err(
            [...sp, 'database'],
            `source '${src.name}' is in database '${database}', and sparkify reads every source from the target's database, '${targetDatabase}'`,
            "remove database: (or write database: \"{{ target.database }}\"), or point the target at that database",
          );
        }
      }
      const rawSchema = src.schema === undefined ? defaultSchema : render([...sp, 'schema'], src.schema) ?? defaultSchema;
      const schema = srcQuoting.schema === false ? rawSchema.toLowerCase() : rawSchema;
      if (!SAFE_IDENTIFIER.test(schema)) err([...sp, 'schema'], `invalid schema name ${JSON.stringify(schema)}`);
      if (!Array.isArray(src.tables)) {
        err(sp, `source '${src.name}' needs a tables: list`);
        return;
      }
      const sourceDescription = describe(sp, src.description, `source ${src.name}`);
      src.tables.forEach((t: unknown, ti: number) => {
        const tp = [...sp, 'tables', ti];
        if (!isMap(t) || typeof t.name !== 'string' || !SAFE_IDENTIFIER.test(t.name)) {
          err(tp, 'each table needs a name of letters, digits and _');
          return;
        }
        unknownKeys(tp, t, TABLE_KEYS);
        const key = `${src.name as string}.${t.name}`;
        const prior = declared.get(key);
        if (prior) {
          err(tp, `source table ${key} is declared twice (also at ${path.relative(projectDir, prior.file)}:${prior.line})`, 'declare each source table once: remove one of them, or give it another name');
          return;
        }
        declared.set(key, { file: f.file, line: y.at(tp).line });
        const tableConfig = parseSourceConfig(t.config, [...tp, 'config'], err, unknownKeys);
        const enabled = tableConfig.enabled ?? srcConfig.enabled ?? true;
        if (!enabled) {
          disabled.push(key);
          return;
        }
        const quoting = parseQuoting(t.quoting, [...tp, 'quoting'], err, unknownKeys, srcQuoting);
        const rawIdentifier = t.identifier === undefined ? t.name : render([...tp, 'identifier'], t.identifier) ?? t.name;
        // an unquoted name is folded to lower case (PostgreSQL, Redshift; DuckDB ignores case)
        const identifier = quoting.identifier === false ? rawIdentifier.toLowerCase() : rawIdentifier;
        if (!SAFE_IDENTIFIER.test(identifier)) err([...tp, 'identifier'], `invalid identifier ${JSON.stringify(identifier)}`);
        const columns: ColumnSpec[] = [];
        const columnNames = new Set<string>();
        if (t.columns !== undefined && !Array.isArray(t.columns)) err([...tp, 'columns'], 'columns must be a list');
        (Array.isArray(t.columns) ? t.columns : []).forEach((c: unknown, ci: number) => {
          const cp = [...tp, 'columns', ci];
          if (!isMap(c) || typeof c.name !== 'string' || !SAFE_IDENTIFIER.test(c.name)) {
            err(cp, 'each column needs a name of letters, digits and _');
            return;
          }
          unknownKeys(cp, c, COLUMN_KEYS);
          if (c.type !== undefined && c.data_type !== undefined) err([...cp, 'data_type'], `column '${c.name}' has both type: and data_type:`, 'keep one of them (data_type is dbt\'s name, type sparkify\'s)');
          const typeKey = c.type !== undefined ? 'type' : 'data_type';
          const type = c[typeKey] === undefined ? 'varchar(256)' : String(c[typeKey]);
          const parsed = parseColumnType(type);
          if (!parsed) {
            err([...cp, typeKey], `unknown column type ${JSON.stringify(type)}`, `use one of ${COLUMN_TYPE_NAMES.join(', ')} (with (n) for varchar, (p,s) for numeric)`);
            return;
          }
          if (columnNames.has(c.name)) err(cp, `duplicate column '${c.name}'`);
          columnNames.add(c.name);
          const testsKey = c.data_tests !== undefined ? 'data_tests' : 'tests';
          const tests = parseDataTests(c.data_tests ?? c.tests, y, [...cp, testsKey], known, errors, true);
          columns.push({ name: c.name, type: formatColumnType(parsed), description: describe(cp, c.description, `column ${c.name} of source ${key}`), tests: tests.length > 0 ? tests : undefined });
        });
        let location: string | undefined;
        let copy: CopyOptions | undefined;
        if (t.location !== undefined) {
          location = render([...tp, 'location'], t.location);
          if (location !== undefined && !LOCATION_RE.test(location)) {
            err([...tp, 'location'], `invalid location ${JSON.stringify(location)}`, "use a local path or glob, or s3://bucket/prefix, without quotes or ';'");
            location = undefined;
          } else if (location !== undefined && !location.startsWith('s3://')) {
            location = path.resolve(projectDir, location);
          }
          if (columns.length === 0) err(tp, `source table '${t.name}' is loaded from a location, so it needs typed columns`);
          copy = parseCopy([...tp, 'copy'], t.copy, render, err, unknownKeys, projectDir);
        }
        const testsKey = t.data_tests !== undefined ? 'data_tests' : 'tests';
        const tests = parseDataTests(t.data_tests ?? t.tests, y, [...tp, testsKey], known, errors, false);
        // the most specific place wins: the table's config, the table, the source's config, the source
        const fieldAt =
          tableConfig.loaded_at_field !== undefined ? [...tp, 'config'] : t.loaded_at_field !== undefined ? tp : srcConfig.loaded_at_field !== undefined ? [...sp, 'config'] : sp;
        const loadedAtField = tableConfig.loaded_at_field ?? t.loaded_at_field ?? srcConfig.loaded_at_field ?? src.loaded_at_field;
        if (loadedAtField !== undefined && (typeof loadedAtField !== 'string' || !SAFE_IDENTIFIER.test(loadedAtField))) {
          err([...fieldAt, 'loaded_at_field'], 'loaded_at_field must be a column name');
        }
        const freshnessAt =
          tableConfig.freshness !== undefined ? [...tp, 'config'] : t.freshness !== undefined ? tp : srcConfig.freshness !== undefined ? [...sp, 'config'] : sp;
        const freshnessRaw = tableConfig.freshness !== undefined ? tableConfig.freshness : t.freshness !== undefined ? t.freshness : srcConfig.freshness !== undefined ? srcConfig.freshness : src.freshness;
        const freshness = parseFreshness(freshnessRaw, [...freshnessAt, 'freshness'], err);
        if (freshness && typeof loadedAtField !== 'string') err([...freshnessAt, 'freshness'], 'freshness needs a loaded_at_field: the column holding when each row was loaded');
        if (typeof loadedAtField === 'string' && columns.length > 0 && !columns.some((c) => c.name === loadedAtField)) {
          err([...fieldAt, 'loaded_at_field'], `loaded_at_field '${loadedAtField}' is not a column of ${t.name}`, didYouMean(loadedAtField, columns.map((c) => c.name)) ?? `its columns: ${columns.map((c) => c.name).join(', ')}`);
        }
        // dbt: a table's tags add to its source's; meta is merged key by key, the table's over the source's
        const tags = [...new Set([...stringList(src.tags), ...srcConfig.tags, ...stringList(t.tags), ...tableConfig.tags])];
        const meta = { ...mapOf(src.meta), ...srcConfig.meta, ...mapOf(t.meta), ...tableConfig.meta };
        tables.push({
          id: `source.${src.name as string}.${t.name}`,
          sourceName: src.name as string,
          name: t.name,
          identifier,
          schema,
          description: describe(tp, t.description, `source ${key}`),
          sourceDescription,
          location,
          copy,
          columns,
          file: f.file,
          line: y.at(tp).line,
          tags,
          ...(Object.keys(meta).length > 0 ? { meta } : {}),
          tests: tests.length > 0 ? tests : undefined,
          loadedAtField: typeof loadedAtField === 'string' && SAFE_IDENTIFIER.test(loadedAtField) ? loadedAtField : undefined,
          freshness,
        });
      });
    });
  }
  return { tables, errors, notes, disabled };
}

function hintText(hint: string | undefined): string {
  return hint === undefined ? '' : ` (${hint})`;
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : [];
}

function mapOf(v: unknown): Record<string, unknown> {
  return isMap(v) ? v : {};
}

type Err = (p: (string | number)[], m: string, h?: string) => void;
type UnknownKeys = (p: (string | number)[], o: Record<string, unknown>, a: string[]) => void;

/** A source's or table's `config:` (dbt 1.x): enabled, tags, meta, and (dbt 1.10) loaded_at_field and freshness. */
function parseSourceConfig(
  raw: unknown,
  p: (string | number)[],
  err: Err,
  unknownKeys: UnknownKeys,
): { enabled?: boolean | undefined; tags: string[]; meta: Record<string, unknown>; loaded_at_field?: unknown; freshness?: unknown } {
  if (raw === undefined || raw === null) return { tags: [], meta: {} };
  if (!isMap(raw)) {
    err(p, 'config must be a mapping: {enabled: false, tags: [...], meta: {...}}');
    return { tags: [], meta: {} };
  }
  unknownKeys(p, raw, SOURCE_CONFIG_KEYS);
  if (raw.enabled !== undefined && typeof raw.enabled !== 'boolean') err([...p, 'enabled'], 'enabled must be true or false');
  if (raw.meta !== undefined && !isMap(raw.meta)) err([...p, 'meta'], 'meta must be a mapping');
  return {
    enabled: typeof raw.enabled === 'boolean' ? raw.enabled : undefined,
    tags: stringList(raw.tags),
    meta: mapOf(raw.meta),
    ...('loaded_at_field' in raw ? { loaded_at_field: raw.loaded_at_field } : {}),
    ...('freshness' in raw ? { freshness: raw.freshness } : {}),
  };
}

/** dbt's `quoting: {database, schema, identifier}`; a table's overrides its source's. */
function parseQuoting(raw: unknown, p: (string | number)[], err: Err, unknownKeys: UnknownKeys, inherited: { schema?: boolean; identifier?: boolean }): { schema?: boolean; identifier?: boolean } {
  if (raw === undefined || raw === null) return inherited;
  if (!isMap(raw)) {
    err(p, 'quoting must be a mapping: {database: true, schema: true, identifier: true}');
    return inherited;
  }
  unknownKeys(p, raw, QUOTING_KEYS);
  const out = { ...inherited };
  for (const k of QUOTING_KEYS) {
    const v = raw[k];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') err([...p, k], `quoting.${k} must be true or false`);
    else if (k === 'schema' || k === 'identifier') out[k] = v;
  }
  return out;
}

function parseCopy(
  p: (string | number)[],
  raw: unknown,
  render: (p: (string | number)[], v: unknown) => string | undefined,
  err: (p: (string | number)[], m: string, h?: string) => void,
  unknownKeys: (p: (string | number)[], o: Record<string, unknown>, a: string[]) => void,
  projectDir: string,
): CopyOptions {
  const c = isMap(raw) ? raw : {};
  if (raw !== undefined && !isMap(raw)) err(p, 'copy must be a map of COPY options');
  unknownKeys(p, c, COPY_KEYS);
  const bool = (k: string, d: boolean): boolean => {
    const v = c[k];
    if (v === undefined) return d;
    if (typeof v !== 'boolean') err([...p, k], `${k} must be true or false`);
    return v === true;
  };
  const format = c.format === undefined ? undefined : String(c.format).toLowerCase();
  const formats = Object.keys(FORMATS);
  if (format !== undefined && !FORMATS[format]) {
    err([...p, 'format'], `unsupported format ${JSON.stringify(c.format)}`, `${didYouMean(format, formats) ?? `known formats: ${formats.join(', ')}`}: format: ${formats[0]}`);
  }
  const jsonText = render([...p, 'json'], c.json ?? 'auto') ?? 'auto';
  let json: JsonMapping;
  if (/^auto$/i.test(jsonText.trim())) json = { kind: 'auto' };
  else if (/^auto\s+ignorecase$/i.test(jsonText.trim())) json = { kind: 'auto_ignorecase' };
  else if (LOCATION_RE.test(jsonText)) json = { kind: 'jsonpaths', location: jsonText.startsWith('s3://') ? jsonText : path.resolve(projectDir, jsonText) };
  else {
    err([...p, 'json'], `invalid json option ${JSON.stringify(jsonText)}`, "use 'auto', 'auto ignorecase' or the location of a JSONPaths file");
    json = { kind: 'auto' };
  }
  const maxErrors = c.max_errors === undefined ? 0 : Number(c.max_errors);
  if (!Number.isInteger(maxErrors) || maxErrors < 0 || maxErrors > 100000) err([...p, 'max_errors'], 'max_errors must be an integer from 0 to 100000');
  const compression = c.compression === undefined ? 'none' : String(c.compression).toLowerCase();
  if (!['none', 'gzip', 'zstd'].includes(compression)) err([...p, 'compression'], "compression must be 'none', 'gzip' or 'zstd'");
  const timeformat = c.timeformat === undefined ? undefined : String(c.timeformat);
  if (timeformat !== undefined && !TIMEFORMAT_RE.test(timeformat)) err([...p, 'timeformat'], `invalid timeformat ${JSON.stringify(timeformat)}`);
  const acceptInvChars = c.acceptinvchars === undefined ? undefined : String(c.acceptinvchars);
  if (acceptInvChars !== undefined && !/^.$/u.test(acceptInvChars)) err([...p, 'acceptinvchars'], 'acceptinvchars must be a single character');
  const mode = c.mode === undefined ? 'full' : String(c.mode).toLowerCase();
  if (mode !== 'full' && mode !== 'incremental') err([...p, 'mode'], `invalid mode ${JSON.stringify(c.mode)}`, "use 'full' (every run loads every file) or 'incremental' (each file once, recorded in sparkify_loaded_files)");
  const onFileChange = c.on_file_change === undefined ? 'error' : String(c.on_file_change).toLowerCase();
  if (!['error', 'reload', 'ignore'].includes(onFileChange)) err([...p, 'on_file_change'], `invalid on_file_change ${JSON.stringify(c.on_file_change)}`, "use 'error', 'reload' or 'ignore'");
  if (c.on_file_change !== undefined && mode !== 'incremental') err([...p, 'on_file_change'], 'on_file_change applies to incremental loads only', 'set mode: incremental, or remove on_file_change');
  if (mode === 'incremental' && c.manifest === true) err([...p, 'mode'], 'an incremental source cannot be a manifest: sparkify lists the files and writes the manifest itself', 'point location at the files (a folder, glob or s3:// prefix)');
  const region = c.region === undefined ? undefined : render([...p, 'region'], c.region);
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) err([...p, 'region'], `invalid region ${JSON.stringify(region)}`);
  return {
    ...(format !== undefined && FORMATS[format] ? { format } : {}),
    json,
    maxErrors: Number.isInteger(maxErrors) ? maxErrors : 0,
    compression: compression as CopyOptions['compression'],
    timeformat,
    truncateColumns: bool('truncatecolumns', false),
    blanksAsNull: bool('blanksasnull', false),
    emptyAsNull: bool('emptyasnull', false),
    acceptInvChars,
    compUpdate: c.compupdate === undefined ? undefined : bool('compupdate', false),
    statUpdate: c.statupdate === undefined ? undefined : bool('statupdate', false),
    manifest: bool('manifest', false),
    region,
    mode: mode === 'incremental' ? 'incremental' : 'full',
    onFileChange: (['error', 'reload', 'ignore'].includes(onFileChange) ? onFileChange : 'error') as CopyOptions['onFileChange'],
  };
}

const PERIODS = ['minute', 'hour', 'day'] as const;

/** dbt's `freshness: {warn_after: {count, period}, error_after: {...}, filter}`; `freshness: null` turns it off. */
function parseFreshness(raw: unknown, p: (string | number)[], err: (p: (string | number)[], m: string, h?: string) => void): FreshnessRule | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isMap(raw)) {
    err(p, 'freshness must be a mapping: {warn_after: {count: 12, period: hour}, error_after: {...}}');
    return undefined;
  }
  const rule: FreshnessRule = {};
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'warn_after' || k === 'error_after') {
      const count = isMap(v) ? v.count : undefined;
      const period = isMap(v) ? v.period : undefined;
      if (typeof count !== 'number' || !Number.isInteger(count) || count <= 0 || !(PERIODS as readonly unknown[]).includes(period)) {
        err([...p, k], `${k} needs count: a positive whole number and period: minute, hour or day`);
        continue;
      }
      rule[k === 'warn_after' ? 'warnAfter' : 'errorAfter'] = { count, period: period as (typeof PERIODS)[number] };
    } else if (k === 'filter') {
      if (typeof v === 'string' && v.trim() !== '' && !/;|--|\/\*/.test(v)) rule.filter = v.trim();
      else err([...p, k], 'filter must be one SQL condition, without ; or comments');
    } else err([...p, k], `unknown freshness key '${k}'`, 'freshness knows warn_after, error_after and filter');
  }
  return rule.warnAfter || rule.errorAfter ? rule : undefined;
}
