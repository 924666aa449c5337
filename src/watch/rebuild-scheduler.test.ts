import { describe, expect, it } from 'vitest';
import { RebuildScheduler } from './rebuild-scheduler.js';

/** A scheduler whose rebuilds are recorded and finish only when the test says so. */
function harness(quietMs = 20) {
  const batches: string[][] = [];
  const errors: unknown[] = [];
  let started: () => void = () => undefined;
  let finish: () => void = () => undefined;
  const scheduler = new RebuildScheduler<string>(
    (batch) => {
      batches.push(batch);
      started();
      if (batch.includes('boom')) return Promise.reject(new Error('boom'));
      return new Promise<void>((resolve) => (finish = resolve));
    },
    quietMs,
    (err) => errors.push(err),
  );
  const nextStart = () => new Promise<void>((resolve) => (started = resolve));
  return { scheduler, batches, errors, nextStart, finish: () => finish() };
}

describe('RebuildScheduler', () => {
  it('turns a burst of events into one rebuild', async () => {
    const h = harness();
    const first = h.nextStart();
    for (let i = 0; i < 20; i++) h.scheduler.notify(`save ${i}`);
    await first;
    expect(h.batches).toEqual([Array.from({ length: 20 }, (_, i) => `save ${i}`)]);
    h.finish();
    const second = h.nextStart();
    h.scheduler.notify('later');
    await second;
    expect(h.batches).toHaveLength(2);
    expect(h.batches[1]).toEqual(['later']);
    h.finish();
    await h.scheduler.stop();
  });

  it('runs one rebuild at a time and queues one follow-up for everything that came during it', async () => {
    const h = harness();
    const first = h.nextStart();
    h.scheduler.notify('a');
    await first;
    h.scheduler.notify('b');
    h.scheduler.notify('c');
    await new Promise((r) => setTimeout(r, 60)); // the burst settles while the first rebuild still runs
    h.scheduler.notify('d');
    expect(h.scheduler.busy).toBe(true);
    expect(h.batches).toHaveLength(1);
    const second = h.nextStart();
    h.finish();
    await second;
    expect(h.batches).toEqual([['a'], ['b', 'c', 'd']]);
    h.finish();
    await h.scheduler.stop();
  });

  it('reports a failed rebuild and keeps going', async () => {
    const h = harness();
    const first = h.nextStart();
    h.scheduler.notify('boom');
    await first;
    const second = h.nextStart();
    h.scheduler.notify('next');
    await second;
    expect(h.errors).toHaveLength(1);
    expect(h.batches).toEqual([['boom'], ['next']]);
    h.finish();
    await h.scheduler.stop();
  });

  it('stop() waits for the running rebuild and drops what was queued', async () => {
    const h = harness();
    const first = h.nextStart();
    h.scheduler.notify('a');
    await first;
    h.scheduler.notify('b');
    let stopped = false;
    const stopping = h.scheduler.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 40));
    expect(stopped).toBe(false);
    h.finish();
    await stopping;
    h.scheduler.notify('c');
    await new Promise((r) => setTimeout(r, 40));
    expect(h.batches).toEqual([['a']]);
  });
});
