import { spawn } from 'node:child_process';
import { BIN, scratchDir, type CliResult } from '../helpers/project.js';
import { TestS3Server } from './s3-server.js';

/**
 * Credentials for the test server, in the environment where the SDK's default chain finds them
 * first; the instance-metadata lookup is switched off so nothing ever leaves loopback.
 */
export const S3_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'sparkify-test',
  AWS_SECRET_ACCESS_KEY: 'sparkify-test-secret',
  AWS_EC2_METADATA_DISABLED: 'true',
};

export function useTestCredentials(): void {
  Object.assign(process.env, S3_TEST_ENV);
}

export async function startS3(): Promise<TestS3Server> {
  const server = new TestS3Server();
  await server.start();
  return server;
}

/** The [S3] section of a dwh.cfg that points at the test server. */
export function s3Cfg(endpoint: string, bucket = 'udacity-dend'): string {
  return (
    `[S3]\nLOG_DATA = s3://${bucket}/log_data\nLOG_JSONPATH = s3://${bucket}/log_json_path.json\nSONG_DATA = s3://${bucket}/song_data\n` +
    `REGION = us-east-1\nENDPOINT = ${endpoint}\nFORCE_PATH_STYLE = true\n`
  );
}

/**
 * The real CLI in a child process, without blocking: the S3 server it talks to runs in this test
 * process, so spawnSync would deadlock.
 */
export function runCliAsync(args: string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: scratchDir(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
