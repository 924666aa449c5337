import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadError } from '../errors.js';
import type { SourceTable } from '../types.js';
import { createRowMapper } from './json-rows.js';
import { copyTextRow, copyTextValue, findCopyRow, jsonFilesToCopyText, recordToCopyRow } from './json-to-copy.js';

const source: SourceTable = {
  id: 'source.raw.events',
  sourceName: 'raw',
  name: 'events',
  identifier: 'events',
  location: '/data',
  columns: [
    { name: 'id', type: 'integer' },
    { name: 'note', type: 'varchar(64)' },
    { name: 'ts', type: 'bigint' },
  ],
  file: '/p/sources.yml',
  line: 3,
  tags: [],
};
const mapper = createRowMapper(source.columns, { kind: 'auto' });
const row = (raw: string, line = 1) => recordToCopyRow({ line, raw, value: JSON.parse(raw) }, '/data/a.json', mapper, source);

/** PostgreSQL's reading of one COPY text line (docs, "COPY: Text Format"), to check the writer against. */
function parseCopyLine(line: string): (string | null)[] {
  expect(line.endsWith('\n')).toBe(true);
  return line
    .slice(0, -1)
    .split('\t')
    .map((field) => (field === '\\N' ? null : field.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c)));
}

describe('COPY text values', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a\tb', 'a\\tb'],
    ['a\nb', 'a\\nb'],
    ['a\r\nb', 'a\\r\\nb'],
    ['back\\slash', 'back\\\\slash'],
    ['\\N', '\\\\N'],
    ['\\.', '\\\\.'],
    ['N', 'N'],
    ['quote " \' ok', 'quote " \' ok'],
    ['🎵 é', '🎵 é'],
  ])('%j is written as %j', (value, text) => {
    expect(copyTextValue(value)).toBe(text);
  });

  it('writes NULL as \\N, distinct from the text \\N', () => {
    expect(copyTextValue(null)).toBe('\\N');
    expect(copyTextRow([null, '\\N', ''])).toBe('\\N\t\\\\N\t\n');
  });

  it('property: a row reads back as the same values, one line, one tab per separator', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\t', '\n', '\r', 'N', '.'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) });
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { minLength: 1, maxLength: 8 }), (values) => {
        const line = copyTextRow(values);
        expect(line.slice(0, -1)).not.toMatch(/[\n\r]/);
        expect(line.split('\t')).toHaveLength(values.length);
        expect(parseCopyLine(line)).toEqual(values);
      }),
      { numRuns: 300 },
    );
  });
});

describe('JSON records to COPY rows', () => {
  it('keeps the canonical text of numbers and booleans in text columns', () => {
    expect(row('{"id": 1, "note": 4.60, "ts": 1542837407796}')).toBe('1\t4.6\t1542837407796\n');
    expect(row('{"id": 2, "note": 1e3}')).toBe('2\t1000.0\t\\N\n');
    expect(row('{"id": 3, "note": 1540919166796.0}')).toBe('3\t1540919166796.0\t\\N\n');
    expect(row('{"id": 4, "note": 66}')).toBe('4\t66\t\\N\n');
    expect(row('{"id": 5, "note": true}')).toBe('5\ttrue\t\\N\n');
    expect(row('{"id": 6, "note": {"a": ["x\\ty"]}}')).toBe('6\t{"a":["x\\\\ty"]}\t\\N\n');
  });

  it.each([
    ['{"id": 1, "ts": "abc"}', 'column ts: invalid bigint "abc"'],
    ['{"id": 1.5}', 'column id: invalid integer "1.5"'],
    ['{"id": 1, "note": "' + 'x'.repeat(65) + '"}', 'column note: value too long: 65 bytes for varchar(64)'],
    ['{"id": 1, "note": "nul \\u0000 here"}', 'column note: contains a NUL character'],
    ['[1, 2]', 'expected a JSON object, found an array'],
  ])('rejects %s with file, line and column', (raw, message) => {
    let err: unknown;
    try {
      row(raw, 7);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LoadError);
    expect(err).toMatchObject({ file: '/data/a.json', line: 7, node: 'raw.events' });
    expect((err as Error).message).toContain(message);
    expect((err as Error).message).toContain(`line: ${raw.slice(0, 40)}`);
  });
});

describe('streaming files as COPY text', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sparkify-copy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string | Buffer) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    return f;
  };
  const collect = async (gen: AsyncGenerator<Buffer>) => {
    const chunks: string[] = [];
    for await (const c of gen) chunks.push(c.toString('utf8'));
    return chunks;
  };

  it('reads files in order, skips blank lines, counts records and yields bounded chunks', async () => {
    const a = file('a.json', '{"id": 1, "note": "a"}\n\n{"id": 2}\r\n');
    const b = file('b.json.gz', gzipSync('{"id": 3, "note": "tab\\there"}\n{"id": 4}'));
    const stats = { records: 0, rows: 0 };
    const chunks = await collect(jsonFilesToCopyText([a, b], 'none', mapper, { source, stats, chunkSize: 16 }));
    expect(chunks.join('')).toBe('1\ta\t\\N\n2\t\\N\t\\N\n3\ttab\\there\t\\N\n4\t\\N\t\\N\n');
    expect(chunks.length).toBeGreaterThan(1);
    expect(stats).toEqual({ records: 4, rows: 4 });
  });

  it('stops at the first bad record, naming its file and line', async () => {
    const a = file('ok.json', '{"id": 1}');
    const b = file('bad.json', '{"id": 2}\n\n{"id": 3, "ts": "abc"}\n{"id": 4}');
    await expect(collect(jsonFilesToCopyText([a, b], 'none', mapper, { source }))).rejects.toMatchObject({ file: b, line: 3, message: expect.stringContaining('column ts') });
  });

  it('finds the record behind a COPY row number', async () => {
    const a = file('r1.json', '{"id": 1}\n\n{"id": 2}');
    const b = file('r2.json', '{"id": 3}\n{"id": 4}');
    expect(await findCopyRow([a, b], 'none', 2, mapper)).toEqual({ file: a, line: 3, raw: '{"id": 2}' });
    expect(await findCopyRow([a, b], 'none', 4, mapper)).toEqual({ file: b, line: 2, raw: '{"id": 4}' });
    expect(await findCopyRow([a, b], 'none', 5, mapper)).toBeUndefined();
  });
});
