import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject, type CliResult } from '../helpers/project.js';
import { dropSchema, freshSchema, PG } from '../postgres/pg.js';

/**
 * Secrets (passwords, AWS keys and tokens, connection strings) never appear in output, logs,
 * target/ artifacts or error messages: real commands against failing and working connections, then
 * every byte they printed and every file under target/ is searched for every secret.
 */
const SECRETS = {
  dbPassword: 'Pg-Pa55w0rd-in-dwh-cfg',
  pgPassword: 'Pg-Pa55w0rd-from-env',
  clusterPassword: 'Redshift-Pa55w0rd',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
  awsToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN0123456789',
  urlPassword: 'Url-Pa55w0rd',
};
const ENV = { AWS_SECRET_ACCESS_KEY: SECRETS.awsSecret, AWS_SESSION_TOKEN: SECRETS.awsToken, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE' };

const schema = freshSchema('secrets');
const dirs: string[] = [];
afterAll(async () => {
  dirs.forEach(removeDir);
  await dropSchema(schema);
});

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data
        copy: { json: auto }
        columns: [{ name: id, type: integer }]
`;

function project(cfg: string, models: Record<string, string> = {}): string {
  const dir = writeProject({
    'dwh.cfg': cfg,
    'sources.yml': SOURCES,
    'data/a.json': '{"id": 1}\n',
    'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
    // the secret reaches compiled SQL, and the database's error message quotes it back
    'models/leaky.sql':
      "select cast('{{ env_var('AWS_SECRET_ACCESS_KEY', 'none') }}' as integer) as k, '{{ env_var('PGPASSWORD', 'none') }}' as p from {{ ref('base') }}\n",
    ...models,
  });
  dirs.push(dir);
  return dir;
}

function filesUnder(dir: string): string[] {
  try {
    return (
      readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => path.join(e.parentPath, e.name))
        // the warehouse itself holds whatever data the models produce; everything else is searched
        .filter((f) => !/\.duckdb(\.wal)?$/.test(f))
    );
  } catch {
    return [];
  }
}

function expectNoSecret(results: CliResult[], dirsToSearch: string[]): void {
  const texts: [string, string][] = results.map((r, i) => [`command ${i}`, r.stdout + r.stderr]);
  for (const d of dirsToSearch) for (const f of filesUnder(path.join(d, 'target'))) texts.push([f, readFileSync(f, 'utf8')]);
  for (const [where, text] of texts)
    for (const [name, secret] of Object.entries(SECRETS)) expect(text.includes(secret), `${name} in ${where}:\n${text.slice(0, 2000)}`).toBe(false);
}

const pg = (over: Record<string, string | number> = {}) =>
  `[POSTGRES]\nHOST = ${over.HOST ?? PG.host}\nPORT = ${over.PORT ?? PG.port}\nDB_NAME = ${PG.database}\nDB_USER = ${PG.user}\nSCHEMA = ${schema}\n${over.noPassword ? '' : `DB_PASSWORD = ${SECRETS.dbPassword}\n`}`;
const cluster = `[CLUSTER]\nHOST = 127.0.0.1\nDB_PORT = 1\nDB_NAME = dev\nDB_USER = awsuser\nDB_PASSWORD = ${SECRETS.clusterPassword}\n[IAM_ROLE]\nARN = arn:aws:iam::123456789012:role/dwhRole\n`;

describe('secrets never appear in output, logs, target/ or errors', () => {
  it('failing connections on every engine, through every command that connects', () => {
    const bad = project(pg({ PORT: 1 }) + cluster);
    const env = { ...ENV, PGPASSWORD: SECRETS.pgPassword };
    const results: CliResult[] = [];
    const commands: [string, string[]][] = [
      ...[['run'], ['run', '--log-format', 'json'], ['debug'], ['show', '--inline', 'select 1'], ['retry']].map(
        (args) => ['postgres', args] as [string, string[]],
      ),
      ['redshift', ['run', '--log-format', 'json']],
      ['redshift', ['debug']],
    ];
    for (const [target, args] of commands) results.push(runCli([...args, '--project-dir', bad, '--target', target], { env }));
    expect(results.filter((r) => r.code === 1).length).toBeGreaterThanOrEqual(5);
    expect(results.some((r) => /ECONNREFUSED/.test(r.stderr + r.stdout))).toBe(true);
    expectNoSecret(results, [bad]);
  });

  it('the password from PGPASSWORD, and a connection string pasted into HOST', () => {
    const viaEnv = project(pg({ PORT: 1, noPassword: 1 }));
    const url = project(pg({ HOST: `postgres://admin:${SECRETS.urlPassword}@db.example.com:5432/dev`, noPassword: 1 }));
    const results = [
      runCli(['run', '--project-dir', viaEnv, '--target', 'postgres'], { env: { ...ENV, PGPASSWORD: SECRETS.pgPassword } }),
      runCli(['debug', '--project-dir', viaEnv, '--target', 'postgres', '--log-format', 'json'], { env: { ...ENV, PGPASSWORD: SECRETS.pgPassword } }),
      runCli(['run', '--project-dir', url, '--target', 'postgres']),
      runCli(['debug', '--project-dir', url, '--target', 'postgres', '--log-format', 'json']),
    ];
    expect(results[2]!.stderr).toContain('postgres://admin:****@db.example.com');
    expectNoSecret(results, [viaEnv, url]);
  });

  it('a working connection whose model quotes a secret back in a database error', () => {
    const dir = project(pg());
    const env = { ...ENV, PGPASSWORD: SECRETS.pgPassword };
    const results = [
      runCli(['run', '--project-dir', dir, '--target', 'postgres'], { env }),
      runCli(['run', '--project-dir', dir, '--target', 'postgres', '--log-format', 'json'], { env }),
    ];
    expect(results[0]!.code).toBe(1);
    expect(results[0]!.stdout).toMatch(/invalid input syntax for type integer: "\*\*\*\*"/);
    expect(readFileSync(path.join(dir, 'target/compiled/models/leaky.sql'), 'utf8')).toContain("cast('****' as integer)");
    results.push(
      runCli(['run', '--project-dir', dir], { env }),
      runCli(['show', '--project-dir', dir, '--inline', "select '{{ env_var('AWS_SESSION_TOKEN') }}' as t"], { env }),
    );
    expectNoSecret(results.slice(0, 3), [dir]);
    // show prints the rows a query returns; a secret among them is masked too
    expect(results[3]!.stdout + results[3]!.stderr).toContain('****');
  });
});

