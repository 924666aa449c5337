import { watch, type WatchOptions } from '../index.js';
import type { Reporter } from './reporter.js';

/**
 * `sparkify run --watch`: the watch session (src/watch/watch-session.ts) wired to the reporter and
 * to Ctrl-C. Resolves with the exit code: 0, or 130 when Ctrl-C interrupted a rebuild.
 */
export async function watchProject(opts: Omit<WatchOptions, 'onWatchEvent' | 'onRunEvent' | 'onInfo' | 'onWarning' | 'onError' | 'onSecrets'> & { reporter: Reporter }): Promise<number> {
  const { reporter, ...options } = opts;
  const session = watch({
    ...options,
    onWatchEvent: (e) => reporter.watch(e),
    onRunEvent: (e) => reporter.event(e),
    onInfo: (m) => reporter.info(m),
    onWarning: (m) => reporter.warn(m),
    onError: (err) => reporter.error(err),
    onSecrets: (s) => reporter.setSecrets(s),
  });
  let stopping = false;
  const onSignal = () => {
    // a second Ctrl-C does not wait for the cancel
    if (stopping) process.exit(130);
    stopping = true;
    void session.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await session.done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
