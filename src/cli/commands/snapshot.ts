import { selectForRun, writeCompiled, type Compiled } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, threadsOption, waitForLockOption, type SelectArgs, type ThreadsArgs } from '../options.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../run-command.js';

/** sparkify snapshot: runs the selected snapshots (their upstream relations must exist). */
export async function snapshotCommand(c: Compiled, reporter: Reporter, a: { select?: string[] | undefined; exclude?: string[] | undefined; threads?: number | undefined; waitForLock?: boolean | undefined }): Promise<number> {
  const ids = selectForRun(c.manifest, { select: a.select, exclude: a.exclude, resourceTypes: ['snapshot'] });
  if (ids.length === 0) {
    reporter.info('No snapshots in the selection: write {% snapshot name %} ... {% endsnapshot %} blocks in snapshots/*.sql');
    return 0;
  }
  reporter.info(`Found ${ids.length} snapshot${ids.length === 1 ? '' : 's'} on ${c.target.type} (target ${c.target.name})`);
  return runCommand(c, reporter, {
    command: 'snapshot',
    select: a.select,
    exclude: a.exclude,
    threads: a.threads,
    waitForLock: a.waitForLock,
    resourceTypes: ['snapshot'],
    args: { command: 'snapshot', select: a.select, exclude: a.exclude },
  });
}

export const snapshotCliCommand = defineCommand<SelectArgs & ThreadsArgs & { 'wait-for-lock': boolean }>({
  names: ['snapshot'],
  describe: 'run the selected snapshots (type 2 history of a query, in snapshots/)',
  options: (y) => waitForLockOption(threadsOption(selectOptions(y))),
  run: async (a, ctx) => {
    const c = await compileFor(a, ctx);
    writeCompiled(c);
    return snapshotCommand(c, ctx.reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), threads: a.threads, waitForLock: a['wait-for-lock'] });
  },
});
