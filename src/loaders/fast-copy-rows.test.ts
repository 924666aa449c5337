import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnSpec, JsonMapping, SourceTable } from '../types.js';
import { createFastRowEncoder, type FastRowEncoder } from './fast-copy-rows.js';
import { parseJsonPath, type PathStep } from './json-paths.js';
import { createRowMapper, isRejection, type RowMapper } from './json-rows.js';
import { copyTextRow, jsonFilesToCopyText } from './json-to-copy.js';
import { RejectionLimit } from './load-errors.js';
import { JsonRecordSplitter } from './json-record-splitter.js';

// Every type the fast path treats differently, and some it always leaves to the full path.
const COLUMNS: ColumnSpec[] = [
  { name: 'name', type: 'varchar(8)' },
  { name: 'note', type: 'text' },
  { name: 'n', type: 'integer' },
  { name: 's', type: 'smallint' },
  { name: 'big', type: 'bigint' },
  { name: 'x', type: 'double precision' },
  { name: 'r', type: 'real' },
  { name: 'ok', type: 'boolean' },
  { name: 'price', type: 'numeric(5,2)' },
  { name: 'day', type: 'date' },
];
const FLOAT_COLUMNS = new Set(['x', 'r']);

/** The full path's row for one line: the COPY text, a rejection, or a parse error. */
function slowRow(line: string, mapper: RowMapper): string | { bad: string } {
  const splitter = new JsonRecordSplitter();
  const recs = [...splitter.push(Buffer.from(line, 'utf8')), ...splitter.end()];
  if (recs.length !== 1) return { bad: `${recs.length} records` };
  const rec = recs[0]!;
  if (rec.parseError !== undefined) return { bad: rec.parseError };
  const mapped = mapper.map(rec.value, rec.raw);
  if (isRejection(mapped)) return { bad: mapped.reason };
  return copyTextRow(mapped);
}

function fastRow(line: string, fast: FastRowEncoder): string | undefined {
  const bytes = Buffer.from(line, 'utf8');
  const out = Buffer.alloc(fast.maxRowBytes(bytes.length) + 8, 0xff);
  const end = fast.encode(bytes, 0, bytes.length, out, 4);
  if (end < 0) return undefined;
  expect(end - 4).toBeLessThanOrEqual(fast.maxRowBytes(bytes.length));
  return out.subarray(4, end).toString('utf8');
}

/** Fields compare as text, but a double column may differ in a ".0": see the note in the property below. */
function sameRow(fast: string, slow: string, columns: ColumnSpec[]): boolean {
  if (fast === slow) return true;
  const a = fast.slice(0, -1).split('\t');
  const b = slow.slice(0, -1).split('\t');
  return a.length === b.length && a.every((v, i) => v === b[i] || (FLOAT_COLUMNS.has(columns[i]!.name) && v === `${b[i]}.0`));
}

// ---- generators of JSON text, spelled in every way the format allows ----

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const intToken = fc.oneof(
  fc.constantFrom('0', '-0', '1', '-1', '32767', '32768', '-32768', '-32769', '2147483647', '2147483648', '-2147483648', '-2147483649'),
  fc.constantFrom('9007199254740991', '9007199254740993', '123456789012345', '1234567890123456', '99999999999999999999999'),
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 9 }), digits(0, 17)).map(([neg, d, rest]) => `${neg ? '-' : ''}${d}${rest}`),
);
const fracToken = fc
  .tuple(
    fc.boolean(),
    fc.oneof(
      fc.constant('0'),
      intToken.filter((t) => !t.startsWith('-')),
    ),
    digits(1, 12),
  )
  .map(([neg, i, f]) => `${neg ? '-' : ''}${i}.${f}`);
const expToken = fc.tuple(fc.oneof(intToken, fracToken), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), digits(1, 3)).map((p) => p.join(''));
const numberToken = fc.oneof(intToken, fracToken, expToken, fc.constantFrom('1540919166796.0', '0.000001', '0.0000001', '4.60', '1e3', '0.5', '-0.0', '12.0'));

