import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { runCompiled, type Compiled } from '../api.js';
import { openEngineForRun } from '../adapters/open-for-run.js';
import type { Engine } from '../adapters/adapter.js';
import { UsageError } from '../errors.js';
import { projectSettings } from '../project/load-project.js';
import type { NodeResult } from '../runner/execute-plan.js';
import type { Reporter } from './reporter.js';
import type { IndirectSelection } from '../graph/select-tests.js';

export interface RunCommandOptions {
  command: 'run' | 'retry' | 'build' | 'test' | 'snapshot' | 'seed';
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  /** node ids chosen already (retry) */
  nodes?: string[] | undefined;
  /** retry: nodes the last run built, rebuilt too if their relations are missing now (dropped, or a crashed run) */
  rebuildIfMissing?: string[] | undefined;
  /** said when, with nodes given, nothing is left to build */
  nothingToDo?: string | undefined;
  threads?: number | undefined;
  fullRefresh?: boolean | undefined;
  waitForLock?: boolean | undefined;
  resourceTypes?: string[] | undefined;
  indirectSelection?: IndirectSelection | undefined;
  testsGateChildren?: boolean | undefined;
  /** recorded in target/run_results.json */
  args: Record<string, unknown>;
}

/**
 * The body of `run` and `retry`: take the target's run lock (or wait for it), build, write
 * target/run_results.json. Ctrl-C cancels the running queries; a second Ctrl-C exits at once.
 */
export async function runCommand(c: Compiled, reporter: Reporter, opts: RunCommandOptions): Promise<number> {
  const controller = new AbortController();
  let sigints = 0;
  const onSigint = () => {
    sigints++;
    if (sigints > 1) process.exit(130);
    reporter.info('Interrupted: cancelling running queries (press Ctrl-C again to force)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const threads = opts.threads ?? c.target.threads ?? 4;
    let engine;
    try {
      engine = await openEngineForRun(c.target, threads, {
        holder: { pid: process.pid, host: hostname(), command: opts.command },
        wait: opts.waitForLock,
        onWait: (m) => reporter.info(m),
        signal: controller.signal,
      });
    } catch (err) {
      if (controller.signal.aborted) return 130;
      throw err;
    }
    try {
      let nodes = opts.nodes;
      if (opts.rebuildIfMissing?.length) {
        // under the run lock, so what is missing cannot change before the run starts
        const missing = await missingRelations(c, engine, opts.rebuildIfMissing);
        if (missing.length > 0) {
          reporter.info(`Rebuilding ${missing.length} node${missing.length === 1 ? '' : 's'} that the last run built but whose relations are missing: ${missing.map((id) => c.manifest.nodes[id]!.name).join(', ')}`);
          nodes = [...(nodes ?? []), ...missing];
        }
      }
      if (nodes?.length === 0) {
        reporter.info(opts.nothingToDo ?? `Nothing to ${opts.command}`);
        return 0;
      }
      const { result } = await runCompiled(c, engine, {
        select: opts.select,
        exclude: opts.exclude,
        nodes,
        threads: opts.threads,
        fullRefresh: opts.fullRefresh,
        resourceTypes: opts.resourceTypes,
        indirectSelection: opts.indirectSelection,
        testsGateChildren: opts.testsGateChildren,
        signal: controller.signal,
        progress: reporter.showsProgress,
        onEvent: (e) => reporter.event(e),
        onWarning: (m) => reporter.warn(m),
        resultsArgs: nodes === opts.nodes ? opts.args : { ...opts.args, nodes },
      });
      if (result.interrupted) return 130;
      return result.results.some((r) => r.status === 'error' || r.status === 'fail') ? 1 : 0;
    } finally {
      await engine.close();
    }
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** The nodes among ids whose relations do not exist in the database. */
async function missingRelations(c: Compiled, engine: Engine, ids: string[]): Promise<string[]> {
  const nodes = ids.map((id) => c.manifest.nodes[id]).filter((n) => n !== undefined);
  const existing = await engine.listRelations([...new Set(nodes.map((n) => n.relation.schema))]);
  const fold = (s: string) => (engine.dialect.foldsIdentifierCase ? s.toLowerCase() : s);
  const have = new Set(existing.map((r) => fold(`${r.schema}.${r.name}`)));
  return nodes.filter((n) => !have.has(fold(`${n.relation.schema}.${n.relation.name}`))).map((n) => n.id);
}

export interface LastRun {
  /** the target the last run built ("duckdb", "postgres") */
  target?: string | undefined;
  generatedAt?: string | undefined;
  /** ids of the nodes that failed, were skipped, or (a run that did not complete) never finished, in plan order */
  retry: string[];
  /** ids of the nodes that succeeded; retry rebuilds those whose relations are missing */
  succeeded: string[];
  /** false when the file was left by a run that crashed or was killed before it ended */
  complete: boolean;
  total: number;
}

/**
 * What `sparkify retry` re-runs: the nodes of target/run_results.json that failed or were skipped,
 * and, when the run that wrote it did not complete (it crashed or was killed), those it never finished.
 */
export function readLastRun(projectDir: string): LastRun {
  const file = path.join(projectDir, projectSettings(projectDir).targetPath, 'run_results.json');
  let doc: { target?: { name?: string }; generatedAt?: string; results?: NodeResult[]; complete?: boolean; pending?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(
      missing ? `nothing to retry: ${path.relative(process.cwd(), file) || file} does not exist` : `cannot read ${file}: ${(err as Error).message}`,
      {
        file,
        hint: 'sparkify retry re-runs what failed or was skipped in the last sparkify run; run it first',
      },
    );
  }
  const results = Array.isArray(doc.results) ? doc.results : [];
  // files written before runs recorded progress have no `complete`: they were written when the run ended
  const complete = doc.complete !== false;
  const pending = !complete && Array.isArray(doc.pending) ? doc.pending.filter((id): id is string => typeof id === 'string') : [];
  return {
    target: doc.target?.name,
    generatedAt: doc.generatedAt,
    retry: [...results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped').map((r) => r.id), ...pending],
    succeeded: results.filter((r) => r.status === 'success').map((r) => r.id),
    complete,
    total: results.length + pending.length,
  };
}
