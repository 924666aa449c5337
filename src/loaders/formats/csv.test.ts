import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LoadError, ProjectError } from '../../errors.js';
import { defaultSeedType, misfit, readSeedCsv, type SeedInput } from './csv.js';
import { RedshiftDialect } from '../../adapters/redshift/redshift-dialect.js';
import { parseColumnType } from '../../adapters/column-types.js';

const seed = (over: Partial<SeedInput['config']> = {}): SeedInput => ({
  name: 'people',
  file: '/nonexistent/seeds/people.csv',
  path: 'seeds/people.csv',
  key: 'people.csv',
  config: { column_types: {}, quote_columns: false, delimiter: ',', ...over },
  columnTypesAt: { file: '/p/dbt_project.yml', line: 7 },
  ownColumnTypes: ['amont'],
});

/** reads CSV text given here instead of a file */
const read = (text: string, s: SeedInput = seed(), typeFor = defaultSeedType) => readSeedCsv(s, typeFor, () => Readable.from([Buffer.from(text)]));
const types = async (text: string, s?: SeedInput, typeFor = defaultSeedType) => Object.fromEntries((await read(text, s, typeFor)).columns.map((c) => [c.name, c.type]));

describe('seed type inference (dbt-common build_type_tester, dbt-adapters convert_*_type)', () => {
  it.each([
    ['whole numbers', 'a\n1\n-2\n007\n', 'integer'],
    ['past 32 bits', 'a\n1\n3000000000\n', 'bigint'],
    ['a decimal anywhere', 'a\n1\n2.50\n', 'double precision'],
    ['dates (%Y-%m-%d)', 'a\n2018-01-01\n2018-02-28\n', 'date'],
    ['a day that does not exist', 'a\n2018-02-30\n', 'text'],
    ['dates and timestamps', 'a\n2018-01-01\n2018-01-02 10:11:12\n2018-01-03T10:11:12.5\n', 'timestamp'],
    ['true and false in any case', 'a\ntrue\nFALSE\n', 'boolean'],
    ['numbers and booleans together', 'a\n1\ntrue\n', 'text'],
    ['words', 'a\nx\n1\n', 'text'],
    ['only empty values (agate: Integer)', 'a,b\n,1\n,2\n', 'integer'],
    ['1 and 0 (numbers before booleans)', 'a\n1\n0\n', 'integer'],
  ])('%s', async (_what, text, type) => {
    expect((await types(text)).a).toBe(type);
  });

  it('empty fields are NULL and skipped by inference; a quoted empty value is text', async () => {
    expect(await types('a,b\n1,\n,""\n')).toEqual({ a: 'integer', b: 'text' });
  });

  it('counts the data rows (a quoted value may span lines)', async () => {
    const r = await read('id,note\n1,"two\nlines"\n2,x\n');
    expect(r.rows).toBe(2);
  });

  it('Redshift: numeric(18, most decimals) and varchar(longest value in bytes), as dbt-redshift', async () => {
    const d = new RedshiftDialect();
    expect(await types('n,t,e\n1.5,ab,\n2.125,é,\n', seed(), (c) => d.seedColumnType(c))).toEqual({ n: 'numeric(18,3)', t: 'varchar(2)', e: 'integer' });
  });

  it('column_types wins over inference; names fold to lower case unless quote_columns', async () => {
    expect(await types('ID,Amount\n1,2\n', seed({ column_types: { amount: 'numeric(10,2)' } }))).toEqual({ id: 'integer', amount: 'numeric(10,2)' });
    expect(await types('ID,Amount\n1,2\n', seed({ quote_columns: true }))).toEqual({ ID: 'integer', Amount: 'integer' });
  });

  it('a delimiter other than the comma', async () => {
    expect(await types('a;b\n1;x,y\n', seed({ delimiter: ';' }))).toEqual({ a: 'integer', b: 'text' });
  });
});

