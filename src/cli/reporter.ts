import pc from 'picocolors';
import { formatError, formatLocation, secretMask, type NodeResult, type RunEvent, type RunResult, type WatchEvent } from '../index.js';

export type LogFormat = 'text' | 'json';

export interface TerminalOptions {
  /** colour on stdout / stderr (decided by the CLI from --no-color, NO_COLOR, FORCE_COLOR and isTTY) */
  colorOut?: boolean;
  colorErr?: boolean;
  /** stdout is a terminal: progress is one line redrawn in place */
  tty?: boolean;
  /** the clock, in ms; progress is redrawn at most once per PROGRESS_MS */
  now?: () => number;
}

/** progress lines and events: at most one per second (the first and the last of each task always) */
export const PROGRESS_MS = 1000;

/** One piece of long work going on (a load, generate): what a progress line shows. */
export interface Progress {
  /** "source:sparkify.staging_events", "generate" */
  task: string;
  done: number;
  total: number;
  /** "files", "events" */
  unit: string;
  rows: number;
  bytes: number;
  /** what the bytes are: "read" (default) or "written" */
  bytesAre?: 'read' | 'written';
  /** seconds since the task started */
  elapsed: number;
}

/** The only place that prints. Every line goes through the secret mask. */
export class Reporter {
  private masked: (text: string) => string;
  private readonly paint: ReturnType<typeof pc.createColors>;
  private readonly paintErr: ReturnType<typeof pc.createColors>;
  private readonly tty: boolean;
  private readonly now: () => number;
  /** a progress line is on screen (TTY): cleared before anything else prints */
  private progressShown = false;
  private readonly lastProgress = new Map<string, number>();
  /** tasks whose first report has been shown and whose last has not */
  private readonly progressTasks = new Set<string>();

  constructor(
    readonly format: LogFormat,
    secrets: string[] = [],
    private readonly rawOut: (s: string) => void = (s) => process.stdout.write(s),
    private readonly err: (s: string) => void = (s) => process.stderr.write(s),
    terminal: TerminalOptions = {},
  ) {
    this.paint = pc.createColors(terminal.colorOut ?? false);
    this.paintErr = pc.createColors(terminal.colorErr ?? false);
    this.tty = terminal.tty ?? false;
    this.now = terminal.now ?? (() => performance.now());
    this.masked = secretMask(secrets);
  }

  private out(s: string): void {
    if (this.progressShown) {
      this.rawOut('\r\x1b[2K');
      this.progressShown = false;
    }
    this.rawOut(s);
  }

  /** whether progress is shown at all: as events in JSON mode, as one redrawn line on a terminal, never in a pipe */
  get showsProgress(): boolean {
    return this.format === 'json' || this.tty;
  }

  /**
   * Reports long work. A task's first and last report always show; those between, at most once
   * per second. JSON mode prints `event` lines (node_progress, generate_progress); a terminal gets
   * one line redrawn in place; a pipe or file gets nothing.
   */
  progress(p: Progress, event: string, data: Record<string, unknown> = {}): void {
    if (!this.showsProgress) return;
    const t = this.now();
    const seen = this.progressTasks.has(p.task);
    const final = p.done >= p.total;
    // the terminal's one line is redrawn at most once a second whichever task it shows; JSON: per task
    const key = this.format === 'json' ? p.task : '';
    const last = this.lastProgress.get(key);
    if (seen && !final && last !== undefined && t - last < PROGRESS_MS) return;
    if (final) this.progressTasks.delete(p.task);
    else this.progressTasks.add(p.task);
    this.lastProgress.set(key, t);
    const rate = p.elapsed > 0 ? Math.round(p.rows / p.elapsed) : 0;
    if (this.format === 'json') {
      this.json({ level: 'info', event, ...data, done: p.done, total: p.total, unit: p.unit, rows: p.rows, bytes: p.bytes, rows_per_second: rate, elapsed: p.elapsed });
      return;
    }
    const mb = (p.bytes / 1e6).toFixed(1);
    const line = `${this.stamp()}  ${p.task}: ${p.done} of ${p.total} ${p.unit}, ${p.rows} rows, ${mb} MB ${p.bytesAre ?? 'read'}, ${rate} rows/s`;
    const width = process.stdout.columns || 120;
    this.out(this.masked(line.length > width - 1 ? line.slice(0, width - 1) : line));
    this.progressShown = true;
  }

