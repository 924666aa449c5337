import { ProjectError, type SparkifyError } from '../errors.js';
import type { TemplateFile } from '../template/environment.js';
import { parseRelationArg, parseTestConfig } from './parse-data-tests.js';
import { isMap, parseYamlFile } from './yaml-file.js';
import type { TestConfig } from '../types.js';

type Loc = { line: number; column: number };

export interface UnitTestDoc {
  name: string;
  model: string;
  given: { input: { ref: string } | { source: string }; inputText: string; rows: Record<string, unknown>[]; at: Loc; rowAt: (i: number, col?: string) => Loc }[];
  expect: { rows: Record<string, unknown>[]; at: Loc };
  overrides: { vars: Record<string, unknown>; isIncremental?: boolean | undefined };
  config: Partial<TestConfig>;
  file: string;
  line: number;
  at: (p: (string | number)[]) => Loc;
}

const KEYS = ['name', 'model', 'given', 'expect', 'overrides', 'description', 'config'];

/** A csv fixture: a header line, then one line per row; "quoted" values may hold commas; empty is NULL. */
export function parseCsvRows(text: string): Record<string, unknown>[] {
  const split = (line: string): string[] => {
    const out: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i]!;
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (c === '"') quoted = false;
        else cur += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        out.push(cur);
        cur = '';
      } else cur += c;
    }
    out.push(cur);
    return out.map((v) => v.trim());
  };
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = split(lines[0]!);
  return lines.slice(1).map((l) => {
    const vals = split(l);
    return Object.fromEntries(header.map((h, i) => [h, vals[i] === undefined || vals[i] === '' ? null : vals[i]]));
  });
}

/** dbt 1.8's `unit_tests:` in a models/*.yml file. */
export function parseUnitTests(files: TemplateFile[]): { tests: UnitTestDoc[]; errors: SparkifyError[] } {
  const tests: UnitTestDoc[] = [];
  const errors: SparkifyError[] = [];
  for (const f of files) {
    let y;
    try {
      y = parseYamlFile(f);
    } catch {
      continue; // reported by the model docs
    }
    const root = y.value;
    if (!isMap(root) || root.unit_tests === undefined) continue;
    if (!Array.isArray(root.unit_tests)) {
      errors.push(new ProjectError('unit_tests must be a list', { file: f.file, ...y.at(['unit_tests']) }));
      continue;
    }
    root.unit_tests.forEach((u: unknown, ui: number) => {
      const up = ['unit_tests', ui];
      const fail = (p: (string | number)[], message: string, hint?: string) => errors.push(new ProjectError(message, { file: f.file, ...y.at(p), hint }));
      if (!isMap(u) || typeof u.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(u.name)) return fail(up, 'each unit test needs a name of letters, digits and _');
      for (const k of Object.keys(u)) if (!KEYS.includes(k)) fail([...up, k], `unknown key '${k}' in unit test ${u.name}`, `unit tests know ${KEYS.join(', ')}`);
      if (typeof u.model !== 'string') return fail(up, `unit test ${u.name} needs model: the model it tests`);
      const rowsOf = (p: (string | number)[], v: Record<string, unknown>): Record<string, unknown>[] | undefined => {
        const format = v.format ?? 'dict';
        if (format === 'csv') {
          if (typeof v.rows !== 'string') return fail([...p, 'rows'], 'csv rows are one text block: a header line, then a line per row'), undefined;
          return parseCsvRows(v.rows);
        }
        if (format !== 'dict') return fail([...p, 'format'], `format must be dict or csv, not ${JSON.stringify(format)}`), undefined;
        const rows = v.rows ?? [];
        if (!Array.isArray(rows) || !rows.every(isMap)) return fail([...p, 'rows'], 'rows must be a list of mappings, one per row: {column: value}'), undefined;
        return rows as Record<string, unknown>[];
      };
      const given: UnitTestDoc['given'] = [];
      (Array.isArray(u.given) ? u.given : []).forEach((g: unknown, gi: number) => {
        const gp = [...up, 'given', gi];
        if (!isMap(g)) return fail(gp, 'each given needs input: and rows:');
        const input = parseRelationArg(g.input);
        if (!input) return fail([...gp, 'input'], `input must be ref('model') or source('source', 'table'), not ${JSON.stringify(g.input)}`);
        const rows = rowsOf(gp, g);
        if (!rows) return;
        const rowAt = (i: number, col?: string) => y.at(col === undefined ? [...gp, 'rows', i] : [...gp, 'rows', i, col]);
        given.push({ input, inputText: String(g.input).trim(), rows, at: y.at([...gp, 'input']), rowAt });
      });
      if (!isMap(u.expect)) return fail(up, `unit test ${u.name} needs expect: {rows: [...]}`);
      const expected = rowsOf([...up, 'expect'], u.expect);
      if (!expected) return;
      const overrides: UnitTestDoc['overrides'] = { vars: {} };
      if (u.overrides !== undefined) {
        if (!isMap(u.overrides)) return fail([...up, 'overrides'], 'overrides must be a mapping: {vars: {...}, macros: {...}}');
        for (const [k, v] of Object.entries(u.overrides)) {
          if (k === 'vars' && isMap(v)) overrides.vars = v;
          else if (k === 'macros' && isMap(v)) {
            for (const [m, val] of Object.entries(v)) {
              if (m === 'is_incremental' && typeof val === 'boolean') overrides.isIncremental = val;
              else fail([...up, 'overrides', 'macros', m], `cannot override macro '${m}'`, 'overrides.macros supports is_incremental: true or false');
            }
          } else fail([...up, 'overrides', k], `unknown override '${k}'`, 'overrides know vars and macros');
        }
      }
      const config = parseTestConfig(isMap(u.config) ? u.config : {}, (k, message) => fail([...up, 'config', k], message));
      tests.push({ name: u.name, model: u.model, given, expect: { rows: expected, at: y.at([...up, 'expect']) }, overrides, config, file: f.file, line: y.at(up).line, at: (p) => y.at([...up, ...p]) });
    });
  }
  return { tests, errors };
}
