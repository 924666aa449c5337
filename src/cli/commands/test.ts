import { selectForRun, writeCompiled, type Compiled, type IndirectSelection } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, indirectOption, selectOptions, splitSelectors, threadsOption, waitForLockOption, type SelectArgs, type ThreadsArgs } from '../options.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../run-command.js';

/** sparkify test: the data tests (generic, singular) and unit tests of the selection. */
export async function testCommand(c: Compiled, reporter: Reporter, a: { select?: string[] | undefined; exclude?: string[] | undefined; indirectSelection?: IndirectSelection | undefined; threads?: number | undefined; waitForLock?: boolean | undefined }): Promise<number> {
  const ids = selectForRun(c.manifest, { select: a.select, exclude: a.exclude, resourceTypes: ['test'], indirectSelection: a.indirectSelection });
  if (ids.length === 0) {
    reporter.info('No tests on the selected nodes: declare data_tests in a models/*.yml file, or write tests/*.sql');
    return 0;
  }
  reporter.info(`Found ${ids.length} test${ids.length === 1 ? '' : 's'} on ${c.target.type} (target ${c.target.name})`);
  return runCommand(c, reporter, {
    command: 'test',
    select: a.select,
    exclude: a.exclude,
    threads: a.threads,
    waitForLock: a.waitForLock,
    resourceTypes: ['test'],
    indirectSelection: a.indirectSelection,
    args: { command: 'test', select: a.select, exclude: a.exclude, indirect_selection: a.indirectSelection },
  });
}

export const testCliCommand = defineCommand<SelectArgs & ThreadsArgs & { 'indirect-selection': IndirectSelection; 'wait-for-lock': boolean }>({
  names: ['test'],
  describe: 'run the tests of the selected nodes: generic tests from yml, singular tests in tests/, unit tests',
  options: (y) => waitForLockOption(indirectOption(threadsOption(selectOptions(y)))),
  run: async (a, ctx) => {
    const c = await compileFor(a, ctx);
    writeCompiled(c);
    return testCommand(c, ctx.reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), indirectSelection: a['indirect-selection'], threads: a.threads, waitForLock: a['wait-for-lock'] });
  },
});
