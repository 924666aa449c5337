import path from 'node:path';
import yargs, { type Argv } from 'yargs';
import { BUILD_RESOURCE_TYPES, RUN_RESOURCE_TYPES, compile, compiledPathOf, resolveProjectTarget, writeCompiled, writeCompiledInBackground, writeRunPlan, type Compiled, type ProjectOptions } from '../api.js';
import { openEngine } from '../adapters/create-engine.js';
import { describeTarget } from '../config/load-config.js';
import { compileInline } from '../compile/compile-project.js';
import { SparkifyError, UsageError } from '../errors.js';
import { generateData } from '../generate/generate-data.js';
import { selectNodes } from '../graph/select-nodes.js';
import { loadProject } from '../project/load-project.js';
import { buildCommand } from './commands/build.js';
import { snapshotCommand } from './commands/snapshot.js';
import { testCommand } from './commands/test.js';
import { INDIRECT_SELECTION_MODES, type IndirectSelection } from '../graph/select-tests.js';
import { parse as parseYaml } from 'yaml';
import { Reporter, type LogFormat } from './reporter.js';
import { readLastRun, runCommand } from './run-command.js';

export const VERSION = '0.1.0';

interface CommonArgs {
  select?: string[];
  exclude?: string[];
  target?: string;
  config?: string;
  'project-dir': string;
  vars?: string;
  threads?: number;
  'log-format': LogFormat;
}

function parseVars(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = parseYaml(text);
  } catch (e) {
    throw new UsageError(`--vars is not valid JSON or YAML: ${(e as Error).message.split('\n')[0]}`, { hint: `e.g. --vars '{"start_date": "2018-11-01"}'` });
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new UsageError('--vars must be a JSON or YAML mapping', { hint: `e.g. --vars '{"start_date": "2018-11-01"}'` });
  return v as Record<string, unknown>;
}

function projectOptions(a: CommonArgs, env: Record<string, string | undefined>): ProjectOptions {
  return {
    projectDir: path.resolve(a['project-dir']),
    configPath: a.config === undefined ? undefined : path.resolve(a.config),
    targetName: a.target,
    vars: parseVars(a.vars),
    env,
  };
}

function splitSelectors(v: string[] | undefined): string[] | undefined {
  return v === undefined || v.length === 0 ? undefined : v.map(String);
}

function commonOptions<T>(y: Argv<T>) {
  return y
    .option('select', { alias: ['s', 'm', 'models', 'model'], type: 'array', string: true, describe: 'nodes to include (dbt selector grammar; repeat or space-separate for union); -m, --models and --model are aliases, as in dbt' })
    .option('exclude', { type: 'array', string: true, describe: 'nodes to leave out (same grammar)' })
    .option('target', { alias: 't', type: 'string', describe: 'engine to use: duckdb, postgres or redshift' })
    .option('config', { type: 'string', describe: 'config file (default: ./dwh.cfg in the project, if present)' })
    .option('project-dir', { type: 'string', default: '.', describe: 'folder holding models/ and sources.yml' })
    .option('vars', { type: 'string', describe: "variables for var(), as JSON or YAML: '{\"k\": \"v\"}'" })
    .option('threads', { type: 'number', describe: 'nodes built at once (default 4, or [SPARKIFY] THREADS)' })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'json prints one JSON event per line' });
}

function indirectOption<T>(y: Argv<T>) {
  return y.option('indirect-selection', { choices: INDIRECT_SELECTION_MODES, default: 'eager' as IndirectSelection, describe: 'which tests selecting a node selects: eager (any test on it), cautious (only tests of selected nodes only), buildable, empty' });
}

