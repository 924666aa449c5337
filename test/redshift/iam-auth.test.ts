import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TemporaryCredentialsProvider, type IamAuth } from '../../src/adapters/redshift/iam-credentials.js';
import { RedshiftEngine, redshiftServer, type RedshiftSettings } from '../../src/adapters/redshift/redshift-engine.js';
import { describeTarget, resolveTarget } from '../../src/config/load-config.js';
import { DatabaseError, ErrorList, type ConfigError } from '../../src/errors.js';
import { secretSpellings } from '../../src/mask-secrets.js';
import { removeDir, tempDir } from '../helpers/project.js';
import { PG, connect, freshSchema, dropSchema } from '../postgres/pg.js';
import { S3_TEST_ENV, runCliAsync } from '../s3/s3-fixture.js';
import { TestAwsApiServer } from './aws-api-server.js';

const HOST = 'redshift-cluster-1.abc123xyz789.us-west-2.redshift.amazonaws.com';
const cfg = (cluster: string) => `[CLUSTER]\nHOST=${HOST}\nDB_NAME=dev\nDB_PORT=5439\n${cluster}\n[IAM_ROLE]\nARN=arn:aws:iam::123456789012:role/dwhRole\n`;
const resolve = (text: string, offline = false) =>
  resolveTarget({ projectDir: '/p', env: {}, readFile: (p) => (p === '/p/dwh.cfg' ? text : undefined), targetName: 'redshift', offline });
const errorsOf = (text: string): [number | undefined, string, string][] => {
  try {
    resolve(text);
    return [];
  } catch (err) {
    const list = (err instanceof ErrorList ? err.errors : [err]) as ConfigError[];
    return list.map((e) => [e.line, e.message, e.hint ?? '']);
  }
};

