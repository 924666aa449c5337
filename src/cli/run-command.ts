import { hostname } from 'node:os';
import { runCompiled, type Compiled } from '../api.js';
import { openEngineForRun } from '../adapters/open-for-run.js';
import { missingRelations } from '../runner/last-run.js';
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

