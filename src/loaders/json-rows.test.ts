import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseColumnType } from '../adapters/column-types.js';
import type { ColumnSpec } from '../types.js';
import { MAX_NESTING, inspectRecord } from './inspect-record.js';
import { checkValue, createRowMapper, isRejection, tokenText } from './json-rows.js';
import { JsonRecordSplitter } from './json-record-splitter.js';

const COLUMNS: ColumnSpec[] = [
  { name: 'id', type: 'integer' },
  { name: 'ts', type: 'bigint' },
  { name: 'status', type: 'smallint' },
  { name: 'len', type: 'double precision' },
  { name: 'r', type: 'real' },
  { name: 'amount', type: 'numeric(8,2)' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
  { name: 'day', type: 'date' },
  { name: 'name', type: 'varchar(8)' },
  { name: 'note', type: 'text' },
];

describe('mapping a record to a row', () => {
  const auto = createRowMapper(COLUMNS, { kind: 'auto' });
  const map = (raw: string) => auto.map(JSON.parse(raw), raw);

  it('maps keys exactly, missing keys to NULL, and ignores extra keys', () => {
    expect(map('{"id": 1, "ID": 2, "other": [1]}')).toEqual(['1', null, null, null, null, null, null, null, null, null, null]);
  });

  it.each([
    ['{"id": "x"}', 'id', 'invalid integer "x"'],
    ['{"status": 1.5}', 'status', 'invalid smallint "1.5"'],
    ['{"ts": "abc"}', 'ts', 'invalid bigint "abc"'],
    ['{"len": 1e999}', 'len', 'out of range for double precision'],
    ['{"r": 1e39}', 'r', 'out of range for real'],
    ['{"amount": 1234567.995}', 'amount', 'out of range for numeric(8,2)'],
    ['{"ok": "yes"}', 'ok', 'invalid boolean'],
    ['{"at": "2018-02-29 10:00"}', 'at', 'invalid timestamp'],
    ['{"day": "0000-01-01"}', 'day', 'invalid date'],
    ['{"name": "ninechars"}', 'name', 'value too long: 9 bytes for varchar(8)'],
    ['{"note": "a\\u0000b"}', 'note', 'contains a NUL character'],
  ])('rejects %s in column %s', (raw, column, reason) => {
    const r = map(raw);
    expect(isRejection(r) && r.column).toBe(column);
    expect(isRejection(r) && r.reason).toContain(reason);
  });

  it('rejects what is not an object, except an array mapped by a JSONPaths file', () => {
    for (const raw of ['[1, 2]', '42', '"x"', 'null', 'true']) expect(isRejection(map(raw))).toBe(true);
    const byPath = createRowMapper([{ name: 'a', type: 'integer' }], { kind: 'jsonpaths', location: 'p.json' }, [[1]]);
    expect(byPath.map([5, 6], '[5, 6]')).toEqual(['6']);
  });

  it.each([
    ['-0', '0'],
    ['-0.0', '-0.0'],
    ['9007199254740993', '9007199254740993'],
    ['-9223372036854775809', '-9223372036854775809'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
    ['1e400', '1e400'],
    ['1E2', '100.0'],
    ['4.60', '4.6'],
    ['10e-1', '1.0'],
    ['1e-400', '0.0'],
  ])('spells the number %s as DuckDB does: %s', (token, text) => {
    expect(tokenText(token)).toBe(text);
  });

  it('property: random JSON-ish lines give a row or a rejection, never an exception', () => {
    const key = fc.constantFrom(...COLUMNS.map((c) => c.name), 'ID', 'Note', 'x');
    const scalar = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom('2018-11-21', '2018-11-21 10:00:00.5', 'true', 'f', '1.5', '1e400', '12', '-0', '\u0000', 'ééééé', ''),
      fc.double().map((d) => (Number.isFinite(d) ? d : 0)),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    );
    const record = fc.dictionary(key, scalar, { maxKeys: 8 }).map((o) => JSON.stringify(o));
    const junk = fc.oneof(
      record,
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
      record.map((r) => r.slice(0, Math.max(1, r.length - 3))),
    );
    const ignorecase = createRowMapper(COLUMNS, { kind: 'auto_ignorecase' });
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 15 }), (lines) => {
        const s = new JsonRecordSplitter();
        const recs = [...s.push(Buffer.from(lines.join('\n'))), ...s.end()];
        for (const rec of recs) {
          if (rec.parseError !== undefined) continue;
          for (const mapper of [auto, ignorecase]) {
            const r = mapper.map(rec.value, rec.raw);
            if (isRejection(r)) {
              expect(typeof r.reason).toBe('string');
              continue;
            }
            expect(r).toHaveLength(COLUMNS.length);
            r.forEach((v, i) => {
              expect(v === null || typeof v === 'string').toBe(true);
              if (v !== null) expect(checkValue(v, parseColumnType(COLUMNS[i]!.type)!)).toBeUndefined();
            });
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('reading what JSON.parse does not keep from a record', () => {
  const mapper = createRowMapper(COLUMNS, { kind: 'auto' });
  const map = (line: string) => mapper.map(JSON.parse(line), line);

  it('the number as written, for the value of the column, not a token that looks alike elsewhere in the line', () => {
    expect(map('{"id": 1, "status": 10e-1}')).toMatchObject({ column: 'status', reason: 'invalid smallint "1.0"' });
    expect(map('{"ts": 0, "status": -0.0}')).toMatchObject({ column: 'status', reason: 'invalid smallint "-0.0"' });
    expect(map('{"len": 1e-400}')).toMatchObject({ column: 'len', reason: '1e-400 is out of range for double precision' });
    expect(map('{"len": 0e-400, "note": 1e-400}')).toEqual(expect.arrayContaining(['0.0']));
  });

  it('a key written twice: the first value', () => {
    const row = map('{"id": 1, "id": "x", "note": {"a": 1}, "note": 2}') as (string | null)[];
    expect([row[0], row[10]]).toEqual(['1', '{"a":1}']);
    expect(inspectRecord('{"a": 1, "b": {"a": 2}, "a": [3]}', [{ steps: ['a'] }])).toEqual([{ count: 2, start: 6, token: '1' }]);
  });

  it('nesting deeper than the limit, found without recursion, at its offset; unmapped nesting is skipped', () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(inspectRecord(`{"x": ${deep(200_000)}, "a": ${deep(MAX_NESTING)}}`, [{ steps: ['a'] }])[0]).toEqual({ count: 1, start: 6 + 2 * 200_000 + 7 });
    const line = `{"note": ${deep(100_000)}}`;
    expect(inspectRecord(line, [{ steps: ['note'] }])[0]).toMatchObject({ count: 1, tooDeepAt: 9 + MAX_NESTING });
    expect(map(line)).toMatchObject({ column: 'note', offset: 9 + MAX_NESTING });
  });

  it('JSONPaths: keys map objects, indexes map arrays; the other kind of record is a bad line', () => {
    const byKey = createRowMapper(COLUMNS.slice(0, 2), { kind: 'jsonpaths', location: 'p.json' }, [['id'], ['ts']]);
    expect(byKey.map([], '[]')).toMatchObject({ column: 'id', reason: expect.stringMatching(/the record is an array/) });
    const byIndex = createRowMapper(COLUMNS.slice(0, 2), { kind: 'jsonpaths', location: 'p.json' }, [[0], [1]]);
    expect(byIndex.map([1, 2], '[1, 2]')).toEqual(['1', '2']);
    expect(byIndex.map({ id: 1 }, '{"id": 1}')).toMatchObject({ column: 'id', reason: expect.stringMatching(/the record is an object/) });
  });
});
