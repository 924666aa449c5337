import { VERSION, writeCompiled } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, projectOptions, selectOptions, splitSelectors, threadsOption, type SelectArgs, type ThreadsArgs } from '../options.js';
import { runCommand } from '../run-command.js';

type RunArgs = SelectArgs & ThreadsArgs & { 'full-refresh': boolean; watch: boolean; 'wait-for-lock': boolean };

export const runCliCommand = defineCommand<RunArgs>({
  names: ['run'],
  describe: 'load the selected sources and build the selected models in DAG order',
  options: (y) =>
    threadsOption(selectOptions(y))
      .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' })
      .option('watch', { type: 'boolean', default: false, describe: 'rebuild changed models and their children on save' })
      .option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
  run: async (a, ctx) => {
    const { reporter, env } = ctx;
    if (a.watch) {
      const { watchProject } = await import('../watch.js');
      return watchProject({
        ...projectOptions(a, env),
        select: splitSelectors(a.select),
        exclude: splitSelectors(a.exclude),
        threads: a.threads,
        fullRefresh: a['full-refresh'],
        reporter,
      });
    }
    const c = await compileFor(a, ctx);
    writeCompiled(c);
    const nodes = Object.values(c.manifest.nodes);
    reporter.info(`Running with sparkify ${VERSION} on ${c.target.type} (target ${c.target.name})`);
    reporter.info(`Found ${nodes.filter((n) => n.resourceType === 'model').length} models, ${nodes.filter((n) => n.resourceType === 'source').length} sources`);
    return runCommand(c, reporter, {
      command: 'run',
      select: splitSelectors(a.select),
      exclude: splitSelectors(a.exclude),
      threads: a.threads,
      fullRefresh: a['full-refresh'],
      waitForLock: a['wait-for-lock'],
      args: { select: a.select, exclude: a.exclude },
    });
  },
});