const strChar = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('a', 'b', 'Z', ' ', '1', '-', '/', "'", '.') },
  { weight: 2, arbitrary: fc.constantFrom('\\"', '\\\\', '\\/', '\\n', '\\t', '\\r', '\\b', '\\f') },
  {
    weight: 2,
    arbitrary: fc.constantFrom('\\u00e9', '\\u20AC', '\\u0041', '\\u005c', '\\u0009', '\\u000A', '\\u0001', '\\u0000', '\\ud83c\\udfb5', '\\ud83c', '\\udfb5'),
  },
  { weight: 2, arbitrary: fc.constantFrom('é', '€', '🎵', '\u0001', '\t', '\u007f') },
  { weight: 1, arbitrary: fc.constantFrom('\\x', '\\u12', '"') },
);
const stringToken = fc.array(strChar, { maxLength: 12 }).map((cs) => `"${cs.join('')}"`);
const literalToken = fc.constantFrom('true', 'false', 'null', 'tru', 'nul');
const nestedToken = fc.constantFrom('{}', '[]', '{"a":1}', '[1,"x"]');
const dateLike = fc.constantFrom('"2018-11-01"', '"2018-02-30"', '"12.5"', '"7"', '"true"', '"t"');
const valueToken = fc.oneof(
  { weight: 4, arbitrary: numberToken },
  { weight: 4, arbitrary: stringToken },
  { weight: 2, arbitrary: literalToken },
  { weight: 1, arbitrary: nestedToken },
  { weight: 1, arbitrary: dateLike },
);
const keyName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...COLUMNS.map((c) => c.name)) },
  { weight: 2, arbitrary: fc.constantFrom('Name', 'NOTE', 'nAme', 'other', 'extra', 'k\\u0061y', 'na\\"me', 'é', '\u212Ak') },
);
const ws = fc.constantFrom('', '', '', ' ', '  ', '\t', '\r');

const objectLine = fc
  .tuple(fc.array(fc.tuple(keyName, ws, ws, valueToken, ws), { maxLength: 12 }), ws, ws, fc.constantFrom('', '', '', '\r', ' ', ',', '}', ' {}', 'x'))
  .map(([pairs, a, b, tail]) => `${a}{${pairs.map(([k, w1, w2, v, w3]) => `${w1}"${k}"${w2}:${v}${w3}`).join(',')}}${b}${tail}`);
/** objects whose values mostly suit their columns' types: the lines the fast path is for */
const fitting: Record<string, fc.Arbitrary<string>> = {
  name: fc.oneof(stringToken, intToken),
  note: fc.oneof(stringToken, numberToken, literalToken),
  n: intToken,
  s: intToken,
  big: intToken,
  x: fc.oneof(fracToken, intToken, numberToken),
  r: fc.oneof(fracToken, intToken),
  ok: fc.constantFrom('true', 'false', 'null'),
  price: fc.constant('null'),
  day: fc.constant('null'),
};
const typedLine = fc
  .tuple(fc.shuffledSubarray(COLUMNS.map((c) => c.name)), ws)
  .chain(([keys, w]) => fc.tuple(...keys.map((k) => fitting[k]!.map((v) => `"${k}":${w}${v}`))))
  .map((pairs) => `{${pairs.join(',')}}`);
