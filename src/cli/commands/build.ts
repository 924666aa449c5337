import { BUILD_RESOURCE_TYPES, describeSelection, RESOURCE_TYPES, selectForRun, UsageError, VERSION, writeCompiled, type Compiled, type IndirectSelection } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, indirectOption, selectOptions, splitSelectors, threadsOption, waitForLockOption, type SelectArgs, type ThreadsArgs } from '../options.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../run-command.js';

export interface BuildArgs {
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  resourceTypes?: string[] | undefined;
  indirectSelection?: IndirectSelection | undefined;
  threads?: number | undefined;
  fullRefresh?: boolean | undefined;
  waitForLock?: boolean | undefined;
}

/**
 * sparkify build: sources, models, snapshots and tests of the selection in DAG order. A node's
 * tests run right after it; a failing test (severity error) skips the node's descendants.
 */
export async function buildCommand(c: Compiled, reporter: Reporter, a: BuildArgs): Promise<number> {
  const types = a.resourceTypes?.length ? a.resourceTypes : BUILD_RESOURCE_TYPES;
  for (const t of types) {
    if (!(RESOURCE_TYPES as readonly string[]).includes(t)) throw new UsageError(`unknown resource type '${t}'`, { hint: `resource types: ${RESOURCE_TYPES.join(', ')}` });
  }
  const ids = selectForRun(c.manifest, { select: a.select, exclude: a.exclude, resourceTypes: types, indirectSelection: a.indirectSelection });
  reporter.info(`Found ${describeSelection(c.manifest, ids)} to build on ${c.target.type} (target ${c.target.name})`);
  if (ids.length === 0) {
    reporter.info('Nothing to build: the selection has no nodes of these types');
    return 0;
  }
  return runCommand(c, reporter, {
    command: 'build',
    select: a.select,
    exclude: a.exclude,
    threads: a.threads,
    fullRefresh: a.fullRefresh,
    waitForLock: a.waitForLock,
    resourceTypes: types,
    indirectSelection: a.indirectSelection,
    testsGateChildren: true,
    args: { command: 'build', select: a.select, exclude: a.exclude, resource_types: types, indirect_selection: a.indirectSelection },
  });
}

export const buildCliCommand = defineCommand<SelectArgs & ThreadsArgs & { 'indirect-selection': IndirectSelection; 'resource-type'?: string[]; 'full-refresh': boolean; 'wait-for-lock': boolean }>({
  names: ['build'],
  describe: 'load the seeds and sources, build the models, run the snapshots and the tests, in DAG order',
  options: (y) =>
    waitForLockOption(indirectOption(threadsOption(selectOptions(y))))
      .option('resource-type', { type: 'array', string: true, describe: 'only these node types: seed, source, model, snapshot, test' })
      .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' }),
  run: async (a, ctx) => {
    const c = await compileFor(a, ctx);
    writeCompiled(c);
    ctx.reporter.info(`Running with sparkify ${VERSION} on ${c.target.type} (target ${c.target.name})`);
    return buildCommand(c, ctx.reporter, {
      select: splitSelectors(a.select),
      exclude: splitSelectors(a.exclude),
      resourceTypes: a['resource-type']?.map(String),
      indirectSelection: a['indirect-selection'],
      threads: a.threads,
      fullRefresh: a['full-refresh'],
      waitForLock: a['wait-for-lock'],
    });
  },
});
