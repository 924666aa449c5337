import path from 'node:path';
import { ConfigError } from '../errors.js';
import { maskUrlPasswords } from '../mask-secrets.js';
import type { IniDocument } from './parse-ini.js';

/** A value and where it came from, for error messages. */
export interface RawSetting {
  value: string;
  label: string;
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

const SCHEMA = /^[a-z_][a-z0-9_]{0,126}$/;
const LOCAL_PATH = /^[^\x00-\x1f'"`;]+$/;

/**
 * Reads settings from the config file and the environment, each checked, with every problem
 * collected (not thrown) so that resolveTarget reports them all at once. Engines resolve their own
 * section through it (src/adapters/<engine>/index.ts).
 */
export class ConfigReader {
  readonly errors: ConfigError[] = [];

  constructor(
    readonly doc: IniDocument | undefined,
    private readonly env: Record<string, string | undefined>,
    /** the directory relative paths resolve against: the config file's, else the project's */
    readonly baseDir: string,
  ) {}

  /** The first of `keys` in `section` that has a value. */
  ini(section: string, ...keys: string[]): RawSetting | undefined {
    const entries = this.doc?.sections.get(section)?.entries;
    for (const key of keys) {
      const e = entries?.get(key);
      if (e && e.value !== '') return { value: e.value, label: `[${section}] ${key}`, file: this.doc!.file, line: e.line, column: e.column };
    }
    return undefined;
  }

  /** The raw value of a key, empty or not (a password may be any text). */
  iniValue(section: string, key: string): string | undefined {
    return this.ini(section, key)?.value;
  }

  envVar(name: string): RawSetting | undefined {
    const v = this.env[name];
    return v ? { value: v, label: `environment variable ${name}` } : undefined;
  }

  envValue(name: string): string | undefined {
    return this.env[name];
  }

  invalid(raw: RawSetting, message: string, hint?: string): undefined {
    this.errors.push(new ConfigError(`${raw.label} ${message}`, { file: raw.file, line: raw.line, column: raw.column, hint }));
    return undefined;
  }

  /** A value as it may appear in a message: a pasted connection string has its password masked, long values are cut. */
  show(raw: string): string {
    const v = maskUrlPasswords(raw);
    return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  }

  matching(raw: RawSetting | undefined, re: RegExp, what: string): string | undefined {
    if (raw === undefined) return undefined;
    return re.test(raw.value) ? raw.value : this.invalid(raw, `is not a valid ${what}: ${this.show(raw.value)}`);
  }

  port(raw: RawSetting | undefined): number | undefined {
    if (raw === undefined) return undefined;
    const n = /^\d{1,5}$/.test(raw.value) ? Number(raw.value) : NaN;
    return n >= 1 && n <= 65535 ? n : this.invalid(raw, `must be an integer from 1 to 65535, got ${this.show(raw.value)}`);
  }

  bool(raw: RawSetting | undefined): boolean | undefined {
    if (raw === undefined) return undefined;
    const v = raw.value.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(v)) return true;
    if (['false', 'no', 'off', '0'].includes(v)) return false;
    return this.invalid(raw, `must be true or false, got ${this.show(raw.value)}`);
  }

  schema(raw: RawSetting | undefined): string | undefined {
    return this.matching(raw, SCHEMA, 'schema name (lower-case letters, digits and "_", starting with a letter or "_")');
  }

  localPath(raw: RawSetting): string | undefined {
    return LOCAL_PATH.test(raw.value)
      ? path.resolve(this.baseDir, raw.value)
      : this.invalid(raw, `is not a usable path: ${this.show(raw.value)}`, 'paths may not contain quotes, ";" or control characters');
  }

  error(e: ConfigError): void {
    this.errors.push(e);
  }
}
