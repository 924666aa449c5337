/**
 * Secret masking, for every text sparkify writes: the terminal and `--log-format json` (the
 * reporter), and each file under target/ (manifest.json, run_results.json, compiled SQL, the run
 * plan). A secret is masked in each form a writer can give it, not only as typed: JSON escapes
 * `"`, `\` and control characters; SQL doubles quotes; a URL percent-encodes. dbt-common's
 * `scrub_secrets` is the model; it masks the raw value only.
 */

/**
 * Secrets shorter than this are not masked: replacing every "a" or "pw1" in the output would
 * garble it and show, by what went missing, the secret itself. `sparkify debug` warns about them.
 */
export const MIN_SECRET_LENGTH = 6;

export const MASK = '****';

/** The password of a URL with credentials (postgres://user:password@host, https://key:secret@...). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/:@'"]*:)[^\s@/'"]+@/gi;

/** Masks the password of every connection string (scheme://user:password@host) in a text. */
export function maskUrlPasswords(text: string): string {
  return text.includes('://') ? text.replace(URL_PASSWORD, `$1${MASK}@`) : text;
}

const json = (s: string) => JSON.stringify(s).slice(1, -1);
const hex = (c: string) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`;

/**
 * Every spelling of a secret that output can hold: as typed; inside an SQL string or identifier
 * (quotes doubled); percent-encoded (upper or lower case hex, `+` or `%20` for a space, as URLs,
 * the AWS SDK and HTML forms do); and each
 * of those inside a JSON string, a JSON string within a JSON string (a JSON document logged as a
 * JSON event's field), or a JavaScript string as util.inspect prints it (`\'`).
 */
export function secretSpellings(secret: string): string[] {
  const url = encodeURIComponent(secret);
  const bases = [
    secret,
    secret.replace(/'/g, "''"),
    secret.replace(/"/g, '""'),
    url,
    url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    // RFC 3986, as the AWS SDK escapes (also !'()*), and HTML form encoding (also !'()~, + for a space)
    url.replace(/[!'()*]/g, hex),
    url.replace(/[!'()~]/g, hex).replace(/%20/g, '+'),
    url.replace(/%20/g, '+'),
  ];
  const out = new Set<string>();
  for (const b of bases) {
    out.add(b);
    out.add(json(b));
    out.add(json(json(b)));
    out.add(json(b).replace(/'/g, "\\'"));
  }
  return [...out];
}

/** The secrets given that are too short to be masked (see MIN_SECRET_LENGTH). */
export function unmaskableSecrets(secrets: Iterable<string | undefined>): string[] {
  return [...secrets].filter((s): s is string => !!s && s.length < MIN_SECRET_LENGTH);
}

/**
 * A function that replaces every spelling of every secret (of at least MIN_SECRET_LENGTH
 * characters) with ****, and the password of any connection string. Build it once per set of
 * secrets: it compiles one regular expression for all of them.
 */
export function secretMask(secrets: Iterable<string | undefined>): (text: string) => string {
  const spellings = new Set<string>();
  for (const s of secrets) if (s && s.length >= MIN_SECRET_LENGTH) for (const sp of secretSpellings(s)) spellings.add(sp);
  if (spellings.size === 0) return maskUrlPasswords;
  // longest first, so a spelling that contains another is replaced whole
  const alternatives = [...spellings].sort((a, b) => b.length - a.length).map((s) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&'));
  const re = new RegExp(alternatives.join('|'), 'g');
  return (text) => maskUrlPasswords(text.replace(re, MASK));
}

/** secretMask(secrets) applied to one text. */
export function maskSecrets(text: string, secrets: Iterable<string | undefined>): string {
  return secretMask(secrets)(text);
}
