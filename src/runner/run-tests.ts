import { DatabaseError, ProjectError, SparkifyError, formatError } from '../errors.js';
import type { Engine } from '../adapters/adapter.js';
import type { TestPlan } from '../testing/plan-tests.js';

export interface TestResult {
  name: string;
  model: string;
  column: string;
  status: 'pass' | 'fail' | 'error';
  failures?: number | undefined;
  duration: number;
  message?: string | undefined;
}

export type TestEvent = { type: 'test_start'; index: number; total: number; name: string } | { type: 'test_end'; index: number; total: number; result: TestResult };

/** Runs each data-test query, up to `threads` at once. A test fails when it counts failing rows. */
export async function runTests(plans: TestPlan[], engine: Engine, opts: { threads: number; onEvent?: (e: TestEvent) => void }): Promise<TestResult[]> {
  const results: TestResult[] = new Array(plans.length);
  let next = 0;
  const worker = async () => {
    while (next < plans.length) {
      const i = next++;
      const p = plans[i]!;
      opts.onEvent?.({ type: 'test_start', index: i + 1, total: plans.length, name: p.name });
      const t0 = performance.now();
      let r: TestResult;
      try {
        if (p.problem) throw new ProjectError(p.problem);
        const rows = await engine.withConnection((c) => c.query(p.sql));
        const failures = Number(rows[0]?.failures ?? 0);
        r = { name: p.name, model: p.model, column: p.column, status: failures === 0 ? 'pass' : 'fail', failures, duration: (performance.now() - t0) / 1000 };
      } catch (err) {
        const e = err instanceof SparkifyError ? err : new DatabaseError(String(err));
        e.addContext({ file: p.file, line: p.line, node: p.name });
        r = { name: p.name, model: p.model, column: p.column, status: 'error', duration: (performance.now() - t0) / 1000, message: formatError(e) };
      }
      results[i] = r;
      opts.onEvent?.({ type: 'test_end', index: i + 1, total: plans.length, result: r });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.threads, plans.length)) }, worker));
  return results;
}
