import { hostname } from 'node:os';
import type { Stats } from 'node:fs';
import path from 'node:path';
import { watch as watchPaths } from 'chokidar';
import { compileWithDatabase, resolveProjectTarget, runCompiled, selectForRun, writeCompiledFiles, writeManifest, type Compiled, type ProjectOptions } from '../api.js';
import type { Engine } from '../adapters/adapter.js';
import { openEngineForRun } from '../adapters/open-for-run.js';
import { Compiler } from '../compile/compiler.js';
import type { Target } from '../config/load-config.js';
import { ManifestText } from '../compile/manifest-text.js';
import { loadProject, projectSettings, reloadModels, type Project } from '../project/load-project.js';
import type { RunEvent } from '../runner/execute-plan.js';
import { planRebuild } from './plan-rebuild.js';
import { RebuildScheduler } from './rebuild-scheduler.js';
import type { RebuildStatus, WatchEvent } from './watch-event.js';
import { isWatchedPath } from './watched-path.js';

export interface WatchOptions extends ProjectOptions {
  select?: string[] | undefined;
  exclude?: string[] | undefined;
  threads?: number | undefined;
  /** applies to every rebuild of the session */
  fullRefresh?: boolean | undefined;
  /** how long the files must stay quiet before a burst of saves becomes one rebuild (default 100 ms) */
  quietMs?: number | undefined;
  /** the session's own events: rebuild_start, rebuild_plan, rebuild_end, watching, watch_end */
  onWatchEvent?: ((e: WatchEvent) => void) | undefined;
  /** the events of each rebuild's run (node_start, node_end, ...) */
  onRunEvent?: ((e: RunEvent) => void) | undefined;
  onInfo?: ((message: string) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** an error the session survives: a compile or connection error, a failed watcher */
  onError?: ((err: unknown) => void) | undefined;
  /** told of the target's secrets each time it is resolved, before anything about it is reported */
  onSecrets?: ((secrets: string[]) => void) | undefined;
}

type FileEvent = { kind: 'initial' } | { kind: 'add' | 'change' | 'unlink' | 'unlinkDir'; file: string };

/**
 * `sparkify run --watch` as library code: one run of the selection, then a rebuild of what changed
 * on every save, until stop(). The session holds the target's run lock from its first connect to
 * its end, so another run cannot interleave with a rebuild. It owns a Compiler, so each save
 * re-renders only what changed. Signals and the terminal are the caller's: the CLI calls stop() on
 * Ctrl-C.
 */
export class WatchSession {
  /** settles with the exit code when the session has ended: 0, or 130 when stop() interrupted a rebuild */
  readonly done: Promise<number>;
  /** settles when the files have been scanned and the first build is scheduled */
  readonly ready: Promise<void>;

  private readonly projectDir: string;
  private readonly configFile: string;
  private readonly compiler = new Compiler();
  private readonly manifestText = new ManifestText();
  /** the project as last read: a save of model files reads only those again */
  private project: Project | undefined;
  private readonly scheduler: RebuildScheduler<FileEvent>;
  private readonly watcher: ReturnType<typeof watchPaths>;
  private readonly files = new Set<string>();
  private target: Target | undefined;
  private engine: Engine | undefined;
  /** the last compile whose build ran: what the database holds */
  private built: Compiled | undefined;
  private readonly stale = new Set<string>();
  private needConnect = true;
  private needFull = true;
  private rebuildCount = 0;
  private rebuilding = false;
  private controller: AbortController | undefined;
  private stopping: Promise<number> | undefined;
  private exitCode = 0;
  private resolveDone: (code: number) => void = () => undefined;

  constructor(private readonly opts: WatchOptions) {
    this.projectDir = path.resolve(opts.projectDir);
    this.configFile = path.resolve(this.projectDir, opts.configPath ?? 'dwh.cfg');
    this.done = new Promise<number>((resolve) => (this.resolveDone = resolve));
    this.scheduler = new RebuildScheduler<FileEvent>((batch) => this.rebuild(batch), opts.quietMs ?? 100, (err) => this.opts.onError?.(err));
    const { watcher, ready } = this.watchFiles();
    this.watcher = watcher;
    this.emit({ type: 'watch_start', projectDir: this.projectDir, select: opts.select, exclude: opts.exclude });
    this.ready = ready.then(() => {
      if (!this.stopping) this.scheduler.notify({ kind: 'initial' }, 0);
    });
  }