  setSecrets(secrets: string[]): void {
    this.masked = secretMask(secrets);
  }

  /** The text with every secret masked, for output that is cut or reshaped before it is printed. */
  mask(text: string): string {
    return this.masked(text);
  }

  private stamp(): string {
    return new Date().toISOString().slice(11, 19);
  }

  /** a plain line of output (data, listings); never timestamped */
  print(text: string): void {
    this.out(this.masked(text) + '\n');
  }

  /** plain lines, written at once: a listing of 10k nodes is one write, not 10k */
  printLines(texts: string[]): void {
    if (texts.length > 0) this.out(texts.map((t) => this.masked(t) + '\n').join(''));
  }

  /** info() for many lines, written at once */
  infoLines(messages: string[]): void {
    if (this.format === 'json' || messages.length === 0) {
      for (const m of messages) this.info(m);
      return;
    }
    const stamp = this.stamp();
    this.out(messages.map((m) => this.masked(`${stamp}  ${m}`) + '\n').join(''));
  }

  info(message: string, data: Record<string, unknown> = {}): void {
    if (this.format === 'json') this.json({ level: 'info', event: 'log', message, ...data });
    else this.out(this.masked(`${this.stamp()}  ${message}`) + '\n');
  }

  /** something the user should know that does not stop the command */
  warn(message: string): void {
    if (this.format === 'json') this.json({ level: 'warn', event: 'warning', message });
    else this.err(this.masked(`${this.stamp()}  Warning: ${message}`) + '\n');
  }

  error(err: unknown): void {
    if (this.format === 'json') {
      const e = err as { toJSON?: () => unknown; message?: string };
      this.json({ level: 'error', event: 'error', error: typeof e?.toJSON === 'function' ? e.toJSON() : { message: String(e?.message ?? err) } });
    } else {
      if (this.progressShown) this.out('');
      const text = this.masked(formatError(err));
      this.err(text.replace(/^([^\n]*?\b[A-Z][a-z]+ error\b)/, (m) => this.paintErr.red(m)) + '\n');
    }
  }

  json(obj: Record<string, unknown>): void {
    this.out(this.masked(JSON.stringify({ ts: new Date().toISOString(), ...obj })) + '\n');
  }

  private colourWord(line: string, word: string, colour: 'green' | 'red' | 'yellow'): string {
    const at = line.indexOf(` ${word} `);
    if (at < 0) return line;
    return line.slice(0, at + 1) + this.paint[colour](word) + line.slice(at + 1 + word.length);
  }

  event(e: RunEvent): void {
    if (e.type === 'node_progress') {
      this.progress({ task: e.name, done: e.filesDone, total: e.files, unit: 'files', rows: e.rows, bytes: e.bytes, elapsed: e.elapsed }, 'node_progress', { id: e.id, index: e.index });
      return;
    }
    if (this.format === 'json') {
      const level = e.type === 'node_end' ? (e.result.status === 'error' || e.result.status === 'fail' ? 'error' : e.result.status === 'warn' ? 'warn' : 'info') : 'info';
      this.json({ level, event: e.type, ...eventData(e) });
      return;
    }
    switch (e.type) {
      case 'run_start':
        this.info(`Concurrency: ${e.threads} threads`);
        break;
      case 'node_start':
        this.info(dots(`${e.index} of ${e.total} START ${what(e.materialization, e.resourceType)} ${e.name}`, '[RUN]'));
        break;
      case 'node_end': {
        const word = statusWord(e.result);
        const line = dots(`${e.index} of ${e.total} ${word} ${what(e.result.materialization, e.result.resourceType)} ${e.result.name}`, detail(e.result));
        this.info(this.colourWord(line, word, e.result.status === 'success' || e.result.status === 'pass' ? 'green' : e.result.status === 'error' || e.result.status === 'fail' ? 'red' : 'yellow'));
        break;
      }

      case 'run_end':
        this.summary(e.result);
        break;
    }
  }

