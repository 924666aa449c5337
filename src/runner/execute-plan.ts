import { randomUUID } from 'node:crypto';
import { DatabaseError, LoadError, ProjectError, SparkifyError, UsageError, formatError } from '../errors.js';
import type { Connection, Engine, LoadProgress, Step } from '../adapters/adapter.js';
import { LOAD_ERRORS_TABLE, sourceLabel, type RejectedLine } from '../loaders/load-errors.js';
import type { NodePlan, Plan } from '../materializations/plan-run.js';
import type { GraphNode, Manifest, ModelNode } from '../types.js';
import { meetsCondition } from '../project/parse-data-tests.js';
import { templateLine } from '../template/line-markers.js';
import type { SourceFiles } from '../loaders/source-files.js';
import { loadNewFiles } from './load-new-files.js';

/** models, snapshots and sources: success, error or skipped; tests: pass, warn, fail, error or skipped */
export type NodeStatus = 'success' | 'error' | 'skipped' | 'pass' | 'warn' | 'fail';

/** A node that did its job: its children may run. */
export function succeeded(status: NodeStatus | undefined): boolean {
  return status === 'success' || status === 'pass' || status === 'warn';
}

export interface NodeResult {
  id: string;
  name: string;
  resourceType: GraphNode['resourceType'];
  materialization: string;
  relation: string;
  status: NodeStatus;
  /** tests: the number of failing rows */
  failures?: number | undefined;
  /** tests with store_failures: the table holding the failing rows */
  storedFailures?: string | undefined;
  /** unit tests that failed: the expected rows missing (-) and the rows the model returned instead (+) */
  diff?: string | undefined;
  /** tests: the column and the node they test, for the summary */
  testedNode?: string | undefined;
  testedColumn?: string | undefined;
  rows?: number | undefined;
  /** incremental models appended to: the rows this run inserted (rows is then the table's total) */
  inserted?: number | undefined;
  files?: number | undefined;
  /** seconds */
  duration: number;
  error?: ReturnType<SparkifyError['toJSON']> | undefined;
  message?: string | undefined;
  /** for skipped nodes: the failed ancestor */
  skippedBecause?: string | undefined;
  /** sources: JSON records read (a pretty-printed object counts once); records = rows loaded + rejected */
  records?: number | undefined;
  /** sources with max_errors: the lines skipped (or, for a failed load, rejected), recorded in `relation` */
  rejected?: RejectedSummary | undefined;
  /** sources: what the user should know that did not stop the load (a named pipe skipped in a data folder) */
  warnings?: string[] | undefined;
}

export interface RejectedSummary {
  count: number;
  /** "<target schema>.sparkify_load_errors", where every line is recorded with the run id */
  relation: string;
  /** the first few, without their raw text */
  lines: Omit<RejectedLine, 'raw'>[];
}

export interface RunResult {
  /** the id that sparkify_load_errors rows of this run carry */
  runId: string;
  startedAt: string;
  /** seconds */
  elapsed: number;
  interrupted: boolean;
  results: NodeResult[];
}

export type RunEvent =
  | { type: 'run_start'; total: number; threads: number }
  | { type: 'node_start'; id: string; name: string; index: number; total: number; materialization: string; resourceType: string }
  /** a load's progress (only when ExecuteOptions.progress is set): after each file or batch, and at the end */
  | { type: 'node_progress'; id: string; name: string; index: number; files: number; filesDone: number; rows: number; bytes: number; elapsed: number }
  | { type: 'node_end'; index: number; total: number; result: NodeResult }
  | { type: 'run_end'; result: RunResult };

export interface ExecuteOptions {
  threads: number;
  onEvent?: (e: RunEvent) => void;
  signal?: AbortSignal | undefined;
  /** where compiled SQL is written, for error messages: target/compiled/<path> */
  compiledPath?: (node: ModelNode) => string;
  /** defaults to a random UUID */
  runId?: string | undefined;
  /** emit node_progress events during loads (measuring costs a little: only when someone shows them) */
  progress?: boolean | undefined;
  /** lists the files of incremental sources (ledger loads); needed when the plan has one */
  sourceFiles?: SourceFiles | undefined;
}

