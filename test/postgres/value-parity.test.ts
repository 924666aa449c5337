import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseColumnType } from '../../src/adapters/column-types.js';
import { DuckDbEngine } from '../../src/adapters/duckdb/duckdb-engine.js';
import { DuckDbDialect } from '../../src/adapters/duckdb/duckdb-dialect.js';
import { PostgresEngine } from '../../src/adapters/postgres/postgres-engine.js';
import { checkValue } from '../../src/loaders/json-rows.js';
import { dropSchema, freshSchema, settings } from './pg.js';

/**
 * The three places that decide whether a JSON value fits its column must agree: the JS row mapper
 * (which PostgreSQL's and the tolerant loads' rows come from), DuckDB's strict load SQL, and
 * PostgreSQL, which must accept everything the mapper lets through, as the same value.
 */
describe('the JS checks, DuckDB and PostgreSQL accept exactly the same values', () => {
  const schema = freshSchema('parity');
  let duck: DuckDbEngine;
  let pg: PostgresEngine;
  const dialect = new DuckDbDialect();

  beforeAll(async () => {
    duck = await DuckDbEngine.open(':memory:', 'main');
    pg = await PostgresEngine.open(settings(schema), schema, 1);
  });
  afterAll(async () => {
    await duck?.close();
    await pg?.close();
    await dropSchema(schema);
  });

  /** [accepted by the JS check, DuckDB's value or error, PostgreSQL's value or error] */
  const judge = async (type: string, text: string) => {
    const t = parseColumnType(type)!;
    const js = checkValue(text, t) === undefined;
    const duckSql = `SELECT ${dialect.convertValue({ name: 'v', type }, '"v"')} AS v FROM (SELECT ${dialect.quoteLiteral(text)} AS "v") AS t`;
    const d = await duck
      .withConnection((c) => c.query(duckSql))
      .then(
        (r) => r[0]!.v,
        () => 'ERROR',
      );
    const p = await pg
      .withConnection((c) => c.query(`SELECT CAST(${dialect.quoteLiteral(text)} AS ${type}) AS v`))
      .then(
        (r) => r[0]!.v,
        () => 'ERROR',
      );
    return { js, d, p };
  };

  const agree = async (type: string, values: string[]) => {
    const disagreements: unknown[] = [];
    for (const text of values) {
      const { js, d, p } = await judge(type, text);
      const duckOk = d !== 'ERROR';
      if (js !== duckOk || (js && JSON.stringify(p) !== JSON.stringify(d))) disagreements.push({ type, text, js, duckdb: d, postgres: p });
    }
    expect(disagreements).toEqual([]);
  };

  it('tells acceptance and rejection apart (PostgreSQL alone would take "yes" and year 0 is nobody\'s)', async () => {
    expect(await judge('integer', '5')).toEqual({ js: true, d: 5, p: 5 });
    expect(await judge('boolean', 'yes')).toEqual({ js: false, d: 'ERROR', p: true });
    expect(await judge('timestamp', '2018-11-21 24:00:00')).toEqual({ js: false, d: 'ERROR', p: '2018-11-22 00:00:00' });
    expect(await judge('numeric(5,2)', '999.995')).toEqual({ js: false, d: 'ERROR', p: 'ERROR' });
  });

  const EDGES: Record<string, string[]> = {
    smallint: ['32767', '32768', '-32768', '-32769', '+5', '007', ' 1', '1 ', '1.0', '1e3', '', '-', '+', '0x10'],
    integer: ['2147483647', '2147483648', '-2147483648', '-2147483649', '99999999999999999999999999999999999999999999'],
    bigint: ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '1542837407796'],
    'double precision': [
      '1.5',
      '-0',
      '0',
      '.5',
      '5.',
      '+.5',
      '-.5e3',
      '.e5',
      '5.e3',
      '1_0',
      ' 1',
      '1 ',
      '0x1',
      'inf',
      'nan',
      '-nan',
      'infinity',
      '1e5 ',
      '1,5',
      '١',
      '1e308',
      '1e309',
      '1e-400',
      '0e-400',
      '00.000e5',
      '5e-324',
      '4.9e-324',
      '2.5e-324',
      'NaN',
      'Infinity',
      '-Infinity',
      '1E+2',
      '1e',
      '--1',
      '1.7976931348623158e308',
      '2.2250738585072014e-308',
    ],
    real: ['3.4028235e38', '3.5e38', '1e-45', '1e-46', '1.4e-45', '7e-46', '0.1', '16777217', '-0.0'],
    'numeric(5,2)': ['999.99', '999.994', '999.995', '-999.995', '1000', '0.005', '-0.005', '12.345', '.5', '5.', '1e2', '0000999.99', '+1'],
    'numeric(18,0)': ['999999999999999999', '1000000000000000000', '0.5', '-0.5', '1.49'],
    boolean: ['true', 'TRUE', 'False', 't', 'F', '1', '0', 'yes', 'no', 'on', '2', ' true', ''],
    date: [
      '2018-11-21',
      '2018-02-29',
      '2020-02-29',
      '1900-02-29',
      '2000-02-29',
      '0000-01-01',
      '0001-01-01',
      '9999-12-31',
      '2018-13-01',
      '2018-00-10',
      '2018-1-1',
      '18-11-21',
      '2018-11-31',
      '2018-11-21 10:00',
    ],
    timestamp: [
      '2018-11-21 21:56:47.796',
      '2018-11-21T21:56:47',
      '2018-11-21 21:56',
      '2018-11-21',
      '2018-11-21 24:00:00',
      '2018-11-21 23:59:60',
      '2018-11-21 23:60:00',
      '2018-11-21 10:00:00.1234567',
      '2018-11-21 10:00:00.123456',
      '2018-11-21 10:00:00.',
      '2019-02-29 10:00',
      '0000-01-01 00:00',
      '2018-11-21 1:2:3',
      '2018-11-21  10:00',
    ],
    'varchar(8)': ['12345678', '123456789', 'éééé', 'ééééé', '🎵🎵', '🎵🎵a', '', 'tab\tok'],
    text: ['anything', '', 'new\nline', 'emoji 🎵'],
  };

  it.each(Object.entries(EDGES))('%s: hand-picked edge values', async (type, values) => {
    await agree(type, values);
  });

  const digits = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
  const GENERATORS: Record<string, fc.Arbitrary<string>> = {
    integer: fc.oneof(
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }).map(String),
      fc.tuple(fc.constantFrom('', '+', '-'), digits(1, 12)).map(([s, d]) => s + d),
    ),
    bigint: fc.oneof(
      fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
      fc.tuple(fc.constantFrom('', '+', '-'), digits(18, 21)).map(([s, d]) => s + d),
    ),
    'double precision': fc.oneof(
      fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc
        .tuple(
          fc.constantFrom('', '-', '+'),
          digits(0, 3),
          fc.constantFrom('', '.'),
          digits(0, 3),
          fc.constantFrom('', 'e', 'E-', 'e+'),
          fc.integer({ min: 0, max: 420 }),
        )
        .map(([s, a, dot, b, e, x]) => `${s}${a}${dot}${b}${e}${e ? x : ''}`),
    ),
    real: fc.oneof(
      fc.float({ noNaN: true, noDefaultInfinity: true }).map(String),
      fc.tuple(digits(1, 2), fc.integer({ min: -50, max: 40 })).map(([m, x]) => `${m}e${x}`),
    ),
    'numeric(6,3)': fc.tuple(fc.constantFrom('', '-'), digits(0, 5), fc.constantFrom('', '.'), digits(0, 5)).map(([s, a, dot, b]) => `${s}${a}${dot}${b}`),
    date: fc
      .tuple(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
      .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
    timestamp: fc
      .tuple(
        fc.integer({ min: 1900, max: 2100 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 25 }),
        fc.integer({ min: 0, max: 61 }),
        fc.integer({ min: 0, max: 61 }),
        digits(0, 8),
        fc.constantFrom(' ', 'T'),
      )
      .map(
        ([y, mo, d, h, mi, s, f, sep]) =>
          `${y}-${String(mo).padStart(2, '0')}-${String(d).padStart(2, '0')}${sep}${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}:${String(s).padStart(2, '0')}${f ? '.' + f : ''}`,
      ),
    'varchar(6)': fc.string({ unit: fc.constantFrom('a', 'é', '漢', '🎵', ' '), maxLength: 7 }),
  };

  it.each(Object.entries(GENERATORS))('property: %s, random values', async (type, arb) => {
    await fc.assert(
      fc.asyncProperty(fc.array(arb, { minLength: 1, maxLength: 20 }), async (values) => {
        await agree(type, values);
      }),
      { numRuns: 15 },
    );
  });
});
