import path from 'node:path';
import { installPackages } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import type { GlobalArgs } from '../options.js';

export const depsCliCommand = defineCommand<GlobalArgs>({
  names: ['deps'],
  describe: 'install the local packages of packages.yml into dbt_packages/ (git and hub packages need a network)',
  options: (y) => y,
  run: (a, ctx) => {
    const { reporter } = ctx;
    const out = installPackages(path.resolve(a['project-dir']));
    for (const p of out.installed) reporter.info(`Installed ${p.name} from ${p.from} into ${out.installPath}/${p.name}`);
    let missing = 0;
    for (const { spec, alreadyInstalled } of out.needNetwork) {
      const what = spec.kind === 'hub' ? `the hub package ${spec.source}` : `the ${spec.kind} package ${spec.source}`;
      if (alreadyInstalled) reporter.warn(`${what} needs a network that sparkify deps cannot reach: kept the copy in ${out.installPath}/${spec.name}, not updated`);
      else {
        missing++;
        reporter.warn(`${what} needs a network that sparkify deps cannot reach: download it and put its folder in ${out.installPath}/${spec.name ?? '<its project name>'}`);
      }
    }
    if (out.installed.length === 0 && out.needNetwork.length === 0) reporter.info('No packages to install (no packages.yml or dependencies.yml, or it lists none)');
    return missing > 0 ? 1 : 0;
  },
});
