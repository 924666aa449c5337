import { selectForRun, writeCompiled, type Compiled } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, threadsOption, waitForLockOption, type SelectArgs, type ThreadsArgs } from '../options.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../run-command.js';

/** sparkify seed: loads the selected seeds (the CSV files under the seed paths) into tables. */
export async function seedCommand(
  c: Compiled,
  reporter: Reporter,
  a: { select?: string[] | undefined; exclude?: string[] | undefined; threads?: number | undefined; fullRefresh?: boolean | undefined; waitForLock?: boolean | undefined },
): Promise<number> {
  const ids = selectForRun(c.manifest, { select: a.select, exclude: a.exclude, resourceTypes: ['seed'] });
  if (ids.length === 0) {
    reporter.info('No seeds in the selection: put CSV files under the seed paths (seeds/ by default)');
    return 0;
  }
  reporter.info(`Found ${ids.length} seed${ids.length === 1 ? '' : 's'} on ${c.target.type} (target ${c.target.name})`);
  return runCommand(c, reporter, {
    command: 'seed',
    select: a.select,
    exclude: a.exclude,
    threads: a.threads,
    fullRefresh: a.fullRefresh,
    waitForLock: a.waitForLock,
    resourceTypes: ['seed'],
    args: { command: 'seed', select: a.select, exclude: a.exclude },
  });
}

export const seedCliCommand = defineCommand<SelectArgs & ThreadsArgs & { 'full-refresh': boolean; 'wait-for-lock': boolean }>({
  names: ['seed'],
  describe: 'load the selected seeds (CSV files under seeds/) into tables',
  options: (y) => waitForLockOption(threadsOption(selectOptions(y))).option('full-refresh', { type: 'boolean', default: false, describe: 'drop and recreate the seed tables (needed when their columns change)' }),
  run: async (a, ctx) => {
    const c = await compileFor(a, ctx);
    writeCompiled(c);
    return seedCommand(c, ctx.reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), threads: a.threads, fullRefresh: a['full-refresh'], waitForLock: a['wait-for-lock'] });
  },
});
