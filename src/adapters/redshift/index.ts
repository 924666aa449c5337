import { ConfigError } from '../../errors.js';
import type { ConfigReader } from '../../config/config-reader.js';
import type { IniDocument } from '../../config/parse-ini.js';
import { defineEngine } from '../engine-definition.js';
import { parseS3Uri } from '../../loaders/s3-uri.js';
import { PG_IDENTIFIER, type PostgresSettings } from '../postgres/index.js';
import { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, type IamAuth } from './iam-credentials.js';
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
  /** [CLUSTER] AUTH = iam: temporary credentials from the AWS API instead of DB_PASSWORD */
  iam?: IamAuth | undefined;
}

/** The IAM role that COPY statements name when the config has none (offline compile). */
export const PLACEHOLDER_IAM_ROLE = 'arn:aws:iam::000000000000:role/sparkify-placeholder';

const IAM_ROLE = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const HOSTNAME = /^[A-Za-z0-9.-]+$/;
// redshift: 1 to 63 lower-case letters, digits and hyphens, starting with a letter, no "--", not ending with "-" (AWS docs, CreateCluster)
const CLUSTER_IDENTIFIER = /^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$/;
// redshift-serverless: 3 to 64 lower-case letters, digits and hyphens (AWS docs, CreateWorkgroup)
const WORKGROUP = /^[a-z0-9-]{3,64}$/;
// the region in a cluster's or workgroup's endpoint: <name>.<id>.<region>.redshift[-serverless].amazonaws.com
const HOST_REGION = /\.([a-z]{2}(?:-[a-z]+)+-\d)\.redshift(?:-serverless)?\.amazonaws\.com(?:\.cn)?$/;

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
    const login = loginOf(r);
    const placeholders: string[] = [];
    if (ctx.selected) {
      if (!ctx.offline) for (const e of missingClusterKeys(r.doc, ctx.configFile, login)) r.error(e);
      else {
        const need = (value: string | undefined, label: string, placeholder: string): string => {
          if (value !== undefined) return value;
          placeholders.push(label);
          return placeholder;
        };
        cluster.host = need(cluster.host, '[CLUSTER] HOST', 'placeholder.invalid');
        cluster.database = need(cluster.database, '[CLUSTER] DB_NAME', 'dev');
        if (login !== 'iam-serverless') cluster.user = need(cluster.user, '[CLUSTER] DB_USER', 'placeholder');
        if (!password && login === 'password') placeholders.push('[CLUSTER] DB_PASSWORD');
        cluster.iamRole = need(cluster.iamRole, '[IAM_ROLE] ARN', PLACEHOLDER_IAM_ROLE);
      }
    }
    const iam = iamAuthOf(r, cluster.host, cluster.user);
    const settings: RedshiftSettings = {
      ...cluster,
      host: cluster.host!,
      database: cluster.database!,
      // Serverless with AUTH = iam: the user is the one GetCredentials names, known when connecting
      user: cluster.user ?? '',
      ...(password && !iam ? { password } : {}),
      iamRole: cluster.iamRole!,
      ssl: true,
      ...(manifestPrefix !== undefined ? { manifestPrefix } : {}),
      ...(iam !== undefined ? { iam } : {}),
    };
    return { settings, schema: cluster.schema, schemaSetting, placeholders };
  },
  secrets: (r: ConfigReader) => [['[CLUSTER] DB_PASSWORD', r.iniValue('CLUSTER', 'DB_PASSWORD')]],
  describe: (s) => ({
    ...s,
    ...(s.password !== undefined ? { password: '****' } : {}),
    ...(s.iam
      ? { auth: 'iam', password: `**** (temporary, from ${s.iam.kind === 'provisioned' ? 'GetClusterCredentials' : 'GetCredentials'} when connecting)` }
      : {}),
  }),
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

type Login = 'password' | 'iam' | 'iam-serverless';

/** How the cluster is logged in to, from [CLUSTER] AUTH (and WORKGROUP), before the values are checked. */
function loginOf(r: ConfigReader): Login {
  if (r.ini('CLUSTER', 'AUTH')?.value.toLowerCase() !== 'iam') return 'password';
  return r.ini('CLUSTER', 'WORKGROUP') && !r.ini('CLUSTER', 'CLUSTER_IDENTIFIER', 'CLUSTER_ID') ? 'iam-serverless' : 'iam';
}

const AUTH_HINT =
  'AUTH = iam logs in with temporary credentials from the AWS API (no DB_PASSWORD); leave AUTH out (or AUTH = password) to log in with DB_PASSWORD';

/**
 * [CLUSTER] AUTH = iam, as dbt-redshift's `method: iam`: CLUSTER_IDENTIFIER (a provisioned cluster:
 * GetClusterCredentials for DB_USER, with AUTO_CREATE and DB_GROUPS) or WORKGROUP (Serverless:
 * GetCredentials), DURATION_SECONDS (900 to 3600, default 900). Undefined for password logins.
 */
