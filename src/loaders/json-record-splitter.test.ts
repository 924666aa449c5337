import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RECORD_BYTES } from './load-errors.js';
import { JsonRecordSplitter, type JsonRecord } from './json-record-splitter.js';

/** Splits the bytes as the reader would, fed in chunks of the given sizes (cycled). */
function split(input: string | Buffer, chunkSizes: number[] = [64 * 1024]): JsonRecord[] {
  const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const s = new JsonRecordSplitter();
  const out: JsonRecord[] = [];
  let pos = 0;
  let i = 0;
  while (pos < buf.length) {
    const n = Math.max(1, chunkSizes[i++ % chunkSizes.length]!);
    out.push(...s.push(buf.subarray(pos, pos + n)));
    pos += n;
  }
  out.push(...s.end());
  return out;
}

/** line:value or line:!reason, compact enough to compare whole files at once. */
const brief = (recs: JsonRecord[]) =>
  recs.map((r) =>
    r.parseError === undefined ? `${r.line}:${JSON.stringify(r.value)}` : `${r.errorLine ?? r.line}${r.position ? `:${r.position}` : ''}:!${r.parseError}`,
  );

describe('splitting a file into JSON records', () => {
  it.each<[string, string | Buffer, string[]]>([
    ['one object per line', '{"a":1}\n{"a":2}\n', ['1:{"a":1}', '2:{"a":2}']],
    ['no newline at the end', '{"a":1}\n{"a":2}', ['1:{"a":1}', '2:{"a":2}']],
    ['blank and whitespace-only lines', '\n{"a":1}\n\n  \t\n{"a":2}\n\n', ['2:{"a":1}', '5:{"a":2}']],
    ['CRLF line ends', '{"a":1}\r\n\r\n{"a":"x"}\r\n', ['1:{"a":1}', '3:{"a":"x"}']],
    ['a UTF-8 BOM at the start', '\ufeff{"a":1}\n{"a":2}\n', ['1:{"a":1}', '2:{"a":2}']],
    ['an empty file', '', []],
    ['only blank lines', '\n\n \r\n\t\n', []],
    ['objects one after another on a line', '{"a":1}{"a":2} {"a":3}\n{"a":4}', ['1:{"a":1}', '1:{"a":2}', '1:{"a":3}', '2:{"a":4}']],
    ['pretty-printed objects', '{\n  "a": 1,\n  "b": [1,\n    2]\n}\n\n{\n "a": "}{"\n}\n', ['1:{"a":1,"b":[1,2]}', '7:{"a":"}{"}']],
    ['a pretty-printed object then one on a line', '{\n "a": 1\n} {"a": 2}\n{"a": 3}\n', ['1:{"a":1}', '3:{"a":2}', '4:{"a":3}']],
    ['arrays and scalars are records too (the row mapper rejects them)', '[1, 2]\n42\n"x"\nnull\n', ['1:[1,2]', '2:42', '3:"x"', '4:null']],
    ['strings with braces, quotes and escapes', '{"a":"{\\"[\\\\"}\n', ['1:{"a":"{\\"[\\\\"}']],
  ])('%s', (_, input, expected) => {
    expect(brief(split(input))).toEqual(expected);
  });

  it.each<[string, string | Buffer, string[]]>([
    ['malformed JSON, then reading goes on', '{"a":1}\n{"a": }\n{"a":3}\n', ['1:{"a":1}', "2:7:!malformed JSON: expected a value, found '}'", '3:{"a":3}']],
    [
      'a truncated last line',
      '{"a":1}\n{"a":2, "b',
      ['1:{"a":1}', '2:!malformed JSON: unexpected end of file: the object is never closed (a truncated record?)'],
    ],
    [
      'a truncated last line ending outside a string',
      '{"a":1}\n{"a":2,',
      ['1:{"a":1}', '2:!malformed JSON: unexpected end of file: the object is never closed (a truncated record?)'],
    ],
    [
      'a truncated line in the middle (inside a string)',
      '{"a":"x\n{"a":2}\n',
      ['1:8:!malformed JSON: a line break inside a string (the string is never closed on its line)', '2:{"a":2}'],
    ],
    [
      'a truncated line in the middle (between values)',
      '{"a":1, "b":2\n{"a":3}\n{"a":4}\n',
      ['1:!malformed JSON: the object is never closed', '2:{"a":3}', '3:{"a":4}'],
    ],
    [
      'a missing comma in a pretty-printed object',
      '{\n "a": 1\n "b": 2\n}\n{"c": 3}\n',
      [
        '1:!malformed JSON: the object is never closed',
        '3:"b"',
        "3:5:!malformed JSON: expected a value, found ':'",
        "4:1:!malformed JSON: expected a value, found '}'",
        '5:{"c":3}',
      ],
    ],
    ['a stray closing brace', '{"a":1}}\n{"a":2}\n', ['1:{"a":1}', "1:8:!malformed JSON: expected a value, found '}'", '2:{"a":2}']],
    ['garbage after a value', '{"a":1} x\n', ['1:{"a":1}', "1:9:!malformed JSON: expected a value, found 'x'"]],
    ['NaN, which JSON does not have', '{"a": NaN}\n', ["1:7:!malformed JSON: expected a value, found 'N'"]],
    ['a trailing comma', '{"a": 1,}\n', ["1:9:!malformed JSON: expected a key in double quotes after ',', found '}'"]],
    ['a tab inside a string', '{"a": "x\ty"}\n', ['1:9:!malformed JSON: a control character inside a string (escape it, e.g. \\t)']],
    ['a BOM that is not at the start', '{"a":1}\n\ufeff{"a":2}\n', ['1:{"a":1}', '2:1:!malformed JSON: expected a value, found byte 0xef']],
    [
      'invalid UTF-8 inside a string',
      Buffer.concat([Buffer.from('{"a":1}\n{"a":"x'), Buffer.from([0xff, 0xfe]), Buffer.from('y"}\n')]),
      ['1:{"a":1}', '2:8:!invalid UTF-8'],
    ],
    [
      'a lone UTF-16 surrogate',
      '{"a":"\\ud800"}\n{"a":"\\ud83c\\udfb5"}\n',
      ['1:!malformed JSON: a \\u escape is half of a UTF-16 surrogate pair, which is not a character', '2:{"a":"🎵"}'],
    ],
  ])('%s', (_, input, expected) => {
    expect(brief(split(input))).toEqual(expected);
  });

  it('reads every piece the same way, whatever the chunk sizes', () => {
    const text = '\ufeff{"a":1}\r\n\n{\n "b": [1, {"c": "é🎵"}]\n}{"d":2}\n{"a": }\n[3]\n{"e":"x\n{"f":1.5e3}';
    const whole = split(text);
    for (const sizes of [[1], [2, 3], [7], [1, 5, 11]]) expect(split(text, sizes)).toEqual(whole);
  });

  it('a 50 MB single line is rejected as larger than 4 MB, without holding it whole', () => {
    const big = `{"a": "${'x'.repeat(50 * 1024 * 1024)}"}`;
    const recs = split(`{"a":1}\n${big}\n{"a":2}\n`);
    expect(brief(recs)).toEqual([
      '1:{"a":1}',
      "2:!the record is 52,428,809 bytes, larger than the 4 MB a JSON object may have (Redshift's limit)",
      '3:{"a":2}',
    ]);
    expect(recs[1]!.raw.length).toBeLessThanOrEqual(4096);
    // a record just under the limit is read
    const under = `{"a": "${'y'.repeat(MAX_RECORD_BYTES - 10)}"}`;
    expect(split(under).map((r) => r.parseError)).toEqual([undefined]);
  });

  it('property: objects in any layout come back exactly, each with the line it starts on', () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((v) => ({ k: v }));
    const layout = fc.constantFrom('line', 'pretty', 'concat', 'blank', 'crlf');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(json, layout), { maxLength: 12 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        (items, bom, chunks) => {
          let text = bom ? '\ufeff' : '';
          const expected: string[] = [];
          let line = 1;
          for (const [obj, how] of items) {
            const body = how === 'pretty' ? JSON.stringify(obj, null, 2) : JSON.stringify(obj);
            const atLine = how === 'blank' ? line + 1 : line;
            expected.push(`${atLine}:${JSON.stringify(JSON.parse(JSON.stringify(obj)))}`);
            const chunk = how === 'blank' ? `\n${body}\n` : how === 'crlf' ? `${body}\r\n` : how === 'concat' ? `${body} ` : `${body}\n`;
            text += chunk;
            line += chunk.split('\n').length - 1;
          }
          expect(brief(split(text, chunks))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: any bytes give records or rejections, never an exception, and the same for any chunking', () => {
    const piece = fc.oneof(
      fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', '\n', '\r\n', ' ', 'tru', 'e', '1', '-', '.', '{"a":1}', '\ufeff', 'é'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.uint8Array({ maxLength: 4 }),
        fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 4 }),
        (pieces, junk, chunks) => {
          const buf = Buffer.concat([Buffer.from(pieces.join(''), 'utf8'), Buffer.from(junk)]);
          const recs = split(buf);
          for (const r of recs) {
            expect(r.line).toBeGreaterThanOrEqual(1);
            expect(r.parseError === undefined ? 'value' in r : typeof r.parseError).not.toBe(false);
          }
          expect(split(buf, chunks)).toEqual(recs);
        },
      ),
      { numRuns: 500 },
    );
  });
});
