import path from 'node:path';
import { ProjectError, type SparkifyError } from '../errors.js';
import type { ModelDoc } from '../project/parse-model-docs.js';
import type { TemplateFile } from '../template/environment.js';
import { CONFIG_KEYS, checkConfigValue, locate, type ConfigRules } from '../template/render-model.js';
import { extractSnapshots } from '../template/snapshot-blocks.js';
import type { ModelConfig } from '../types.js';

export const SNAPSHOT_STRATEGIES = ['timestamp', 'check'];
const HARD_DELETES = ['ignore', 'invalidate', 'new_record'];
const COLUMN = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const SNAPSHOT_CONFIG: ConfigRules = {
  keys: [...CONFIG_KEYS, 'strategy', 'updated_at', 'check_cols', 'hard_deletes', 'invalidate_hard_deletes', 'target_schema'],
  check(key, v) {
    switch (key) {
      case 'strategy':
        return SNAPSHOT_STRATEGIES.includes(v as string) ? undefined : `unknown snapshot strategy ${JSON.stringify(v)}: use 'timestamp' (with updated_at) or 'check' (with check_cols)`;
      case 'updated_at':
        return typeof v === 'string' && COLUMN.test(v) ? undefined : 'must be a column name';
      case 'check_cols':
        if (v === 'all') return "'all' is not supported: list the columns to compare, e.g. check_cols=['level']";
        return Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string' && COLUMN.test(c)) ? undefined : 'must be a list of column names';
      case 'hard_deletes':
        return HARD_DELETES.includes(v as string) ? undefined : `must be one of ${HARD_DELETES.join(', ')}`;
      case 'invalidate_hard_deletes':
        return typeof v === 'boolean' ? undefined : 'must be true or false';
      case 'target_schema':
        return typeof v === 'string' && COLUMN.test(v) ? undefined : 'must be a name of letters, digits and _';
      case 'materialized':
        return v === 'snapshot' ? undefined : "a snapshot is materialized as 'snapshot'";
      default:
        return checkConfigValue(key, v);
    }
  },
};

export interface SnapshotFile {
  name: string;
  path: string;
  file: string;
  /** the query, as a template; lines are those of the file */
  text: string;
  line: number;
  /** config given in yml (a snapshot defined with relation:) */
  ymlConfig?: Record<string, unknown> | undefined;
  at?: ((key: string) => { line: number; column: number }) | undefined;
}

/** The snapshots of the project: `{% snapshot %}` blocks in snapshots/ and yml snapshots with a relation:. */
export function snapshotFiles(files: TemplateFile[], docs: Map<string, ModelDoc>, projectDir: string, errors: SparkifyError[]): SnapshotFile[] {
  const out: SnapshotFile[] = [];
  for (const f of files) {
    const { blocks, errors: e } = extractSnapshots(f.text, f.file);
    errors.push(...e);
    for (const b of blocks) out.push({ name: b.name, path: blocks.length === 1 ? f.path : `${f.path}#${b.name}`, file: f.file, text: b.body, line: b.line });
  }
  for (const d of docs.values()) {
    if (!d.snapshot) continue;
    const relation = d.snapshot.relation.trim();
    if (!/^(ref|source)\(.*\)$/.test(relation)) {
      errors.push(new ProjectError(`snapshot ${d.name}: relation must be ref('model') or source('source', 'table')`, { file: d.file, line: d.line }));
      continue;
    }
    const rel = path.relative(projectDir, d.file).split(path.sep).join('/');
    out.push({ name: d.name, path: `${rel}#${d.name}`, file: d.file, text: `${'\n'.repeat(Math.max(0, d.line - 1))}select * from {{ ${relation} }}`, line: d.line, ymlConfig: d.snapshot.config, at: d.snapshot.at });
  }
  return out;
}