  watch(e: WatchEvent): void {
    if (this.format === 'json') {
      const failed = e.type === 'rebuild_end' && (e.status === 'error' || e.status === 'failed');
      this.json({ level: failed ? 'error' : 'info', event: e.type, ...eventData(e) });
      return;
    }
    switch (e.type) {
      case 'watch_start':
        this.info(`Watching ${e.projectDir}${e.select ? ` (--select ${e.select.join(' ')})` : ''}${e.exclude ? ` (--exclude ${e.exclude.join(' ')})` : ''}`);
        break;
      case 'rebuild_start':
        this.info('─'.repeat(80));
        if (e.reason === 'initial') this.info('Building the selection');
        else this.info(`${listed(e.files, 6)} changed${e.reason === 'config' ? ': reconnecting, then building the whole selection' : ''}`);
        break;
      case 'rebuild_plan':
        for (const d of e.deleted) this.info(`${d.id.replace(/\..*/, '')} ${shortId(d.id)} was removed from the project; its relation ${d.relation} is left in place (drop it yourself if you no longer need it)`);
        if (e.nodes.length === 0) this.info('Nothing to rebuild: no compiled SQL, config or dependency changed');
        else this.info(`Rebuilding ${e.nodes.length} node${e.nodes.length === 1 ? '' : 's'}: ${listed(e.nodes.map(shortId), 12)}`);
        break;
      case 'rebuild_end': {
        const secs = `${e.elapsed.toFixed(2)}s`;
        if (e.status === 'success') this.info(`Rebuilt ${listed(e.nodes.map(shortId), 12)} in ${secs}`);
        else if (e.status === 'failed') this.info(`Rebuild failed in ${secs}: ${listed(e.failed.map(shortId), 12)} did not build; fix and save to retry`);
        else if (e.status === 'error') this.info(`Nothing was built (${secs}); the last good build stays in place. Fix the error and save`);
        else if (e.status === 'interrupted') this.info(`Rebuild interrupted after ${secs}`);
        break;
      }
      case 'watching':
        this.info(`watching ${e.files} file${e.files === 1 ? '' : 's'}, press Ctrl-C to quit`);
        break;
      case 'watch_end':
        this.info(`Stopped watching${e.exitCode === 130 ? ' (interrupted mid-run)' : ''}`);
        break;
    }
  }

