import type { Target } from '../config/load-config.js';
import { RunLockedError, UsageError } from '../errors.js';
import type { Engine, RunLockHolder } from './adapter.js';
import { openEngine } from './create-engine.js';
import type { EngineDefinition } from './engine-definition.js';

export interface OpenForRunOptions {
  holder: RunLockHolder;
  /** wait for a run that holds the target instead of failing at once */
  wait?: boolean | undefined;
  /** told once, with who holds the lock, when the run starts waiting */
  onWait?: ((message: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** how often to try again while waiting */
  pollMs?: number | undefined;
  /** the engines to choose from (default: the built-in ones) */
  engines?: readonly EngineDefinition[] | undefined;
}

/**
 * Opens the engine and takes the target's run lock. A second run fails at once with who holds the
 * lock and since when, or, with `wait`, tries again until the holder is done.
 */
export async function openEngineForRun(target: Target, threads: number, opts: OpenForRunOptions): Promise<Engine> {
  let told = false;
  for (;;) {
    let engine: Engine | undefined;
    try {
      engine = await openEngine(target, threads, { engines: opts.engines });
      await engine.lockForRun?.(opts.holder);
      return engine;
    } catch (err) {
      await engine?.close().catch(() => undefined);
      if (!(err instanceof RunLockedError) || !opts.wait) throw err;
      if (!told) opts.onWait?.(`waiting: ${err.message}`);
      told = true;
      await pause(opts.pollMs ?? 500, opts.signal);
    }
  }
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new UsageError('interrupted while waiting for the run lock'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new UsageError('interrupted while waiting for the run lock'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
