import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, throwIfAny } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { unmaskableSecrets } from '../mask-secrets.js';
import { parseIni, type IniDocument } from './parse-ini.js';
import { identifierTooLong } from '../adapters/base-dialect.js';
import { findEngine } from '../adapters/create-engine.js';
import type { EngineDefinition, ResolvedEngineConfig } from '../adapters/engine-definition.js';
import { ENGINES } from '../adapters/engines.js';
import type { EngineType } from '../adapters/adapter.js';
import { ConfigReader, type RawSetting } from './config-reader.js';

export type { EngineType } from '../adapters/adapter.js';

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
  /** the engine's own settings, as its folder resolved them (src/adapters/<engine>/index.ts): a DuckDB path, a server */
  settings: unknown;
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

export { PLACEHOLDER_IAM_ROLE } from '../adapters/redshift/index.js';

export interface ResolveTargetOptions {
  projectDir: string;
  /** --config; relative paths resolve against projectDir. */
  configPath?: string;
  /** --target: an engine type or alias (duckdb, postgres, redshift or cluster). */
  targetName?: string;
  env: Record<string, string | undefined>;
  /** Returns undefined when the file does not exist. Defaults to fs. */
  readFile?: (p: string) => string | undefined;
  /**
   * For commands that write SQL without connecting (compile): missing connection settings and
   * credentials (Redshift's [CLUSTER] and [IAM_ROLE]) are placeholders, listed in target.placeholders.
   */
  offline?: boolean | undefined;
  /** the engines a target may name (default: the built-in ones) */
  engines?: readonly EngineDefinition[] | undefined;
}

// Sections we introduced are strict about key names (engines add theirs); the seed's sections tolerate extra keys.
const SPARKIFY_KEYS: Record<string, readonly string[]> = { SPARKIFY: ['TARGET', 'THREADS'] };

