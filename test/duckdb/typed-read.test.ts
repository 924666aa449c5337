import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection } from '../../src/adapters/adapter.js';
import { DuckDbEngine } from '../../src/adapters/duckdb/duckdb-engine.js';
import { fileReadingLoad, type BatchPath } from '../../src/loaders/file-reading-load.js';
import { SourceFiles } from '../../src/loaders/source-files.js';
import type { ColumnSpec, SourceTable } from '../../src/types.js';

/**
 * DuckDB's typed read (read_json with explicit column types, the fast path of the file-reading
 * load) against its strict path: for random files, spelled in every way JSON allows and many it
 * does not, the load with the fast path gives exactly the rows, rejected lines and errors of the
 * load without it. The fast path is taken only where its check vouches for every line.
 */

// number columns read as their type; the others as text, converted as on the strict path
const COLUMNS: ColumnSpec[] = [
  { name: 'n', type: 'integer' },
  { name: 's', type: 'smallint' },
  { name: 'big', type: 'bigint' },
  { name: 'x', type: 'double precision' },
  { name: 'name', type: 'varchar(8)' },
  { name: 'note', type: 'text' },
  { name: 'r', type: 'real' },
  { name: 'ok', type: 'boolean' },
  { name: 'price', type: 'numeric(5,2)' },
  { name: 'day', type: 'date' },
];
/** the JSON key of each column under the JSONPaths mapping (camelCase, as the Sparkify logs) */
const KEYS = ['nId', 's', 'bigTs', 'x', 'name', 'note', 'r', 'ok', 'price', 'day'];

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const integerText = fc.oneof(
  fc.integer({ min: -40000, max: 40000 }).map(String),
  fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }).map(String),
  fc.constantFrom('0', '-0', '2147483647', '2147483648', '-2147483648', '9223372036854775807', '9223372036854775808', '32767', '32768'),
);
const numberText = fc.oneof(
  integerText,
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.tuple(digits(1, 4), digits(1, 6), fc.constantFrom('', 'e', 'E', 'e-', 'e+'), digits(1, 3)).map(([a, b, e, x]) => `${a}.${b}${e ? `${e}${x}` : ''}`),
  fc.constantFrom(
    '1e-400',
    '1e400',
    '0.0',
    '-0.0',
    '1.5',
    '1.0',
    '1e3',
    '0e-999',
    '4.9e-324',
    '1.7976931348623157e308',
    '0.' + '0'.repeat(310) + '1',
    '1' + '0'.repeat(310),
  ),
);
const stringText = fc.oneof(
  fc.string({ maxLength: 10 }).map((s) => JSON.stringify(s)),
  fc.constantFrom(
    '"12"',
    '" 12"',
    '"0x10"',
    '"1e3"',
    '"1.5"',
    '"true"',
    '"t"',
    '"2024-02-30"',
    '"2024-02-29"',
    '"nan"',
    '"inf"',
    '"\\u0000"',
    '"caf\\u00e9"',
    '"\\ud83c\\udfb5"',
    '"\\ud800"',
    '"a\\/b"',
    '"123.456"',
    '"123.454"',
  ),
);
const valueText: fc.Arbitrary<string> = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    stringText,
    fc.constantFrom('true', 'false', 'null', 'NaN', 'Infinity', '[]', '{}'),
    fc.array(tie('v'), { maxLength: 3 }).map((xs) => `[${xs.join(',')}]`),
    fc.array(fc.tuple(fc.constantFrom('"nId"', '"x"', '"k"'), tie('v')), { maxLength: 2 }).map((kv) => `{${kv.map(([k, v]) => `${k}: ${v}`).join(', ')}}`),
  ),
})).v;
/** a key: a column's (as it is, escaped, in another case), or another one */
const keyText = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...KEYS).map((k) => JSON.stringify(k)) },
  { weight: 1, arbitrary: fc.constantFrom('"NID"', '"nid"', '"n\\u0049d"', '"bigts"', '"X"', '"\\u0078"', '"other"', '"name "', '"n"') },
);
const blank = fc.constantFrom('', ' ', '\t');
const member = fc.tuple(keyText, valueText, blank).map(([k, v, b]) => `${k}:${b}${v}`);
const objectText = fc
  .tuple(fc.array(member, { maxLength: 8 }), blank, fc.boolean())
  .map(([ms, b, trailingComma]) => `${b}{${ms.join(',' + b)}${trailingComma && ms.length > 0 ? ',' : ''}}${b}`);
