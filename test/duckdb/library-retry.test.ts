// retry() from the library API, with no CLI: what the last run left undone is run again.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { retry, run } from '../../src/index.js';
import { removeDir, writeProject } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('retry() in the library API', () => {
  it('runs the failed model and its skipped child again, and nothing when all succeeded', async () => {
    const dir = writeProject({
      'models/base.sql': 'select 1 as id union all select 2\n',
      'models/broken.sql': "select id, no_such_column from {{ ref('base') }}\n",
      'models/child.sql': "select count(*) as n from {{ ref('broken') }}\n",
      'models/fine.sql': "select sum(id) as total from {{ ref('base') }}\n",
    });
    dirs.push(dir);
    const first = await run({ projectDir: dir, env: {} });
    const status = Object.fromEntries(first.result.results.map((r) => [r.id, r.status]));
    expect(status).toEqual({ 'model.base': 'success', 'model.broken': 'error', 'model.child': 'skipped', 'model.fine': 'success' });

    writeFileSync(path.join(dir, 'models', 'broken.sql'), "select id, id * 10 as tens from {{ ref('base') }}\n");
    const again = await retry({ projectDir: dir, env: {} });
    expect(again.nodes).toEqual(['model.broken', 'model.child']);
    expect(again.gone).toEqual([]);
    expect(again.result?.results.map((r) => [r.id, r.status])).toEqual([
      ['model.broken', 'success'],
      ['model.child', 'success'],
    ]);

    const db = await DuckDBInstance.create(path.join(dir, 'target', 'sparkify.duckdb'), { access_mode: 'READ_ONLY' });
    try {
      const c = await db.connect();
      const rows = (await c.runAndReadAll('SELECT n FROM main.child')).getRowObjectsJson();
      c.closeSync();
      expect(rows).toEqual([{ n: '2' }]);
    } finally {
      db.closeSync();
    }

    const nothing = await retry({ projectDir: dir, env: {} });
    expect(nothing.nodes).toEqual([]);
    expect(nothing.result).toBeUndefined();
  });
});
