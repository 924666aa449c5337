import path from 'node:path';
import { BUILD_RESOURCE_TYPES, readLastRun, UsageError, writeCompiled } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, targetOptions, threadsOption, type ProjectArgs, type ThreadsArgs } from '../options.js';
import { runCommand } from '../run-command.js';

type RetryArgs = ProjectArgs & ThreadsArgs & { 'full-refresh': boolean; 'wait-for-lock': boolean; select?: unknown; exclude?: unknown };

export const retryCliCommand = defineCommand<RetryArgs>({
  names: ['retry'],
  describe: 're-run only the nodes that failed or were skipped in the last run (target/run_results.json)',
  options: (y) =>
    threadsOption(targetOptions(y))
      .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' })
      .option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' })
      // not listed: retry chooses its own nodes, and says so when given a selection
      .option('select', { alias: 's', type: 'array', hidden: true })
      .option('exclude', { type: 'array', hidden: true }),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    if (a.select !== undefined || a.exclude !== undefined) throw new UsageError('retry re-runs what the last run left undone; it takes no --select or --exclude', { hint: 'use sparkify run --select ... to choose nodes' });
    const last = readLastRun(path.resolve(a['project-dir']));
    const c = await compileFor({ ...a, target: a.target ?? last.target }, ctx);
    writeCompiled(c);
    const known = last.retry.filter((id) => c.manifest.nodes[id] !== undefined);
    const gone = last.retry.filter((id) => c.manifest.nodes[id] === undefined);
    if (gone.length > 0) reporter.info(`Not retried, no longer in the project: ${gone.join(', ')}`);
    if (!last.complete) reporter.info(`The last run${last.generatedAt ? ` (${last.generatedAt})` : ''} did not complete (it crashed or was killed): its unfinished nodes are retried too`);
    if (known.length > 0) reporter.info(`Retrying ${known.length} of ${last.total} nodes of the last run on ${c.target.type} (target ${c.target.name}): the ones that failed, were skipped or did not finish`);
    return runCommand(c, reporter, {
      command: 'retry',
      nodes: known,
      // what the last run built and is missing now (dropped since, or lost with a crashed run) is rebuilt too
      rebuildIfMissing: last.succeeded.filter((id) => c.manifest.nodes[id] !== undefined),
      nothingToDo: `Nothing to retry: every node of the last run${last.generatedAt ? ` (${last.generatedAt})` : ''} succeeded and its relation exists`,
      resourceTypes: BUILD_RESOURCE_TYPES,
      testsGateChildren: true,
      threads: a.threads,
      fullRefresh: a['full-refresh'],
      waitForLock: a['wait-for-lock'],
      args: { retry: true, nodes: known },
    });
  },
});