/** Config given in yml for a yml snapshot, checked with the same rules as config(). */
export function ymlSnapshotConfig(s: SnapshotFile, errors: SparkifyError[]): Partial<ModelConfig> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.ymlConfig ?? {})) {
    const at = s.at?.(k) ?? { line: s.line, column: 1 };
    if (!SNAPSHOT_CONFIG.keys.includes(k)) {
      errors.push(new ProjectError(`unknown config key '${k}'`, { file: s.file, ...at }));
      continue;
    }
    const problem = SNAPSHOT_CONFIG.check(k, v);
    if (problem) errors.push(new ProjectError(`config ${k}: ${problem}`, { file: s.file, ...at }));
    else out[k] = v;
  }
  return out as Partial<ModelConfig>;
}

/** What every snapshot needs: a unique_key and a strategy with its column(s). Located at the config. */
export function checkSnapshotConfig(s: SnapshotFile, config: Partial<ModelConfig> & { invalidate_hard_deletes?: boolean }, errors: SparkifyError[]): ModelConfig['hard_deletes'] {
  const where = s.ymlConfig ? { line: s.line, column: 1 } : (locate(s.text, /\bconfig\s*\(/) ?? { line: s.line, column: 1 });
  const fail = (message: string, hint: string) => errors.push(new ProjectError(`snapshot ${s.name}: ${message}`, { file: s.file, ...where, hint }));
  if (config.unique_key === undefined) fail('missing unique_key', "set the column (or columns) that identify a row: config(unique_key='user_id', ...)");
  if (config.strategy === undefined) fail('missing strategy', "set strategy='timestamp' with updated_at, or strategy='check' with check_cols");
  else if (config.strategy === 'timestamp' && config.updated_at === undefined) fail("the timestamp strategy needs updated_at", "config(updated_at='the column that changes when a row changes')");
  else if (config.strategy === 'check' && config.check_cols === undefined) fail('the check strategy needs check_cols', "config(check_cols=['level'])");
  return config.hard_deletes ?? (config.invalidate_hard_deletes ? 'invalidate' : 'ignore');
}

/**
 * The columns of a snapshot query when they can be read off its text: `select a, b as c from x`
 * (plain names and aliases), or `select * from x` where x's columns are known. Undefined otherwise.
 */
export function queryColumns(sql: string, columnsOf: (relation: string) => string[] | undefined): string[] | undefined {
  const m = /^\s*select\s+([\s\S]+?)\s+from\s+("[^"]+"\."[^"]+"|\S+)\s*;?\s*$/i.exec(sql.replace(/--[^\n]*/g, ''));
  if (!m) return undefined;
  if (m[1]!.trim() === '*') return columnsOf(m[2]!);
  const out: string[] = [];
  for (const item of m[1]!.split(',')) {
    const t = item.trim();
    const named = /^(?:[A-Za-z_][A-Za-z0-9_]*\.)?"?([A-Za-z_][A-Za-z0-9_]*)"?$/.exec(t) ?? /\s+as\s+"?([A-Za-z_][A-Za-z0-9_]*)"?$/i.exec(t);
    if (!named) return undefined;
    out.push(named[1]!.toLowerCase());
  }
  return out;
}

/** A check_cols, unique_key or updated_at column that the query does not have: a located error at compile time. */
export function checkSnapshotColumns(s: SnapshotFile, config: Partial<ModelConfig>, columns: string[] | undefined, errors: SparkifyError[]): void {
  if (!columns) return;
  const named: [string, string][] = [
    ...[config.unique_key ?? []].flat().map((c): [string, string] => ['unique_key', c]),
    ...(config.strategy === 'timestamp' && config.updated_at ? [['updated_at', config.updated_at] as [string, string]] : []),
    ...(config.strategy === 'check' && Array.isArray(config.check_cols) ? config.check_cols.map((c): [string, string] => ['check_cols', c]) : []),
  ];
  for (const [key, col] of named) {
    if (columns.includes(col.toLowerCase())) continue;
    const at = s.ymlConfig ? (s.at?.(key) ?? { line: s.line, column: 1 }) : (locate(s.text, new RegExp(`\\b${key}\\s*=`)) ?? { line: s.line, column: 1 });
    errors.push(new ProjectError(`snapshot ${s.name}: ${key} column '${col}' is not a column of its query`, { file: s.file, ...at, hint: `its columns: ${columns.join(', ')}` }));
  }
}
