import { DatabaseError } from '../../errors.js';

/**
 * `[CLUSTER] AUTH = iam`: the cluster is logged in to with temporary credentials that the AWS API
 * issues to the identity of the standard AWS credential chain (environment, shared config and
 * credentials files, SSO, container and instance roles), as dbt-redshift's `method: iam` does
 * through redshift_connector: GetClusterCredentials for a provisioned cluster, GetCredentials for a
 * Serverless workgroup. No password is stored.
 */
export type IamAuth =
  | {
      kind: 'provisioned';
      clusterIdentifier: string;
      /** the database user the credentials are for (DB_USER); the API answers with "IAM:<user>" */
      dbUser: string;
      /** AUTO_CREATE: the user is created when it does not exist */
      autoCreate: boolean;
      /** DB_GROUPS: the groups the user joins for the session */
      dbGroups: string[];
      durationSeconds: number;
      /** the region of the cluster's API (from the host name, else [CLUSTER] REGION) */
      region: string;
    }
  | {
      kind: 'serverless';
      workgroup: string;
      durationSeconds: number;
      region: string;
    };

/** Credentials the API issued: the user to log in as, its password, and when they stop working. */
export interface TemporaryCredentials {
  user: string;
  password: string;
  expiration: Date;
}

/** redshift: DurationSeconds is 900 to 3600 for both APIs (AWS API reference, GetClusterCredentials, GetCredentials) */
export const MIN_DURATION_SECONDS = 900;
export const MAX_DURATION_SECONDS = 3600;

/** The permission each API needs, for the hint of a refusal. */
export function iamPolicyHint(auth: IamAuth, database: string): string {
  return auth.kind === 'provisioned'
    ? `the identity of the AWS credential chain needs redshift:GetClusterCredentials on arn:aws:redshift:${auth.region}:<account id>:dbuser:${auth.clusterIdentifier}/${auth.dbUser} and arn:aws:redshift:${auth.region}:<account id>:dbname:${auth.clusterIdentifier}/${database}` +
        (auth.autoCreate ? ' (and redshift:CreateClusterUser for AUTO_CREATE)' : '') +
        (auth.dbGroups.length > 0 ? ` (and redshift:JoinGroup on the dbgroup:${auth.clusterIdentifier}/<group> ARNs of DB_GROUPS)` : '') +
        '; check [CLUSTER] CLUSTER_IDENTIFIER, DB_USER, REGION and AWS_PROFILE'
    : `the identity of the AWS credential chain needs redshift-serverless:GetCredentials on the workgroup (arn:aws:redshift-serverless:${auth.region}:<account id>:workgroup/<workgroup id>); check [CLUSTER] WORKGROUP, REGION and AWS_PROFILE`;
}

/** Asks the API for temporary credentials; the SDK is loaded only when a cluster is opened with AUTH = iam. */
export async function getTemporaryCredentials(auth: IamAuth, database: string, opts: { endpoint?: string | undefined } = {}): Promise<TemporaryCredentials> {
  const where = auth.kind === 'provisioned' ? `cluster ${auth.clusterIdentifier}` : `workgroup ${auth.workgroup}`;
  const fail = (err: unknown): DatabaseError => {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = e.$metadata?.httpStatusCode;
    return new DatabaseError(
      `cannot get temporary credentials for Redshift ${where} (database ${database}): ${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}${e.message && e.message !== e.name ? `: ${e.message}` : ''}`,
      {
        hint:
          (status !== undefined && status >= 400 && status < 500) ||
          /AccessDenied|NotAuthorized|Unauthorized|InvalidClientTokenId|ExpiredToken|SignatureDoesNotMatch|CredentialsProvider/i.test(
            `${e.name ?? ''} ${e.message ?? ''}`,
          )
            ? iamPolicyHint(auth, database)
            : `the ${auth.kind === 'provisioned' ? 'Redshift' : 'Redshift Serverless'} API in ${auth.region} did not answer; check the network and [CLUSTER] REGION (or the region in HOST)`,
        cause: err,
      },
    );
  };
  const config = { region: auth.region, ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}) };
  if (auth.kind === 'provisioned') {
    const { RedshiftClient, GetClusterCredentialsCommand } = await import('@aws-sdk/client-redshift');
    const client = new RedshiftClient(config);
    try {
      const r = await client.send(
        new GetClusterCredentialsCommand({
          ClusterIdentifier: auth.clusterIdentifier,
          DbUser: auth.dbUser,
          DbName: database,
          DurationSeconds: auth.durationSeconds,
          AutoCreate: auth.autoCreate,
          ...(auth.dbGroups.length > 0 ? { DbGroups: auth.dbGroups } : {}),
        }),
      );
      if (!r.DbPassword) throw Object.assign(new Error('the answer has no DbPassword'), { name: 'InvalidResponse' });
      // redshift: the user to log in as is the one the API returns, "IAM:" + DbUser (AWS docs, GetClusterCredentials)
      return { user: r.DbUser ?? `IAM:${auth.dbUser}`, password: r.DbPassword, expiration: r.Expiration ?? new Date(Date.now() + auth.durationSeconds * 1000) };
    } catch (err) {
      throw fail(err);
    } finally {
      client.destroy();
    }
  }
  const { RedshiftServerlessClient, GetCredentialsCommand } = await import('@aws-sdk/client-redshift-serverless');
  const client = new RedshiftServerlessClient(config);
  try {
    const r = await client.send(new GetCredentialsCommand({ workgroupName: auth.workgroup, dbName: database, durationSeconds: auth.durationSeconds }));
    if (!r.dbPassword || !r.dbUser) throw Object.assign(new Error('the answer has no dbUser or dbPassword'), { name: 'InvalidResponse' });
    // redshift-serverless: the user is the IAM identity's ("IAM:<user>" or "IAMR:<role>"), as the API names it
    return { user: r.dbUser, password: r.dbPassword, expiration: r.expiration ?? new Date(Date.now() + auth.durationSeconds * 1000) };
  } catch (err) {
    throw fail(err);
  } finally {
    client.destroy();
  }
}

/** Credentials are asked for again when less than this is left of them, so that no new session logs in with expired ones. */
export const REFRESH_BEFORE_EXPIRY_MS = 5 * 60 * 1000;

/**
 * The cluster's credentials for the pg pool: fetched when the engine opens, and again for a new
 * session once they are within five minutes of expiring (sessions already open stay logged in:
 * the password is checked only at login). Holds the password in memory only; nothing prints it.
 */
export class TemporaryCredentialsProvider {
  private cached: TemporaryCredentials | undefined;
  private readonly issued = new Set<string>();
  private pending: Promise<TemporaryCredentials> | undefined;
  /** how many times the API was asked */
  requests = 0;

  constructor(
    private readonly auth: IamAuth,
    private readonly database: string,
    private readonly options: { endpoint?: string | undefined } = {},
  ) {}

  /** every password issued so far, for masking */
  secrets(): string[] {
    return [...this.issued];
  }

  async current(): Promise<TemporaryCredentials> {
    const c = this.cached;
    if (c && c.expiration.getTime() - Date.now() > REFRESH_BEFORE_EXPIRY_MS) return c;
    this.pending ??= (async () => {
      try {
        this.requests++;
        this.cached = await getTemporaryCredentials(this.auth, this.database, this.options);
        this.issued.add(this.cached.password);
        return this.cached;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}
