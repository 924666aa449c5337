import { describe, expect, it } from 'vitest';
import type { Plan } from '../materializations/plan-run.js';
import type { NodeResult } from './execute-plan.js';
import { RunResultsProgress, type RunProgress } from './run-results-progress.js';

const plan = { setup: [], parents: {}, nodes: ['a', 'b', 'c'].map((id) => ({ id, name: id, resourceType: 'model', materialization: 'table', relation: { schema: 's', name: id }, steps: [], onFailure: [] })) } as Plan;
const result = (id: string, status: NodeResult['status']): NodeResult => ({ id, name: id, resourceType: 'model', materialization: 'table', relation: `s.${id}`, status, duration: 0 });

/** waits for a condition that the code under test makes true by itself (a deferred write) */
async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error('the write never came');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('RunResultsProgress', () => {
  it('writes before the first node (all pending), as nodes finish (in plan order), and complete at the end', async () => {
    const written: RunProgress[] = [];
    const p = new RunResultsProgress(plan, 'run-1', (doc) => written.push(structuredClone(doc)));
    p.start();
    expect(written.at(-1)).toMatchObject({ runId: 'run-1', complete: false, results: [], pending: ['a', 'b', 'c'] });
    p.onEvent({ type: 'node_end', index: 1, total: 3, result: result('b', 'error') });
    // a write right after another may wait for a moment; it always comes
    await until(() => written.at(-1)!.results.length === 1);
    expect(written.at(-1)).toMatchObject({ complete: false, results: [{ id: 'b', status: 'error' }], pending: ['a', 'c'] });
    p.onEvent({ type: 'node_end', index: 2, total: 3, result: result('a', 'success') });
    await until(() => written.at(-1)!.results.length === 2);
    expect(written.at(-1)!.results.map((r) => r.id)).toEqual(['a', 'b']);
    p.finish({ runId: 'run-1', startedAt: '', elapsed: 1, interrupted: false, results: [result('a', 'success'), result('b', 'error'), result('c', 'skipped')] });
    expect(written.at(-1)).toMatchObject({ complete: true, pending: [], results: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
    const n = written.length;
    p.onEvent({ type: 'node_end', index: 3, total: 3, result: result('c', 'skipped') });
    await new Promise((r) => setTimeout(r, 20));
    expect(written.length).toBe(n);
  });

  it('a failing write does not stop the run: onEvent never throws', () => {
    let fail = false;
    const p = new RunResultsProgress(plan, 'run-2', () => {
      if (fail) throw new Error('ENOSPC');
    });
    p.start();
    fail = true;
    expect(() => p.onEvent({ type: 'node_end', index: 1, total: 3, result: result('a', 'success') })).not.toThrow();
    p.abandon();
  });
});
