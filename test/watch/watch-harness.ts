import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateData } from '../../src/generate/generate-data.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(REPO, 'bin', 'sparkify.js');

/** One line of `--log-format json` output. */
export interface LogEvent {
  event: string;
  level: string;
  [key: string]: unknown;
}

/**
 * The raw data for the throwaway projects: a small generated data set in `scratch` (300 events over
 * 5 days, 30 songs), made once per test file. Each watch test starts a session whose first run
 * builds everything, so the data is kept small: the tests are about what is rebuilt, not the data
 * (the full builds of the sample and published data are in test/sparkify/).
 */
export async function sampleData(scratch: string): Promise<string> {
  const out = path.join(scratch, 'data');
  if (!existsSync(path.join(out, 'log_json_path.json'))) await generateData({ outDir: out, events: 300, songs: 30, seed: 7, matchRate: 0.3, days: 5 });
  return out;
}

/** The fixture warehouse (models/, sources.yml, sparkify.yml) that every watch test edits a copy of. */
export const WATCHED_FIXTURE = path.join(REPO, 'test', 'fixtures', 'warehouse');

/** A copy of the fixture warehouse's models/, sources.yml and sparkify.yml in a temp folder, with a dwh.cfg pointing at `data`. */
export function makeProject(parent: string, data: string): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, 'project-'));
  for (const p of ['models', 'sources.yml', 'sparkify.yml']) cpSync(path.join(WATCHED_FIXTURE, p), path.join(dir, p), { recursive: true });
  writeFileSync(
    path.join(dir, 'dwh.cfg'),
    `[S3]\nLOG_DATA='${path.join(data, 'log_data')}'\nLOG_JSONPATH='${path.join(data, 'log_json_path.json')}'\nSONG_DATA='${path.join(data, 'song_data')}'\n`,
  );
  return dir;
}

export function tempRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sparkify-watch-test-'));
}

/** The real CLI in watch mode, with its JSON events collected as they arrive. */
export class WatchProcess {
  readonly events: LogEvent[] = [];
  stderr = '';
  private readonly child: ChildProcess;
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private listeners: (() => void)[] = [];

  constructor(readonly dir: string, args: string[] = []) {
    this.child = spawn(process.execPath, [CLI, 'run', '--watch', '--log-format', 'json', '--project-dir', dir, ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as LogEvent);
      } catch {
        this.events.push({ event: 'non_json', level: 'error', line });
      }
      for (const l of this.listeners) l();
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const l of this.listeners) l();
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** the index the next event will have: pass it to waitFor() to wait for events after this point */
  mark(): number {
    return this.events.length;
  }

  /** The first event at or after `from` that matches; fails after `timeoutMs` or if the process exits. */
  waitFor(match: (e: LogEvent) => boolean, from = 0, timeoutMs = 20_000): Promise<LogEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(from).find(match);
        if (hit) {
          done();
          resolve(hit);
        } else if (!this.running) {
          done();
          reject(new Error(`the watch process exited before the expected event\n${this.transcript()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching event within ${timeoutMs} ms\n${this.transcript()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== check);
      };
      this.listeners.push(check);
      check();
    });
  }

  /** Waits for the session to be idle (the prompt) after `from`. */
  idle(from = 0): Promise<LogEvent> {
    return this.waitFor((e) => e.event === 'watching', from);
  }

  /**
   * Makes an edit of one or more writes while the session is stopped (SIGSTOP, then SIGCONT), so the
   * session meets all of them at once when it goes on. A burst becomes one rebuild when no gap
   * between its events outlasts the quiet window (100 ms); on a loaded machine a gap between two of
   * this process's writes (a late timer, a descheduled moment) can, which split a burst of saves
   * into two rebuilds. Stopped, the session cannot see any gap, whatever the load.
   */
  frozen(edit: () => void): void {
    const pid = this.child.pid!;
    this.child.kill('SIGSTOP');
    try {
      waitUntilStopped(pid);
      edit();
    } finally {
      this.child.kill('SIGCONT');
    }
  }

  /**
   * Makes an edit (frozen()) and waits for the rebuild it causes to finish and the prompt to return.
   * Returns the rebuild's plan (when the project compiled), its end event and every event in between.
   */
  async rebuild(edit: () => void): Promise<{ plan?: LogEvent; end: LogEvent; events: LogEvent[] }> {
    const from = this.mark();
    this.frozen(edit);
    const end = await this.waitFor((e) => e.event === 'rebuild_end', from);
    await this.idle(from);
    const events = this.events.slice(from);
    return { plan: events.find((e) => e.event === 'rebuild_plan' && e.rebuild === end.rebuild), end, events };
  }

  signal(sig: NodeJS.Signals = 'SIGINT'): void {
    this.child.kill(sig);
  }

  async exit(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the watch process did not exit within ${timeoutMs} ms\n${this.transcript()}`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the process whatever its state (test cleanup). */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  transcript(): string {
    const lines = this.events.map((e) => JSON.stringify(e).slice(0, 400));
    return `--- events ---\n${lines.slice(-60).join('\n')}\n--- stderr ---\n${this.stderr.slice(-4000)}`;
  }
}

/**
 * Returns once the process is in the stopped state. kill() only queues SIGSTOP; the process cannot
 * read anything more from the kernel once it is pending, and this makes that visible (Linux /proc;
 * where there is no /proc, the pending signal is relied on).
 */
function waitUntilStopped(pid: number): void {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return;
  // the state is the field after the parenthesised command name
  while (!/\) [Tt] /.test(readFileSync(stat, 'utf8'))) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}
