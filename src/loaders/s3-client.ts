import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';

type AuthSchemes = NonNullable<S3ClientConfig['httpAuthSchemes']>;

/** Where sparkify reads s3:// locations from: the [S3] section of dwh.cfg. */
export interface S3Settings {
  region?: string | undefined;
  /** an S3-compatible server, e.g. http://127.0.0.1:9000 */
  endpoint?: string | undefined;
  /** path-style URLs (http://host/bucket/key), which most S3-compatible servers need */
  forcePathStyle?: boolean | undefined;
}

export interface ResolvedS3Client {
  client: S3Client;
  /** true when no credentials were found and requests go unsigned (public buckets only) */
  anonymous: boolean;
}

/** The bucket of the seed project (udacity-dend) is in us-west-2, as is the default cluster. */
export const DEFAULT_S3_REGION = 'us-west-2';

export function s3ClientConfig(settings: S3Settings): S3ClientConfig {
  return {
    region: settings.region ?? DEFAULT_S3_REGION,
    // a bucket in another region answers 301; the SDK then retries in the bucket's region
    followRegionRedirects: true,
    ...(settings.endpoint !== undefined
      ? {
          endpoint: settings.endpoint,
          // S3-compatible servers often predate the CRC checksums the SDK adds by default (2025)
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : {}),
    ...(settings.forcePathStyle !== undefined ? { forcePathStyle: settings.forcePathStyle } : {}),
  };
}

/**
 * An S3 client with credentials from the standard AWS chain (environment, shared config and
 * credentials files, SSO, container and instance roles). When the chain finds nothing, requests
 * are sent unsigned, which public buckets such as udacity-dend accept.
 */
export async function createS3Client(settings: S3Settings): Promise<ResolvedS3Client> {
  const config = s3ClientConfig(settings);
  const signed = new S3Client(config);
  try {
    const credentials = signed.config.credentials;
    await credentials();
    return { client: signed, anonymous: false };
  } catch {
    signed.destroy();
    return { client: new S3Client({ ...config, httpAuthSchemes: unsignedAuthSchemes() }), anonymous: true };
  }
}

/**
 * aws-sdk: the S3 client resolves an identity and signs with SigV4 (or SigV4a) for every
 * request; these schemes keep the scheme ids but resolve an empty identity and leave the request
 * as it is, so it goes out unsigned, like `aws s3 ls --no-sign-request`.
 */
function unsignedAuthSchemes(): AuthSchemes {
  return ['aws.auth#sigv4', 'aws.auth#sigv4a'].map((schemeId) => ({
    schemeId,
    identityProvider: () => async () => ({}),
    signer: { sign: async (request) => request },
  }));
}
