import path from 'node:path';
import { cleanProject } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import type { GlobalArgs } from '../options.js';

export const cleanCliCommand = defineCommand<GlobalArgs>({
  names: ['clean'],
  describe: "delete the project file's clean-targets (default: the target-path, target/); never a folder outside the project",
  options: (y) => y,
  run: (a, ctx) => {
    const { reporter } = ctx;
    const out = cleanProject(path.resolve(a['project-dir']));
    for (const rel of out.removed) reporter.info(`Deleted ${rel}/`);
    for (const rel of out.absent) reporter.info(`Nothing to delete at ${rel}/ (it does not exist)`);
    reporter.info(`Cleaned ${out.removed.length} folder${out.removed.length === 1 ? '' : 's'}`);
    return 0;
  },
});
