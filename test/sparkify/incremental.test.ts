import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, Warehouse, cleanUpWarehouses, expectEqualToFullBuild, generatedWithLateEvents, ok, project, published, publishedDays } from '../helpers/incremental-warehouse.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON } from '../helpers/project.js';
import { copyShippedProject } from './shipped-project.js';

/**
 * The shipped project's own incremental models (songplays, users, time) and incremental sources:
 * loaded in two halves, or a day at a time with late events, every table equals a full build of the
 * same files on both engines. test/postgres/incremental-loads.test.ts tests the mechanism (file
 * changes, removals, failed loads) on the fixture warehouse; this keeps the models in models/ honest.
 */

if (!HAS_SHARED_DATA) console.warn(`skipping the shipped project's incremental build of the published data: ${SHARED_DATA_SKIP_REASON}`);

afterAll(cleanUpWarehouses);

describe.each(ENGINES)("the shipped project's incremental models on %s", (type) => {
  it.skipIf(!HAS_SHARED_DATA)('the published days 1-15, then 16-30, equal a full build', async () => {
    const p = project(copyShippedProject);
    const w = await Warehouse.open(p.dir, type, 'ship_a', published);
    try {
      const days = publishedDays();
      p.add(days.slice(0, 15));
      ok(await w.run());
      p.add(days.slice(15));
      const second = await w.run();
      ok(second);
      expect(second.results.find((r) => r.name === 'staging_events')?.files).toBe(15);
      await expectEqualToFullBuild(w, type, published);
    } finally {
      await w.close();
    }
  });

  describe('generated days with late events', () => {
    let gen: Awaited<ReturnType<typeof generatedWithLateEvents>>;
    beforeAll(async () => {
      gen = await generatedWithLateEvents();
    });

    it('one day at a time equals a full build', async () => {
      const p = project(copyShippedProject);
      const w = await Warehouse.open(p.dir, type, 'ship_g', gen.data);
      try {
        for (const day of gen.days) {
          p.add([day]);
          ok(await w.run());
        }
        await expectEqualToFullBuild(w, type, gen.data);
      } finally {
        await w.close();
      }
    });
  });
});