  /** true while a rebuild runs (until its rebuild_end and the `watching` that follows) */
  get busy(): boolean {
    return this.rebuilding;
  }

  /**
   * Ends the session: a running rebuild is cancelled (its queries too), the watcher and the
   * connections are closed. Resolves with the exit code, as `done` does.
   */
  stop(): Promise<number> {
    if (this.stopping) return this.stopping;
    let recancel: ReturnType<typeof setInterval> | undefined;
    if (this.rebuilding) {
      this.exitCode = 130;
      this.opts.onInfo?.('Interrupted: cancelling the running rebuild (press Ctrl-C again to force)');
      // a cancel that lands between two statements of a node is lost (the next statement starts
      // fresh), so keep cancelling until the rebuild has stopped
      recancel = setInterval(() => void this.engine?.cancel().catch(() => undefined), 100);
    }
    this.controller?.abort();
    this.stopping = this.shutdown()
      .catch((err: unknown) => {
        this.opts.onError?.(err);
        this.exitCode ||= 1;
      })
      .finally(() => clearInterval(recancel))
      .then(() => {
        this.emit({ type: 'watch_end', exitCode: this.exitCode });
        this.resolveDone(this.exitCode);
        return this.exitCode;
      });
    return this.stopping;
  }

  private emit(e: WatchEvent): void {
    this.opts.onWatchEvent?.(e);
  }

  private async shutdown(): Promise<void> {
    await this.scheduler.stop();
    await this.watcher.close();
    await this.closeEngine();
  }

  private async closeEngine(): Promise<void> {
    const e = this.engine;
    this.engine = undefined;
    await e?.close();
  }

  private relative(f: string): string {
    return path.relative(this.projectDir, f).split(path.sep).join('/');
  }

  private async connect(): Promise<Engine> {
    const next = resolveProjectTarget(this.opts);
    this.opts.onSecrets?.(next.secrets);
    await this.closeEngine();
    this.target = next;
    // the run lock, as a run takes it: held until the session ends
    this.engine = await openEngineForRun(next, this.opts.threads ?? next.threads ?? 4, {
      holder: { pid: process.pid, host: hostname(), command: 'run --watch' },
      engines: this.opts.engines,
    });
    this.needConnect = false;
    this.opts.onInfo?.(`Connected to ${next.type} (target ${next.name}, schema ${next.schema})`);
    return this.engine;
  }

