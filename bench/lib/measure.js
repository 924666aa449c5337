// Whole-process measurements: wall time from the shell's point of view and peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TIME_BIN = '/usr/bin/time';
/** Measurements during which other processes kept the machine busy: { what, otherCores }. */
export const noisy = [];

/** CPU seconds the whole machine has spent busy so far (/proc/stat, USER_HZ = 100). */
function machineBusySeconds() {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + steal) / 100;
  } catch {
    return undefined;
  }
}
export const HAVE_GNU_TIME = existsSync(TIME_BIN);

/**
 * Runs a command to its end and measures it.
 * - wall: measured here around spawn/exit (ms), so it includes process start-up, as from a shell;
 * - peak RSS: GNU time's "Maximum resident set size" when /usr/bin/time exists (the largest of the
 *   process and the children it waited for), else VmHWM polled from /proc/<pid>/status every 20 ms
 *   (the top process only).
 * stdout and stderr go to files, so a command that prints 10,000 lines pays for writing a file,
 * not for our pipe.
 * When opts.what is given and other processes kept more than half a core busy meanwhile, the
 * measurement is recorded in `noisy`.
 * - sysS: the process tree's system (kernel) CPU time, from GNU time.
 * @returns {Promise<{ code: number | null, signal: string | null, timedOut: boolean, wallMs: number, peakRssMb: number | undefined, ownCpuS: number | undefined, sysS: number | undefined, otherCores: number | undefined, stdout: string, stderr: string }>}
 */
/** Pids of every descendant of `root`, from /proc/<pid>/stat. */
function descendants(root) {
  const parent = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const walk = (p) => {
    for (const [c, pp] of parent) if (pp === p) (out.push(c), walk(c));
  };
  walk(root);
  return out;
}

export async function measure(cmd, args, opts = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sparkify-bench-run-'));
  const outFile = path.join(dir, 'stdout');
  const errFile = path.join(dir, 'stderr');
  const timeFile = path.join(dir, 'time');
  const out = openSync(outFile, 'w');
  const err = openSync(errFile, 'w');
  const useTime = HAVE_GNU_TIME && opts.gnuTime !== false;
  const [bin, argv] = useTime ? [TIME_BIN, ['-v', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const busy0 = machineBusySeconds();
  const t0 = performance.now();
  const child = spawn(bin, argv, {
    cwd: opts.cwd,
    env: { ...process.env, ...(opts.env ?? {}) },
    stdio: ['ignore', out, err],
    detached: true, // its own process group, so a timeout can end the whole tree
  });
  let polledKb = 0;
  let poller;
  // a tool that kills its worker process and exits without reaping it (dataform compile) hides the
  // worker from GNU time: poll every process of the tree instead
  let treeKb = 0;
  const treePoller = opts.pollTree
    ? setInterval(() => {
        for (const pid of descendants(child.pid)) {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
            if (m) treeKb = Math.max(treeKb, Number(m[1]));
          } catch {
            // exited between two polls
          }
        }
      }, 100)
    : undefined;
  if (!useTime) {
    poller = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) polledKb = Math.max(polledKb, Number(m[1]));
      } catch {
        // exited between two polls
      }
    }, 20);
  }
  let timedOut = false;
  const timer =
    opts.timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, opts.timeoutMs);
  const { code, signal } = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  const wallMs = performance.now() - t0;
  if (timer) clearTimeout(timer);
  if (poller) clearInterval(poller);
  if (treePoller) clearInterval(treePoller);
  closeSync(out);
  closeSync(err);
  const busy1 = machineBusySeconds();
  let peakRssMb;
  let ownCpuS;
  let sysS;
  if (useTime && existsSync(timeFile)) {
    const t = readFileSync(timeFile, 'utf8');
    const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(t);
    if (m) peakRssMb = Number(m[1]) / 1024;
    const u = /User time \(seconds\): ([\d.]+)/.exec(t);
    const sy = /System time \(seconds\): ([\d.]+)/.exec(t);
    if (u && sy) ownCpuS = Number(u[1]) + Number(sy[1]);
    if (sy) sysS = Number(sy[1]);
  } else if (polledKb > 0) peakRssMb = polledKb / 1024;
  if (opts.pollTree) {
    if (treeKb > 0) peakRssMb = Math.max(peakRssMb ?? 0, treeKb / 1024);
    ownCpuS = undefined; // the unreaped worker's CPU is not in GNU time's figure: no noise estimate
    sysS = undefined;
  }
  // cores kept busy by everything but this process tree (database servers working for it included)
  const otherCores = busy0 !== undefined && busy1 !== undefined && ownCpuS !== undefined ? Math.max(0, (busy1 - busy0 - ownCpuS) / (wallMs / 1000)) : undefined;
  if (otherCores !== undefined && otherCores > 0.5 && wallMs > 1000 && opts.what)
    noisy.push({ what: opts.what, otherCores: Math.round(otherCores * 100) / 100 });
  const stdout = readFileSync(outFile, 'utf8');
  const stderr = readFileSync(errFile, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  return { code, signal, timedOut, wallMs, peakRssMb, ownCpuS, sysS, otherCores, stdout, stderr };
}

/** Throws with the command's last output when it failed. */
export function check(r, what) {
  if (r.code === 0 && !r.timedOut) return r;
  const tail = (s) => s.trim().split('\n').slice(-15).join('\n');
  throw new Error(`${what} failed (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}):\n${tail(r.stderr)}\n${tail(r.stdout)}`);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
};

/** The run whose `key` is the median (the upper middle one of an even count). */
export const medianRun = (runs, key) => runs.slice().sort((a, b) => a[key] - b[key])[Math.floor(runs.length / 2)];

/** Runs a measurement `times` times and keeps the median wall and the largest peak RSS. */
export async function measureRepeated(times, cmd, args, opts = {}) {
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(check(await measure(cmd, args, opts), opts.what ?? `${cmd} ${args.join(' ')}`));
  const rss = runs.map((r) => r.peakRssMb).filter((x) => x !== undefined);
  return {
    wallMs: median(runs.map((r) => r.wallMs)),
    wallMsAll: runs.map((r) => Math.round(r.wallMs)),
    peakRssMb: rss.length ? Math.max(...rss) : undefined,
    last: runs[runs.length - 1],
  };
}

/**
 * Flushes pending writes (`sync`) and waits for it, so that the next measurement is not charged for
 * the kernel writing back what an earlier one wrote (generated data, DuckDB files, compiled SQL).
 * Returns how long the flush took, in ms.
 */
export function flushWrites() {
  const t0 = performance.now();
  spawnSync('sync', [], { stdio: 'ignore' });
  return performance.now() - t0;
}
