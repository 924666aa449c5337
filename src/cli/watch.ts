import { hostname } from 'node:os';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch } from 'chokidar';
import { compileWithDatabase, resolveProjectTarget, runCompiled, selectForRun, writeCompiled, type Compiled, type ProjectOptions } from '../api.js';
import type { Engine } from '../adapters/adapter.js';
import { openEngine } from '../adapters/create-engine.js';
import type { Target } from '../config/load-config.js';
import { planRebuild } from '../watch/plan-rebuild.js';
import { RebuildScheduler } from '../watch/rebuild-scheduler.js';
import { isWatchedPath } from '../watch/watched-path.js';
import { projectSettings } from '../project/load-project.js';
import type { Reporter } from './reporter.js';
import type { RebuildStatus } from './watch-event.js';

export interface WatchOptions {
  project: ProjectOptions;
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  threads?: number | undefined;
  /** applies to every rebuild of the session */
  fullRefresh: boolean;
  reporter: Reporter;
}

/** how long the files must stay quiet before a burst of saves becomes one rebuild, in ms */
const QUIET_MS = 100;

type FileEvent = { kind: 'initial' } | { kind: 'add' | 'change' | 'unlink' | 'unlinkDir'; file: string };

/**
 * `sparkify run --watch`: one run of the selection, then a rebuild of what changed on every save,
 * until Ctrl-C. Resolves with the exit code: 0, or 130 when Ctrl-C interrupted a rebuild.
 */
