import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Dialect, Engine } from './adapters/adapter.js';
import { createDialect } from './adapters/create-engine.js';
import type { EngineDefinition } from './adapters/engine-definition.js';
import { openEngineForRun } from './adapters/open-for-run.js';
import { openEngine } from './adapters/create-engine.js';
import { resolveTarget, type Target } from './config/load-config.js';
import { QueriesNeeded, compileProject, type CompileOptions } from './compile/compile-project.js';
import type { Compiler } from './compile/compiler.js';
import type { ManifestText } from './compile/manifest-text.js';
import { DatabaseError, SparkifyError } from './errors.js';
import type { QueryCache } from './template/dbt-context.js';
import type { Project } from './project/load-project.js';
import { writeFiles, writeFilesInWorker, type CompiledFile } from './compile/write-files.js';
import { secretMask } from './mask-secrets.js';
import { selectNodes } from './graph/select-nodes.js';
import { addIndirectTests, type IndirectSelection } from './graph/select-tests.js';
import { planRun, type Plan } from './materializations/plan-run.js';
import { renderPlan } from './materializations/render-plan.js';
import { loadProject } from './project/load-project.js';
import type { FreshnessResult } from './freshness/source-freshness.js';
import { executePlan, type RunEvent, type RunResult } from './runner/execute-plan.js';
import { RunResultsProgress, type RunProgress } from './runner/run-results-progress.js';
import { missingRelations, readLastRun, type LastRun } from './runner/last-run.js';
import type { Manifest, ModelNode } from './types.js';

export interface ProjectOptions {
  projectDir: string;
  configPath?: string | undefined;
  targetName?: string | undefined;
  vars?: Record<string, unknown> | undefined;
  env: Record<string, string | undefined>;
  /** resolve the target without needing to connect: missing credentials become placeholders (compile) */
  offline?: boolean | undefined;
  /** the engines a target may name (default: the built-in ones, src/adapters/engines.ts) */
  engines?: readonly EngineDefinition[] | undefined;
  /** the state kept between compiles of this project (pass the same one to compile again faster); a fresh one when not given */
  compiler?: Compiler | undefined;
}

export interface Compiled {
  manifest: Manifest;
  target: Target;
  dialect: Dialect;
}

export function resolveProjectTarget(opts: ProjectOptions): Target {
  return resolveTarget({ projectDir: path.resolve(opts.projectDir), configPath: opts.configPath, targetName: opts.targetName, env: opts.env, offline: opts.offline, engines: opts.engines });
}

/** load -> compile: reads the project and renders every model for the chosen target. */
export function compile(opts: ProjectOptions, target = resolveProjectTarget(opts)): Compiled {
  const project = loadProject(opts.projectDir);
  const dialect = createDialect(target, opts.engines);
  const manifest = compileProject(project, { target, dialect, vars: opts.vars, env: opts.env, compiler: opts.compiler });
  return { manifest, target, dialect };
}

/**
 * load -> compile, answering the queries templates send (run_query(), statement blocks,
 * adapter.get_relation(), ...) from the target: the compile is done again with the answers until it
 * sends none it has not had answered. The engine is opened only when a template queries (or `engine`,
 * an open one, is used), and closed before this returns.
 */
export async function compileWithDatabase(
  opts: ProjectOptions & { onLog?: CompileOptions['onLog']; project?: Project | undefined },
  target = resolveProjectTarget(opts),
  engine?: Engine,
): Promise<Compiled> {
  const project = opts.project ?? loadProject(opts.projectDir);
  const dialect = createDialect(target, opts.engines);
  const manifest = await compileAnswering(project, { target, dialect, vars: opts.vars, env: opts.env, onLog: opts.onLog, compiler: opts.compiler }, () => (engine ? Promise.resolve({ engine, close: false }) : openEngine(target, 1, { engines: opts.engines }).then((e) => ({ engine: e, close: true }))));
  return { manifest, target, dialect };
}

const MAX_QUERY_ROUNDS = 25;

