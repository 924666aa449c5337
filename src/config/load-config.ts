import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, didYouMean, throwIfAny } from '../errors.js';
import { maskUrlPasswords, unmaskableSecrets } from '../mask-secrets.js';
import { parseIni, type IniDocument } from './parse-ini.js';
import { identifierTooLong } from '../adapters/base-dialect.js';
import { createDialect } from '../adapters/create-engine.js';

export type EngineType = 'duckdb' | 'postgres' | 'redshift';

export interface S3Locations {
  logData: string;
  logJsonPath: string;
  songData: string;
  region?: string;
  endpoint?: string;
  forcePathStyle?: boolean;
}

/** Where and how to build the warehouse: one engine, its connection settings and the raw data. */
export interface Target {
  name: string;
  type: EngineType;
  schema: string;
  threads?: number;
  /** Absolute path of the config file used, if any. */
  configFile?: string;
  /** Absolute path, or ':memory:'. */
  duckdb?: { path: string };
  postgres?: { host: string; port: number; database: string; user: string; password?: string; schema: string; ssl: boolean };
  redshift?: { host: string; port: number; database: string; user: string; password?: string; schema: string; iamRole: string; region: string; ssl: true };
  /** s3:// URIs or absolute local paths. */
  s3: S3Locations;
  /** Every secret value, for maskSecrets(). */
  secrets: string[];
  /**
   * Settings that were missing and stand as placeholders (offline resolution: `sparkify compile
   * --target redshift` needs no cluster), e.g. "[CLUSTER] HOST", "[IAM_ROLE] ARN".
   */
  placeholders?: string[];
  /** where the secrets too short to be masked come from (e.g. "[POSTGRES] DB_PASSWORD"), when there are any */
  unmaskedSecrets?: string[];
}

/** The IAM role that COPY statements name when the config has none (offline compile). */
export const PLACEHOLDER_IAM_ROLE = 'arn:aws:iam::000000000000:role/sparkify-placeholder';

export interface ResolveTargetOptions {
  projectDir: string;
  /** --config; relative paths resolve against projectDir. */
  configPath?: string;
  /** --target: duckdb, postgres, redshift or cluster. */
  targetName?: string;
  env: Record<string, string | undefined>;
  /** Returns undefined when the file does not exist. Defaults to fs. */
  readFile?: (p: string) => string | undefined;
  /**
   * For commands that write SQL without connecting (compile): missing connection settings and
   * credentials (Redshift's [CLUSTER] and [IAM_ROLE]) are placeholders, listed in target.placeholders.
   */
  offline?: boolean | undefined;
}

const TARGETS: Record<string, EngineType> = { duckdb: 'duckdb', postgres: 'postgres', redshift: 'redshift', cluster: 'redshift' };

// Sections we introduced are strict about key names; the seed's sections tolerate extra keys.
const KNOWN_KEYS: Record<string, string[]> = {
  SPARKIFY: ['TARGET', 'THREADS'],
  DUCKDB: ['PATH', 'SCHEMA'],
  POSTGRES: ['HOST', 'DB_HOST', 'PORT', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'SCHEMA', 'SSL'],
};

