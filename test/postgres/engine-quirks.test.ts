import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATE_PARTS, type Engine } from '../../src/adapters/adapter.js';
import { DuckDbEngine } from '../../src/adapters/duckdb/duckdb-engine.js';
import { PostgresEngine } from '../../src/adapters/postgres/postgres-engine.js';
import { dropSchema, freshSchema, settings } from './pg.js';

/**
 * Where DuckDB and PostgreSQL differ by nature, the dialects or the models even it out. Each case
 * runs the same SQL on both engines and expects the same JS values.
 */
describe('engine quirks, evened out', () => {
  const schema = freshSchema('quirks');
  let duck: Engine;
  let pg: Engine;
  const both = async (sql: (e: Engine) => string) => {
    const [a, b] = await Promise.all([duck.withConnection((c) => c.query(sql(duck))), pg.withConnection((c) => c.query(sql(pg)))]);
    return { duckdb: a, postgres: b };
  };
  const same = async (sql: (e: Engine) => string) => {
    const r = await both(sql);
    expect(r.postgres).toEqual(r.duckdb);
    return r.postgres;
  };

  beforeAll(async () => {
    duck = await DuckDbEngine.open(':memory:', 'main');
    pg = await PostgresEngine.open(settings(schema), schema, 2);
  });

  afterAll(async () => {
    await duck?.close();
    await pg?.close();
    await dropSchema(schema);
  });

  it('returns the same JS shapes for the same SQL types', async () => {
    const rows = await same(
      () =>
        `select cast(9007199254740993 as bigint) as big, cast(2 as integer) as i, cast(3 as smallint) as si, cast(1.5 as double precision) as dbl, ` +
        `cast(0.1 as real) as rl, cast(1.50 as numeric(18,2)) as num, cast('NaN' as double precision) as nan, cast('-Infinity' as double precision) as ninf, ` +
        `timestamp '2018-11-21 21:56:47.796' as ms, timestamp '2018-11-21 21:56:47' as whole, timestamp '2018-11-21 21:56:47.790' as trailing_zero, ` +
        `timestamp '2018-11-21 21:56:47.123456' as micros, date '2018-11-21' as d, cast('x' as varchar) as v, true as b, cast(null as varchar) as n, ` +
        `count(*) as cnt`,
    );
    expect(rows).toEqual([
      {
        big: '9007199254740993',
        i: 2,
        si: 3,
        dbl: 1.5,
        rl: Math.fround(0.1),
        num: '1.50',
        nan: 'NaN',
        ninf: '-Infinity',
        ms: '2018-11-21 21:56:47.796',
        whole: '2018-11-21 21:56:47',
        trailing_zero: '2018-11-21 21:56:47.79',
        micros: '2018-11-21 21:56:47.123456',
        d: '2018-11-21',
        v: 'x',
        b: true,
        n: null,
        cnt: '1',
      },
    ]);
  });

  const TIMES = [
    '2018-11-21 21:56:47.796', // a Wednesday; whole seconds must not round up
    '2018-11-04 00:50:03.796', // a Sunday: dow 0, isodow 7
    '2021-01-03 23:59:59.999', // a Sunday in ISO week 53 of 2020
    '2021-01-04 00:00:00', // Monday of ISO week 1
    '2024-12-30 12:00:00.5', // ISO week 1 of 2025
    '2020-02-29 06:07:08.009', // leap day
    '1969-12-31 23:59:59.999', // before the epoch
  ];

  it('date_part: EXTRACT as integers, whole seconds, ISO weeks, dow 0 = Sunday', async () => {
    const values = TIMES.map((t) => `(timestamp '${t}')`).join(', ');
    const rows = await same((e) => `select ${DATE_PARTS.map((p) => `${e.dialect.datePart(p, 't')} as "${p}"`).join(', ')} from (values ${values}) as v(t) order by t`);
    const byTime = Object.fromEntries([...TIMES].sort().map((t, i) => [t, rows[i]]));
    expect(byTime['2018-11-21 21:56:47.796']).toEqual({ year: 2018, quarter: 4, month: 11, week: 47, day: 21, hour: 21, minute: 56, second: 47, dow: 3, isodow: 3, doy: 325 });
    expect(byTime['2018-11-04 00:50:03.796']).toMatchObject({ week: 44, dow: 0, isodow: 7, second: 3 });
    expect(byTime['2021-01-03 23:59:59.999']).toMatchObject({ year: 2021, week: 53, dow: 0, isodow: 7, second: 59 });
    expect(byTime['2021-01-04 00:00:00']).toMatchObject({ week: 1, dow: 1, isodow: 1 });
    expect(byTime['2024-12-30 12:00:00.5']).toMatchObject({ year: 2024, week: 1, second: 0 });
    expect(byTime['1969-12-31 23:59:59.999']).toMatchObject({ year: 1969, second: 59, doy: 365 });
  });

  it('epoch_ms_to_timestamp is exact to the millisecond, far from 1970 too', async () => {
    const ms = ['0', '-1', '1542837407796', '951782400000', '-86400001', '253402300799999', '-62135596800000'];
    const rows = await same((e) => `select ${e.dialect.epochMsToTimestamp('ms')} as t from (values ${ms.map((m) => `(cast(${m} as bigint))`).join(', ')}) as v(ms) order by ms`);
    expect(rows.map((r) => r.t)).toEqual([
      '0001-01-01 00:00:00',
      '1969-12-30 23:59:59.999',
      '1969-12-31 23:59:59.999',
      '1970-01-01 00:00:00',
      '2000-02-29 00:00:00',
      '2018-11-21 21:56:47.796',
      '9999-12-31 23:59:59.999',
    ]);
  });

  it('surrogate_key hashes integers, text and timestamps to the same key', async () => {
    const rows = await same((e) => `select ${e.dialect.surrogateKey(['cast(1542837407796 as bigint)', "'15'", 'cast(818 as integer)', "timestamp '2018-11-21 21:56:47.79'", 'cast(null as varchar)'])} as k`);
    expect(rows[0]!.k).toMatch(/^[0-9a-f]{32}$/);
  });

  it('integer division differs (DuckDB 3.5, PostgreSQL 3); the models divide only in double precision, which agrees', async () => {
    const raw = await both(() => 'select 7 / 2 as q');
    expect(raw).toEqual({ duckdb: [{ q: 3.5 }], postgres: [{ q: 3 }] });
    expect(await same(() => 'select cast(7 as double precision) / 2 as q, cast(-7 as double precision) / 2 as r, 7 % 2 as m, -7 % 2 as n')).toEqual([{ q: 3.5, r: -3.5, m: 1, n: -1 }]);
    // that no shipped model uses the operator is checked in test/sparkify/models.test.ts
  });

  it('trailing spaces are significant in text comparisons on both; trim() removes spaces only', async () => {
    expect(await same(() => `select 'a ' = 'a' as eq, cast(length('a ') as integer) as n, trim(' a ') as t, trim(chr(9) || 'a ') as tab, cast('a ' as varchar(5)) as v`)).toEqual([
      { eq: false, n: 2, t: 'a', tab: '\ta', v: 'a ' },
    ]);
  });

  it('loaded text sorts in byte order, as in DuckDB, whatever the database locale', async () => {
    const words = ['b', 'B', 'a', '_x', 'Z', 'é', 'e', 'a b', 'ab', '10', '9'];
    const load = async (e: Engine, name: string) => {
      await e.withConnection(async (c) => {
        await c.execute(e.dialect.createTable({ schema: e.schema, name }, [{ name: 'w', type: 'varchar(16)' }]));
        await c.execute(`insert into "${e.schema}"."${name}" values ${words.map((w) => `('${w}')`).join(', ')}`);
      });
    };
    await Promise.all([load(duck, 'words'), load(pg, 'words')]);
    const rows = await same((e) => `select w, row_number() over (order by w) as n from "${e.schema}".words order by w`);
    expect(rows.map((r) => r.w)).toEqual([...words].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    // a locale-aware collation orders them differently: why staging text columns say COLLATE "C"
    const icu = await pg.withConnection((c) => c.query(`select 1 from pg_collation where collname = 'en-x-icu'`));
    if (icu.length > 0) {
      const localeOrder = await pg.withConnection((c) => c.query(`select w from "${schema}".words order by w collate "en-x-icu"`));
      expect(localeOrder.map((r) => r.w)).not.toEqual(rows.map((r) => r.w));
    }
  });
});
