import { LoadError } from '../errors.js';

/** An s3:// location split into its bucket and key (the key may be empty). */
export interface S3Location {
  bucket: string;
  key: string;
}

// S3 bucket naming rules (AWS docs, "Bucket naming rules"): 3-63 lower-case letters, digits, '.' and '-'
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/**
 * Key characters accepted in a location. AWS lists 0-9 a-z A-Z ! - _ . * ' ( ) as the safe
 * characters of object keys ("Object key naming guidelines"); the quote is left out because the
 * location may reach SQL, and '/', '=', '+', ',', '@', '~' are added for folder and partition names.
 */
const KEY = /^[A-Za-z0-9/!_.*()=+,@~-]*$/;

export function isS3Uri(location: string): boolean {
  return location.startsWith('s3://');
}

/** Splits s3://bucket/key, or returns undefined when the text is not a plain, safe s3:// URI. */
export function parseS3Uri(uri: string): S3Location | undefined {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/.exec(uri);
  if (!m) return undefined;
  const bucket = m[1]!;
  const key = m[2] ?? '';
  if (!BUCKET.test(bucket) || bucket.includes('..') || !KEY.test(key)) return undefined;
  return { bucket, key };
}

/** Like parseS3Uri, but a location that does not parse is a LoadError naming the rules. */
export function requireS3Uri(uri: string, what = 'S3 location', where: { file?: string | undefined; line?: number | undefined } = {}): S3Location {
  const loc = parseS3Uri(uri);
  if (!loc) {
    throw new LoadError(`invalid ${what} ${JSON.stringify(uri)}`, {
      ...where,
      hint: "use s3://bucket/prefix with a lower-case bucket name; keys may use letters, digits, '/' and !-_.*()=+,@~",
    });
  }
  return loc;
}

/**
 * The key prefix a location stands for. S3 locations are key prefixes, as in Redshift's COPY
 * (AWS docs, "COPY from Amazon S3": the object path matches every key that begins with it), so a
 * folder-style location gets a trailing '/': `log_data` must not also match `log_data_old/`.
 * A location whose last segment has a '.' (`log_json_path.json`, `part-1.json.gz`) names objects
 * and is used as written, as is one that already ends with '/'.
 */
export function s3KeyPrefix(key: string): string {
  if (key === '' || key.endsWith('/')) return key;
  const last = key.slice(key.lastIndexOf('/') + 1);
  return last.includes('.') ? key : `${key}/`;
}

/** The location as Redshift's COPY should see it: a folder-style prefix ends with '/'. */
export function s3PrefixUri(uri: string): string {
  const loc = requireS3Uri(uri);
  return `s3://${loc.bucket}/${s3KeyPrefix(loc.key)}`;
}

export function formatS3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}