const IAM_ROLE = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\x00-\x1f'\\]*)?$/;
const HOSTNAME = /^[A-Za-z0-9.-]+$/;
const PG_HOST = /^(?:[A-Za-z0-9.-]+|\/[A-Za-z0-9._/-]+)$/; // libpq also takes a unix-socket directory
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$-]{0,126}$/;
const SCHEMA = /^[a-z_][a-z0-9_]{0,126}$/;
const LOCAL_PATH = /^[^\x00-\x1f'"`;]+$/;
const ENDPOINT = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/;

const CLUSTER_EXAMPLE: Record<string, string> = {
  HOST: 'HOST=<cluster>.<id>.us-west-2.redshift.amazonaws.com',
  DB_NAME: 'DB_NAME=dev',
  DB_USER: 'DB_USER=awsuser',
  DB_PASSWORD: 'DB_PASSWORD=<password>',
  ARN: 'ARN=arn:aws:iam::<12-digit account id>:role/<role name>',
};

/** A value and where it came from, for error messages. */
interface Raw {
  value: string;
  label: string;
  file?: string;
  line?: number;
  column?: number;
}

/**
 * Reads dwh.cfg (or `configPath`) plus the environment and returns the selected target.
 * Reports every problem at once: a ConfigError, or an ErrorList of them.
 */
export function resolveTarget(opts: ResolveTargetOptions): Target {
  const projectDir = path.resolve(opts.projectDir);
  const read = opts.readFile ?? readFileIfExists;
  const { env } = opts;

  let configFile: string | undefined;
  let doc: IniDocument | undefined;
  if (opts.configPath !== undefined) {
    configFile = path.resolve(projectDir, opts.configPath);
    const text = read(configFile);
    if (text === undefined) {
      throw new ConfigError(`config file not found: ${configFile}`, {
        file: configFile,
        hint: 'check the --config path, or leave it out to use dwh.cfg in the project directory',
      });
    }
    doc = parseIni(text, configFile);
  } else {
    const candidate = path.join(projectDir, 'dwh.cfg');
    const text = read(candidate);
    if (text !== undefined) {
      configFile = candidate;
      doc = parseIni(text, candidate);
    }
  }
  const baseDir = configFile ? path.dirname(configFile) : projectDir;
  const errors: ConfigError[] = [];

  const invalid = (raw: Raw, message: string, hint?: string): undefined => {
    errors.push(new ConfigError(`${raw.label} ${message}`, { file: raw.file, line: raw.line, column: raw.column, hint }));
    return undefined;
  };
  const show = (raw: string) => {
    // a connection string pasted into a field: its password is masked before anything is cut
    const v = maskUrlPasswords(raw);
    return JSON.stringify(v.length > 60 ? v.slice(0, 60) + '…' : v);
  };
  const ini = (section: string, ...keys: string[]): Raw | undefined => {
    const entries = doc?.sections.get(section)?.entries;
    for (const key of keys) {
      const e = entries?.get(key);
      if (e && e.value !== '') return { value: e.value, label: `[${section}] ${key}`, file: doc!.file, line: e.line, column: e.column };
    }
    return undefined;
  };
  const envVar = (name: string): Raw | undefined => {
    const v = env[name];
    return v ? { value: v, label: `environment variable ${name}` } : undefined;
  };
  const matching = (raw: Raw | undefined, re: RegExp, what: string): string | undefined => {
    if (raw === undefined) return undefined;
    return re.test(raw.value) ? raw.value : invalid(raw, `is not a valid ${what}: ${show(raw.value)}`);
  };
  const port = (raw: Raw | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = /^\d{1,5}$/.test(raw.value) ? Number(raw.value) : NaN;
    return n >= 1 && n <= 65535 ? n : invalid(raw, `must be an integer from 1 to 65535, got ${show(raw.value)}`);
  };
  const bool = (raw: Raw | undefined): boolean | undefined => {
    if (raw === undefined) return undefined;
    const v = raw.value.toLowerCase();
    if (['true', 'yes', 'on', '1'].includes(v)) return true;
    if (['false', 'no', 'off', '0'].includes(v)) return false;
    return invalid(raw, `must be true or false, got ${show(raw.value)}`);
  };
  const schema = (raw: Raw | undefined) =>
    matching(raw, SCHEMA, 'schema name (lower-case letters, digits and "_", starting with a letter or "_")');
  const localPath = (raw: Raw): string | undefined =>
    LOCAL_PATH.test(raw.value)
      ? path.resolve(baseDir, raw.value)
      : invalid(raw, `is not a usable path: ${show(raw.value)}`, 'paths may not contain quotes, ";" or control characters');
  const location = (raw: Raw | undefined, fallback: string): string | undefined => {
    if (raw === undefined) return fallback;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.value)) return localPath(raw);
    if (S3_URI.test(raw.value)) return raw.value;
    return invalid(raw, `is not a valid s3:// URI or local path: ${show(raw.value)}`, "expected s3://bucket/prefix, e.g. LOG_DATA='s3://udacity-dend/log_data'");
  };

  for (const [section, known] of Object.entries(KNOWN_KEYS)) {
    for (const [key, entry] of doc?.sections.get(section)?.entries ?? []) {
      if (known.includes(key)) continue;
      errors.push(new ConfigError(`unknown key ${key} in [${section}]`, {
        file: doc!.file,
        line: entry.line,
        hint: didYouMean(key, known) ?? `known keys: ${known.join(', ')}`,
      }));
    }
  }

  const fileTarget = ini('SPARKIFY', 'TARGET');
  const targetHint = (raw: Raw) => didYouMean(raw.value, Object.keys(TARGETS)) ?? 'use duckdb, postgres or redshift';
  if (fileTarget && !TARGETS[fileTarget.value.toLowerCase()]) invalid(fileTarget, `is not a known target: ${show(fileTarget.value)}`, targetHint(fileTarget));
  const chosen: Raw | undefined = opts.targetName !== undefined ? { value: opts.targetName, label: '--target' } : fileTarget;
  const type: EngineType | undefined = chosen ? TARGETS[chosen.value.toLowerCase()] : 'duckdb';
  if (chosen && !type && chosen !== fileTarget) invalid(chosen, `is not a known target: ${show(chosen.value)}`, targetHint(chosen));

  const threadsRaw = ini('SPARKIFY', 'THREADS');
  const threads = threadsRaw && (/^[1-9]\d{0,5}$/.test(threadsRaw.value) ? Number(threadsRaw.value) : invalid(threadsRaw, `must be a positive integer, got ${show(threadsRaw.value)}`));

  const sample = path.join(projectDir, 'data', 'sample');
  const s3: Partial<S3Locations> = {
    logData: location(ini('S3', 'LOG_DATA'), path.join(sample, 'log_data')),
    logJsonPath: location(ini('S3', 'LOG_JSONPATH'), path.join(sample, 'log_json_path.json')),
    songData: location(ini('S3', 'SONG_DATA'), path.join(sample, 'song_data')),
  };
  const s3Region = matching(ini('S3', 'REGION'), REGION, 'AWS region (e.g. us-west-2)');
  const endpoint = matching(ini('S3', 'ENDPOINT'), ENDPOINT, 'endpoint URL (e.g. http://127.0.0.1:9000)');
  const forcePathStyle = bool(ini('S3', 'FORCE_PATH_STYLE'));
  if (s3Region !== undefined) s3.region = s3Region;
  if (endpoint !== undefined) s3.endpoint = endpoint;
  if (forcePathStyle !== undefined) s3.forcePathStyle = forcePathStyle;

  const duckdbPathRaw = ini('DUCKDB', 'PATH');
  const duckdb = {
    path: duckdbPathRaw?.value === ':memory:' ? ':memory:' : duckdbPathRaw ? localPath(duckdbPathRaw) : path.join(projectDir, 'target', 'sparkify.duckdb'),
    schema: schema(ini('DUCKDB', 'SCHEMA')) ?? 'main',
  };

  // The environment only matters for postgres when it is the selected target.
  const pgEnv = (name: string) => (type === 'postgres' ? envVar(name) : undefined);
  const pgPassword = ini('POSTGRES', 'DB_PASSWORD')?.value ?? env.PGPASSWORD;
  const postgres = {
    host: matching(ini('POSTGRES', 'HOST', 'DB_HOST') ?? pgEnv('PGHOST'), PG_HOST, 'host name') ?? '127.0.0.1',
    port: port(ini('POSTGRES', 'PORT', 'DB_PORT') ?? pgEnv('PGPORT')) ?? 5432,
    database: matching(ini('POSTGRES', 'DB_NAME') ?? pgEnv('PGDATABASE'), IDENTIFIER, 'database name') ?? 'postgres',
    user: matching(ini('POSTGRES', 'DB_USER') ?? pgEnv('PGUSER') ?? pgEnv('USER'), IDENTIFIER, 'user name') ?? 'postgres',
    ...(pgPassword ? { password: pgPassword } : {}),
    schema: schema(ini('POSTGRES', 'SCHEMA')) ?? 'sparkify',
    ssl: bool(ini('POSTGRES', 'SSL')) ?? false,
  };

  const clusterPassword = ini('CLUSTER', 'DB_PASSWORD')?.value;
  const cluster = {
    host: matching(ini('CLUSTER', 'HOST', 'DB_HOST'), HOSTNAME, 'host name'),
    port: port(ini('CLUSTER', 'DB_PORT', 'PORT')) ?? 5439,
    database: matching(ini('CLUSTER', 'DB_NAME'), IDENTIFIER, 'database name'),
    user: matching(ini('CLUSTER', 'DB_USER'), IDENTIFIER, 'user name'),
    schema: schema(ini('CLUSTER', 'SCHEMA')) ?? 'public',
    iamRole: matching(ini('IAM_ROLE', 'ARN', 'ARN_ROLE'), IAM_ROLE, 'IAM role ARN (arn:aws:iam::<account id>:role/<name>)'),
    region: s3Region ?? matching(ini('CLUSTER', 'REGION'), REGION, 'AWS region (e.g. us-west-2)') ?? 'us-west-2',
  };
  const placeholders: string[] = [];
  if (type === 'redshift') {
    const missing = missingClusterKeys(doc, configFile ?? path.join(projectDir, 'dwh.cfg'));
    if (!opts.offline) errors.push(...missing);
    else {
      const need = (value: string | undefined, label: string, placeholder: string): string => {
        if (value !== undefined) return value;
        placeholders.push(label);
        return placeholder;
      };
      cluster.host = need(cluster.host, '[CLUSTER] HOST', 'placeholder.invalid');
      cluster.database = need(cluster.database, '[CLUSTER] DB_NAME', 'dev');
      cluster.user = need(cluster.user, '[CLUSTER] DB_USER', 'placeholder');
      if (!clusterPassword) placeholders.push('[CLUSTER] DB_PASSWORD');
      cluster.iamRole = need(cluster.iamRole, '[IAM_ROLE] ARN', PLACEHOLDER_IAM_ROLE);
    }
  }
  // the target schema must fit the engine's identifier limit: PostgreSQL would cut a longer name
  const schemaRaw = ini(type === 'duckdb' ? 'DUCKDB' : type === 'postgres' ? 'POSTGRES' : 'CLUSTER', 'SCHEMA');
  const tooLong = schemaRaw && type && identifierTooLong(schemaRaw.value, createDialect(type));
  if (schemaRaw && tooLong) invalid(schemaRaw, `${tooLong}: ${show(schemaRaw.value)}`, 'choose a shorter schema name');

  throwIfAny(errors);

  const named: [string, string | undefined][] = [
    ['[CLUSTER] DB_PASSWORD', clusterPassword],
    ['[POSTGRES] DB_PASSWORD', ini('POSTGRES', 'DB_PASSWORD')?.value],
    ['PGPASSWORD', env.PGPASSWORD],
    ['AWS_SECRET_ACCESS_KEY', env.AWS_SECRET_ACCESS_KEY],
    ['AWS_SESSION_TOKEN', env.AWS_SESSION_TOKEN],
  ];
  const secrets = named.map(([, v]) => v).filter((s): s is string => !!s);
  const unmasked = [...new Set(named.filter(([, v]) => v && unmaskableSecrets([v]).length > 0).map(([name]) => name))];
  const target: Target = {
    name: type!,
    type: type!,
    schema: '',
    ...(threads !== undefined ? { threads } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    s3: s3 as S3Locations,
    secrets: [...new Set(secrets)],
    ...(placeholders.length > 0 ? { placeholders } : {}),
    ...(unmasked.length > 0 ? { unmaskedSecrets: unmasked } : {}),
  };
  if (type === 'duckdb') {
    target.schema = duckdb.schema;
    target.duckdb = { path: duckdb.path! };
  } else if (type === 'postgres') {
    target.schema = postgres.schema;
    target.postgres = postgres;
  } else {
    target.schema = cluster.schema;
    target.redshift = {
      ...cluster,
      host: cluster.host!,
      database: cluster.database!,
      user: cluster.user!,
      ...(clusterPassword ? { password: clusterPassword } : {}),
      iamRole: cluster.iamRole!,
      ssl: true,
    };
  }
  return target;
}