/** What the steps of one node report back. */
interface StepsOutcome {
  failures?: number;
  diff?: string;
  rows?: number;
  inserted?: number;
  files?: number;
  records?: number;
  rejected?: RejectedSummary;
  warnings?: string[];
}

/** What runSteps needs besides the connection: recording rejected lines needs the run and the target schema. */
interface StepContext {
  engine: Engine;
  runId: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((p: LoadProgress) => void) | undefined;
  sourceFiles?: SourceFiles | undefined;
}

/**
 * Runs the plan: independent nodes concurrently up to `threads`; a failed node's descendants are
 * skipped while other branches go on. The only stage that talks to a database.
 */
export async function executePlan(plan: Plan, manifest: Manifest, engine: Engine, opts: ExecuteOptions): Promise<RunResult> {
  const startedAt = new Date();
  const runId = opts.runId ?? randomUUID();
  const ctx: StepContext = { engine, runId, signal: opts.signal, sourceFiles: opts.sourceFiles };
  const emit = opts.onEvent ?? (() => undefined);
  const total = plan.nodes.length;
  const results = new Map<string, NodeResult>();
  const byId = new Map(plan.nodes.map((n) => [n.id, n]));
  let interrupted = false;
  let started = 0;
  emit({ type: 'run_start', total, threads: opts.threads });

  const onAbort = () => {
    interrupted = true;
    void engine.cancel();
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) interrupted = true;

  try {
    if (!interrupted) await engine.withConnection(async (c) => runSteps(c, plan.setup, { ...ctx, signal: undefined }));
  } catch (err) {
    opts.signal?.removeEventListener('abort', onAbort);
    throw err;
  }

  const pending = new Set(plan.nodes.map((n) => n.id));
  const running = new Map<string, Promise<void>>();

  const finish = (r: NodeResult, index: number) => {
    results.set(r.id, r);
    emit({ type: 'node_end', index, total, result: r });
  };

  const skipDescendants = (failedId: string) => {
    for (const n of plan.nodes) {
      if (!pending.has(n.id)) continue;
      if (hasAncestor(n.id, failedId, plan.parents)) {
        pending.delete(n.id);
        started++;
        finish({ ...baseResult(n, manifest), status: 'skipped', duration: 0, skippedBecause: failedId, message: `skipped: ${manifest.nodes[failedId]?.name ?? failedId} failed` }, started);
      }
    }
  };

  const runNode = async (n: NodePlan, index: number) => {
    if (n.skip) {
      finish({ ...baseResult(n, manifest), status: 'skipped', duration: 0, message: n.skip }, index);
      return;
    }
    const t0 = performance.now();
    emit({ type: 'node_start', id: n.id, name: n.name, index, total, materialization: n.materialization, resourceType: n.resourceType });
    const outcome: StepsOutcome = {};
    const onProgress = opts.progress
      ? (p: LoadProgress) => emit({ type: 'node_progress', id: n.id, name: n.name, index, ...p, elapsed: (performance.now() - t0) / 1000 })
      : undefined;
    try {
      if (n.test?.problem) throw new ProjectError(n.test.problem);
      await engine.withConnection((c) => runSteps(c, n.steps, { ...ctx, onProgress }, outcome));
      const { rows, inserted, files, records, rejected, warnings } = outcome;
      if (n.test) {
        const status = testStatus(n.test.config, outcome.failures ?? 0);
        const node = manifest.nodes[n.id];
        const tested = node?.resourceType === 'test' && node.attachedTo ? manifest.nodes[node.attachedTo]?.name : undefined;
        finish({ ...baseResult(n, manifest), status, failures: outcome.failures, storedFailures: n.test.storedIn, testedNode: tested, testedColumn: node?.resourceType === 'test' ? node.column : undefined, diff: outcome.diff, duration: (performance.now() - t0) / 1000 }, index);
        if (status === 'fail') skipDescendants(n.id);
        return;
      }
      finish(
        {
          ...baseResult(n, manifest),
          status: 'success',
          rows,
          ...(inserted !== undefined ? { inserted } : {}),
          files,
          records,
          rejected,
          ...(warnings ? { warnings } : {}),
          duration: (performance.now() - t0) / 1000,
        },
        index,
      );
    } catch (err) {
      const e = locateError(err, n, manifest, opts);
      if (interrupted) e.message = `interrupted: ${e.message}`;
      await engine.withConnection((c) => runSteps(c, n.onFailure, { ...ctx, signal: undefined })).catch(() => undefined);
      const { files, records, rejected } = outcome;
      finish({ ...baseResult(n, manifest), status: 'error', files, records, rejected, duration: (performance.now() - t0) / 1000, error: e.toJSON(), message: formatError(e) }, index);
      skipDescendants(n.id);
    }
  };

  while (pending.size > 0 || running.size > 0) {
    if (interrupted) {
      for (const id of [...pending]) {
        pending.delete(id);
        started++;
        finish({ ...baseResult(byId.get(id)!, manifest), status: 'skipped', duration: 0, message: 'skipped: the run was interrupted' }, started);
      }
    }
    for (const id of [...pending]) {
      if (running.size >= opts.threads) break;
      const ready = plan.parents[id]!.every((p) => succeeded(results.get(p)?.status) || !byId.has(p));
      if (!ready) continue;
      pending.delete(id);
      const index = ++started;
      const p = runNode(byId.get(id)!, index).finally(() => running.delete(id));
      running.set(id, p);
    }
    if (running.size === 0) {
      // nodes left waiting on a parent that never succeeded (it was skipped) are skipped too
      for (const id of [...pending]) {
        pending.delete(id);
        started++;
        const parent = plan.parents[id]!.find((p) => byId.has(p) && !succeeded(results.get(p)?.status));
        finish({ ...baseResult(byId.get(id)!, manifest), status: 'skipped', duration: 0, skippedBecause: parent, message: `skipped: ${parent ? (manifest.nodes[parent]?.name ?? parent) : 'an upstream node'} did not run` }, started);
      }
      break;
    }
    await Promise.race(running.values());
  }
  opts.signal?.removeEventListener('abort', onAbort);

  const ordered = plan.nodes.map((n) => results.get(n.id)!).filter(Boolean);
  const result: RunResult = { runId, startedAt: startedAt.toISOString(), elapsed: (Date.now() - startedAt.getTime()) / 1000, interrupted, results: ordered };
  emit({ type: 'run_end', result });
  return result;
}

