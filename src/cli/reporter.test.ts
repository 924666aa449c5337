import { describe, expect, it } from 'vitest';
import { Reporter, type Progress } from './reporter.js';

function reporter(format: 'text' | 'json', tty: boolean) {
  let now = 0;
  const out: string[] = [];
  const r = new Reporter(format, [], (s) => out.push(s), () => undefined, { tty, now: () => now });
  return { r, out, at: (t: number) => (now = t) };
}

const p = (done: number, task = 'events'): Progress => ({ task, done, total: 4, unit: 'files', rows: done * 10, bytes: done * 1e6, elapsed: done });

describe('Reporter.progress', () => {
  it('JSON: the first and last report of a task always, those between at most once a second', () => {
    const { r, out, at } = reporter('json', false);
    for (const [t, done] of [[0, 0], [400, 1], [999, 2], [1000, 3], [1100, 4]] as const) {
      at(t);
      r.progress(p(done), 'node_progress');
    }
    expect(out.map((l) => (JSON.parse(l) as { done: number }).done)).toEqual([0, 3, 4]);
  });

  it('a terminal: one line redrawn in place, at most once a second across tasks, cleared before the next output', () => {
    const { r, out, at } = reporter('text', true);
    r.progress(p(0, 'a'), 'node_progress');
    at(300);
    r.progress(p(0, 'b'), 'node_progress'); // a task's first report
    at(600);
    r.progress(p(1, 'a'), 'node_progress'); // too soon
    at(1400);
    r.progress(p(2, 'a'), 'node_progress');
    r.print('next');
    const text = out.join('');
    expect(text.match(/\r\x1b\[2K/g)).toHaveLength(3);
    expect(text).not.toContain('a: 1 of 4');
    expect(text).toContain('a: 2 of 4 files, 20 rows, 2.0 MB read, 10 rows/s\r\x1b[2Knext\n');
    expect(text).not.toContain('\n' + 'a: 0');
  });

  it('a pipe: no progress at all', () => {
    const { r, out } = reporter('text', false);
    r.progress(p(0), 'node_progress');
    r.progress(p(4), 'node_progress');
    expect(out).toEqual([]);
  });
});
