import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { runCompiled, writeRunResults, type Compiled } from '../api.js';
import { openEngineForRun } from '../adapters/open-for-run.js';
import { UsageError } from '../errors.js';
import type { NodeResult } from '../runner/execute-plan.js';
import type { Reporter } from './reporter.js';
import type { IndirectSelection } from '../graph/select-tests.js';

export interface RunCommandOptions {
  command: 'run' | 'retry' | 'build' | 'test' | 'snapshot';
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  /** node ids chosen already (retry) */
  nodes?: string[] | undefined;
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
      const { result } = await runCompiled(c, engine, {
        select: opts.select,
        exclude: opts.exclude,
        nodes: opts.nodes,
        threads: opts.threads,
        fullRefresh: opts.fullRefresh,
        resourceTypes: opts.resourceTypes,
        indirectSelection: opts.indirectSelection,
        testsGateChildren: opts.testsGateChildren,
        signal: controller.signal,
        progress: reporter.showsProgress,
        onEvent: (e) => reporter.event(e),
        onWarning: (m) => reporter.warn(m),
      });
      writeRunResults(c, result, opts.args);
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

export interface LastRun {
  /** the target the last run built ("duckdb", "postgres") */
  target?: string | undefined;
  generatedAt?: string | undefined;
  /** ids of the nodes that failed or were skipped, in the order they were planned */
  retry: string[];
  total: number;
}

/** What `sparkify retry` re-runs: the nodes of target/run_results.json that failed or were skipped. */
export function readLastRun(projectDir: string): LastRun {
  const file = path.join(projectDir, 'target', 'run_results.json');
  let doc: { target?: { name?: string }; generatedAt?: string; results?: NodeResult[] };
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
  return {
    target: doc.target?.name,
    generatedAt: doc.generatedAt,
    retry: results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped').map((r) => r.id),
    total: results.length,
  };
}