describe('[CLUSTER] AUTH = iam in dwh.cfg', () => {
  it('a provisioned cluster: CLUSTER_IDENTIFIER, DB_USER, AUTO_CREATE, DB_GROUPS, DURATION_SECONDS; no password needed; the region from the host', () => {
    const t = resolve(
      cfg('DB_USER=loader\nAUTH=iam\nCLUSTER_IDENTIFIER=redshift-cluster-1\nAUTO_CREATE=true\nDB_GROUPS=loaders, analysts\nDURATION_SECONDS=1800'),
    );
    const s = t.settings as RedshiftSettings;
    expect(s.iam).toEqual({
      kind: 'provisioned',
      clusterIdentifier: 'redshift-cluster-1',
      dbUser: 'loader',
      autoCreate: true,
      dbGroups: ['loaders', 'analysts'],
      durationSeconds: 1800,
      region: 'us-west-2',
    });
    expect(s.password).toBeUndefined();
    expect(describeTarget(t).redshift).toMatchObject({ auth: 'iam', password: '**** (temporary, from GetClusterCredentials when connecting)' });
  });

  it('a Serverless workgroup: WORKGROUP, no DB_USER; defaults of 900 seconds and the region of [CLUSTER] REGION for another host', () => {
    const t = resolve(
      cfg('AUTH=IAM\nWORKGROUP=sparkify-wg\nREGION=eu-west-1').replace(HOST, 'sparkify-wg.123456789012.eu-west-1.redshift-serverless.amazonaws.com'),
    );
    expect((t.settings as RedshiftSettings).iam).toEqual({ kind: 'serverless', workgroup: 'sparkify-wg', durationSeconds: 900, region: 'eu-west-1' });
    expect((resolve(cfg('AUTH=iam\nWORKGROUP=wg1\nREGION=eu-west-1').replace(HOST, 'proxy.internal')).settings as RedshiftSettings).iam).toMatchObject({
      region: 'eu-west-1',
    });
  });

  it('compiles offline without DB_PASSWORD, which is not a placeholder', () => {
    const t = resolve(cfg('DB_USER=loader\nAUTH=iam\nCLUSTER_IDENTIFIER=c1'), true);
    expect(t.placeholders ?? []).not.toContain('[CLUSTER] DB_PASSWORD');
  });

  it.each([
    [
      'no cluster identifier or workgroup',
      'DB_USER=u\nAUTH=iam',
      6,
      '[CLUSTER] AUTH is iam, which needs CLUSTER_IDENTIFIER (a provisioned cluster) or WORKGROUP (Serverless) in [CLUSTER]',
      /^add CLUSTER_IDENTIFIER=/,
    ],
    [
      'both',
      'DB_USER=u\nAUTH=iam\nCLUSTER_IDENTIFIER=c1\nWORKGROUP=wg1',
      8,
      '[CLUSTER] WORKGROUP and CLUSTER_IDENTIFIER are both set; AUTH = iam takes one',
      /provisioned cluster/,
    ],
    ['an unknown AUTH', 'DB_USER=u\nDB_PASSWORD=secret-pw\nAUTH=kerberos', 7, '[CLUSTER] AUTH must be password or iam, got "kerberos"', /^AUTH = iam logs in/],
    [
      'a bad cluster identifier',
      "DB_USER=u\nAUTH=iam\nCLUSTER_IDENTIFIER=Cluster'1",
      7,
      `[CLUSTER] CLUSTER_IDENTIFIER is not a valid cluster identifier (1 to 63 lower-case letters, digits and hyphens, starting with a letter): "Cluster'1"`,
      /^$/,
    ],
    [
      'a bad workgroup',
      'AUTH=iam\nWORKGROUP=w',
      6,
      '[CLUSTER] WORKGROUP is not a valid workgroup name (3 to 64 lower-case letters, digits and hyphens): "w"',
      /^$/,
    ],
    [
      'a duration out of range',
      'DB_USER=u\nAUTH=iam\nCLUSTER_IDENTIFIER=c1\nDURATION_SECONDS=60',
      8,
      '[CLUSTER] DURATION_SECONDS must be a whole number of seconds from 900 to 3600, got "60"',
      /^$/,
    ],
    [
      'a stored password beside it',
      'DB_USER=u\nDB_PASSWORD=secret-pw\nAUTH=iam\nCLUSTER_IDENTIFIER=c1',
      6,
      '[CLUSTER] DB_PASSWORD is not used with AUTH = iam (the password is issued when connecting)',
      /^remove DB_PASSWORD/,
    ],
    [
      'groups on Serverless',
      'AUTH=iam\nWORKGROUP=wg1\nDB_GROUPS=g',
      7,
      '[CLUSTER] DB_GROUPS applies to a provisioned cluster (CLUSTER_IDENTIFIER) only; Serverless maps the IAM identity to its user',
      /^remove DB_GROUPS/,
    ],
    [
      'a provisioned cluster without DB_USER',
      'AUTH=iam\nCLUSTER_IDENTIFIER=c1',
      1,
      '[CLUSTER] is missing DB_USER (needed by the redshift target)',
      /^add under \[CLUSTER\]: DB_USER=/,
    ],
  ])('%s is an error at its dwh.cfg line', (_name, cluster, line, message, hint) => {
    const errors = errorsOf(cfg(cluster));
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(line);
    expect(errors[0]![1]).toBe(message);
    expect(errors[0]![2]).toMatch(hint);
  });
});

describe('AUTH = iam: hostile values', () => {
  const HOSTILE = "'; drop table users; --";
  it.each(['CLUSTER_IDENTIFIER', 'WORKGROUP', 'DB_GROUPS', 'DURATION_SECONDS', 'AUTO_CREATE'])('[CLUSTER] %s', (key) => {
    const base = key === 'WORKGROUP' ? 'AUTH=iam' : 'DB_USER=u\nAUTH=iam\nCLUSTER_IDENTIFIER=c1';
    for (const value of [`"x${HOSTILE}"`, `x; drop table users; --`, HOSTILE]) {
      const lines = `${base}\n${key}=${value}`;
      const errors = errorsOf(cfg(lines));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.map(([line]) => line)).toEqual(errors.map(() => 4 + lines.split('\n').length));
    }
  });
});

