import path from 'node:path';
import nunjucks from 'nunjucks';
import { ProjectError, didYouMean, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import { COLUMN_TYPE_NAMES, formatColumnType, parseColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, CopyOptions, FreshnessRule, JsonMapping, SourceTable } from '../types.js';
import { BUILTIN_TESTS, parseDataTests } from './parse-data-tests.js';
import type { TemplateFile } from '../template/environment.js';
import { sandboxTemplates } from '../template/sandbox.js';
import { isMap, parseYamlFile, type YamlFile } from './yaml-file.js';
import { FORMATS } from '../loaders/formats/formats.js';

const SOURCE_KEYS = ['name', 'description', 'schema', 'tables', 'tags', 'loader', 'loaded_at_field', 'freshness'];
const TABLE_KEYS = ['name', 'identifier', 'description', 'location', 'copy', 'columns', 'tags', 'tests', 'data_tests', 'loaded_at_field', 'freshness'];
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
];
const COLUMN_KEYS = ['name', 'type', 'description', 'tests', 'data_tests'];

/** Local paths and s3:// URIs that may reach SQL: no quotes, backslashes or control characters. */
const LOCATION_RE = /^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\x00-\x1f'\\]*)?|[^\x00-\x1f'\\;]+)$/;
const TIMEFORMAT_RE = /^(auto|epochsecs|epochmillisecs|[A-Za-z0-9 :.\-/]{1,40})$/;

// nunjucks' default environment escapes HTML (a path with & or ' would change); these strings are not HTML
const yamlTemplates = new nunjucks.Environment(null, { autoescape: false });
sandboxTemplates();

export interface SourceRenderContext {
  target: Record<string, unknown>;
  vars: Record<string, unknown>;
  env: Record<string, string | undefined>;
}

/** Reads sources.yml: string values are templates (target, var, env_var), as in dbt's yml files. */
export function parseSources(
  files: TemplateFile[],
  projectDir: string,
  ctx: SourceRenderContext,
  defaultSchema: string,
  customTests: string[] = [],
): { tables: SourceTable[]; errors: SparkifyError[] } {
  const tables: SourceTable[] = [];
  const errors: SparkifyError[] = [];
  const known = [...BUILTIN_TESTS, ...customTests];
  for (const f of files) {
    let y: YamlFile;
    try {
      y = parseYamlFile(f);
    } catch (e) {
      errors.push(e as SparkifyError);
      continue;
    }
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
        if (!allowed.includes(k)) err([...p, k], `unknown key '${k}'`, didYouMean(k, allowed) ?? `valid keys: ${allowed.join(', ')}`);
      }
    };
    const root = y.value;
    if (!isMap(root) || !Array.isArray(root.sources)) {
      err([], 'sources.yml must have a top-level "sources:" list', 'see the README, section "sources.yml"');
      continue;
    }
    root.sources.forEach((src: unknown, si: number) => {
      const sp = ['sources', si];
      if (!isMap(src) || typeof src.name !== 'string' || !SAFE_IDENTIFIER.test(src.name)) {
        err(sp, 'each source needs a name of letters, digits and _');
        return;
      }
      unknownKeys(sp, src, SOURCE_KEYS);
      const schema = src.schema === undefined ? defaultSchema : String(src.schema);
      if (!SAFE_IDENTIFIER.test(schema)) err([...sp, 'schema'], `invalid schema name ${JSON.stringify(schema)}`);
      if (!Array.isArray(src.tables)) {
        err(sp, `source '${src.name}' needs a tables: list`);
        return;
      }
      src.tables.forEach((t: unknown, ti: number) => {
        const tp = [...sp, 'tables', ti];
        if (!isMap(t) || typeof t.name !== 'string' || !SAFE_IDENTIFIER.test(t.name)) {
          err(tp, 'each table needs a name of letters, digits and _');
          return;
        }
        unknownKeys(tp, t, TABLE_KEYS);
        const identifier = t.identifier === undefined ? t.name : String(t.identifier);
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
          const type = c.type === undefined ? 'varchar(256)' : String(c.type);
          const parsed = parseColumnType(type);
          if (!parsed) {
            err([...cp, 'type'], `unknown column type ${JSON.stringify(type)}`, `use one of ${COLUMN_TYPE_NAMES.join(', ')} (with (n) for varchar, (p,s) for numeric)`);
            return;
          }
          if (columnNames.has(c.name)) err(cp, `duplicate column '${c.name}'`);
          columnNames.add(c.name);
          const key = c.data_tests !== undefined ? 'data_tests' : 'tests';
          const tests = parseDataTests(c.data_tests ?? c.tests, y, [...cp, key], known, errors, true);
          columns.push({ name: c.name, type: formatColumnType(parsed), description: typeof c.description === 'string' ? c.description : undefined, tests: tests.length > 0 ? tests : undefined });
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
        const loadedAtField = t.loaded_at_field ?? src.loaded_at_field;
        if (loadedAtField !== undefined && (typeof loadedAtField !== 'string' || !SAFE_IDENTIFIER.test(loadedAtField))) {
          err([...(t.loaded_at_field !== undefined ? tp : sp), 'loaded_at_field'], 'loaded_at_field must be a column name');
        }
        const freshnessAt = t.freshness !== undefined ? [...tp, 'freshness'] : [...sp, 'freshness'];
        const freshness = parseFreshness(t.freshness !== undefined ? t.freshness : src.freshness, freshnessAt, err);
        if (freshness && typeof loadedAtField !== 'string') err(freshnessAt, 'freshness needs a loaded_at_field: the column holding when each row was loaded');
        if (typeof loadedAtField === 'string' && columns.length > 0 && !columns.some((c) => c.name === loadedAtField)) {
          err([...(t.loaded_at_field !== undefined ? tp : sp), 'loaded_at_field'], `loaded_at_field '${loadedAtField}' is not a column of ${t.name}`, didYouMean(loadedAtField, columns.map((c) => c.name)) ?? `its columns: ${columns.map((c) => c.name).join(', ')}`);
        }
        const tags = Array.isArray(t.tags) ? t.tags.map(String) : Array.isArray(src.tags) ? src.tags.map(String) : [];
        tables.push({
          id: `source.${src.name}.${t.name}`,
          sourceName: src.name as string,
          name: t.name,
          identifier,
          schema,
          description: typeof t.description === 'string' ? t.description : undefined,
          location,
          copy,
          columns,
          file: f.file,
          line: y.at(tp).line,
          tags,
          tests: tests.length > 0 ? tests : undefined,
          loadedAtField: typeof loadedAtField === 'string' && SAFE_IDENTIFIER.test(loadedAtField) ? loadedAtField : undefined,
          freshness,
        });
      });
    });
  }
  return { tables, errors };
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