async function compileAnswering(project: Project, opts: CompileOptions, open: () => Promise<{ engine: Engine; close: boolean }>): Promise<Manifest> {
  const queries: QueryCache = { answers: new Map(), pending: new Set() };
  let opened: { engine: Engine; close: boolean } | undefined;
  try {
    for (let round = 1; ; round++) {
      try {
        return compileProject(project, { ...opts, queries });
      } catch (e) {
        if (!(e instanceof QueriesNeeded)) throw e;
        if (round >= MAX_QUERY_ROUNDS) throw new SparkifyError(`the templates kept sending new queries after ${MAX_QUERY_ROUNDS} rounds of answers`, { hint: 'a query built from the answer of the one before, more than 25 deep, or a query whose text changes on every render (a timestamp in it)' });
        try {
          opened ??= await open();
        } catch (err) {
          throw new DatabaseError(`the templates query the warehouse (run_query(), a statement block, adapter.get_relation() ...), and it cannot be reached: ${err instanceof Error ? err.message : String(err)}`, { cause: err, hint: 'check the target\'s connection settings' });
        }
        const engine = opened.engine;
        await engine.withConnection(async (c) => {
          for (const sql of e.queries) {
            try {
              queries.answers.set(sql, { rows: await c.query(sql) });
            } catch (err) {
              queries.answers.set(sql, { error: err instanceof Error ? err.message : String(err) });
            }
          }
        });
        queries.pending.clear();
      }
    }
  } finally {
    if (opened?.close) await opened.engine.close();
  }
}

/** The folder the artifacts go to: the project file's target-path (default target/), under the project folder. */
export function artifactsDir(manifest: Pick<Manifest, 'projectDir' | 'targetPath'>): string {
  return path.join(manifest.projectDir, manifest.targetPath ?? 'target');
}

export function compiledPathOf(manifest: Manifest, node: ModelNode): string {
  // a snapshot defined in yml has the path <file>.yml#<name>
  const rel = node.path.includes('#') ? `${node.path.replace('#', '/')}.sql` : node.path;
  return path.join(artifactsDir(manifest), 'compiled', rel);
}

/** Writes target/manifest.json and target/compiled/<path>.sql, with every secret masked. */
export function writeCompiled(c: Compiled): void {
  writeFiles(compiledFiles(c));
  writeManifest(c);
}

/**
 * writeCompiled, with the compiled files written by a worker thread while the caller goes on (the
 * manifest is written before it returns). Creating 10k files takes the kernel a few hundred
 * milliseconds, which the compile command spends planning target/compiled/run_plan.sql instead.
 * The promise settles when every file is written, with the first write error if any. With `only`
 * (node ids), only those models' files are written.
 */
export async function writeCompiledInBackground(c: Compiled, only?: string[]): Promise<void> {
  const written = writeFilesInWorker(compiledFiles(c, only));
  try {
    writeManifest(c);
  } catch (err) {
    await written.catch(() => undefined);
    throw err;
  }
  return written;
}

/** The compiled file of every model, or of the models among `only` (node ids). */
function compiledFiles(c: Compiled, only?: string[]): CompiledFile[] {
  const files: CompiledFile[] = [];
  const mask = secretMask(c.target.secrets);
  const nodes = only === undefined ? Object.values(c.manifest.nodes) : only.map((id) => c.manifest.nodes[id]!);
  for (const node of nodes) {
    if (node.resourceType !== 'model' && node.resourceType !== 'snapshot') continue;
    files.push({ file: compiledPathOf(c.manifest, node), text: mask(node.compiledSql.trim() + '\n') });
  }
  return files;
}

/** Writes target/manifest.json, with every secret masked; with `text`, from the node texts it kept (a watch session's). */
export function writeManifest(c: Compiled, text?: ManifestText): void {
  const dir = artifactsDir(c.manifest);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), text ? text.text(c.manifest, c.target.secrets) : secretMask(c.target.secrets)(JSON.stringify(c.manifest)));
}

