import { checkConnection, describeNote, displayPath, inspectProject, readSourceFilesStatus, resolveProjectTarget, VERSION, type SourceFilesStatus } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { projectOptions, targetOptions, type ProjectArgs } from '../options.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const debugCliCommand = defineCommand<ProjectArgs>({
  names: ['debug'],
  describe: 'check the config and the connection (passwords masked; read-only: creates nothing)',
  options: (y) => targetOptions(y),
  run: async (a, ctx) => {
    const { reporter, env } = ctx;
    const opts = projectOptions(a, env);
    const target = resolveProjectTarget(opts);
    reporter.setSecrets(target.secrets);
    const p = inspectProject(opts, target);
    const json = reporter.format === 'json';
    const projectFile = p.projectFile ?? '(none: dbt defaults, project name sparkify)';
    if (json) {
      reporter.json({ level: 'info', event: 'debug_target', version: VERSION, node: process.version, config: p.configFile ?? null, target: p.described, project: p.projectDir, models: p.models });
      reporter.json({ level: 'info', event: 'debug_project', projectFile, name: p.name, notes: p.notes, compileProblem: p.compileProblem ?? null });
    } else {
      reporter.print(`sparkify ${VERSION}, node ${process.version}`);
      reporter.print(`config: ${p.configFile ?? '(none: built-in defaults, sample data)'}`);
      reporter.print(JSON.stringify(p.described, null, 2));
      reporter.print(`project: ${p.projectDir} (${p.models} models)`);
      reporter.print(`project file: ${projectFile}, name ${p.name}, model-paths ${p.modelPaths.join(', ')}, seed-paths ${p.seedPaths.join(', ')}`);
      if (p.compileProblem) reporter.print(`the project does not compile (sparkify compile shows every error): ${p.compileProblem}`);
      reporter.print(p.notes.length === 0 ? 'not used: nothing (sparkify uses every file and key of the project)' : `not used by sparkify (${p.notes.length}):`);
      for (const n of p.notes) reporter.print(`  ${describeNote(n, displayPath)}`);
    }
    for (const name of p.shortSecrets) reporter.warn(`${name} is shorter than ${p.minSecretLength} characters, so sparkify cannot mask it in its output and in target/; use a longer one`);
    let relations: number;
    try {
      relations = (await checkConnection(target)).relations;
    } catch (err) {
      if (json) reporter.json({ level: 'error', event: 'debug_connection', ok: false });
      else reporter.print('connection: FAILED');
      throw err;
    }
    if (json) reporter.json({ level: 'info', event: 'debug_connection', ok: true, schema: target.schema, relations });
    else {
      reporter.print('connection: OK');
      reporter.print(`schema ${target.schema}: ${relations === 0 ? 'empty or not created yet (sparkify run creates it)' : plural(relations, 'relation')}`);
    }
    // incremental sources: files loaded (in the ledger) and pending (listed, not loaded yet); a project that does not compile has none to show
    let status: SourceFilesStatus[] = [];
    try {
      if (p.manifest) status = await readSourceFilesStatus(target, p.manifest, Object.keys(p.manifest.nodes));
    } catch (err) {
      reporter.warn(`cannot show the incremental sources' files: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    for (const s of status) {
      if (json) reporter.json({ level: 'info', event: 'debug_source_files', ...s });
      else reporter.print(`source ${s.source}: ${s.error ? `cannot list its files: ${s.error}` : `${plural(s.loaded, 'file')} loaded, ${s.pending} pending${s.changed ? `, ${s.changed} changed` : ''}${s.missing ? `, ${s.missing} missing` : ''}`}`);
    }
    return 0;
  },
});