export async function watchProject(opts: WatchOptions): Promise<number> {
  const { reporter } = opts;
  const projectDir = path.resolve(opts.project.projectDir);
  const configFile = path.resolve(projectDir, opts.project.configPath ?? 'dwh.cfg');
  const relative = (f: string) => path.relative(projectDir, f).split(path.sep).join('/');

  let target: Target | undefined;
  let engine: Engine | undefined;
  /** the last compile whose build ran: what the database holds */
  let built: Compiled | undefined;
  const stale = new Set<string>();
  let needConnect = true;
  let needFull = true;
  let rebuildCount = 0;
  let controller: AbortController | undefined;
  let stopping = false;

  const closeEngine = async () => {
    const e = engine;
    engine = undefined;
    await e?.close();
  };

  const rebuild = async (batch: FileEvent[]) => {
    const rebuildNo = ++rebuildCount;
    const t0 = performance.now();
    const touched = [...new Set(batch.flatMap((e) => (e.kind === 'initial' ? [] : [e.file])))];
    const configChanged = touched.includes(configFile);
    if (configChanged) needConnect = needFull = true;
    const reason = batch.some((e) => e.kind === 'initial') ? 'initial' : configChanged ? 'config' : 'change';
    reporter.watch({ type: 'rebuild_start', rebuild: rebuildNo, reason, files: touched.map(relative) });
    const end = (status: RebuildStatus, nodes: string[] = [], failed: string[] = []) =>
      reporter.watch({ type: 'rebuild_end', rebuild: rebuildNo, status, nodes, failed, elapsed: (performance.now() - t0) / 1000 });
    try {
      if (needConnect || !target || !engine) {
        const next = resolveProjectTarget(opts.project);
        reporter.setSecrets(next.secrets);
        await closeEngine();
        target = next;
        const opened = await openEngine(target, opts.threads ?? target.threads ?? 4);
        try {
          // the session holds the target's run lock, so a `sparkify run` elsewhere cannot interleave with a rebuild
          await opened.lockForRun?.({ pid: process.pid, host: hostname(), command: 'run --watch' });
        } catch (err) {
          await opened.close().catch(() => undefined);
          throw err;
        }
        engine = opened;
        needConnect = false;
        reporter.info(`Connected to ${target.type} (target ${target.name}, schema ${target.schema})`);
      }
      const c = await compileWithDatabase({ ...opts.project, onLog: (m, level) => (level === 'info' ? reporter.info(m) : level === 'warn' ? reporter.warn(m) : undefined) }, target, engine);
      writeCompiled(c);
      // run --watch builds what run builds: sources and models, not tests or snapshots
      const selected = selectForRun(c.manifest, { select: opts.select, exclude: opts.exclude, onWarning: (m) => reporter.warn(m) });
      const plan = planRebuild({ previous: built?.manifest, next: c.manifest, selected, stale, touchedFiles: touched, full: needFull });
      reporter.watch({
        type: 'rebuild_plan',
        rebuild: rebuildNo,
        changed: plan.changed,
        nodes: plan.nodes,
        deleted: plan.deleted.map((n) => ({ id: n.id, relation: `${n.relation.schema}.${n.relation.name}` })),
      });
      for (const n of plan.deleted) stale.delete(n.id);
      if (plan.nodes.length === 0) {
        built = c;
        needFull = false;
        end('nothing');
        return;
      }
      if (stopping) {
        end('interrupted', plan.nodes);
        return;
      }
      controller = new AbortController();
      const { result } = await runCompiled(c, engine, {
        nodes: plan.nodes,
        threads: opts.threads,
        fullRefresh: opts.fullRefresh,
        signal: controller.signal,
        onEvent: (e) => reporter.event(e),
        resultsArgs: { select: opts.select, exclude: opts.exclude, watch: true, nodes: plan.nodes },
      });
      built = c;
      needFull = false;
      for (const id of plan.nodes) stale.delete(id);
      for (const r of result.results) if (r.status !== 'success') stale.add(r.id);
      const failed = result.results.filter((r) => r.status === 'error').map((r) => r.id);
      end(result.interrupted ? 'interrupted' : failed.length > 0 ? 'failed' : 'success', plan.nodes, failed);
    } catch (err) {
      // a failed connect is retried on the next save
      if (!engine) needConnect = true;
      reporter.error(err);
      end(stopping ? 'interrupted' : 'error');
    } finally {
      controller = undefined;
      if (!stopping) reporter.watch({ type: 'watching', files: files.size });
    }
  };

  const scheduler = new RebuildScheduler<FileEvent>(rebuild, QUIET_MS, (err) => reporter.error(err));
  const { watcher, files, ready } = watchFiles(projectDir, configFile, (e) => scheduler.notify(e), (err) => reporter.error(err));

  let exitCode = 0;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  const shutdown = async () => {
    await scheduler.stop();
    await watcher.close();
    await closeEngine();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    reporter.watch({ type: 'watch_end', exitCode });
    resolveExit(exitCode);
  };
  const onSignal = () => {
    if (stopping) process.exit(130);
    stopping = true;
    let recancel: ReturnType<typeof setInterval> | undefined;
    if (scheduler.busy) {
      exitCode = 130;
      reporter.info('Interrupted: cancelling the running rebuild (press Ctrl-C again to force)');
      // a cancel that lands between two statements of a node is lost (the next statement starts
      // fresh), so keep cancelling until the rebuild has stopped
      recancel = setInterval(() => void engine?.cancel().catch(() => undefined), 100);
    }
    controller?.abort();
    shutdown()
      .catch((err: unknown) => {
        reporter.error(err);
        resolveExit(exitCode || 1);
      })
      .finally(() => clearInterval(recancel));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  reporter.watch({ type: 'watch_start', projectDir, select: opts.select, exclude: opts.exclude });
  await Promise.race([ready, exited]);
  scheduler.notify({ kind: 'initial' }, 0);
  return exited;
}

/**
 * Follows the project's models, macros, YAML files and config file with chokidar. Reports each
 * change after the initial scan; `files` holds the paths being followed.
 */
function watchFiles(projectDir: string, configFile: string, onChange: (e: FileEvent) => void, onError: (err: unknown) => void) {
  // the folders of the project file as it is when watching starts (a change to it rebuilds, and a new model-paths needs a restart)
  const folders = projectSettings(projectDir);
  const relative = (f: string) => path.relative(projectDir, f).split(path.sep).join('/');
  const followed = (p: string, isDirectory: boolean | undefined) => {
    if (p === configFile || p === projectDir) return true;
    const rel = relative(p);
    return !rel.startsWith('../') && isWatchedPath(rel, isDirectory, folders);
  };
  const files = new Set<string>();
  let scanned = false;
  const inProject = configFile.startsWith(projectDir + path.sep);
  const watcher = watch(inProject ? projectDir : [projectDir, configFile], {
    ignoreInitial: false,
    ignored: (p: string, stats?: Stats) => !followed(p, stats?.isDirectory()),
  });
  watcher.on('all', (event, p) => {
    if (event === 'unlinkDir') {
      for (const f of files) if (f.startsWith(p + path.sep)) files.delete(f);
    } else if (event === 'add' || event === 'change' || event === 'unlink') {
      if (!followed(p, false)) return;
      if (event === 'add') files.add(p);
      if (event === 'unlink') files.delete(p);
    } else return;
    if (scanned) onChange({ kind: event, file: p });
  });
  watcher.on('error', onError);
  const ready = new Promise<void>((resolve) =>
    watcher.once('ready', () => {
      scanned = true;
      resolve();
    }),
  );
  return { watcher, files, ready };
}