/** One error per missing or empty required [CLUSTER]/[IAM_ROLE] key, each with the line to add. */
function missingClusterKeys(doc: IniDocument | undefined, file: string): ConfigError[] {
  if (!doc) {
    return [new ConfigError('the redshift target needs a config file with [CLUSTER] and [IAM_ROLE] sections', {
      file,
      hint: 'copy dwh.cfg.example to dwh.cfg and fill in [CLUSTER] and [IAM_ROLE]',
    })];
  }
  const required: [string, string[][]][] = [
    ['CLUSTER', [['HOST', 'DB_HOST'], ['DB_NAME'], ['DB_USER'], ['DB_PASSWORD']]],
    ['IAM_ROLE', [['ARN', 'ARN_ROLE']]],
  ];
  const errors: ConfigError[] = [];
  // a missing section is reported at the file's last line, where it would be added
  let lastLine = 1;
  for (const s of doc.sections.values()) {
    lastLine = Math.max(lastLine, s.line);
    for (const e of s.entries.values()) lastLine = Math.max(lastLine, e.line);
  }
  for (const [name, keys] of required) {
    const section = doc.sections.get(name);
    if (!section) {
      const lines = keys.map(([k]) => CLUSTER_EXAMPLE[k!]).join('\n    ');
      errors.push(new ConfigError(`missing section [${name}] (needed by the redshift target)`, {
        file: doc.file,
        line: lastLine,
        column: 1,
        hint: `add:\n    [${name}]\n    ${lines}`,
      }));
      continue;
    }
    for (const aliases of keys) {
      if (aliases.some((k) => section.entries.get(k)?.value)) continue;
      const key = aliases[0]!;
      const empty = aliases.map((k) => section.entries.get(k)).find((e) => e !== undefined);
      errors.push(new ConfigError(
        empty ? `[${name}] ${key} is empty (needed by the redshift target)` : `[${name}] is missing ${key} (needed by the redshift target)`,
        { file: doc.file, line: empty?.line ?? section.line, column: 1, hint: `${empty ? 'set' : `add under [${name}]`}: ${CLUSTER_EXAMPLE[key]}` },
      ));
    }
  }
  return errors;
}

/** A printable summary of the target with every password replaced by ****. */
export function describeTarget(t: Target): Record<string, unknown> {
  const mask = <T extends { password?: string }>(c: T) => ({ ...c, ...(c.password !== undefined ? { password: '****' } : {}) });
  return {
    name: t.name,
    type: t.type,
    schema: t.schema,
    threads: t.threads,
    configFile: t.configFile,
    ...(t.duckdb ? { duckdb: t.duckdb } : {}),
    ...(t.postgres ? { postgres: mask(t.postgres) } : {}),
    ...(t.redshift ? { redshift: mask(t.redshift) } : {}),
    s3: t.s3,
  };
}

function readFileIfExists(p: string): string | undefined {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`cannot read config file ${p}: ${(err as Error).message}`, { file: p, cause: err });
  }
}
