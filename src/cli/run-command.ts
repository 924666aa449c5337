import { runLocked, type Compiled, type LockedRunOptions, type RunResult } from '../index.js';
import type { Reporter } from './reporter.js';

export type RunCommandOptions = Omit<LockedRunOptions, 'signal' | 'progress' | 'onEvent' | 'onWarning' | 'onInfo' | 'resultsArgs'> & {
  /** said when, with nodes given, nothing is left to build */
  nothingToDo?: string | undefined;
  /** recorded in target/run_results.json */
  args: Record<string, unknown>;
};

/** The exit code of a finished run: 130 when interrupted, 1 when a node failed, else 0. */
export function runExitCode(result: RunResult): number {
  if (result.interrupted) return 130;
  return result.results.some((r) => r.status === 'error' || r.status === 'fail') ? 1 : 0;
}

/**
 * The CLI side of every command that builds: runLocked() (the library) wired to the reporter and
 * to Ctrl-C, which cancels the running queries; a second Ctrl-C exits at once.
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
    const { args, nothingToDo, ...rest } = opts;
    const { result } = await runLocked(c, {
      ...rest,
      signal: controller.signal,
      progress: reporter.showsProgress,
      onEvent: (e) => reporter.event(e),
      onWarning: (m) => reporter.warn(m),
      onInfo: (m) => reporter.info(m),
      resultsArgs: args,
    });
    if (!result) {
      reporter.info(nothingToDo ?? `Nothing to ${opts.command}`);
      return 0;
    }
    return runExitCode(result);
  } catch (err) {
    // Ctrl-C while waiting for the run lock
    if (controller.signal.aborted) return 130;
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
