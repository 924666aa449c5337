import { ConfigError } from '../../errors.js';
import type { ConfigReader } from '../../config/config-reader.js';
import type { IniDocument } from '../../config/parse-ini.js';
import { defineEngine } from '../engine-definition.js';
import { parseS3Uri } from '../../loaders/s3-uri.js';
import { PG_IDENTIFIER, type PostgresSettings } from '../postgres/index.js';
import { redshiftDialectFor } from './redshift-dialect.js';

/** A cluster is reached as a PostgreSQL server is, always over TLS, with an IAM role for COPY. */
export interface RedshiftSettings extends Omit<PostgresSettings, 'ssl'> {
  iamRole: string;
  region: string;
  ssl: true;
  /**
   * [S3] MANIFEST_PREFIX: where an incremental load writes the manifest of its new files, so that
   * one COPY loads them all; without it each new file is its own COPY
   */
  manifestPrefix?: string | undefined;
}

/** The IAM role that COPY statements name when the config has none (offline compile). */
export const PLACEHOLDER_IAM_ROLE = 'arn:aws:iam::000000000000:role/sparkify-placeholder';

const IAM_ROLE = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOSTNAME = /^[A-Za-z0-9.-]+$/;

const CLUSTER_EXAMPLE: Record<string, string> = {
  HOST: 'HOST=<cluster>.<id>.us-west-2.redshift.amazonaws.com',
  DB_NAME: 'DB_NAME=dev',
  DB_USER: 'DB_USER=awsuser',
  DB_PASSWORD: 'DB_PASSWORD=<password>',
  ARN: 'ARN=arn:aws:iam::<12-digit account id>:role/<role name>',
};

/** Amazon Redshift: the seed's [CLUSTER] and [IAM_ROLE] sections; its sections tolerate extra keys. */
export const redshift = defineEngine<RedshiftSettings>({
  type: 'redshift',
  label: 'Redshift',
  aliases: ['cluster'],
  resolveConfig(r, ctx) {
    const password = r.iniValue('CLUSTER', 'DB_PASSWORD');
    const schemaSetting = r.ini('CLUSTER', 'SCHEMA');
    const cluster = {
      host: r.matching(r.ini('CLUSTER', 'HOST', 'DB_HOST'), HOSTNAME, 'host name'),
      port: r.port(r.ini('CLUSTER', 'DB_PORT', 'PORT')) ?? 5439,
      database: r.matching(r.ini('CLUSTER', 'DB_NAME'), PG_IDENTIFIER, 'database name'),
      user: r.matching(r.ini('CLUSTER', 'DB_USER'), PG_IDENTIFIER, 'user name'),
      schema: r.schema(schemaSetting) ?? 'public',
      iamRole: r.matching(r.ini('IAM_ROLE', 'ARN', 'ARN_ROLE'), IAM_ROLE, 'IAM role ARN (arn:aws:iam::<account id>:role/<name>)'),
      region: ctx.s3Region ?? r.matching(r.ini('CLUSTER', 'REGION'), REGION, 'AWS region (e.g. us-west-2)') ?? 'us-west-2',
    };
    const manifestPrefix = manifestPrefixOf(r);
    const placeholders: string[] = [];
    if (ctx.selected) {
      if (!ctx.offline) for (const e of missingClusterKeys(r.doc, ctx.configFile)) r.error(e);
      else {
        const need = (value: string | undefined, label: string, placeholder: string): string => {
          if (value !== undefined) return value;
          placeholders.push(label);
          return placeholder;
        };
        cluster.host = need(cluster.host, '[CLUSTER] HOST', 'placeholder.invalid');
        cluster.database = need(cluster.database, '[CLUSTER] DB_NAME', 'dev');
        cluster.user = need(cluster.user, '[CLUSTER] DB_USER', 'placeholder');
        if (!password) placeholders.push('[CLUSTER] DB_PASSWORD');
        cluster.iamRole = need(cluster.iamRole, '[IAM_ROLE] ARN', PLACEHOLDER_IAM_ROLE);
      }
    }
    const settings: RedshiftSettings = {
      ...cluster,
      host: cluster.host!,
      database: cluster.database!,
      user: cluster.user!,
      ...(password ? { password } : {}),
      iamRole: cluster.iamRole!,
      ssl: true,
      ...(manifestPrefix !== undefined ? { manifestPrefix } : {}),
    };
    return { settings, schema: cluster.schema, schemaSetting, placeholders };
  },
  secrets: (r: ConfigReader) => [['[CLUSTER] DB_PASSWORD', r.iniValue('CLUSTER', 'DB_PASSWORD')]],
  describe: (s) => ({ ...s, ...(s.password !== undefined ? { password: '****' } : {}) }),
  dialect: (s) => redshiftDialectFor(s),
  open: async (s, ctx) => (await import('./redshift-engine.js')).RedshiftEngine.openCluster(s, ctx.schema, ctx.threads, { readOnly: ctx.readOnly }),
});

/** [S3] MANIFEST_PREFIX: an s3:// folder (bucket, and optionally a key prefix) whose characters are safe in SQL; trailing '/' dropped. */
function manifestPrefixOf(r: ConfigReader): string | undefined {
  const raw = r.ini('S3', 'MANIFEST_PREFIX');
  if (raw === undefined) return undefined;
  const value = raw.value.replace(/\/+$/, '');
  const loc = parseS3Uri(value);
  if (!loc || value === 's3://') {
    return r.invalid(
      raw,
      `is not a valid s3:// prefix: ${r.show(raw.value)}`,
      "expected s3://bucket/prefix with a lower-case bucket name, keys of letters, digits and '/' !-_.*()=+,@~ (e.g. MANIFEST_PREFIX = s3://my-bucket/sparkify/manifests)",
    );
  }
  return value;
}

/** One error per missing or empty required [CLUSTER]/[IAM_ROLE] key, each with the line to add. */
function missingClusterKeys(doc: IniDocument | undefined, file: string): ConfigError[] {
  if (!doc) {
    return [
      new ConfigError('the redshift target needs a config file with [CLUSTER] and [IAM_ROLE] sections', {
        file,
        hint: 'copy dwh.cfg.example to dwh.cfg and fill in [CLUSTER] and [IAM_ROLE]',
      }),
    ];
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
      errors.push(
        new ConfigError(`missing section [${name}] (needed by the redshift target)`, {
          file: doc.file,
          line: lastLine,
          column: 1,
          hint: `add:\n    [${name}]\n    ${lines}`,
        }),
      );
      continue;
    }
    for (const aliases of keys) {
      if (aliases.some((k) => section.entries.get(k)?.value)) continue;
      const key = aliases[0]!;
      const empty = aliases.map((k) => section.entries.get(k)).find((e) => e !== undefined);
      errors.push(
        new ConfigError(empty ? `[${name}] ${key} is empty (needed by the redshift target)` : `[${name}] is missing ${key} (needed by the redshift target)`, {
          file: doc.file,
          line: empty?.line ?? section.line,
          column: 1,
          hint: `${empty ? 'set' : `add under [${name}]`}: ${CLUSTER_EXAMPLE[key]}`,
        }),
      );
    }
  }
  return errors;
}