/** a well-typed record: what most files hold, so that the fast path is taken often */
const goodFields = fc.record(
  {
    nId: fc.integer({ min: -1000, max: 1000 }),
    s: fc.integer({ min: -100, max: 100 }),
    bigTs: fc.integer({ min: 0, max: 2 ** 40 }),
    x: fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }),
    name: fc.string({ maxLength: 8 }),
    note: fc.oneof(fc.string(), fc.constant(null)),
    r: fc.float({ noNaN: true, noDefaultInfinity: true }),
    ok: fc.boolean(),
    price: fc.integer({ min: -99999, max: 99999 }).map((c) => c / 100),
    day: fc.constantFrom('2024-01-31', '2023-12-01'),
  },
  { requiredKeys: [] },
);
const goodRecord = goodFields.map((o) => JSON.stringify(o));
/** a well-typed record but for one member, any key with any value: the lines the check must tell apart */
const subtleRecord = fc.tuple(goodFields, keyText, valueText).map(([o, k, v]) => {
  const rest = Object.fromEntries(Object.entries(o).filter(([key]) => JSON.stringify(key) !== k));
  const text = JSON.stringify(rest);
  return text === '{}' ? `{${k}: ${v}}` : `${text.slice(0, -1)}, ${k}: ${v}}`;
});
const line = fc.oneof(
  { weight: 12, arbitrary: goodRecord },
  { weight: 4, arbitrary: objectText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '   ',
      'null',
      '[1, 2]',
      '5',
      '"x"',
      '{"nId": 1} {"nId": 2}',
      '{"nId": 1',
      '{"nId": 1,, "x": 2}',
      '{"nId": 01}',
      '{"nId": 1}\r',
    ),
  },
);
/** a file: lines joined by LF (or CRLF), perhaps a BOM, perhaps no final line end */
const fileOf = (lines: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.array(lines, { minLength: 1, maxLength: 12 }), fc.constantFrom('\n', '\r\n'), fc.boolean(), fc.integer({ min: 0, max: 9 }))
    .map(([ls, eol, finalEol, bom]) => (bom === 0 ? '\uFEFF' : '') + ls.join(eol) + (finalEol ? eol : ''));
/** well-typed records and one subtle one, anywhere in the file */
const subtleFile = fc
  .tuple(fc.array(goodRecord, { maxLength: 5 }), subtleRecord, fc.array(goodRecord, { maxLength: 5 }), fc.constantFrom('\n', '\r\n'))
  .map(([a, s, b, eol]) => [...a, s, ...b].join(eol) + eol);
/** many files hold well-typed records only, so that the typed read is taken often */
const fileText = fc.oneof(fileOf(goodRecord), subtleFile, fileOf(line));

type Outcome = { rows: unknown[]; rejected: string[] } | { error: string };

describe('DuckDB typed read: the same rows as the strict path', () => {
  let engine: DuckDbEngine;
  let dir: string;
  let seq = 0;
  beforeAll(async () => {
    engine = await DuckDbEngine.open(':memory:', 'main');
    dir = mkdtempSync(path.join(tmpdir(), 'sparkify-typed-read-'));
  });
  afterAll(async () => {
    await engine?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function load(c: Connection, source: SourceTable, typedRead: boolean, paths: BatchPath[]): Promise<Outcome> {
    const into = { schema: 'main', name: `t${++seq}` };
    try {
      const r = await fileReadingLoad(c, engine.dialect, new SourceFiles(), { kind: 'load', source, into }, undefined, {
        typedRead,
        onBatch: (p) => paths.push(p),
      });
      const rows = await c.query(`SELECT * FROM ${engine.dialect.relation(into)} ORDER BY ALL`);
      expect(r.rows).toBe(rows.length);
      return { rows, rejected: (r.rejected ?? []).map((b) => `${path.basename(b.file)}:${b.line} ${b.column ?? ''} ${b.reason}`) };
    } catch (err) {
      return { error: err instanceof Error ? err.message : String(err) };
    } finally {
      await c.execute(engine.dialect.dropRelation(into, 'table'));
    }
  }

  it('property: random files load to the same rows, rejections and errors with and without the typed read', async () => {
    const taken: Record<BatchPath, number> = { typed: 0, strict: 0, tolerant: 0 };
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.array(fileOf(goodRecord), { minLength: 1, maxLength: 2 }),
          fc.tuple(subtleFile).map(([f]) => [f]),
          fc.array(fileText, { minLength: 1, maxLength: 3 }),
        ),
        fc.constantFrom<'jsonpaths' | 'auto'>('jsonpaths', 'auto'),
        fc.constantFrom(0, 3),
        async (files, mapping, maxErrors) => {
          const folder = mkdtempSync(path.join(dir, 'case-'));
          try {
            files.forEach((text, i) => writeFileSync(path.join(folder, `part-${i}.json`), text));
            const jsonpaths = path.join(dir, `${path.basename(folder)}.jsonpaths`);
            writeFileSync(jsonpaths, JSON.stringify({ jsonpaths: (mapping === 'jsonpaths' ? KEYS : COLUMNS.map((c) => c.name)).map((k) => `$['${k}']`) }));
            const source: SourceTable = {
              id: 'source.t.events',
              sourceName: 't',
              name: 'events',
              identifier: 'events',
              location: folder,
              file: 'sources.yml',
              line: 3,
              tags: [],
              columns: COLUMNS,
              copy: {
                format: 'json',
                // 'auto' reads the columns' own names; the JSONPaths file reads the camelCase keys
                json: mapping === 'auto' ? { kind: 'auto' } : { kind: 'jsonpaths', location: jsonpaths },
                maxErrors,
                compression: 'none',
                truncateColumns: false,
                blanksAsNull: false,
                emptyAsNull: false,
                manifest: false,
              },
            };
            const strictPaths: BatchPath[] = [];
            const typedPaths: BatchPath[] = [];
            const [strict, typed] = await engine.withConnection(async (c) => [
              await load(c, source, false, strictPaths),
              await load(c, source, true, typedPaths),
            ]);
            runs++;
            for (const p of typedPaths) taken[p]++;
            expect(strictPaths).not.toContain('typed');
            expect(typed).toEqual(strict);
          } finally {
            rmSync(folder, { recursive: true, force: true });
          }
        },
      ),
      { numRuns: 200 },
    );
    // the property is about both paths: a good share of the batches must have taken each
    expect(runs).toBe(200);
    expect(taken.typed).toBeGreaterThanOrEqual(20);
    expect(taken.strict + taken.tolerant).toBeGreaterThanOrEqual(20);
  }, 600_000);
});