function iamAuthOf(r: ConfigReader, host: string | undefined, user: string | undefined): IamAuth | undefined {
  const authRaw = r.ini('CLUSTER', 'AUTH');
  const auth = authRaw?.value.toLowerCase() ?? 'password';
  if (authRaw && auth !== 'password' && auth !== 'iam') return r.invalid(authRaw, `must be password or iam, got ${r.show(authRaw.value)}`, AUTH_HINT);
  if (auth !== 'iam') return undefined;
  const clusterRaw = r.ini('CLUSTER', 'CLUSTER_IDENTIFIER', 'CLUSTER_ID');
  const workgroupRaw = r.ini('CLUSTER', 'WORKGROUP');
  const clusterIdentifier = r.matching(
    clusterRaw,
    CLUSTER_IDENTIFIER,
    'cluster identifier (1 to 63 lower-case letters, digits and hyphens, starting with a letter)',
  );
  const workgroup = r.matching(workgroupRaw, WORKGROUP, 'workgroup name (3 to 64 lower-case letters, digits and hyphens)');
  const passwordRaw = r.ini('CLUSTER', 'DB_PASSWORD');
  if (passwordRaw)
    r.invalid(
      passwordRaw,
      'is not used with AUTH = iam (the password is issued when connecting)',
      'remove DB_PASSWORD, or remove AUTH = iam to log in with it',
    );
  const durationRaw = r.ini('CLUSTER', 'DURATION_SECONDS');
  let durationSeconds = MIN_DURATION_SECONDS;
  if (durationRaw) {
    const n = /^\d{1,5}$/.test(durationRaw.value) ? Number(durationRaw.value) : NaN;
    if (n >= MIN_DURATION_SECONDS && n <= MAX_DURATION_SECONDS) durationSeconds = n;
    else r.invalid(durationRaw, `must be a whole number of seconds from ${MIN_DURATION_SECONDS} to ${MAX_DURATION_SECONDS}, got ${r.show(durationRaw.value)}`);
  }
  const regionRaw = r.ini('CLUSTER', 'REGION');
  const region = (host && HOST_REGION.exec(host)?.[1]) ?? (regionRaw && REGION.test(regionRaw.value) ? regionRaw.value : undefined) ?? 'us-west-2';
  if (clusterRaw && workgroupRaw) {
    return r.invalid(
      workgroupRaw,
      'and CLUSTER_IDENTIFIER are both set; AUTH = iam takes one',
      'keep CLUSTER_IDENTIFIER for a provisioned cluster (GetClusterCredentials) or WORKGROUP for Serverless (GetCredentials)',
    );
  }
  if (!clusterRaw && !workgroupRaw) {
    return r.invalid(
      authRaw!,
      'is iam, which needs CLUSTER_IDENTIFIER (a provisioned cluster) or WORKGROUP (Serverless) in [CLUSTER]',
      'add CLUSTER_IDENTIFIER=<cluster name, e.g. redshift-cluster-1> or WORKGROUP=<workgroup name>',
    );
  }
  if (workgroupRaw) {
    for (const key of ['DB_GROUPS', 'AUTO_CREATE']) {
      const raw = r.ini('CLUSTER', key);
      if (raw) r.invalid(raw, 'applies to a provisioned cluster (CLUSTER_IDENTIFIER) only; Serverless maps the IAM identity to its user', `remove ${key}`);
    }
    return workgroup === undefined ? undefined : { kind: 'serverless', workgroup, durationSeconds, region };
  }
  const autoCreate = r.bool(r.ini('CLUSTER', 'AUTO_CREATE', 'AUTOCREATE')) ?? false;
  const groupsRaw = r.ini('CLUSTER', 'DB_GROUPS');
  const dbGroups = (groupsRaw?.value ?? '')
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  for (const g of dbGroups)
    if (!PG_IDENTIFIER.test(g)) r.invalid(groupsRaw!, `holds an invalid group name: ${r.show(g)}`, 'a comma-separated list of database group names');
  if (clusterIdentifier === undefined || user === undefined) return undefined;
  return { kind: 'provisioned', clusterIdentifier, dbUser: user, autoCreate, dbGroups, durationSeconds, region };
}

/** One error per missing or empty required [CLUSTER]/[IAM_ROLE] key, each with the line to add. */
function missingClusterKeys(doc: IniDocument | undefined, file: string, login: Login): ConfigError[] {
  if (!doc) {
    return [
      new ConfigError('the redshift target needs a config file with [CLUSTER] and [IAM_ROLE] sections', {
        file,
        hint: 'copy dwh.cfg.example to dwh.cfg and fill in [CLUSTER] and [IAM_ROLE]',
      }),
    ];
  }
  // AUTH = iam: no stored password; Serverless maps the IAM identity to its user, so no DB_USER either
  const clusterKeys = [
    ['HOST', 'DB_HOST'],
    ['DB_NAME'],
    ...(login === 'iam-serverless' ? [] : [['DB_USER']]),
    ...(login === 'password' ? [['DB_PASSWORD']] : []),
  ];
  const required: [string, string[][]][] = [
    ['CLUSTER', clusterKeys],
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