async function runSteps(c: Connection, steps: Step[], ctx: StepContext, out: StepsOutcome = {}): Promise<StepsOutcome> {
  for (const s of steps) {
    // a cancel that lands between two statements must stop the next one too
    if (ctx.signal?.aborted) throw new UsageError('the run was interrupted');
    switch (s.kind) {
      case 'sql':
        await c.execute(s.sql);
        break;
      case 'transaction':
        await c.transaction(s.statements);
        break;
      case 'check':
        try {
          await c.query(s.sql);
        } catch (err) {
          throw new ProjectError(`${s.message}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { hint: s.hint });
        }
        break;
      case 'test': {
        const r = await c.query(s.sql);
        out.failures = Number(r[0]?.failures ?? 0);
        break;
      }
      case 'unit': {
        const actual = await c.query(s.sql);
        const d = diffRows(s.expected, actual, s.columns);
        out.failures = d.count;
        if (d.count > 0) out.diff = d.text;
        break;
      }
      case 'count': {
        const r = await c.query(s.sql);
        const v = r[0] ? Object.values(r[0])[0] : undefined;
        const n = v === undefined || v === null ? undefined : Number(v);
        if (s.of === 'inserted') out.inserted = n;
        else out.rows = n;
        break;
      }
      case 'choose': {
        const r = await c.query(s.sql);
        const v = r[0] ? Object.values(r[0])[0] : undefined;
        await runSteps(c, Number(v) === 1 ? s.then : s.else, ctx, out);
        break;
      }
      case 'ledger-load': {
        if (!ctx.sourceFiles) throw new UsageError('an incremental load needs the source files: pass sourceFiles to executePlan');
        const r = await loadNewFiles(c, s, {
          engine: ctx.engine,
          runId: ctx.runId,
          files: ctx.sourceFiles,
          onProgress: ctx.onProgress,
          recordRejections: async (lines) => {
            const summary = await recordRejections(c, ctx, s.source, lines);
            out.rejected = out.rejected ? { ...summary, count: out.rejected.count + summary.count, lines: [...out.rejected.lines, ...summary.lines].slice(0, SUMMARY_LINES) } : summary;
          },
        });
        out.files = r.files;
        out.records = r.records;
        out.inserted = r.rows;
        if (r.warnings.length) out.warnings = r.warnings.map((w) => `${s.source.sourceName}.${s.source.name}: ${w}`);
        break;
      }
      case 'seed-load': {
        const { dialect } = ctx.engine;
        const { readSeedCsv, openSeedFile } = await import('../loaders/formats/csv.js');
        const csv = await readSeedCsv(s.seed, (col) => dialect.seedColumnType(col));
        await c.execute(dialect.createTable(s.into, csv.columns));
        const load = dialect.seedLoad(s.into, csv.columns, s.seed);
        if (!load.stdin) await c.execute(load.sql);
        else if (c.copyFrom) await c.copyFrom(load.sql, openSeedFile(s.seed.file));
        else throw new LoadError(`${dialect.label} connections cannot stream a file (no copyFrom)`, { file: s.seed.file });
        out.records = csv.rows;
        break;
      }
      case 'load': {
        const tolerant = (s.source.copy?.maxErrors ?? 0) > 0;
        let r;
        try {
          r = await ctx.engine.load(c, s, ctx.onProgress);
        } catch (err) {
          // a load past max_errors: the lines it rejected are recorded too, as Redshift keeps them in STL_LOAD_ERRORS
          if (tolerant && err instanceof LoadError && err.rejected?.length) {
            out.rejected = await recordRejections(c, ctx, s.source, err.rejected).catch(() => undefined);
          }
          throw err;
        }
        out.files = r.files;
        out.records = r.records;
        if (r.warnings?.length) out.warnings = r.warnings.map((w) => `${s.source.sourceName}.${s.source.name}: ${w}`);
        if (r.rejected?.length) out.rejected = await recordRejections(c, ctx, s.source, r.rejected);
        break;
      }
    }
  }
  return out;
}

const SUMMARY_LINES = 20;

async function recordRejections(c: Connection, ctx: StepContext, source: Extract<Step, { kind: 'load' }>['source'], lines: RejectedLine[]): Promise<RejectedSummary> {
  const { dialect, schema } = ctx.engine;
  const recordedAt = new Date().toISOString();
  const rows = lines.map((l) => ({ ...l, runId: ctx.runId, source: sourceLabel(source), recordedAt }));
  await c.execute(dialect.createLoadErrorsTable(schema));
  for (const sql of dialect.insertLoadErrors(schema, rows)) await c.execute(sql);
  return {
    count: lines.length,
    relation: `${schema}.${LOAD_ERRORS_TABLE}`,
    lines: lines.slice(0, SUMMARY_LINES).map(({ raw: _, ...rest }) => rest),
  };
}

/** A value as text that compares equal across engines and fixture spellings: 1 = '1' = 1.0, timestamps with T or space. */
function comparable(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return String(v);
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(s.trim())) return String(Number(s));
  const ts = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d+)?Z?$/.exec(s.trim());
  if (ts) return `${ts[1]} ${ts[2]}${ts[3] ? ts[3].replace(/0+$/, '').replace(/\.$/, '') : ''}`;
  return s;
}

/** The rows only one side has, compared on `columns` as multisets; a dbt-style diff. */
export function diffRows(expected: Record<string, unknown>[], actual: Record<string, unknown>[], columns: string[]): { count: number; text: string } {
  const cols = columns.length > 0 ? columns : [...new Set(actual.flatMap((r) => Object.keys(r)))];
  const key = (r: Record<string, unknown>) => JSON.stringify(cols.map((c) => comparable(r[c])));
  const left = new Map<string, number>();
  for (const r of actual) left.set(key(r), (left.get(key(r)) ?? 0) + 1);
  const missing: Record<string, unknown>[] = [];
  for (const r of expected) {
    const k = key(r);
    const n = left.get(k) ?? 0;
    if (n > 0) left.set(k, n - 1);
    else missing.push(r);
  }
  const extra = actual.filter((r) => {
    const k = key(r);
    const n = left.get(k) ?? 0;
    if (n > 0) {
      left.set(k, n - 1);
      return true;
    }
    return false;
  });
  const show = (sign: string, r: Record<string, unknown>) => `${sign} ${cols.map((c) => `${c}=${comparable(r[c])}`).join(', ')}`;
  const text = [`actual differs from expected (on ${cols.join(', ')}):`, ...missing.map((r) => show('-', r)), ...extra.map((r) => show('+', r))].join('\n');
  return { count: missing.length + extra.length, text };
}

/** dbt: error_if is checked first; a test that does not meet it warns if it meets warn_if. */
export function testStatus(config: { severity: 'error' | 'warn'; warn_if: string; error_if: string }, failures: number): 'pass' | 'warn' | 'fail' {
  if (config.severity === 'error' && meetsCondition(config.error_if, failures)) return 'fail';
  if (meetsCondition(config.warn_if, failures)) return 'warn';
  return 'pass';
}

function hasAncestor(id: string, ancestor: string, parents: Record<string, string[]>): boolean {
  const stack = [...(parents[id] ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const p = stack.pop()!;
    if (p === ancestor) return true;
    if (seen.has(p)) continue;
    seen.add(p);
    stack.push(...(parents[p] ?? []));
  }
  return false;
}

function baseResult(n: NodePlan, manifest: Manifest): Omit<NodeResult, 'status' | 'duration'> {
  const node = manifest.nodes[n.id]!;
  return { id: n.id, name: n.name, resourceType: n.resourceType, materialization: n.materialization, relation: `${node.relation.schema}.${node.relation.name}` };
}

/** Attaches the node, its file and the template line that a database error points at. */
function locateError(err: unknown, n: NodePlan, manifest: Manifest, opts: ExecuteOptions): SparkifyError {
  const node = manifest.nodes[n.id]!;
  const e = err instanceof SparkifyError ? err : new DatabaseError(err instanceof Error ? err.message : String(err), { cause: err });
  if (node.resourceType === 'test') {
    e.addContext({ node: node.name, file: node.file, line: node.line });
  } else if (node.resourceType === 'seed') {
    e.addContext({ node: node.name, file: node.file });
  } else if (node.resourceType !== 'source') {
    let renderedLine: number | undefined;
    let lineMap = node.lineMap;
    let incremental = false;
    if (e instanceof DatabaseError && e.sql && e.statementLine !== undefined) {
      // the error may be in the full build's SQL or in the is_incremental() branch's, each with its own line map
      for (const [sql, map, inc] of [[node.compiledSql, node.lineMap, false], [node.compiledIncrementalSql, node.incrementalLineMap, true]] as const) {
        if (!sql || !map) continue;
        const at = e.sql.indexOf(sql.trim());
        if (at < 0) continue;
        const offset = e.sql.slice(0, at).split('\n').length - 1;
        // l counts lines of the rendered SQL; the compiled file is that SQL trimmed, `lead` lines shorter
        const l = e.statementLine - offset + leadingLines(sql);
        if (l >= 1) [renderedLine, lineMap, incremental] = [l, map, inc];
        break;
      }
    }
    e.addContext({
      node: node.name,
      file: node.file,
      line: renderedLine === undefined ? undefined : templateLine(lineMap, renderedLine),
      compiledPath: opts.compiledPath?.(node),
      // the compiled file holds the full build's SQL
      compiledLine: renderedLine === undefined || incremental ? undefined : renderedLine - leadingLines(node.compiledSql),
    });
  } else {
    e.addContext({ node: `${node.sourceName}.${node.name}`, file: node.file, line: node.table.line });
  }
  return e;
}

/** Lines before the first non-blank one: the compiled file (the SQL trimmed) starts that much earlier. */
function leadingLines(sql: string): number {
  return sql.slice(0, sql.length - sql.trimStart().length).split('\n').length - 1;
}
