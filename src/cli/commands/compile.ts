import path from 'node:path';
import { PLACEHOLDER_IAM_ROLE, RUN_RESOURCE_TYPES, artifactsDir, compiledPathOf, selectNodes, writeCompiledInBackground, writeRunPlan } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, type SelectArgs } from '../options.js';

export const compileCliCommand = defineCommand<SelectArgs>({
  names: ['compile'],
  describe: 'render the selected models to target/compiled without touching a database (all models by default)',
  options: (y) => selectOptions(y),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    const c = await compileFor(a, ctx, { offline: true });
    const select = splitSelectors(a.select);
    const exclude = splitSelectors(a.exclude);
    const ids = selectNodes(c.manifest, select, exclude, { onWarning: (m) => reporter.warn(m) });
    const whole = select === undefined && exclude === undefined;
    // the compiled files are written by a worker meanwhile; the command ends when they are
    const written = writeCompiledInBackground(c, whole ? undefined : ids);
    let models = 0;
    try {
      const lines: string[] = [];
      for (const id of ids) {
        const n = c.manifest.nodes[id]!;
        if (n.resourceType !== 'model' && n.resourceType !== 'snapshot') continue;
        models++;
        lines.push(`compiled ${n.path} -> ${path.relative(c.manifest.projectDir, compiledPathOf(c.manifest, n))}`);
      }
      reporter.infoLines(lines);
      writeRunPlan(c, ids);
    } catch (err) {
      await written.catch(() => undefined);
      throw err;
    }
    await written;
    if (c.target.placeholders?.length) {
      const role = c.target.placeholders.includes('[IAM_ROLE] ARN') ? `; COPY statements name the placeholder role ${PLACEHOLDER_IAM_ROLE}` : '';
      reporter.info(`Offline: no connection is needed to write SQL, so ${c.target.placeholders.join(', ')} ${c.target.placeholders.length === 1 ? 'is' : 'are'} not set and stand as placeholders${role}. Fill them in ${c.target.configFile ?? 'dwh.cfg'} before sparkify run`);
    }
    const out = path.relative(c.manifest.projectDir, artifactsDir(c.manifest));
    reporter.info(`every statement of a run${whole ? '' : ' of the selection'} -> ${out}/compiled/run_plan.sql`);
    const runs = ids.filter((id) => RUN_RESOURCE_TYPES.includes(c.manifest.nodes[id]!.resourceType)).length;
    const snapshots = ids.filter((id) => c.manifest.nodes[id]!.resourceType === 'snapshot').length;
    const tests = ids.length - runs - snapshots;
    const more = snapshots + tests > 0 ? ` (and ${snapshots} snapshot${snapshots === 1 ? '' : 's'}, ${tests} test${tests === 1 ? '' : 's'})` : '';
    reporter.info(`Compiled ${runs} node${runs === 1 ? '' : 's'} for ${c.target.type}${more}: ${models} compiled file${models === 1 ? '' : 's'} written to ${out}/compiled; manifest of the whole project at ${out}/manifest.json`);
    return 0;
  },
});