  private async rebuild(batch: FileEvent[]): Promise<void> {
    const { opts } = this;
    const rebuildNo = ++this.rebuildCount;
    this.rebuilding = true;
    const t0 = performance.now();
    const touched = [...new Set(batch.flatMap((e) => (e.kind === 'initial' ? [] : [e.file])))];
    const configChanged = touched.includes(this.configFile);
    if (configChanged) this.needConnect = this.needFull = true;
    const reason = batch.some((e) => e.kind === 'initial') ? 'initial' : configChanged ? 'config' : 'change';
    this.emit({ type: 'rebuild_start', rebuild: rebuildNo, reason, files: touched.map((f) => this.relative(f)) });
    const end = (status: RebuildStatus, nodes: string[] = [], failed: string[] = []) =>
      this.emit({ type: 'rebuild_end', rebuild: rebuildNo, status, nodes, failed, elapsed: (performance.now() - t0) / 1000 });
    try {
      const engine = this.needConnect || !this.target || !this.engine ? await this.connect() : this.engine;
      const log = (m: string, level: 'info' | 'debug' | 'warn') => (level === 'info' ? opts.onInfo?.(m) : level === 'warn' ? opts.onWarning?.(m) : undefined);
      // the files the watcher reported, read again; anything but a changed model reads the project again
      const project = (this.project && batch.every((e) => e.kind === 'change') && reloadModels(this.project, touched)) || loadProject(this.projectDir);
      this.project = project;
      const c = await compileWithDatabase({ ...opts, project, compiler: this.compiler, onLog: log }, this.target, engine);
      // only the compiled files of the nodes this compile made anew (a partial compile keeps the others)
      const previous = this.built?.manifest.nodes;
      const renewed = previous ? Object.keys(c.manifest.nodes).filter((id) => c.manifest.nodes[id] !== previous[id]) : undefined;
      const written = writeCompiledFiles(c, renewed);
      // awaited below; a write error must not count as unhandled while the build runs
      written.catch(() => undefined);
      // the manifest is written once the build is done, before rebuild_end: 10k nodes are megabytes of JSON
      let manifestWritten = false;
      const writeArtifacts = async () => {
        if (manifestWritten) return;
        manifestWritten = true;
        await written;
        writeManifest(c, this.manifestText);
      };
      try {
        // run --watch builds what run builds: sources and models, not tests or snapshots
        const selected = selectForRun(c.manifest, { select: opts.select, exclude: opts.exclude, onWarning: (m) => opts.onWarning?.(m) });
        const plan = planRebuild({ previous: this.built?.manifest, next: c.manifest, selected, stale: this.stale, touchedFiles: touched, full: this.needFull });
        this.emit({
          type: 'rebuild_plan',
          rebuild: rebuildNo,
          changed: plan.changed,
          nodes: plan.nodes,
          deleted: plan.deleted.map((n) => ({ id: n.id, relation: `${n.relation.schema}.${n.relation.name}` })),
        });
        for (const n of plan.deleted) this.stale.delete(n.id);
        if (plan.nodes.length === 0) {
          this.built = c;
          this.needFull = false;
          await writeArtifacts();
          end('nothing');
          return;
        }
        if (this.stopping) {
          await writeArtifacts();
          end('interrupted', plan.nodes);
          return;
        }
        this.controller = new AbortController();
        const { result } = await runCompiled(c, engine, {
          nodes: plan.nodes,
          threads: opts.threads,
          fullRefresh: opts.fullRefresh,
          signal: this.controller.signal,
          onEvent: (e) => opts.onRunEvent?.(e),
          resultsArgs: { select: opts.select, exclude: opts.exclude, watch: true, nodes: plan.nodes },
        });
        this.built = c;
        this.needFull = false;
        for (const id of plan.nodes) this.stale.delete(id);
        for (const r of result.results) if (r.status !== 'success') this.stale.add(r.id);
        const failed = result.results.filter((r) => r.status === 'error').map((r) => r.id);
        await writeArtifacts();
        end(result.interrupted ? 'interrupted' : failed.length > 0 ? 'failed' : 'success', plan.nodes, failed);
      } finally {
        // the files are written even when the build fails; a write error is reported as the rebuild's
        await writeArtifacts();
      }
    } catch (err) {
      // a failed connect is retried on the next save
      if (!this.engine) this.needConnect = true;
      opts.onError?.(err);
      end(this.stopping ? 'interrupted' : 'error');
    } finally {
      this.controller = undefined;
      this.rebuilding = false;
      if (!this.stopping) this.emit({ type: 'watching', files: this.files.size });
    }
  }

  /**
   * Follows the project's models, macros, YAML files and config file with chokidar. Reports each
   * change after the initial scan; `files` holds the paths being followed.
   */
  private watchFiles() {
    const { projectDir, configFile, files } = this;
    // the folders of the project file as it is when watching starts (a change to it rebuilds, and a new model-paths needs a restart)
    const folders = projectSettings(projectDir);
    const followed = (p: string, isDirectory: boolean | undefined) => {
      if (p === configFile || p === projectDir) return true;
      const rel = this.relative(p);
      return !rel.startsWith('../') && isWatchedPath(rel, isDirectory, folders);
    };
    let scanned = false;
    const inProject = configFile.startsWith(projectDir + path.sep);
    const watcher = watchPaths(inProject ? projectDir : [projectDir, configFile], {
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
      if (scanned) this.scheduler.notify({ kind: event, file: p });
    });
    watcher.on('error', (err) => this.opts.onError?.(err));
    const ready = new Promise<void>((resolve) =>
      watcher.once('ready', () => {
        scanned = true;
        resolve();
      }),
    );
    return { watcher, ready };
  }
}

/** Starts a watch session (see WatchSession). */
export function watch(opts: WatchOptions): WatchSession {
  return new WatchSession(opts);
}
