import type { Dialect, Engine } from '../adapters/adapter.js';
import { openEngine } from '../adapters/create-engine.js';
import type { EngineDefinition } from '../adapters/engine-definition.js';
import { writeFreshnessResults, type Compiled } from '../api.js';
import { selectNodes } from '../graph/select-nodes.js';
import { parseColumnType } from '../adapters/column-types.js';
import { DatabaseError, SparkifyError, formatError } from '../errors.js';
import type { FreshnessRule, Manifest, SourceNode } from '../types.js';

export interface FreshnessResult {
  unique_id: string;
  name: string;
  status: 'pass' | 'warn' | 'error' | 'runtime error';
  max_loaded_at: string | null;
  snapshotted_at: string | null;
  max_loaded_at_time_ago_in_s: number | null;
  criteria: { warn_after: FreshnessRule['warnAfter'] | null; error_after: FreshnessRule['errorAfter'] | null; filter: string | null };
  execution_time: number;
  message?: string | undefined;
}

const SECONDS = { minute: 60, hour: 3600, day: 86400 } as const;

/** The sources of the selection that declare freshness (and a loaded_at_field). */
export function freshnessSources(manifest: Manifest, selected: string[]): SourceNode[] {
  return selected.map((id) => manifest.nodes[id]).filter((n): n is SourceNode => n?.resourceType === 'source' && n.table.freshness !== undefined && n.table.loadedAtField !== undefined);
}

/**
 * The query that finds a source's latest load time and the time now, both UTC timestamps. A
 * loaded_at_field of an integer type is epoch milliseconds (Sparkify's ts). Pure.
 */
export function freshnessQuery(node: SourceNode, d: Dialect): string {
  const field = node.table.loadedAtField!;
  const column = node.table.columns.find((c) => c.name === field);
  const base = column ? parseColumnType(column.type)?.base : undefined;
  const q = d.quoteIdent(field);
  const loaded = base === 'bigint' || base === 'integer' ? d.epochMsToTimestamp(q) : q;
  const where = node.table.freshness?.filter ? `\nWHERE ${node.table.freshness.filter}` : '';
  return `SELECT MAX(${loaded}) AS max_loaded_at, ${d.snapshotTime()} AS snapshotted_at\nFROM ${d.relation(node.relation)}${where}`;
}

function utcMillis(v: unknown): number {
  const s = String(v).trim().replace(' ', 'T');
  return Date.parse(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
}

/** dbt: error_after is checked first, then warn_after; a source with no rows is an error. */
export function freshnessStatus(rule: FreshnessRule, ageSeconds: number): 'pass' | 'warn' | 'error' {
  if (rule.errorAfter && ageSeconds > rule.errorAfter.count * SECONDS[rule.errorAfter.period]) return 'error';
  if (rule.warnAfter && ageSeconds > rule.warnAfter.count * SECONDS[rule.warnAfter.period]) return 'warn';
  return 'pass';
}

/** Checks each source's freshness with one query; a failing query is that source's runtime error. */
export async function checkFreshness(nodes: SourceNode[], engine: Engine, onResult?: (r: FreshnessResult, index: number) => void): Promise<FreshnessResult[]> {
  const results: FreshnessResult[] = [];
  for (const [i, n] of nodes.entries()) {
    const rule = n.table.freshness!;
    const t0 = performance.now();
    const base = { unique_id: n.id, name: `${n.sourceName}.${n.name}`, criteria: { warn_after: rule.warnAfter ?? null, error_after: rule.errorAfter ?? null, filter: rule.filter ?? null } };
    let r: FreshnessResult;
    try {
      const rows = await engine.withConnection((c) => c.query(freshnessQuery(n, engine.dialect)));
      const max = rows[0]?.max_loaded_at ?? null;
      const now = rows[0]?.snapshotted_at ?? null;
      if (max === null || now === null) {
        r = { ...base, status: 'error', max_loaded_at: null, snapshotted_at: now === null ? null : String(now), max_loaded_at_time_ago_in_s: null, execution_time: (performance.now() - t0) / 1000, message: `${n.sourceName}.${n.name} has no rows with a ${n.table.loadedAtField}` };
      } else {
        const age = (utcMillis(now) - utcMillis(max)) / 1000;
        r = { ...base, status: freshnessStatus(rule, age), max_loaded_at: String(max), snapshotted_at: String(now), max_loaded_at_time_ago_in_s: age, execution_time: (performance.now() - t0) / 1000 };
      }
    } catch (err) {
      const e = err instanceof SparkifyError ? err : new DatabaseError(String(err));
      e.addContext({ node: `${n.sourceName}.${n.name}`, file: n.file, line: n.table.line });
      r = { ...base, status: 'runtime error', max_loaded_at: null, snapshotted_at: null, max_loaded_at_time_ago_in_s: null, execution_time: (performance.now() - t0) / 1000, message: formatError(e) };
    }
    results.push(r);
    onResult?.(r, i + 1);
  }
  return results;
}

export interface SourceFreshnessOptions {
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** each source's result as it is known, with its 1-based position */
  onResult?: ((r: FreshnessResult, index: number, of: number) => void) | undefined;
  engines?: readonly EngineDefinition[] | undefined;
}

export interface SourceFreshnessRun {
  /** the selected sources that declare freshness; empty means there was nothing to check */
  sources: SourceNode[];
  results: FreshnessResult[];
  /** target/sources.json, written when there were sources to check */
  file: string | undefined;
  elapsed: number;
}

/** `sparkify source freshness`: each selected source's latest loaded_at_field against its limits; writes target/sources.json. */
export async function sourceFreshness(c: Compiled, opts: SourceFreshnessOptions = {}): Promise<SourceFreshnessRun> {
  const sources = freshnessSources(c.manifest, selectNodes(c.manifest, opts.select, opts.exclude, { onWarning: opts.onWarning }));
  if (sources.length === 0) return { sources, results: [], file: undefined, elapsed: 0 };
  const t0 = performance.now();
  const engine = await openEngine(c.target, 1, { engines: opts.engines });
  let results: FreshnessResult[];
  try {
    results = await checkFreshness(sources, engine, (r, i) => opts.onResult?.(r, i, sources.length));
  } finally {
    await engine.close();
  }
  const elapsed = (performance.now() - t0) / 1000;
  return { sources, results, file: writeFreshnessResults(c, results, elapsed), elapsed };
}