const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const S3_URI = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[^\x00-\x1f'\\]*)?$/;
const ENDPOINT = /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/;

/**
 * Reads dwh.cfg (or `configPath`) plus the environment and returns the selected target.
 * Reports every problem at once: a ConfigError, or an ErrorList of them. Each engine resolves its
 * own section (EngineDefinition.resolveConfig); this reads the file, [SPARKIFY] and [S3].
 */
export function resolveTarget(opts: ResolveTargetOptions): Target {
  const projectDir = path.resolve(opts.projectDir);
  const read = opts.readFile ?? readFileIfExists;
  const engines = opts.engines ?? ENGINES;
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
  const r = new ConfigReader(doc, env, configFile ? path.dirname(configFile) : projectDir);
  const location = (raw: RawSetting | undefined, fallback: string): string | undefined => {
    if (raw === undefined) return fallback;
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.value)) return r.localPath(raw);
    if (S3_URI.test(raw.value)) return raw.value;
    return r.invalid(raw, `is not a valid s3:// URI or local path: ${r.show(raw.value)}`, "expected s3://bucket/prefix, e.g. LOG_DATA='s3://udacity-dend/log_data'");
  };

  const strict: [string, readonly string[]][] = [...Object.entries(SPARKIFY_KEYS), ...engines.flatMap((e) => Object.entries(e.configKeys ?? {}))];
  for (const [section, known] of strict) {
    for (const [key, entry] of doc?.sections.get(section)?.entries ?? []) {
      if (known.includes(key)) continue;
      r.error(
        new ConfigError(`unknown key ${key} in [${section}]`, {
          file: doc!.file,
          line: entry.line,
          hint: didYouMean(key, known) ?? `known keys: ${known.join(', ')}`,
        }),
      );
    }
  }

  const names = engines.flatMap((e) => [e.type, ...(e.aliases ?? [])]);
  const types = engines.map((e) => e.type);
  const targetHint = (raw: RawSetting) => didYouMean(raw.value, names) ?? `use ${types.slice(0, -1).join(', ')}${types.length > 1 ? ' or ' : ''}${types[types.length - 1]}`;
  const fileTarget = r.ini('SPARKIFY', 'TARGET');
  if (fileTarget && !findEngine(fileTarget.value, engines)) r.invalid(fileTarget, `is not a known target: ${r.show(fileTarget.value)}`, targetHint(fileTarget));
  const chosen: RawSetting | undefined = opts.targetName !== undefined ? { value: opts.targetName, label: '--target' } : fileTarget;
  const engine = chosen ? findEngine(chosen.value, engines) : findEngine('duckdb', engines) ?? engines[0];
  if (chosen && !engine && chosen !== fileTarget) r.invalid(chosen, `is not a known target: ${r.show(chosen.value)}`, targetHint(chosen));

  const threadsRaw = r.ini('SPARKIFY', 'THREADS');
  const threads = threadsRaw && (/^[1-9]\d{0,5}$/.test(threadsRaw.value) ? Number(threadsRaw.value) : r.invalid(threadsRaw, `must be a positive integer, got ${r.show(threadsRaw.value)}`));

  const sample = path.join(projectDir, 'data', 'sample');
  const s3: Partial<S3Locations> = {
    logData: location(r.ini('S3', 'LOG_DATA'), path.join(sample, 'log_data')),
    logJsonPath: location(r.ini('S3', 'LOG_JSONPATH'), path.join(sample, 'log_json_path.json')),
    songData: location(r.ini('S3', 'SONG_DATA'), path.join(sample, 'song_data')),
  };
  const s3Region = r.matching(r.ini('S3', 'REGION'), REGION, 'AWS region (e.g. us-west-2)');
  const endpoint = r.matching(r.ini('S3', 'ENDPOINT'), ENDPOINT, 'endpoint URL (e.g. http://127.0.0.1:9000)');
  const forcePathStyle = r.bool(r.ini('S3', 'FORCE_PATH_STYLE'));
  if (s3Region !== undefined) s3.region = s3Region;
  if (endpoint !== undefined) s3.endpoint = endpoint;
  if (forcePathStyle !== undefined) s3.forcePathStyle = forcePathStyle;

  // every engine reads its section, so a bad value is reported whichever engine is the target
  const ctx = { offline: opts.offline === true, projectDir, configFile: configFile ?? path.join(projectDir, 'dwh.cfg'), s3Region };
  let resolved: ResolvedEngineConfig<unknown> | undefined;
  for (const e of engines) {
    const res = e.resolveConfig(r, { ...ctx, selected: e === engine });
    if (e === engine) resolved = res;
  }
  // the target schema must fit the engine's identifier limit: PostgreSQL would cut a longer name
  const schemaRaw = resolved?.schemaSetting;
  const tooLong = schemaRaw && engine && identifierTooLong(schemaRaw.value, engine.dialect(undefined));
  if (schemaRaw && tooLong) r.invalid(schemaRaw, `${tooLong}: ${r.show(schemaRaw.value)}`, 'choose a shorter schema name');

  throwIfAny(r.errors);

  const named: [string, string | undefined][] = [
    ...engines.flatMap((e) => e.secrets?.(r) ?? []),
    ['AWS_SECRET_ACCESS_KEY', env.AWS_SECRET_ACCESS_KEY],
    ['AWS_SESSION_TOKEN', env.AWS_SESSION_TOKEN],
  ];
  const secrets = named.map(([, v]) => v).filter((s): s is string => !!s);
  const unmasked = [...new Set(named.filter(([, v]) => v && unmaskableSecrets([v]).length > 0).map(([name]) => name))];
  const placeholders = resolved!.placeholders ?? [];
  return {
    name: engine!.type,
    type: engine!.type,
    schema: resolved!.schema,
    ...(threads !== undefined ? { threads } : {}),
    ...(configFile !== undefined ? { configFile } : {}),
    settings: resolved!.settings,
    s3: s3 as S3Locations,
    secrets: [...new Set(secrets)],
    ...(placeholders.length > 0 ? { placeholders } : {}),
    ...(unmasked.length > 0 ? { unmaskedSecrets: unmasked } : {}),
  };
}

/** A printable summary of the target with every password replaced by ****. */
export function describeTarget(t: Target, engines: readonly EngineDefinition[] = ENGINES): Record<string, unknown> {
  const engine = findEngine(t.type, engines);
  return {
    name: t.name,
    type: t.type,
    schema: t.schema,
    threads: t.threads,
    configFile: t.configFile,
    [t.type]: engine?.describe ? engine.describe(t.settings) : t.settings,
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