/** Writes target/compiled/<path>.sql of every model, or of the models among `only` (node ids); on a worker thread when there are many. */
export function writeCompiledFiles(c: Compiled, only?: string[]): Promise<void> {
  return writeFilesInWorker(compiledFiles(c, only));
}

/**
 * Writes target/compiled/run_plan.sql: every statement a run of the selected nodes sends (COPY
 * included), planned offline as a rebuild of a warehouse where every relation exists already (a
 * first build sends the same minus the renames and drops of the old relations). Returns the path.
 */
export function writeRunPlan(c: Compiled, selected: string[]): string {
  const existing = Object.values(c.manifest.nodes).map((n) => ({
    ...n.relation,
    type: n.resourceType === 'model' && n.config.materialized === 'view' ? ('view' as const) : ('table' as const),
  }));
  const runs = new Set(RUN_RESOURCE_TYPES);
  const plan = planRun(c.manifest, selected.filter((id) => runs.has(c.manifest.nodes[id]?.resourceType ?? '')), existing, c.dialect);
  const header = [
    `sparkify run plan for ${c.target.type} (target ${c.target.name}, schema ${c.target.schema}), written offline by sparkify compile`,
    'a rebuild of a warehouse whose relations exist already; a first build sends the same minus the renames and drops of old relations',
  ];
  const file = path.join(artifactsDir(c.manifest), 'compiled', 'run_plan.sql');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, secretMask(c.target.secrets)(renderPlan(plan, c.dialect, { header })));
  return file;
}

/** Writes target/sources.json (dbt's shape: metadata, results, elapsed_time), with every secret masked. */
export function writeFreshnessResults(c: Compiled, results: FreshnessResult[], elapsed: number): string {
  const dir = artifactsDir(c.manifest);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'sources.json');
  const doc = { metadata: { generated_at: new Date().toISOString(), target: c.manifest.target }, results, elapsed_time: elapsed };
  writeFileAtomic(file, secretMask(c.target.secrets)(JSON.stringify(doc, null, 2)));
  return file;
}

/**
 * Writes target/run_results.json atomically (a temporary file renamed over it), so a reader or a
 * crash never finds half a file. A run writes it as nodes finish (RunProgress, `complete: false`)
 * and once more when it ends.
 */
export function writeRunResults(c: Compiled, result: RunResult | RunProgress, args: Record<string, unknown>): void {
  const dir = artifactsDir(c.manifest);
  mkdirSync(dir, { recursive: true });
  const doc = { generatedAt: new Date().toISOString(), target: c.manifest.target, args, ...result };
  writeFileAtomic(path.join(dir, 'run_results.json'), secretMask(c.target.secrets)(JSON.stringify(doc, null, 2)));
}

function writeFileAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** What `run` builds; `build` runs every resource type, `seed`, `test` and `snapshot` their own. */
export const RUN_RESOURCE_TYPES = ['model', 'source'];
export const BUILD_RESOURCE_TYPES = ['seed', 'source', 'model', 'snapshot', 'test'];