describe('secrets in every spelling a writer gives them', () => {
  // a quote, a backslash and a tab: JSON writes them \" \\ \t, so a mask of the raw value misses them
  const SPECIAL = {
    PGPASSWORD: 'Pg"Pa55\\w0rd\twith tab',
    AWS_SECRET_ACCESS_KEY: 'wJalr"XUtn\\FEMI\tK7MDENG',
    AWS_SESSION_TOKEN: 'Fwo"GZX\\Iv\tYXdzEXAMPLE',
  };
  const spellings = (s: string) => [s, JSON.stringify(s).slice(1, -1), JSON.stringify(JSON.stringify(s)).slice(1, -1)];

  it('are masked raw and JSON-escaped in target/manifest.json, target/run_results.json and --log-format json', () => {
    const dir = project(pg());
    const env = { ...ENV, ...SPECIAL };
    const results = [
      runCli(['compile', '--project-dir', dir, '--target', 'postgres'], { env }),
      runCli(['run', '--project-dir', dir, '--target', 'postgres'], { env }),
      runCli(['run', '--project-dir', dir, '--target', 'postgres', '--log-format', 'json'], { env }),
      runCli(['debug', '--project-dir', dir, '--target', 'postgres', '--log-format', 'json'], { env }),
    ];
    expect(results.map((r) => r.code)).toEqual([0, 1, 1, 0]);
    // the secrets did reach the artifacts and the log, masked
    const manifest = readFileSync(path.join(dir, 'target/manifest.json'), 'utf8');
    expect(manifest).toContain("cast('****' as integer)");
    expect(results[2]!.stdout).toMatch(/invalid input syntax for type integer: \\"\*\*\*\*\\"/);
    const texts: [string, string][] = results.map((r, i) => [`command ${i}`, r.stdout + r.stderr]);
    for (const f of filesUnder(path.join(dir, 'target'))) texts.push([f, readFileSync(f, 'utf8')]);
    expect(texts.map(([f]) => path.basename(f))).toEqual(expect.arrayContaining(['manifest.json', 'run_results.json', 'leaky.sql']));
    for (const [where, text] of texts)
      for (const [name, secret] of Object.entries(SPECIAL))
        for (const spelling of spellings(secret)) expect(text.includes(spelling), `${name} as ${JSON.stringify(spelling)} in ${where}`).toBe(false);
  });

  it('a secret too short to mask garbles nothing, and debug says it cannot be masked', () => {
    const dir = project(pg({ noPassword: 1 }));
    const env = { PGPASSWORD: 'e' };
    const debug = runCli(['debug', '--project-dir', dir, '--target', 'postgres'], { env });
    expect(debug.code).toBe(0);
    expect(debug.stdout).toContain(`"schema": "${schema}"`);
    expect(debug.stdout).toContain('connection: OK');
    expect(debug.stderr).toContain('Warning: PGPASSWORD is shorter than 6 characters, so sparkify cannot mask it in its output and in target/; use a longer one');
    const compiled = runCli(['compile', '--project-dir', dir, '--target', 'postgres'], { env });
    expect(compiled.stdout).toContain('Compiled 3 nodes for postgres: 2 compiled files written to target/compiled; manifest of the whole project at target/manifest.json');
    expect(readFileSync(path.join(dir, 'target/manifest.json'), 'utf8')).not.toContain('****');
  });
});