  private summary(r: RunResult): void {
    const count = (s: string) => r.results.filter((x) => x.status === s).length;
    const tests = r.results.some((x) => x.resourceType === 'test');
    this.info('');
    this.info(`Finished running ${r.results.length} nodes in ${r.elapsed.toFixed(2)}s.${r.interrupted ? ' (interrupted)' : ''}`);
    const failed = r.results.filter((x) => x.status === 'error' || x.status === 'fail');
    const warned = r.results.filter((x) => x.status === 'warn');
    if (failed.length === 0 && !r.interrupted) this.info(warned.length > 0 ? this.paint.yellow(`Completed with ${warned.length} warning${warned.length === 1 ? '' : 's'}:`) : this.paint.green('Completed successfully'));
    else this.info(this.paint.red(`Completed with ${failed.length} error${failed.length === 1 ? '' : 's'}${warned.length > 0 ? ` and ${warned.length} warning${warned.length === 1 ? '' : 's'}` : ''}:`));
    for (const f of [...failed, ...warned]) {
      if (f.status === 'fail' || f.status === 'warn') {
        const on = f.testedNode ? ` in ${f.testedNode}${f.testedColumn ? `.${f.testedColumn}` : ''}` : '';
        this.info(`  ${f.status === 'warn' ? 'Warning' : 'Failure'} in test ${f.name}: ${f.failures} failing row${f.failures === 1 ? '' : 's'}${on}`);
        if (f.storedFailures) this.info(`    the failing rows are in ${f.storedFailures}`);
        for (const line of (f.diff ?? '').split('\n').filter(Boolean)) this.info(`    ${line}`);
      } else for (const line of (f.message ?? '').split('\n')) this.info(`  ${line}`);
    }
    const rejecting = r.results.filter((x) => x.rejected && x.rejected.count > 0);
    if (rejecting.length > 0) {
      const relation = rejecting[0]!.rejected!.relation;
      this.info(`Rejected lines (max_errors), recorded in ${relation} with run_id '${r.runId}':`);
      for (const x of rejecting) {
        const { count, lines } = x.rejected!;
        const of = x.records === undefined ? '' : ` of ${x.records} records`;
        this.info(`  ${x.status === 'error' ? 'failed load of ' : ''}${x.id.replace(/^source\./, '')}: ${count} line${count === 1 ? '' : 's'} rejected${of}`);
        for (const l of lines) {
          const at = formatLocation({ file: l.file, line: l.line, column: l.position });
          this.info(`    ${at}: ${l.column ? `column ${l.column}: ` : ''}${l.reason.split('\n')[0]}`);
        }
        if (count > lines.length) this.info(`    ... and ${count - lines.length} more`);
      }
    }
    if (tests) this.info(`Done. PASS=${count('success') + count('pass')} WARN=${count('warn')} FAIL=${count('fail')} ERROR=${count('error')} SKIP=${count('skipped')} TOTAL=${r.results.length}`);
    else this.info(`Done. PASS=${count('success')} ERROR=${count('error')} SKIP=${count('skipped')} TOTAL=${r.results.length}`);
  }
}

function eventData(e: RunEvent | WatchEvent): Record<string, unknown> {
  const { type: _, ...rest } = e;
  return rest;
}

function shortId(id: string): string {
  return id.replace(/^model\./, '').replace(/^source\./, 'source:');
}

function listed(items: string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

function what(materialization: string, resourceType: string): string {
  if (resourceType === 'test') return 'test';
  if (resourceType === 'snapshot') return 'snapshot';
  // dbt: "OK loaded seed file main.raw_customers"
  if (resourceType === 'seed') return 'seed file';
  return resourceType === 'source' ? 'copy source' : `${materialization} model`;
}

function statusWord(r: NodeResult): string {
  return r.status === 'success' ? 'OK' : r.status === 'skipped' ? 'SKIP' : r.status.toUpperCase();
}

function detail(r: NodeResult): string {
  if (r.status === 'skipped') return r.message ? `[SKIP: ${r.message.replace(/^skipped: /, '')}]` : '[SKIP]';
  if (r.status === 'error') return `[ERROR in ${r.duration.toFixed(2)}s]`;
  if (r.status === 'pass') return `[PASS in ${r.duration.toFixed(2)}s]`;
  if (r.status === 'warn' || r.status === 'fail') return `[${r.status.toUpperCase()} ${r.failures} in ${r.duration.toFixed(2)}s]`;
  const rows = r.inserted !== undefined ? `${r.inserted} rows inserted, ${r.rows ?? '?'} total` : r.rows === undefined ? 'OK' : `${r.rows} rows`;
  const files = r.files === undefined ? '' : ` from ${r.files} files`;
  const rejected = r.rejected?.count ? `, ${r.rejected.count} lines rejected` : '';
  return `[${rows}${files}${rejected} in ${r.duration.toFixed(2)}s]`;
}

function dots(left: string, right: string): string {
  const width = 80;
  const n = Math.max(3, width - left.length - right.length - 2);
  return `${left} ${'.'.repeat(n)} ${right}`;
}
