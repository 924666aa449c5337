import { describe, expect, it } from 'vitest';
import { analyzeDue } from './load-new-files.js';

describe('analyzeDue: when an incremental load refreshes its staging table statistics', () => {
  it('analyzes a new table, and one that lost rows to a reload', () => {
    expect(analyzeDue({ before: 0, added: 100, files: 1, fresh: true })).toBe(true);
    expect(analyzeDue({ before: 5_000_000, added: 10, files: 1, fresh: true })).toBe(true);
  });

  it('does not analyze when nothing was loaded', () => {
    expect(analyzeDue({ before: 5_000_000, added: 0, files: 0, fresh: false })).toBe(false);
    expect(analyzeDue({ before: 0, added: 0, files: 0, fresh: true })).toBe(false);
  });

  it('analyzes a growing table about once per tenth of growth, whatever the size of each load', () => {
    for (const day of [1_000, 46_000_000]) {
      let bytes = day * 30;
      let analyzed = 0;
      // a year of daily loads after thirty days: the table grows 13-fold; ln(13.2) / ln(1.1) is 27 steps
      for (let i = 0; i < 335; i++) {
        if (analyzeDue({ before: bytes, added: day, files: 1, fresh: false })) analyzed++;
        bytes += day;
      }
      expect(analyzed).toBeGreaterThanOrEqual(26);
      expect(analyzed).toBeLessThanOrEqual(28);
    }
    // a load that grows the table by more than a tenth always analyzes
    expect(analyzeDue({ before: 1_000_000, added: 110_000, files: 3, fresh: false })).toBe(true);
  });
});