describe('temporary credentials from the AWS API', () => {
  let api: TestAwsApiServer;
  const schema = freshSchema('rs_iam');
  const saved: Record<string, string | undefined> = {};
  const provisioned: IamAuth = {
    kind: 'provisioned',
    clusterIdentifier: 'redshift-cluster-1',
    dbUser: 'sparkify_loader',
    autoCreate: true,
    dbGroups: ['loaders'],
    durationSeconds: 1800,
    region: 'us-west-2',
  };
  const serverless: IamAuth = { kind: 'serverless', workgroup: 'sparkify-wg', durationSeconds: 900, region: 'eu-west-1' };
  const settings = (iam: IamAuth): RedshiftSettings =>
    ({
      host: PG.host,
      port: PG.port,
      database: PG.database,
      user: 'sparkify_loader',
      schema,
      iamRole: 'arn:aws:iam::123456789012:role/dwhRole',
      region: 'us-west-2',
      ssl: false,
      iam,
    }) as unknown as RedshiftSettings;
  const apiEnv = () => ({ ...S3_TEST_ENV, AWS_ENDPOINT_URL_REDSHIFT: api.endpoint, AWS_ENDPOINT_URL_REDSHIFT_SERVERLESS: api.endpoint });

  beforeAll(async () => {
    api = new TestAwsApiServer();
    await api.start();
    for (const [k, v] of Object.entries(apiEnv())) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    const c = await connect();
    try {
      await c.query(
        `DROP ROLE IF EXISTS "IAM:sparkify_loader"; CREATE ROLE "IAM:sparkify_loader" LOGIN; DROP ROLE IF EXISTS "IAMR:sparkify-role"; CREATE ROLE "IAMR:sparkify-role" LOGIN; CREATE SCHEMA "${schema}"; GRANT ALL ON SCHEMA "${schema}" TO PUBLIC`,
      );
    } finally {
      await c.end();
    }
  });

  afterAll(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    await api?.stop();
    await dropSchema(schema);
    const c = await connect();
    try {
      await c.query(`DROP ROLE IF EXISTS "IAM:sparkify_loader"; DROP ROLE IF EXISTS "IAMR:sparkify-role"`);
    } finally {
      await c.end();
    }
  });

  beforeEach(() => {
    api.requests.length = 0;
    api.refuse = undefined;
    api.issue = (n) => ({ user: 'IAM:sparkify_loader', password: `Tmp-Pw-${n}-q8Zr4+/x"é`, expiration: new Date(Date.now() + 3600_000) });
  });

  it('provisioned: GetClusterCredentials with the cluster, user, database, duration, auto-create and groups; the engine logs in as the user it returns, with its password', async () => {
    const engine = await RedshiftEngine.openCluster(settings(provisioned), schema, 1, { readOnly: true });
    try {
      expect(await engine.withConnection((c) => c.query('SELECT current_user AS u'))).toEqual([{ u: 'IAM:sparkify_loader' }]);
    } finally {
      await engine.close();
    }
    expect(api.requests).toHaveLength(1);
    const r = api.requests[0]!;
    expect(r.method).toBe('POST');
    expect(TestAwsApiServer.form(r)).toEqual({
      Action: 'GetClusterCredentials',
      Version: '2012-12-01',
      ClusterIdentifier: 'redshift-cluster-1',
      DbUser: 'sparkify_loader',
      DbName: PG.database,
      DurationSeconds: '1800',
      AutoCreate: 'true',
      'DbGroups.DbGroup.1': 'loaders',
    });
    // signed with the credential chain's keys (here the environment's), for the cluster's region
    expect(String(r.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=sparkify-test\/\d{8}\/us-west-2\/redshift\/aws4_request/);
  });

  it('the issued password is what the pg client logs in with, and it is in no printable setting', async () => {
    const provider = new TemporaryCredentialsProvider(provisioned, PG.database);
    const first = await provider.current();
    const server = redshiftServer({ ...settings(provisioned), user: first.user }, provider);
    expect(server.client.user).toBe('IAM:sparkify_loader');
    const password = server.client.password as () => Promise<string>;
    expect(typeof password).toBe('function');
    expect(await password()).toBe('Tmp-Pw-1-q8Zr4+/x"é');
    expect(JSON.stringify(server)).not.toContain('Tmp-Pw-');
    expect(server.secrets?.()).toEqual(['Tmp-Pw-1-q8Zr4+/x"é']);
  });

  it('Serverless: GetCredentials (JSON protocol) with the workgroup, database and duration; the user is the one the API names', async () => {
    api.issue = () => ({ user: 'IAMR:sparkify-role', password: 'Tmp-Serverless-Pw-77', expiration: new Date(Date.now() + 900_000) });
    const engine = await RedshiftEngine.openCluster(settings(serverless), schema, 1, { readOnly: true });
    try {
      expect(await engine.withConnection((c) => c.query('SELECT current_user AS u'))).toEqual([{ u: 'IAMR:sparkify-role' }]);
    } finally {
      await engine.close();
    }
    expect(api.requests).toHaveLength(1);
    const r = api.requests[0]!;
    expect([r.method, r.headers['x-amz-target'], r.headers['content-type']]).toEqual([
      'POST',
      'RedshiftServerless.GetCredentials',
      'application/x-amz-json-1.1',
    ]);
    expect(JSON.parse(r.body)).toEqual({ workgroupName: 'sparkify-wg', dbName: PG.database, durationSeconds: 900 });
    expect(String(r.headers.authorization)).toMatch(/\/eu-west-1\/redshift-serverless\/aws4_request/);
  });

  it('asks again only when the credentials are within five minutes of expiring', async () => {
    const provider = new TemporaryCredentialsProvider(provisioned, PG.database);
    await provider.current();
    await provider.current();
    expect(api.requests).toHaveLength(1);
    api.issue = (n) => ({ user: 'IAM:sparkify_loader', password: `Short-Lived-${n}`, expiration: new Date(Date.now() + 120_000) });
    const short = new TemporaryCredentialsProvider(provisioned, PG.database);
    expect((await short.current()).password).toBe('Short-Lived-2');
    expect((await short.current()).password).toBe('Short-Lived-3');
    expect([short.requests, api.requests.length]).toEqual([2, 3]);
  });

  it('a refusal names the cluster and the permission it needs', async () => {
    api.refuse = {
      status: 403,
      code: 'AccessDenied',
      message: 'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: redshift:GetClusterCredentials',
    };
    const err = await RedshiftEngine.openCluster(settings(provisioned), schema, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(
      /^cannot get temporary credentials for Redshift cluster redshift-cluster-1 \(database \w+\): AccessDenied \(HTTP 403\): User: arn:aws:iam::123456789012:user\/ci is not authorized/,
    );
    expect((err as DatabaseError).hint).toMatch(
      /needs redshift:GetClusterCredentials on arn:aws:redshift:us-west-2:<account id>:dbuser:redshift-cluster-1\/sparkify_loader and arn:aws:redshift:us-west-2:<account id>:dbname:redshift-cluster-1\//,
    );
  });

  it('sparkify debug shows the password masked, fetches it when connecting, and prints it nowhere, in no spelling', async () => {
    const dir = tempDir('sparkify-iam-');
    try {
      // the cluster is the PostgreSQL server, which has no TLS, so the login fails after the credentials are issued
      writeFileSync(
        path.join(dir, 'dwh.cfg'),
        `[CLUSTER]\nHOST=${PG.host}\nDB_PORT=${PG.port}\nDB_NAME=${PG.database}\nDB_USER=sparkify_loader\nAUTH=iam\nCLUSTER_IDENTIFIER=redshift-cluster-1\nREGION=us-west-2\n[IAM_ROLE]\nARN=arn:aws:iam::123456789012:role/dwhRole\n`,
      );
      mkdirSync(path.join(dir, 'models'));
      writeFileSync(path.join(dir, 'models', 'm.sql'), 'select 1 as x\n');
      const secret = 'Tmp-Pw-1-q8Zr4+/x"é';
      for (const format of ['text', 'json']) {
        api.requests.length = 0;
        const r = await runCliAsync(['debug', '--target', 'redshift', '--project-dir', dir, '--log-format', format], apiEnv());
        expect(api.requests.map((q) => TestAwsApiServer.form(q).Action)).toEqual(['GetClusterCredentials']);
        const out = r.stdout + r.stderr;
        expect(out).toContain('**** (temporary, from GetClusterCredentials when connecting)');
        expect(out).toMatch(/cannot connect to Redshift at 127\.0\.0\.1:\d+ \(database \w+, user IAM:sparkify_loader\)/);
        expect(r.code).not.toBe(0);
        for (const spelling of [...secretSpellings(secret), 'Tmp-Pw-']) expect(out).not.toContain(spelling);
      }
    } finally {
      removeDir(dir);
    }
  });
});
