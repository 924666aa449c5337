import { ProjectError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { DataTest, TestConfig } from '../types.js';
import { isMap, type YamlFile } from './yaml-file.js';

export const BUILTIN_TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'];

/** The keys of a test's config, as in dbt; they may also be written beside the test's arguments. */
export const TEST_CONFIG_KEYS = ['severity', 'warn_if', 'error_if', 'where', 'limit', 'store_failures', 'tags', 'enabled'];

const CONDITION_RE = /^\s*(==|=|!=|<>|>=|<=|>|<)\s*(\d+)\s*$/;
const ARG_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const REF_RE = /^\s*ref\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*$/;
const SOURCE_RE = /^\s*source\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*,\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*$/;

/** `ref('x')` -> {ref: 'x'}; `source('a', 'b')` -> {source: 'a.b'}; anything else undefined. */
export function parseRelationArg(v: unknown): { ref: string } | { source: string } | undefined {
  if (typeof v !== 'string') return undefined;
  const r = REF_RE.exec(v);
  if (r) return { ref: r[1]! };
  const s = SOURCE_RE.exec(v);
  return s ? { source: `${s[1]}.${s[2]}` } : undefined;
}

/** True when `failures` meets a warn_if / error_if condition such as '!= 0' or '> 10'. */
export function meetsCondition(condition: string, failures: number): boolean {
  const m = CONDITION_RE.exec(condition);
  if (!m) return failures !== 0;
  const n = Number(m[2]);
  switch (m[1]) {
    case '=':
    case '==':
      return failures === n;
    case '!=':
    case '<>':
      return failures !== n;
    case '>=':
      return failures >= n;
    case '<=':
      return failures <= n;
    case '>':
      return failures > n;
    default:
      return failures < n;
  }
}

/**
 * Checks a test's config (from a yml `config:` block or a singular test's config() call) and
 * returns the valid keys; every problem is reported through `fail` with the key it is about.
 */
export function parseTestConfig(raw: Record<string, unknown>, fail: (key: string, message: string, hint?: string) => void): Partial<TestConfig> {
  const out: Partial<TestConfig> = {};
  for (const [k, v] of Object.entries(raw)) {
    switch (k) {
      case 'severity': {
        const s = typeof v === 'string' ? v.toLowerCase() : undefined;
        if (s === 'error' || s === 'warn') out.severity = s;
        else fail(k, `severity must be 'error' or 'warn', not ${JSON.stringify(v)}`);
        break;
      }
      case 'warn_if':
      case 'error_if':
        if (typeof v === 'string' && CONDITION_RE.test(v)) out[k] = v.trim();
        else fail(k, `${k} must be a comparison with a number, like '!= 0' or '> 10', not ${JSON.stringify(v)}`);
        break;
      case 'where':
        // a filter is SQL by design (like a model); one expression, nothing after it
        if (typeof v === 'string' && v.trim() !== '' && !/;|--|\/\*/.test(v)) out.where = v.trim();
        else fail(k, 'where must be one SQL condition, without ; or comments', "e.g. where: \"level = 'paid'\"");
        break;
      case 'limit':
        if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out.limit = v;
        else fail(k, `limit must be a whole number of rows, not ${JSON.stringify(v)}`);
        break;
      case 'store_failures':
      case 'enabled':
        if (typeof v === 'boolean') out[k] = v;
        else fail(k, `${k} must be true or false`);
        break;
      case 'tags':
        if (typeof v === 'string') out.tags = [v];
        else if (Array.isArray(v) && v.every((t) => typeof t === 'string')) out.tags = v as string[];
        else fail(k, 'tags must be a string or a list of strings');
        break;
      default:
        fail(k, `unknown test config '${k}'`, didYouMean(k, TEST_CONFIG_KEYS) ?? `test config keys: ${TEST_CONFIG_KEYS.join(', ')}`);
    }
  }
  return out;
}

/**
 * A `data_tests:` (or `tests:`) list of a model, a column or a source table. `known` are the generic
 * tests the project defines: dbt's four and the custom `{% test %}` blocks.
 */
export function parseDataTests(raw: unknown, y: YamlFile, at: (string | number)[], known: string[], errors: SparkifyError[], onColumn: boolean): DataTest[] {
  const tests: DataTest[] = [];
  if (raw === undefined || raw === null) return tests;
  if (!Array.isArray(raw)) {
    errors.push(new ProjectError('data_tests must be a list', { file: y.file, ...y.at(at) }));
    return tests;
  }
  raw.forEach((t: unknown, ti: number) => {
    const tp = [...at, ti];
    const where = { file: y.file, line: y.at(tp).line };
    const fail = (p: (string | number)[], message: string, hint?: string) => errors.push(new ProjectError(message, { file: y.file, ...y.at(p), hint }));
    const kind = typeof t === 'string' ? t : isMap(t) && Object.keys(t).length === 1 ? Object.keys(t)[0]! : undefined;
    if (kind === undefined || !known.includes(kind)) {
      fail(tp, `unknown data test ${JSON.stringify(kind ?? t)}`, didYouMean(String(kind ?? ''), known) ?? `use one of ${known.join(', ')}, or define it with {% test ${kind ?? 'name'}(model, column_name) %} in macros/ or tests/generic/`);
      return;
    }
    const body = isMap(t) ? t[kind] : undefined;
    if (body !== undefined && body !== null && !isMap(body)) {
      fail(tp, `the arguments of ${kind} must be a mapping`);
      return;
    }
    const bp = [...tp, kind];
    const args: Record<string, unknown> = {};
    const rawConfig: Record<string, unknown> = {};
    let name: string | undefined;
    for (const [k, v] of Object.entries(body ?? {})) {
      if (k === 'name') {
        if (typeof v === 'string' && ARG_NAME.test(v)) name = v;
        else fail([...bp, k], 'a test name must be letters, digits and _');
      } else if (k === 'config') {
        if (isMap(v)) Object.assign(rawConfig, v);
        else fail([...bp, k], 'config must be a mapping');
      } else if (k === 'arguments') {
        if (isMap(v)) Object.assign(args, v);
        else fail([...bp, k], 'arguments must be a mapping');
      } else if (TEST_CONFIG_KEYS.includes(k)) rawConfig[k] = v;
      else if (ARG_NAME.test(k)) args[k] = v;
      else fail([...bp, k], `invalid argument name '${k}'`);
    }
    const configPath = (k: string) => (isMap(body?.config) && k in body.config ? [...bp, 'config', k] : [...bp, k]);
    const config = parseTestConfig(rawConfig, (k, message, hint) => fail(configPath(k), message, hint));
    if (onColumn === false && (kind === 'unique' || kind === 'not_null' || kind === 'accepted_values' || kind === 'relationships') && typeof args.column_name !== 'string') {
      fail(tp, `${kind} tests a column: declare it under the column's data_tests, or give column_name:`);
      return;
    }
    if (kind === 'accepted_values') {
      const values = args.values;
      if (!Array.isArray(values) || values.length === 0 || !values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
        fail(tp, 'accepted_values needs values: [a list of strings or numbers]');
        return;
      }
    } else if (kind === 'relationships') {
      const to = parseRelationArg(args.to);
      if (!to || typeof args.field !== 'string' || !ARG_NAME.test(args.field)) {
        fail(tp, "relationships needs to: ref('model') and field: column");
        return;
      }
    }
    tests.push({ kind, args, name, config, where });
  });
  return tests;
}
