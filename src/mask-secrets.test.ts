import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, maskSecrets, maskUrlPasswords, secretMask, unmaskableSecrets } from './mask-secrets.js';

// The encoders a writer can apply, written here independently of the ones the mask knows.
const ENCODERS: [string, (s: string) => string][] = [
  ['raw', (s) => s],
  ['JSON', (s) => JSON.stringify(s)],
  ['JSON in JSON', (s) => JSON.stringify(JSON.stringify(s))],
  ['JSON, pretty-printed in a document', (s) => JSON.stringify({ a: { b: [s] } }, null, 2)],
  ['SQL string literal', (s) => `'${s.replaceAll("'", "''")}'`],
  ['SQL identifier', (s) => `"${s.replaceAll('"', '""')}"`],
  ['SQL literal in JSON', (s) => JSON.stringify({ compiledSql: `select '${s.replaceAll("'", "''")}' as x` })],
  ['URL component', (s) => `https://example.com/?k=${encodeURIComponent(s)}`],
  ['URL component, lower-case hex', (s) => encodeURIComponent(s).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())],
  ['form encoding', (s) => new URLSearchParams({ k: s }).toString()],
  ['RFC 3986 (the AWS SDK)', (s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)],
  ['URL component in JSON', (s) => JSON.stringify(encodeURIComponent(s))],
  ['util.inspect', (s) => `Error: bad value '${JSON.stringify(s).slice(1, -1).replaceAll("'", "\\'")}'`],
];

const SECRETS = ['Pa"ss\\wo\trd', "it's-a-secret", 'sp ace&amp=1%2F/+', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', 'ünïcødé-pässwörd', 'new\nline\u0001ctl'];

describe('secretMask', () => {
  it.each(ENCODERS)('masks every secret spelled as %s', (_name, encode) => {
    const mask = secretMask(SECRETS);
    for (const s of SECRETS) {
      const text = `before ${encode(s)} after`;
      const out = mask(text);
      expect(out, `${JSON.stringify(s)} in ${text}`).not.toContain(encode(s).replace(/^["']|["']$/g, ''));
      expect(out).toContain('****');
      expect(out.startsWith('before ') && out.endsWith(' after')).toBe(true);
    }
  });

  it('any secret, encoded any way, is gone from the decoded output', () => {
    const decoders: [(s: string) => string, (s: string) => string][] = [
      [(s) => JSON.stringify(s), (s) => JSON.parse(s) as string],
      [(s) => JSON.stringify(JSON.stringify(s)), (s) => JSON.parse(JSON.parse(s) as string) as string],
      [(s) => s.replaceAll("'", "''"), (s) => s.replaceAll("''", "'")],
      [encodeURIComponent, decodeURIComponent],
    ];
    const secret = fc.string({ minLength: MIN_SECRET_LENGTH, maxLength: 24 }).filter((s) => !s.includes('*'));
    fc.assert(
      fc.property(secret, fc.string(), fc.string(), fc.integer({ min: 0, max: decoders.length - 1 }), (s, before, after, i) => {
        const [encode, decode] = decoders[i]!;
        const out = secretMask([s])(encode(before + s + after));
        expect(decode(out)).not.toContain(s);
      }),
      { numRuns: 500 },
    );
  });

  it('a secret inside another is masked with it; the longer one is replaced whole', () => {
    expect(maskSecrets('x abcdefgh y abcdef z', ['abcdef', 'abcdefgh'])).toBe('x **** y **** z');
  });

  it(`secrets shorter than ${MIN_SECRET_LENGTH} characters are left alone, so output is not garbled`, () => {
    const text = 'Compiled 12 nodes; every password was checked';
    expect(maskSecrets(text, ['e', 'pw', '12', 'word'])).toBe(text);
    expect(unmaskableSecrets(['e', undefined, 'long-enough', 'pw'])).toEqual(['e', 'pw']);
    expect(maskSecrets('a very-secret b', ['e', 'very-secret'])).toBe('a **** b');
  });

  it('masks the password of a connection string, even with no secrets known', () => {
    expect(maskSecrets('cannot reach postgres://admin:hunter2@db:5432/dev', [])).toBe('cannot reach postgres://admin:****@db:5432/dev');
    expect(maskUrlPasswords('no url here')).toBe('no url here');
  });
});