describe('bad seed files are errors at file:line:column with the fix', () => {
  const fails = async (text: string, s?: SeedInput) => {
    try {
      await read(text, s);
    } catch (e) {
      return e as LoadError;
    }
    throw new Error('no error');
  };

  it('a ragged row: too many fields, at the first extra one', async () => {
    const e = await fails('id,name\n1,ann\n2,bob,extra\n');
    expect(e).toBeInstanceOf(LoadError);
    expect([e.line, e.column]).toEqual([3, 7]);
    expect(e.message).toContain('seeds/people.csv:3:7: seed people: the row has 3 fields, the header 2');
    expect(e.hint).toContain('give every row 2 fields');
  });

  it('a ragged row: too few fields, at the end of the line', async () => {
    const e = await fails('id,name\n1,ann\n2\n');
    expect([e.line, e.column]).toEqual([3, 2]);
  });

  it('an empty line in the middle', async () => {
    const e = await fails('id,name\n1,ann\n\n2,bob\n');
    expect(e.line).toBe(3);
    expect(e.message).toContain('the line is empty');
  });

  it('a quote that closes in the middle of a value', async () => {
    const e = await fails('id,name\n1,"ann"x\n');
    expect([e.line, e.column]).toEqual([2, 3]);
    expect(e.message).toContain('a quote closes in the middle of a value');
  });

  it('a quote that opens in the middle of a value', async () => {
    const e = await fails('id,name\n1,an"n\n');
    expect(e.line).toBe(2);
    expect(e.message).toContain('a quote opens in the middle of a value');
  });

  it('a quote never closed', async () => {
    const e = await fails('id,name\n1,"ann\n2,bob\n');
    expect(e.message).toContain('a quoted value is never closed');
  });

  it('a value that does not fit its column_types type, at its column', async () => {
    const e = await fails('id,amount\n1,10\n2,abc\n', seed({ column_types: { amount: 'integer' } }));
    expect([e.line, e.column]).toEqual([3, 3]);
    expect(e.message).toContain('column amount (integer in column_types): "abc" is not a whole number');
    expect(e.hint).toContain('no table was written');
  });

  it('a column_types column the file does not have, at the line that declares it', async () => {
    const e = await fails('id,amount\n1,10\n', seed({ column_types: { amont: 'integer' } }));
    expect(e).toBeInstanceOf(ProjectError);
    expect([e.file, e.line]).toEqual(['/p/dbt_project.yml', 7]);
    expect(e.message).toContain('column_types names column amont, which seeds/people.csv does not have (its columns: id, amount)');
  });

  it('a header that is not a column name, a header with a name twice, an empty file', async () => {
    expect((await fails('id,first name\n1,a\n')).message).toContain('"first name", is not a column name');
    expect((await fails('id,ID\n1,2\n')).message).toContain('names column id twice');
    expect((await fails('')).message).toContain('the file is empty');
  });
});

describe('misfit: the checks of a declared type', () => {
  const t = (s: string) => parseColumnType(s)!;
  it.each([
    ['32768', 'smallint', 'out of range'],
    ['1.5', 'integer', 'not a whole number'],
    ['123.456', 'numeric(4,2)', 'does not fit numeric(4,2)'],
    ['99.996', 'numeric(4,2)', 'does not fit numeric(4,2)'],
    ['yes', 'boolean', 'not a boolean'],
    ['2018-13-01', 'date', 'not a date'],
    ['2018-01-01 25:00:00', 'timestamp', 'not a timestamp'],
    ['abcd', 'varchar(3)', 'over varchar(3)'],
    ['x', 'double precision', 'not a number'],
  ])('%s in %s', (value, type, why) => {
    expect(misfit(value, t(type))).toContain(why);
  });
  it.each([
    ['32767', 'smallint'],
    ['99.99', 'numeric(4,2)'],
    ['99.994', 'numeric(4,2)'],
    ['t', 'boolean'],
    ['2018-01-01', 'timestamp'],
    ['abc', 'varchar(3)'],
    ['-1.5e3', 'double precision'],
  ])('%s fits %s', (value, type) => {
    expect(misfit(value, t(type))).toBeUndefined();
  });
});