/** mostly well-formed objects, sometimes broken at one place */
const line = fc.oneof(
  { weight: 8, arbitrary: typedLine },
  { weight: 8, arbitrary: objectLine },
  {
    weight: 2,
    arbitrary: fc.tuple(objectLine, fc.nat(), fc.constantFrom('', '"', ',', ':', '{', '}', 'x', '\\', ' ')).map(([l, at, c]) => {
      const i = l.length === 0 ? 0 : at % l.length;
      return l.slice(0, i) + c + l.slice(i + 1);
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom('', '   ', '[1,2]', '"text"', '42', 'null', '{', '}', '{"name":"a"} {"name":"b"}') },
);

const MAPPINGS: { name: string; mapping: JsonMapping; paths?: PathStep[][] }[] = [
  { name: 'auto', mapping: { kind: 'auto' } },
  { name: 'auto ignorecase', mapping: { kind: 'auto_ignorecase' } },
  {
    name: 'a JSONPaths file',
    mapping: { kind: 'jsonpaths', location: 'paths.json' },
    // reordered, one key read twice, one key that no record has
    paths: ['$.note', "$['name']", '$.n', '$.s', '$.big', '$.x', '$.r', '$.ok', '$["name"]', '$.missing'].map((p) => parseJsonPath(p)!),
  },
];

describe('the fast JSON-to-COPY path', () => {
  for (const { name, mapping, paths } of MAPPINGS) {
    it(`makes exactly the full path's row, or leaves the line to it (${name})`, () => {
      const mapper = createRowMapper(COLUMNS, mapping, paths);
      const fast = createFastRowEncoder(COLUMNS, mapping, paths)!;
      expect(fast).toBeDefined();
      let taken = 0;
      fc.assert(
        fc.property(line, (text) => {
          const f = fastRow(text, fast);
          if (f === undefined) return true;
          taken++;
          const slow = slowRow(text, mapper);
          // the fast path never takes a line the full path rejects
          expect(slow, text).toBeTypeOf('string');
          // A double written with a zero fraction (5.0) is spelled as written by the fast path; the
          // full path reads JSON.parse's 5 back against the raw text and may spell it 5 when a bare 5
          // is elsewhere in the record. Both are the same double.
          expect(sameRow(f, slow as string, COLUMNS), `${text}\nfast ${JSON.stringify(f)}\nslow ${JSON.stringify(slow)}`).toBe(true);
          return true;
        }),
        { numRuns: 4000 },
      );
      // the generator must exercise the fast path, not only the fallback
      expect(taken).toBeGreaterThan(400);
    });
  }

  it.each([
    [
      '{"name":"ab","note":"x\\ty\\\\z\\n","n":7,"x":4.60,"r":1540919166796.0,"ok":true}',
      'ab\tx\\ty\\\\z\\n\t7\t\\N\t\\N\t4.6\t1540919166796.0\ttrue\t\\N\t\\N\n',
    ],
    ['{"note":"caf\\u00e9 \\u20ac \\/ \\"q\\""}', '\\N\tcafé € / "q"\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n'],
    ['  { "n" : -12 , "x" : 0.000001 , "big": 123456789012345 }  \r', '\\N\t\\N\t-12\t\\N\t123456789012345\t0.000001\t\\N\t\\N\t\\N\t\\N\n'],
    ['{}', '\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n'],
    ['{"note":12.50,"name":false,"price":null,"day":null}', 'false\t12.5\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n'],
  ])('writes %s as COPY text', (json, copy) => {
    expect(fastRow(json, createFastRowEncoder(COLUMNS, { kind: 'auto' })!)).toBe(copy);
  });

  it.each([
    ['malformed JSON', '{"n":1,}'],
    ['a nested value', '{"note":{"a":1}}'],
    ['a duplicate key', '{"n":1,"n":2}'],
    ['an integer out of range', '{"s":32768}'],
    ['a fraction in an integer column', '{"n":1.5}'],
    ['an exponent', '{"x":1e3}'],
    ['17 significant digits', '{"x":0.12345678901234567}'],
    ['-0', '{"n":-0}'],
    ['a string in a number column', '{"n":"7"}'],
    ['a varchar too long', '{"name":"123456789"}'],
    ['an escaped string too long', '{"name":"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"}'],
    ['NUL', '{"note":"a\\u0000b"}'],
    ['a surrogate pair', '{"note":"\\ud83c\\udfb5"}'],
    ['a numeric column', '{"price":1.5}'],
    ['a date column', '{"day":"2018-11-01"}'],
    ['a second object on the line', '{"n":1} {"n":2}'],
    ['an array', '[1]'],
    ['a blank line', '   '],
  ])('leaves %s to the full path', (_, json) => {
    expect(fastRow(json, createFastRowEncoder(COLUMNS, { kind: 'auto' })!)).toBeUndefined();
  });

  it('has no fast path for a JSONPaths expression deeper than one key', () => {
    const deep = COLUMNS.map((c, i) => (i === 0 ? parseJsonPath('$.a.b')! : [c.name]));
    expect(createFastRowEncoder(COLUMNS, { kind: 'jsonpaths', location: 'p' }, deep)).toBeUndefined();
    const index = COLUMNS.map((c, i) => (i === 0 ? parseJsonPath('$[0]')! : [c.name]));
    expect(createFastRowEncoder(COLUMNS, { kind: 'jsonpaths', location: 'p' }, index)).toBeUndefined();
  });
});

describe('a load with and without the fast path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sparkify-fast-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source: SourceTable = {
    id: 'source.raw.t',
    sourceName: 'raw',
    name: 't',
    identifier: 't',
    location: dir,
    columns: COLUMNS,
    copy: {
      json: { kind: 'auto' },
      maxErrors: 1_000_000,
      compression: 'none',
      truncateColumns: false,
      blanksAsNull: false,
      emptyAsNull: false,
      manifest: false,
    },
    file: '/p/sources.yml',
    line: 1,
    tags: [],
  };

  async function load(files: string[], fast: boolean, chunkSize: number) {
    const stats = { records: 0, rows: 0 };
    const limit = new RejectionLimit(source);
    const chunks: Buffer[] = [];
    const mapper = createRowMapper(COLUMNS, { kind: 'auto' });
    for await (const c of jsonFilesToCopyText(files, 'none', mapper, { source, stats, limit, fast, chunkSize })) chunks.push(c);
    return { text: Buffer.concat(chunks).toString('utf8'), stats, rejected: limit.rejected };
  }

  it('gives the same rows, in the same order, the same counts and the same rejected lines', async () => {
    let k = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof({ weight: 6, arbitrary: line }, { weight: 1, arbitrary: fc.constantFrom('{"note":\n"two lines"}', '{"n":\n', '\uFEFF{"n":1}') }), {
          maxLength: 40,
        }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom(16, 1024, 256 * 1024),
        async (lines, eol, chunkSize) => {
          const f = path.join(dir, `f${k++}.json`);
          writeFileSync(f, lines.join(eol));
          const a = await load([f], true, chunkSize);
          const b = await load([f], false, chunkSize);
          const rowsA = a.text.split('\n');
          const rowsB = b.text.split('\n');
          expect(rowsA.length).toBe(rowsB.length);
          rowsA.forEach((r, i) => expect(sameRow(r + '\n', rowsB[i]! + '\n', COLUMNS), `${r}\n${rowsB[i]}`).toBe(true));
          expect(a.stats).toEqual(b.stats);
          expect(a.rejected).toEqual(b.rejected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