export interface RunOptions {
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  /** node ids chosen already (watch mode's rebuild set); when given, select and exclude are not evaluated */
  nodes?: string[] | undefined;
  threads?: number | undefined;
  fullRefresh?: boolean | undefined;
  onEvent?: ((e: RunEvent) => void) | undefined;
  /** warnings: a selection part that matches nothing, a data file skipped by a load */
  onWarning?: ((message: string) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** run(): wait for another run that holds the target instead of failing */
  waitForLock?: boolean | undefined;
  /** the node types to run (default: models and sources, as `sparkify run`) */
  resourceTypes?: string[] | undefined;
  /** which tests selecting a node selects (when tests are run): eager by default */
  indirectSelection?: IndirectSelection | undefined;
  /** build: the children of a tested node wait for its tests, and a failing test skips them */
  testsGateChildren?: boolean | undefined;
  /** emit node_progress events while sources load */
  progress?: boolean | undefined;
  /** write target/run_results.json as nodes finish and when the run ends, recording these arguments */
  resultsArgs?: Record<string, unknown> | undefined;
}

/** The nodes a command runs: the selection, its tests (indirect selection) when tests run, of the command's resource types. */
export function selectForRun(manifest: Manifest, opts: Pick<RunOptions, 'select' | 'exclude' | 'nodes' | 'resourceTypes' | 'indirectSelection' | 'onWarning'>): string[] {
  const types = opts.resourceTypes ?? RUN_RESOURCE_TYPES;
  let ids = opts.nodes ?? selectNodes(manifest, opts.select, opts.exclude, { onWarning: opts.onWarning });
  if (!opts.nodes && types.includes('test')) {
    ids = addIndirectTests(manifest, ids, opts.indirectSelection);
    if (opts.exclude?.length) {
      const kept = new Set(selectNodes(manifest, undefined, opts.exclude));
      ids = ids.filter((id) => kept.has(id));
    }
  }
  return ids.filter((id) => types.includes(manifest.nodes[id]?.resourceType ?? ''));
}

/** select -> plan -> execute against an open engine. */
export async function runCompiled(c: Compiled, engine: Engine, opts: RunOptions): Promise<{ plan: Plan; result: RunResult; selected: string[] }> {
  const selected = selectForRun(c.manifest, opts);
  const schemas = [...new Set(Object.values(c.manifest.nodes).map((n) => n.relation.schema))];
  const existing = await engine.listRelations(schemas);
  const plan = planRun(c.manifest, selected, existing, engine.dialect, { fullRefresh: opts.fullRefresh, testsGateChildren: opts.testsGateChildren });
  const runId = randomUUID();
  const args = opts.resultsArgs;
  const progress = args && new RunResultsProgress(plan, runId, (p) => writeRunResults(c, p, args));
  progress?.start();
  let result: RunResult;
  // incremental sources list their files when they run; the AWS SDK is loaded only then
  const hasLedgerLoad = plan.nodes.some((n) => n.steps.some((st) => st.kind === 'ledger-load'));
  const sourceFiles = hasLedgerLoad ? new (await import('./loaders/source-files.js')).SourceFiles(c.target.s3) : undefined;
  try {
    result = await executePlan(plan, c.manifest, engine, {
      sourceFiles,
      threads: opts.threads ?? c.target.threads ?? 4,
      onEvent: (e) => {
        progress?.onEvent(e);
        opts.onEvent?.(e);
      },
      signal: opts.signal,
      progress: opts.progress,
      compiledPath: (n) => path.relative(process.cwd(), compiledPathOf(c.manifest, n)),
      runId,
    });
  } catch (err) {
    progress?.abandon();
    throw err;
  } finally {
    await sourceFiles?.close();
  }
  progress?.finish(result);
  for (const r of result.results) for (const w of r.warnings ?? []) opts.onWarning?.(w);
  return { plan, result, selected };
}

export interface LockedRunOptions extends RunOptions {
  /** the command recorded as the run lock's holder (and in target/run_results.json's args when resultsArgs is not given) */
  command: string;
  /** nodes built before (retry: the last run's successes): those whose relations are missing now are built too */
  rebuildIfMissing?: string[] | undefined;
  /** what the run says as it goes: that it waits for the lock, which missing relations it rebuilds */
  onInfo?: ((message: string) => void) | undefined;
  engines?: readonly EngineDefinition[] | undefined;
}

export interface LockedRunResult {
  /** undefined when nodes were given and, with the missing relations, none was left to build */
  result: RunResult | undefined;
  /** the nodes run, when they were given (retry), with the rebuilt ones */
  nodes: string[] | undefined;
  /** rebuildIfMissing's nodes whose relations were missing, and so were built */
  rebuilt: string[];
}

/**
 * Takes the target's run lock (or waits for it with waitForLock), then select -> plan -> execute,
 * writing target/run_results.json as nodes finish. Every command that builds (run, build, seed,
 * snapshot, test, retry, and watch mode's first build) runs through here.
 */
export async function runLocked(c: Compiled, opts: LockedRunOptions): Promise<LockedRunResult> {
  // the run lock: a second run on the same target fails (or, with waitForLock, waits) instead of interleaving
  const engine = await openEngineForRun(c.target, opts.threads ?? c.target.threads ?? 4, {
    holder: { pid: process.pid, host: hostname(), command: opts.command },
    wait: opts.waitForLock,
    onWait: opts.onInfo,
    signal: opts.signal,
    engines: opts.engines,
  });
  try {
    let nodes = opts.nodes;
    let rebuilt: string[] = [];
    if (opts.rebuildIfMissing?.length) {
      // under the run lock, so what is missing cannot change before the run starts
      rebuilt = await missingRelations(c, engine, opts.rebuildIfMissing);
      if (rebuilt.length > 0) {
        opts.onInfo?.(`Rebuilding ${rebuilt.length} node${rebuilt.length === 1 ? '' : 's'} that the last run built but whose relations are missing: ${rebuilt.map((id) => c.manifest.nodes[id]!.name).join(', ')}`);
        nodes = [...(nodes ?? []), ...rebuilt];
      }
    }
    if (nodes?.length === 0) return { result: undefined, nodes, rebuilt };
    const args = opts.resultsArgs ?? { command: opts.command, select: opts.select, exclude: opts.exclude };
    const { result } = await runCompiled(c, engine, { ...opts, nodes, resultsArgs: nodes === opts.nodes ? args : { ...args, nodes } });
    return { result, nodes, rebuilt };
  } finally {
    await engine.close();
  }
}

/** The whole pipeline in one call: load, compile, select, plan, execute, and write the artifacts. */
export async function run(opts: ProjectOptions & RunOptions): Promise<{ compiled: Compiled; result: RunResult }> {
  const compiled = await compileWithDatabase(opts);
  writeCompiled(compiled);
  const { result } = await runLocked(compiled, { ...opts, command: 'run', resultsArgs: opts.resultsArgs ?? { select: opts.select, exclude: opts.exclude } });
  return { compiled, result: result! };
}

export interface RetryResult {
  compiled: Compiled;
  /** the nodes retried: the last run's failed, skipped and unfinished ones still in the project, and those whose relations it built and are missing now */
  nodes: string[];
  /** the last run's nodes that are no longer in the project */
  gone: string[];
  /** what the last run was: when, whether it completed, how many nodes it had */
  last: LastRun;
  /** undefined when there was nothing to retry */
  result: RunResult | undefined;
}

/**
 * `sparkify retry`: runs again what the last run (target/run_results.json) left undone: its failed,
 * skipped and (a run that crashed) unfinished nodes, plus the nodes it built whose relations are
 * missing now. Every resource type is retried, tests gating their children, as `build` runs them.
 */
export async function retry(
  opts: ProjectOptions & Omit<RunOptions, 'select' | 'exclude' | 'nodes' | 'resourceTypes' | 'resultsArgs'> & { onInfo?: ((message: string) => void) | undefined },
): Promise<RetryResult> {
  const last = readLastRun(path.resolve(opts.projectDir));
  const compiled = await compileWithDatabase({ ...opts, targetName: opts.targetName ?? last.target });
  writeCompiled(compiled);
  const known = last.retry.filter((id) => compiled.manifest.nodes[id] !== undefined);
  const gone = last.retry.filter((id) => compiled.manifest.nodes[id] === undefined);
  const { result, nodes } = await runLocked(compiled, {
    ...opts,
    command: 'retry',
    nodes: known,
    // what the last run built and is missing now (dropped since, or lost with a crashed run) is rebuilt too
    rebuildIfMissing: last.succeeded.filter((id) => compiled.manifest.nodes[id] !== undefined),
    resourceTypes: BUILD_RESOURCE_TYPES,
    testsGateChildren: opts.testsGateChildren ?? true,
    resultsArgs: { retry: true, nodes: known },
  });
  return { compiled, nodes: nodes ?? known, gone, last, result };
}
