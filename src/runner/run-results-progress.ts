import type { Plan } from '../materializations/plan-run.js';
import type { NodeResult, RunEvent, RunResult } from './execute-plan.js';

/** target/run_results.json while a run is under way: what finished so far, and what has not. */
export interface RunProgress extends RunResult {
  /** false until the run has ended; a file that still says false was left by a run that crashed or was killed */
  complete: boolean;
  /** ids of the planned nodes with no result yet (a run that did not complete never built them, or not for sure) */
  pending: string[];
}

/**
 * Keeps target/run_results.json up to date as nodes finish, through `write` (which must replace
 * the file atomically). A write happens when a node ends unless the last one was so recent that
 * writing again would take more than a fifth of the run's time (a project of thousands of fast
 * nodes); then one write follows shortly after, so the file is never more than that behind.
 */
export class RunResultsProgress {
  private readonly results = new Map<string, NodeResult>();
  private readonly startedAt = new Date();
  private lastWriteEnd = 0;
  private lastWriteMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private done = false;
  private failed: unknown;

  constructor(
    private readonly plan: Plan,
    private readonly runId: string,
    private readonly write: (progress: RunProgress) => void,
  ) {}

  /** Writes the file before the first node starts, every planned node pending; throws if it cannot. */
  start(): void {
    this.flush();
    if (this.failed) throw this.failed;
  }

  onEvent(e: RunEvent): void {
    if (this.done || e.type !== 'node_end') return;
    this.results.set(e.result.id, e.result);
    const wait = this.lastWriteEnd + 4 * this.lastWriteMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), Math.ceil(wait)).unref();
  }

  /** The first error of a write while the run went on (the run is not stopped for it; finish() writes again). */
  get writeError(): unknown {
    return this.failed;
  }

  /** The final file: the run's result, complete. */
  finish(result: RunResult): void {
    this.done = true;
    this.clearTimer();
    this.write({ ...result, complete: true, pending: [] });
  }

  /** Stops writing (the run failed before it ended; the last file written stays, saying it did not complete). */
  abandon(): void {
    this.done = true;
    this.clearTimer();
  }

  private flush(): void {
    this.clearTimer();
    if (this.done) return;
    const t0 = performance.now();
    try {
      this.writeNow();
    } catch (err) {
      this.failed ??= err;
    }
    this.lastWriteEnd = performance.now();
    this.lastWriteMs = this.lastWriteEnd - t0;
  }

  private writeNow(): void {
    const ordered = this.plan.nodes.map((n) => this.results.get(n.id)).filter((r): r is NodeResult => r !== undefined);
    this.write({
      runId: this.runId,
      startedAt: this.startedAt.toISOString(),
      elapsed: (Date.now() - this.startedAt.getTime()) / 1000,
      interrupted: false,
      results: ordered,
      complete: false,
      pending: this.plan.nodes.filter((n) => !this.results.has(n.id)).map((n) => n.id),
    });
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
