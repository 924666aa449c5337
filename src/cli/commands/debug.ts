import { compile, resolveProjectTarget } from '../../api.js';
import { readSourceFilesStatus, type SourceFilesStatus } from '../../debug/source-files-status.js';
import { formatError } from '../../errors.js';
import { displayPath } from '../../display-path.js';
import { describeNote, type ProjectNote } from '../../project/project-settings.js';
import { describeTarget } from '../../config/load-config.js';
import { checkConnection } from '../../debug/check-connection.js';
import { MIN_SECRET_LENGTH } from '../../mask-secrets.js';
import { loadProject } from '../../project/load-project.js';
import { defineCommand } from '../cli-command.js';
import { projectOptions, targetOptions, type ProjectArgs } from '../options.js';
import { VERSION } from '../version.js';

export const debugCliCommand = defineCommand<ProjectArgs>({
  names: ['debug'],
  describe: 'check the config and the connection (passwords masked; read-only: creates nothing)',
  options: (y) => targetOptions(y),
  run: async (a, ctx) => {
    const { reporter, env } = ctx;
    const opts = projectOptions(a, env);
    const target = resolveProjectTarget(opts);
    reporter.setSecrets(target.secrets);
    const project = loadProject(opts.projectDir);
    const json = reporter.format === 'json';
    const described = describeTarget(target);
    if (json) reporter.json({ level: 'info', event: 'debug_target', version: VERSION, node: process.version, config: target.configFile ?? null, target: described, project: project.dir, models: project.models.length });
    else {
      reporter.print(`sparkify ${VERSION}, node ${process.version}`);
      reporter.print(`config: ${target.configFile ?? '(none: built-in defaults, sample data)'}`);
      reporter.print(JSON.stringify(described, null, 2));
      reporter.print(`project: ${project.dir} (${project.models.length} models)`);
    }
    // every file and key sparkify reads and does not use, the quiet ones (profile:) too
    let notes: ProjectNote[];
    let compileProblem: string | undefined;
    let compiled: ReturnType<typeof compile> | undefined;
    try {
      compiled = compile(opts, target);
      notes = compiled.manifest.notes ?? [];
    } catch (err) {
      notes = project.notes ?? [];
      compileProblem = formatError(err).split('\n')[0];
    }
    const projectFile = project.settings.fileName ?? '(none: dbt defaults, project name sparkify)';
    if (json) reporter.json({ level: 'info', event: 'debug_project', projectFile, name: project.settings.name, notes, compileProblem: compileProblem ?? null });
    else {
      reporter.print(`project file: ${projectFile}, name ${project.settings.name}, model-paths ${project.settings.modelPaths.join(', ')}, seed-paths ${project.settings.seedPaths.join(', ')}`);
      if (compileProblem) reporter.print(`the project does not compile (sparkify compile shows every error): ${compileProblem}`);
      reporter.print(notes.length === 0 ? 'not used: nothing (sparkify uses every file and key of the project)' : `not used by sparkify (${notes.length}):`);
      for (const n of notes) reporter.print(`  ${describeNote(n, displayPath)}`);
    }
    for (const name of target.unmaskedSecrets ?? []) {
      reporter.warn(`${name} is shorter than ${MIN_SECRET_LENGTH} characters, so sparkify cannot mask it in its output and in target/; use a longer one`);
    }
    let relations: number;
    try {
      relations = (await checkConnection(target)).relations;
    } catch (err) {
      if (json) reporter.json({ level: 'error', event: 'debug_connection', ok: false });
      else reporter.print('connection: FAILED');
      throw err;
    }
    const schema = `schema ${target.schema}: ${relations === 0 ? 'empty or not created yet (sparkify run creates it)' : `${relations} relation${relations === 1 ? '' : 's'}`}`;
    if (json) reporter.json({ level: 'info', event: 'debug_connection', ok: true, schema: target.schema, relations });
    else {
      reporter.print('connection: OK');
      reporter.print(schema);
    }
    // incremental sources: files loaded (in the ledger) and pending (listed, not loaded yet)
    let status: SourceFilesStatus[] = [];
    try {
      // a project that does not compile was reported above; it has no sources to show
      if (compiled) status = await readSourceFilesStatus(target, compiled.manifest, Object.keys(compiled.manifest.nodes));
    } catch (err) {
      reporter.warn(`cannot show the incremental sources' files: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    }
    for (const s of status) {
      if (json) reporter.json({ level: 'info', event: 'debug_source_files', ...s });
      else reporter.print(`source ${s.source}: ${s.error ? `cannot list its files: ${s.error}` : `${s.loaded} file${s.loaded === 1 ? '' : 's'} loaded, ${s.pending} pending${s.changed ? `, ${s.changed} changed` : ''}${s.missing ? `, ${s.missing} missing` : ''}`}`);
    }
    return 0;
  },
});
