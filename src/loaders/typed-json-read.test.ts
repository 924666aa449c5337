import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ColumnSpec } from '../types.js';
import { fitsTypedRead, planTypedJsonRead } from './typed-json-read.js';

const COLUMNS: ColumnSpec[] = [
  { name: 'id', type: 'integer' },
  { name: 'x', type: 'double precision' },
  { name: 'name', type: 'varchar(8)' },
  { name: 'r', type: 'real' },
];
const BY_KEY = [['id'], ['x'], ['name'], ['r']];

describe('planning a typed read', () => {
  it.each<[string, Parameters<typeof planTypedJsonRead>, boolean]>([
    ['top-level keys', [COLUMNS, { kind: 'jsonpaths', location: 'p' }, BY_KEY], true],
    ["json 'auto'", [COLUMNS, { kind: 'auto' }, undefined], true],
    ["json 'auto ignorecase' (the reader's keys could match in another case)", [COLUMNS, { kind: 'auto_ignorecase' }, undefined], false],
    ['a nested JSONPath', [COLUMNS, { kind: 'jsonpaths', location: 'p' }, [['id'], ['x', 'y'], ['name'], ['r']]], false],
    ['an array index', [COLUMNS, { kind: 'jsonpaths', location: 'p' }, [[0], [1], [2], [3]]], false],
    ['two keys equal but for case', [COLUMNS, { kind: 'jsonpaths', location: 'p' }, [['id'], ['ID'], ['name'], ['r']]], false],
    ['a key read twice', [COLUMNS, { kind: 'jsonpaths', location: 'p' }, [['id'], ['id'], ['name'], ['r']]], false],
  ])('%s', (_, args, planned) => {
    expect(planTypedJsonRead(...args) !== undefined).toBe(planned);
  });

  it('reads integers and doubles as their type, the rest as text; real is text but checked as a number, text columns for numbers spelt alike both ways', () => {
    expect(planTypedJsonRead(COLUMNS, { kind: 'auto' }, undefined)).toEqual({
      keys: ['id', 'x', 'name', 'r'],
      reads: ['number', 'number', 'text', 'text'],
      needs: ['integer', 'number', 'text', 'number'],
      underflow: true,
    });
  });
});

describe('the check of a typed read', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sparkify-typed-check-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const plan = planTypedJsonRead(COLUMNS, { kind: 'auto' }, undefined)!;
  let n = 0;
  const fits = async (text: string | Buffer, size?: number) => {
    const file = path.join(dir, `f${++n}.json`);
    writeFileSync(file, text);
    return fitsTypedRead([file], new Map([[file, size]]), plan);
  };

  it.each<[string, string, boolean]>([
    ['well-typed lines', '{"id": 1, "x": 2.5e3, "name": "a\\"b", "r": -0.5, "other": {"id": "x"}}\n{"id": null}\n\n  \n', true],
    ['no final line end, CRLF', '{"id": 1}\r\n{"x": 1e-250}', true],
    ['an empty file', '', true],
    ['a string in an integer column', '{"id": "1"}\n', false],
    ['a double in an integer column', '{"id": 1.0}\n', false],
    ['a boolean in a double column', '{"x": true}\n', false],
    ['a string in a real column', '{"r": "1"}\n', false],
    ['an exponent that may underflow', '{"x": 1e-300}\n', false],
    ['an exponent that may overflow', '{"x": 1E+400}\n', false],
    ['300 digits', `{"x": 0.${'0'.repeat(298)}1}\n`, false],
    ['a null record', '{"id": 1}\nnull\n', false],
    ['an array record', '[1]\n', false],
    ['an escape in a key', '{"i\\u0064": "x"}\n', false],
    ['two objects on a line', '{"id": 1} {"id": 2}\n', false],
    ['a record over lines', '{"id": 1,\n"x": 2}\n', false],
    ['a UTF-8 BOM', '\uFEFF{"id": 1}\n', false],
    ['an empty object', '{}\n{ }\n', true],
    ['an exponent that may underflow inside a text value (the strict path reads the record itself)', '{"name": [1e-400]}\n', false],
    ['a trailing comma (DuckDB takes it, JSON does not)', '{"id": 1,}\n', false],
    ['numbers and other values in a text column', '{"name": 1}\n{"name": -12.50}\n{"name": 123456789012345}\n{"name": null}\n{"name": true}\n{"name": [1e400]}\n', true],
    ['an exponent in a text column (the strict path spells 1.0e+20 as 100000000000000000000.0)', '{"name": 1.0e+20}\n', false],
    ['16 digits in a text column', '{"name": 1234567890123.456}\n', false],
  ])('%s', async (_, text, expected) => {
    expect(await fits(text)).toBe(expected);
  });

  it('invalid UTF-8 is left to the strict path', async () => {
    expect(await fits(Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d, 0x0a]))).toBe(false);
  });

  it('reads a file up to the size given: a bad line written after it does not count', async () => {
    const good = '{"id": 1}\n';
    expect(await fits(good + '{"id": "x"}\n', good.length)).toBe(true);
    expect(await fits(good + '{"id": "x"}\n')).toBe(false);
  });

  it('checks lines across read chunks (a file larger than its buffer)', async () => {
    const line = `{"id": 7, "name": "${'n'.repeat(100)}"}\n`;
    const many = line.repeat(Math.ceil((9 * 1024 * 1024) / line.length));
    expect(await fits(many)).toBe(true);
    expect(await fits(many + '{"id": 1.5}\n')).toBe(false);
  });
});
