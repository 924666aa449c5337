import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { parseIni, type IniDocument } from './parse-ini.js';

const F = '/p/dwh.cfg';

function flat(doc: IniDocument): Record<string, Record<string, [string, number]>> {
  const out: Record<string, Record<string, [string, number]>> = {};
  for (const [name, s] of doc.sections) {
    out[name] = Object.fromEntries([...s.entries].map(([k, e]) => [k, [e.value, e.line]]));
  }
  return out;
}

function parseError(text: string): ConfigError {
  try {
    parseIni(text, F);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseIni', () => {
  it('parses the seed dwh.cfg verbatim', () => {
    const seed = [
      '[CLUSTER]',
      "HOST=''",
      "DB_NAME=''",
      "DB_USER=''",
      "DB_PASSWORD=''",
      'DB_PORT=5439',
      '',
      '[IAM_ROLE]',
      "ARN=''",
      '',
      '[S3]',
      "LOG_DATA='s3://udacity-dend/log_data'",
      "LOG_JSONPATH='s3://udacity-dend/log_json_path.json'",
      "SONG_DATA='s3://udacity-dend/song_data'",
    ].join('\n');
    const doc = parseIni(seed, F);
    expect(doc.file).toBe(F);
    expect(doc.sections.get('CLUSTER')?.line).toBe(1);
    expect(doc.sections.get('S3')?.line).toBe(11);
    expect(flat(doc)).toEqual({
      CLUSTER: { HOST: ['', 2], DB_NAME: ['', 3], DB_USER: ['', 4], DB_PASSWORD: ['', 5], DB_PORT: ['5439', 6] },
      IAM_ROLE: { ARN: ['', 9] },
      S3: {
        LOG_DATA: ['s3://udacity-dend/log_data', 12],
        LOG_JSONPATH: ['s3://udacity-dend/log_json_path.json', 13],
        SONG_DATA: ['s3://udacity-dend/song_data', 14],
      },
    });
  });

  it.each([
    ['key = value', 'K = v', 'v'],
    ['key: value', 'K: v', 'v'],
    ['no spaces', 'K=v', 'v'],
    ['blank value', 'K =', ''],
    ['blank after colon', 'K:', ''],
    ['double quotes', 'K = "a b"', 'a b'],
    ['single quotes', "K = 'a b'", 'a b'],
    ['empty quotes', 'K = ""', ''],
    ['quotes keep # and ;', "K = 'a #b ;c'", 'a #b ;c'],
    ['quoted then comment', "K = 'a' # note", 'a'],
    ['quote inside other quotes', `K = "it's"`, "it's"],
    ['quote inside same quotes', "K = 'it's'", "it's"],
    ['inline # comment', 'K = v # note', 'v'],
    ['inline ; comment', 'K = v ; note', 'v'],
    ['tab before comment', 'K = v\t# note', 'v'],
    ['# without space is data', 'K = a#b;c', 'a#b;c'],
    ['# right after = is data', 'K=#abc', '#abc'],
    ['comment as whole value', 'K = # note', ''],
    ['first delimiter splits', 'ARN = arn:aws:iam::123456789012:role/r', 'arn:aws:iam::123456789012:role/r'],
    ['colon first', 'URL: http://x=y', 'http://x=y'],
    ['inner quotes unquoted value', 'K = a"b"', 'a"b"'],
    ['surrounding whitespace', '   K   =   v   ', 'v'],
    ['lower-case key', 'db_port = 1', '1'],
  ])('value: %s', (_name, line, value) => {
    const doc = parseIni(`[s]\n${line}\n`, F);
    const entry = [...doc.sections.get('S')!.entries.values()][0];
    expect(entry).toMatchObject({ value, line: 2 });
  });

  it.each([
    ['LF', '[A]\nK=1\n\n[B]\nK=2\n'],
    ['CRLF', '[A]\r\nK=1\r\n\r\n[B]\r\nK=2\r\n'],
    ['CR', '[A]\rK=1\r\r[B]\rK=2\r'],
    ['BOM + CRLF', '\uFEFF[A]\r\nK=1\r\n\r\n[B]\r\nK=2'],
  ])('line endings: %s', (_name, text) => {
    expect(flat(parseIni(text, F))).toEqual({ A: { K: ['1', 2] }, B: { K: ['2', 5] } });
  });

  it('normalises names, skips comments, merges repeated sections, last duplicate key wins', () => {
    const text = [
      '# comment',
      '; comment',
      '  [cluster]  # trailing',
      'Host = a',
      '    # indented comment',
      'HOST = b',
      '[S3]',
      'x = 1',
      '[Cluster]',
      'db_port = 5439',
    ].join('\n');
    const doc = parseIni(text, F);
    expect(flat(doc)).toEqual({ CLUSTER: { HOST: ['b', 6], DB_PORT: ['5439', 10] }, S3: { X: ['1', 8] } });
    expect(doc.sections.get('CLUSTER')?.line).toBe(3);
  });

  it('parses an empty file', () => {
    expect(parseIni('', F).sections.size).toBe(0);
    expect(parseIni('\uFEFF\n# only comments\n', F).sections.size).toBe(0);
  });

  it.each([
    ['line without delimiter', '[S]\nK=1\nDB_PASSWORD hunter2', 3, 1, /expected "KEY = value"/],
    ['indented junk', '[S]\n   junk', 2, 4, /expected "KEY = value"/],
    ['missing key', '[S]\n = v', 2, 2, /missing key before "="/],
    ['key with space', '[S]\nDB PASSWORD = hunter2', 2, 1, /invalid key name/],
    ['key outside any section', 'HOST = h', 1, 1, /HOST is outside any section/],
    ['unclosed header', '[CLUSTER\nK=1', 1, 1, /missing its closing/],
    ['empty header', '[]', 1, 2, /invalid section name/],
    ['bad header name', '[a=b]', 1, 2, /invalid section name/],
    ['text after header', '[A] junk', 1, 5, /unexpected text after section header/],
    ['unterminated quote', "[S]\nDB_PASSWORD = 'hunter2", 2, 15, /unterminated/],
    ['text after closing quote', "[S]\nDB_PASSWORD = 'hunter2'x", 2, 15, /unterminated or malformed/],
    ['CRLF keeps line numbers', '[S]\r\nK=1\r\n\r\noops', 4, 1, /expected/],
  ])('error: %s', (_name, text, line, column, message) => {
    const err = parseError(text);
    expect(err.message).toMatch(message);
    expect({ file: err.file, line: err.line, column: err.column }).toEqual({ file: F, line, column });
    expect(err.hint).toBeTruthy();
    expect(err.message + err.hint).not.toContain('hunter2');
  });

  it('random text either parses or throws ConfigError', () => {
    const iniish = fc.stringMatching(/^[\[\]=:#;'" \tA-Za-z0-9_.\r\n\uFEFF-]*$/);
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), iniish), (text) => {
        try {
          const doc = parseIni(text, F);
          for (const s of doc.sections.values()) {
            for (const e of s.entries.values()) expect(e.line).toBeGreaterThanOrEqual(s.line);
          }
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(err.line).toBeGreaterThanOrEqual(1);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
