import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { Engine } from '../../src/adapters/adapter.js';
import { HAS_SHARED_DATA, SHARED_DATA_SKIP_REASON, copyFixtureProject, removeDir, sharedDataCfg } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

if (!HAS_SHARED_DATA) console.warn(`skipping the DuckDB/PostgreSQL comparison: ${SHARED_DATA_SKIP_REASON}`);

const TABLES = ['staging_events', 'staging_songs', 'songplays', 'users', 'songs', 'artists', 'time'];

describe.skipIf(!HAS_SHARED_DATA)('the same warehouse on DuckDB and PostgreSQL', () => {
  const schema = freshSchema('equal');
  let dir: string;
  const engines: Record<'duckdb' | 'postgres', Engine> = {} as never;

  beforeAll(async () => {
    dir = copyFixtureProject(sharedDataCfg(`[DUCKDB]\nPATH = warehouse.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}`));
    for (const type of ['duckdb', 'postgres'] as const) {
      const opts = { projectDir: dir, targetName: type, env: {} };
      const compiled = compile(opts, resolveProjectTarget(opts));
      engines[type] = await openEngine(compiled.target, 4);
      const { result } = await runCompiled(compiled, engines[type], {});
      expect(result.results.filter((r) => r.status !== 'success')).toEqual([]);
    }
  });

  afterAll(async () => {
    await engines.duckdb?.close();
    await engines.postgres?.close();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  /** every row, ordered by every column, as each engine returns it */
  const contents = async (type: 'duckdb' | 'postgres', table: string) => {
    const e = engines[type];
    const cols = await e.withConnection((c) =>
      c.query(`select column_name from information_schema.columns where table_schema = '${schema}' and table_name = '${table}' order by ordinal_position`),
    );
    // a staging row's load and file depend on how the engine groups files into loads: DuckDB reads a run's new files in
    // one load, each row tagged with its file; PostgreSQL loads a day file at a time, and small song files in batches
    const names = cols.map((c) => String(c.column_name)).filter((n) => n !== '_source_file' && n !== '_load_seq');
    const by = names.map((_, i) => i + 1).join(', ');
    return e.withConnection((c) => c.query(`select ${names.map((n) => `"${n}"`).join(', ')} from "${schema}"."${table}" order by ${by}`));
  };

  it.each(TABLES)('%s is equal row for row, in the same order and JS types', async (table) => {
    const [duck, pg] = await Promise.all([contents('duckdb', table), contents('postgres', table)]);
    expect(pg.length).toBeGreaterThan(0);
    expect(pg.length).toBe(duck.length);
    for (let i = 0; i < duck.length; i++) {
      // one row at a time, so a difference names its row
      if (JSON.stringify(pg[i]) !== JSON.stringify(duck[i])) expect({ row: i, ...pg[i] }).toEqual({ row: i, ...duck[i] });
    }
    expect(Object.keys(pg[0]!)).toEqual(Object.keys(duck[0]!));
  });

  it('agrees on a spot check of milliseconds, Sundays and floats', async () => {
    const probe = async (type: 'duckdb' | 'postgres') =>
      engines[type].withConnection((c) =>
        c.query(
          `select t.start_time, t.week, t.weekday, s.duration, a.latitude from "${schema}"."time" t, "${schema}".songs s, "${schema}".artists a ` +
            `where t.start_time = (select min(start_time) from "${schema}"."time" where weekday = 0) and s.song_id = 'SOZCTXZ12AB0182364' and a.artist_id = 'ARGCY1Y1187B9A4FA5'`,
        ),
      );
    const duck = await probe('duckdb');
    expect(duck).toEqual([{ start_time: '2018-11-04 00:50:03.796', week: 44, weekday: 0, duration: 269.58322, latitude: 36.16778 }]);
    expect(await probe('postgres')).toEqual(duck);
  });
});