export async function main(argv: string[], env: Record<string, string | undefined> = process.env): Promise<number> {
  let exitCode = 0;
  const jsonLogs = argv.includes('--log-format=json') || argv.join(' ').includes('--log-format json');
  const reporter = new Reporter(jsonLogs ? 'json' : 'text');
  const fail = (err: unknown) => {
    reporter.error(err);
    exitCode = err instanceof SparkifyError ? err.exitCode : 2;
  };
  const guard = <A,>(fn: (a: A) => Promise<number> | number) => async (a: unknown) => {
    try {
      exitCode = await fn(a as A);
    } catch (err) {
      fail(err);
    }
  };

  const compileFor = (a: CommonArgs, write = true): Compiled => {
    const opts = projectOptions(a, env);
    const target = resolveProjectTarget(opts);
    reporter.setSecrets(target.secrets);
    const c = compile(opts, target);
    if (write) writeCompiled(c);
    return c;
  };

  const parser = yargs(argv)
    .scriptName('sparkify')
    .usage('$0 <command> [options]\n\nBuilds the Sparkify data warehouse from SQL models, the dbt way.')
    .command(
      'run',
      'load the sources and build the selected models',
      (y: Argv) =>
        commonOptions(y)
          .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' })
          .option('watch', { type: 'boolean', default: false, describe: 'rebuild changed models and their children on save' })
          .option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
      guard(async (a: CommonArgs & { 'full-refresh': boolean; watch: boolean; 'wait-for-lock': boolean }) => {
        if (a.watch) {
          const { watchProject } = await import('./watch.js');
          return watchProject({
            project: projectOptions(a, env),
            select: splitSelectors(a.select),
            exclude: splitSelectors(a.exclude),
            threads: a.threads,
            fullRefresh: a['full-refresh'],
            reporter,
          });
        }
        const c = compileFor(a);
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
      }),
    )
    .command(
      'retry',
      're-run only the nodes that failed or were skipped in the last run (target/run_results.json)',
      (y: Argv) =>
        commonOptions(y)
          .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' })
          .option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
      guard(async (a: CommonArgs & { 'full-refresh': boolean; 'wait-for-lock': boolean }) => {
        if (a.select !== undefined || a.exclude !== undefined) throw new UsageError('retry re-runs what the last run left undone; it takes no --select or --exclude', { hint: 'use sparkify run --select ... to choose nodes' });
        const last = readLastRun(path.resolve(a['project-dir']));
        if (last.retry.length === 0) {
          reporter.info(`Nothing to retry: every node of the last run${last.generatedAt ? ` (${last.generatedAt})` : ''} succeeded`);
          return 0;
        }
        const c = compileFor({ ...a, target: a.target ?? last.target });
        const known = last.retry.filter((id) => c.manifest.nodes[id] !== undefined);
        const gone = last.retry.filter((id) => c.manifest.nodes[id] === undefined);
        if (gone.length > 0) reporter.info(`Not retried, no longer in the project: ${gone.join(', ')}`);
        reporter.info(`Retrying ${known.length} of ${last.total} nodes of the last run on ${c.target.type} (target ${c.target.name}): the ones that failed or were skipped`);
        if (known.length === 0) return 0;
        return runCommand(c, reporter, {
          command: 'retry',
          nodes: known,
          resourceTypes: BUILD_RESOURCE_TYPES,
          testsGateChildren: true,
          threads: a.threads,
          fullRefresh: a['full-refresh'],
          waitForLock: a['wait-for-lock'],
          args: { retry: true, nodes: known },
        });
      }),
    )
    .command(
      'test',
      'run the tests of the selected nodes: generic tests from yml, singular tests in tests/, unit tests',
      (y: Argv) => indirectOption(commonOptions(y)).option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
      guard(async (a: CommonArgs & { 'indirect-selection': IndirectSelection; 'wait-for-lock': boolean }) => {
        const c = compileFor(a);
        return testCommand(c, reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), indirectSelection: a['indirect-selection'], threads: a.threads, waitForLock: a['wait-for-lock'] });
      }),
    )
    .command(
      'build',
      'load the sources, build the models, run the snapshots and the tests, in DAG order',
      (y: Argv) =>
        indirectOption(commonOptions(y))
          .option('resource-type', { type: 'array', string: true, describe: 'only these node types: source, model, snapshot, test' })
          .option('full-refresh', { type: 'boolean', default: false, describe: 'rebuild incremental models from scratch' })
          .option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
      guard(async (a: CommonArgs & { 'indirect-selection': IndirectSelection; 'resource-type'?: string[]; 'full-refresh': boolean; 'wait-for-lock': boolean }) => {
        const c = compileFor(a);
        reporter.info(`Running with sparkify ${VERSION} on ${c.target.type} (target ${c.target.name})`);
        return buildCommand(c, reporter, {
          select: splitSelectors(a.select),
          exclude: splitSelectors(a.exclude),
          resourceTypes: a['resource-type']?.map(String),
          indirectSelection: a['indirect-selection'],
          threads: a.threads,
          fullRefresh: a['full-refresh'],
          waitForLock: a['wait-for-lock'],
        });
      }),
    )
    .command(
      'snapshot',
      'run the selected snapshots (type 2 history of a query, in snapshots/)',
      (y: Argv) => commonOptions(y).option('wait-for-lock', { type: 'boolean', default: false, describe: 'wait for a run that holds the target instead of failing' }),
      guard(async (a: CommonArgs & { 'wait-for-lock': boolean }) => {
        const c = compileFor(a);
        return snapshotCommand(c, reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude), threads: a.threads, waitForLock: a['wait-for-lock'] });
      }),
    )
    .command(
      'compile',
      'render every model to target/compiled without touching a database',
      (y: Argv) => commonOptions(y),
      guard(async (a: CommonArgs) => {
        const c = compileFor(a, false);
        // the compiled files are written by a worker meanwhile; the command ends when they are
        const written = writeCompiledInBackground(c);
        let ids: string[];
        try {
          ids = selectNodes(c.manifest, splitSelectors(a.select), splitSelectors(a.exclude), { onWarning: (m) => reporter.warn(m) });
          const lines: string[] = [];
          for (const id of ids) {
            const n = c.manifest.nodes[id]!;
            if (n.resourceType === 'model' || n.resourceType === 'snapshot') lines.push(`compiled ${n.path} -> ${path.relative(c.manifest.projectDir, compiledPathOf(c.manifest, n))}`);
          }
          reporter.infoLines(lines);
          writeRunPlan(c, ids);
        } catch (err) {
          await written.catch(() => undefined);
          throw err;
        }
        await written;
        reporter.info('every statement of a run -> target/compiled/run_plan.sql');
        const runs = ids.filter((id) => RUN_RESOURCE_TYPES.includes(c.manifest.nodes[id]!.resourceType)).length;
        const snapshots = ids.filter((id) => c.manifest.nodes[id]!.resourceType === 'snapshot').length;
        const tests = ids.length - runs - snapshots;
        const more = snapshots + tests > 0 ? ` (and ${snapshots} snapshot${snapshots === 1 ? '' : 's'}, ${tests} test${tests === 1 ? '' : 's'})` : '';
        reporter.info(`Compiled ${runs} nodes for ${c.target.type}${more}; manifest at target/manifest.json`);
        return 0;
      }),
    )
    .command(
      ['ls', 'list'],
      'list the selected nodes in DAG order',
      (y: Argv) => commonOptions(y).option('output', { alias: 'o', choices: ['name', 'path', 'json'] as const, default: 'name' as const }),
      guard((a: CommonArgs & { output: 'name' | 'path' | 'json' }) => {
        const c = compileFor(a, false);
        const lines: string[] = [];
        for (const id of selectNodes(c.manifest, splitSelectors(a.select), splitSelectors(a.exclude), { onWarning: (m) => reporter.warn(m) })) {
          const n = c.manifest.nodes[id]!;
          const name = n.resourceType === 'source' ? `source:${n.sourceName}.${n.name}` : n.name;
          if (a.output === 'name') lines.push(name);
          else if (a.output === 'path') lines.push(n.path);
          else lines.push(JSON.stringify({ name, id: n.id, resource_type: n.resourceType, path: n.path, materialized: n.config.materialized, tags: n.config.tags, relation: `${n.relation.schema}.${n.relation.name}`, depends_on: n.dependsOn }));
        }
        reporter.printLines(lines);
        return 0;
      }),
    )
    .command(
      'show',
      'run a query or preview a model and print its rows',
      (y: Argv) =>
        commonOptions(y)
          .option('inline', { type: 'string', describe: 'SQL to run; may use ref() and source()' })
          .option('limit', { type: 'number', default: 10, describe: 'rows to print (-1 for all)' })
          .option('output', { alias: 'o', choices: ['table', 'json'] as const, default: 'table' as const }),
      guard(async (a: CommonArgs & { inline?: string; limit: number; output: 'table' | 'json' }) => {
        const opts = projectOptions(a, env);
        const c = compileFor(a);
        let sql: string;
        if (a.inline !== undefined) {
          sql = compileInline(loadProject(opts.projectDir), c.manifest, { target: c.target, dialect: c.dialect, env }, a.inline);
        } else {
          const ids = selectNodes(c.manifest, splitSelectors(a.select), undefined);
          if (!a.select || ids.length !== 1) throw new UsageError('show needs --inline "SQL" or a --select that names exactly one node', { hint: 'e.g. sparkify show --select songplays' });
          sql = `SELECT * FROM ${c.dialect.relation(c.manifest.nodes[ids[0]!]!.relation)}`;
        }
        const limited = a.limit >= 0 ? `SELECT * FROM (\n${sql.trim().replace(/;\s*$/, '')}\n) AS sparkify_show LIMIT ${Math.floor(a.limit)}` : sql;
        const engine = await openEngine(c.target, 1);
        try {
          const rows = await engine.withConnection((conn) => conn.query(limited));
          if (a.output === 'json') reporter.print(JSON.stringify(rows, null, 2));
          else reporter.print(formatTable(rows, (s) => reporter.mask(s)));
        } finally {
          await engine.close();
        }
        return 0;
      }),
    )
    .command(
      'debug',
      'check the config and the connection (passwords masked)',
      (y: Argv) => commonOptions(y),
      guard(async (a: CommonArgs) => {
        const opts = projectOptions(a, env);
        const target = resolveProjectTarget(opts);
        reporter.setSecrets(target.secrets);
        reporter.print(`sparkify ${VERSION}, node ${process.version}`);
        reporter.print(`config: ${target.configFile ?? '(none: built-in defaults, sample data)'}`);
        reporter.print(JSON.stringify(describeTarget(target), null, 2));
        const project = loadProject(opts.projectDir);
        reporter.print(`project: ${project.dir} (${project.models.length} models)`);
        try {
          const engine = await openEngine(target, 1);
          try {
            await engine.withConnection((c) => c.query('SELECT 1 AS ok'));
          } finally {
            await engine.close();
          }
          reporter.print('connection: OK');
          return 0;
        } catch (err) {
          reporter.print('connection: FAILED');
          throw err;
        }
      }),
    )
    .command(
      'generate',
      'write realistic Sparkify data in the S3 bucket layout',
      (y: Argv) =>
        y
          .option('out', { type: 'string', demandOption: true, describe: 'output folder' })
          .option('events', { type: 'number', default: 3000 })
          .option('songs', { type: 'number', default: 120 })
          .option('seed', { type: 'number', default: 42 })
          .option('match-rate', { type: 'number', default: 0.3, describe: 'share of plays that match a generated song' }),
      guard(async (a: { out: string; events: number; songs: number; seed: number; 'match-rate': number }) => {
        const t0 = performance.now();
        const r = await generateData({ outDir: path.resolve(a.out), events: a.events, songs: a.songs, seed: a.seed, matchRate: a['match-rate'] });
        reporter.info(`Wrote ${r.events} events in ${r.eventFiles} files and ${r.songs} songs (${r.artists} artists) to ${a.out} in ${((performance.now() - t0) / 1000).toFixed(2)}s`);
        reporter.info(`NextSong plays: ${r.nextSongEvents}, matching a song: ${r.matchedPlays}, users: ${r.users}`);
        return 0;
      }),
    )
    .demandCommand(1, 'name a command: run, build, test, snapshot, retry, compile, ls, show, debug, generate')
    .strict()
    .version(VERSION)
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((msg, err) => {
      if (err) throw err;
      throw new UsageError(msg, { hint: 'see sparkify --help' });
    });

  try {
    await parser.parseAsync();
  } catch (err) {
    fail(err);
  }
  return exitCode;
}

function formatTable(rows: Record<string, unknown>[], mask: (s: string) => string): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  // masked before cells are cut to width, so that no part of a secret is left
  const cell = (v: unknown) => mask(v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.min(40, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => clip(v, widths[i]!)).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(cols), sep, ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + `\n(${rows.length} rows)`;
}
