import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ErrorList, formatError } from '../errors.js';
import { describeTarget, resolveTarget, type ResolveTargetOptions, type Target } from './load-config.js';

const P = '/proj';
const CFG = '/proj/dwh.cfg';
const HOST = 'dwhcluster.abc123.us-west-2.redshift.amazonaws.com';
const ARN = 'arn:aws:iam::123456789012:role/dwhRole';
const PASSWORD = 'Hunter2-secret';
const SAMPLE = {
  logData: '/proj/data/sample/log_data',
  logJsonPath: '/proj/data/sample/log_json_path.json',
  songData: '/proj/data/sample/song_data',
};
const UDACITY = {
  logData: 's3://udacity-dend/log_data',
  logJsonPath: 's3://udacity-dend/log_json_path.json',
  songData: 's3://udacity-dend/song_data',
};

const SEED_BLANK = `[CLUSTER]
HOST=''
DB_NAME=''
DB_USER=''
DB_PASSWORD=''
DB_PORT=5439

[IAM_ROLE]
ARN=''

[S3]
LOG_DATA='s3://udacity-dend/log_data'
LOG_JSONPATH='s3://udacity-dend/log_json_path.json'
SONG_DATA='s3://udacity-dend/song_data'
`;
const SEED = SEED_BLANK.replace("HOST=''", `HOST='${HOST}'`)
  .replace("DB_NAME=''", "DB_NAME='dwh'")
  .replace("DB_USER=''", "DB_USER='dwhuser'")
  .replace("DB_PASSWORD=''", `DB_PASSWORD='${PASSWORD}'`)
  .replace("ARN=''", `ARN='${ARN}'`);

const REDSHIFT = {
  host: HOST,
  port: 5439,
  database: 'dwh',
  user: 'dwhuser',
  password: PASSWORD,
  schema: 'public',
  iamRole: ARN,
  region: 'us-west-2',
  ssl: true,
};

function resolve(cfg: string | undefined, opts: Partial<ResolveTargetOptions> = {}): Target {
  const files: Record<string, string | undefined> = { [CFG]: cfg };
  return resolveTarget({ projectDir: P, env: {}, readFile: (p) => files[p], ...opts });
}

/** the engine's settings, as its folder resolved them */
const settingsOf = (t: Target) => t.settings as Record<string, unknown>;

function errorsOf(fn: () => unknown): ConfigError[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ErrorList) return err.errors as ConfigError[];
    if (err instanceof ConfigError) return [err];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveTarget: where the config comes from', () => {
  it('without a config file builds DuckDB from the sample data', () => {
    expect(resolve(undefined)).toEqual({
      name: 'duckdb',
      type: 'duckdb',
      schema: 'main',
      settings: { path: '/proj/target/sparkify.duckdb' },
      s3: SAMPLE,
      secrets: [],
    });
  });

  it('accepts the seed dwh.cfg with its blank placeholders unchanged', () => {
    expect(resolve(SEED_BLANK)).toEqual({
      name: 'duckdb',
      type: 'duckdb',
      schema: 'main',
      configFile: CFG,
      settings: { path: '/proj/target/sparkify.duckdb' },
      s3: UDACITY,
      secrets: [],
    });
  });

  it('builds the redshift target from the filled-in seed format', () => {
    const t = resolve(SEED, { targetName: 'redshift' });
    expect(t).toEqual({ name: 'redshift', type: 'redshift', schema: 'public', configFile: CFG, settings: REDSHIFT, s3: UDACITY, secrets: [PASSWORD] });
  });

  it('uses configPath instead of dwh.cfg, resolving it against projectDir', () => {
    const files: Record<string, string> = { '/proj/conf/prod.cfg': '[SPARKIFY]\nTARGET=postgres\n', [CFG]: '[SPARKIFY]\nTARGET=redshift\n' };
    const t = resolveTarget({ projectDir: P, configPath: 'conf/prod.cfg', env: {}, readFile: (p) => files[p] });
    expect([t.type, t.configFile]).toEqual(['postgres', '/proj/conf/prod.cfg']);
  });

  it('a missing configPath is an error naming it', () => {
    const [err, ...rest] = errorsOf(() => resolve(SEED, { configPath: '/etc/nope.cfg' }));
    expect(rest).toEqual([]);
    expect(err!.file).toBe('/etc/nope.cfg');
    expect(err!.message).toContain('/etc/nope.cfg');
  });

  it('parse errors carry the config file path', () => {
    const [err] = errorsOf(() => resolve('[CLUSTER]\nHOST\n'));
    expect([err!.file, err!.line, err!.column]).toEqual([CFG, 2, 1]);
  });
});

describe('resolveTarget: tolerated variants of the seed format', () => {
  const variants: [string, string][] = [
    [
      'lower-case keys and sections',
      SEED.toLowerCase().replace(HOST.toLowerCase(), HOST).replace(PASSWORD.toLowerCase(), PASSWORD).replace('dwhrole', 'dwhRole'),
    ],
    ['double quotes', SEED.replaceAll("'", '"')],
    ['no quotes', SEED.replaceAll("'", '')],
    ['spaces and colons', SEED.replaceAll('=', ': ')],
    ['DB_HOST for HOST', SEED.replace('HOST=', 'DB_HOST=')],
    ['ARN_ROLE for ARN', SEED.replace('ARN=', 'ARN_ROLE=')],
    ['PORT for DB_PORT', SEED.replace('DB_PORT=', 'PORT=')],
    ['CRLF and BOM', '\uFEFF' + SEED.replaceAll('\n', '\r\n')],
    ['comments and extra keys', `# my cluster\n${SEED.replace('DB_PORT=5439', 'DB_PORT=5439 # default\nCLUSTER_IDENTIFIER=dwhcluster')}\n[AWS]\nKEY=x\n`],
    ['sections reordered', SEED.split('\n\n').reverse().join('\n\n')],
  ];
  it.each(variants)('%s', (_name, text) => {
    const t = resolve(text, { targetName: 'redshift' });
    expect(settingsOf(t)).toEqual(REDSHIFT);
    expect(t.s3).toEqual(UDACITY);
  });

  it.each([
    ['redshift', 'redshift'],
    ['cluster', 'redshift'],
    ['REDSHIFT', 'redshift'],
    ['Postgres', 'postgres'],
    ['duckdb', 'duckdb'],
  ])('--target %s selects %s', (name, type) => {
    expect(resolve(SEED, { targetName: name }).type).toBe(type);
  });

  it('reads [CLUSTER] SCHEMA, PORT and REGION; [S3] REGION wins', () => {
    const cfg = SEED.replace('DB_PORT=5439', 'DB_PORT=5440\nSCHEMA=dwh\nREGION=eu-west-1');
    expect(settingsOf(resolve(cfg, { targetName: 'redshift' }))).toMatchObject({ port: 5440, schema: 'dwh', region: 'eu-west-1' });
    const t = resolve(cfg + 'REGION=us-east-1\n', { targetName: 'redshift' });
    expect([settingsOf(t).region, t.s3.region, t.schema]).toEqual(['us-east-1', 'us-east-1', 'dwh']);
  });
});

describe('resolveTarget: sparkify sections', () => {
  it.each([
    ['[SPARKIFY] TARGET picks the default', '[SPARKIFY]\nTARGET=postgres\n', undefined, 'postgres'],
    ['--target overrides it', '[SPARKIFY]\nTARGET=postgres\n', 'duckdb', 'duckdb'],
    ['alias in the file', `${SEED}[SPARKIFY]\nTARGET = cluster\n`, undefined, 'redshift'],
  ])('%s', (_name, cfg, targetName, type) => {
    expect(resolve(cfg, targetName === undefined ? {} : { targetName }).type).toBe(type);
  });

  it('reads THREADS', () => {
    expect(resolve('[sparkify]\nthreads = 8\n').threads).toBe(8);
  });

  it.each([
    ['relative to the config directory', 'db/w.duckdb', '/etc/sparkify/db/w.duckdb'],
    ['parent directory', '../w.duckdb', '/etc/w.duckdb'],
    ['absolute', '/data/w.duckdb', '/data/w.duckdb'],
    ['in-memory', ':memory:', ':memory:'],
  ])('[DUCKDB] PATH %s', (_name, value, expected) => {
    const files: Record<string, string> = { '/etc/sparkify/s.cfg': `[DUCKDB]\nPATH = ${value}\nSCHEMA = dwh\n` };
    const t = resolveTarget({ projectDir: P, configPath: '/etc/sparkify/s.cfg', env: {}, readFile: (p) => files[p] });
    expect([settingsOf(t).path, t.schema]).toEqual([expected, 'dwh']);
  });

  it('[DUCKDB] MEMORY_LIMIT is passed on as written; without it the engine works out the default where it opens the file', () => {
    const at = (cfg: string) => settingsOf(resolveTarget({ projectDir: P, configPath: '/etc/sparkify/s.cfg', env: {}, readFile: () => cfg })) as { memoryLimit?: string };
    expect(at('[DUCKDB]\nMEMORY_LIMIT = 1.5GiB\n').memoryLimit).toBe('1.5GiB');
    expect(at('[DUCKDB]\nMEMORY_LIMIT=800MB\n').memoryLimit).toBe('800MB');
    expect(at('[DUCKDB]\nPATH=x.duckdb\n').memoryLimit).toBeUndefined();
  });

  it('[S3] local paths resolve against the config directory; missing keys fall back to the sample data', () => {
    const files: Record<string, string> = {
      '/etc/sparkify/s.cfg': '[S3]\nLOG_DATA = raw/logs\nSONG_DATA=/abs/songs\nREGION=eu-central-1\nENDPOINT=http://127.0.0.1:9000\nFORCE_PATH_STYLE=yes\n',
    };
    const t = resolveTarget({ projectDir: P, configPath: '/etc/sparkify/s.cfg', env: {}, readFile: (p) => files[p] });
    expect(t.s3).toEqual({
      logData: '/etc/sparkify/raw/logs',
      logJsonPath: SAMPLE.logJsonPath,
      songData: '/abs/songs',
      region: 'eu-central-1',
      endpoint: 'http://127.0.0.1:9000',
      forcePathStyle: true,
    });
  });
});

describe('resolveTarget: postgres', () => {
  const defaults = { host: '127.0.0.1', port: 5432, database: 'postgres', user: 'postgres', schema: 'sparkify', ssl: false };
  it.each([
    ['defaults', undefined, {}, defaults],
    ['USER env for the user', undefined, { USER: 'alice' }, { ...defaults, user: 'alice' }],
    [
      'PG* env vars',
      undefined,
      { PGHOST: 'db.local', PGPORT: '6543', PGDATABASE: 'music', PGUSER: 'bob', PGPASSWORD: 'pw', USER: 'alice' },
      { ...defaults, host: 'db.local', port: 6543, database: 'music', user: 'bob', password: 'pw' },
    ],
    ['unix socket PGHOST', undefined, { PGHOST: '/var/run/postgresql' }, { ...defaults, host: '/var/run/postgresql' }],
    [
      '[POSTGRES] wins over env',
      "[POSTGRES]\nHOST=pg.internal\nPORT=5433\nDB_NAME=sparkify\nDB_USER=etl\nDB_PASSWORD='p w'\nSCHEMA=dwh\nSSL=true\n",
      { PGHOST: 'db.local', PGPORT: '6543', PGDATABASE: 'music', PGUSER: 'bob', PGPASSWORD: 'pw' },
      { host: 'pg.internal', port: 5433, database: 'sparkify', user: 'etl', password: 'p w', schema: 'dwh', ssl: true },
    ],
    ['DB_HOST and DB_PORT aliases', '[POSTGRES]\nDB_HOST=h\nDB_PORT=1\n', {}, { ...defaults, host: 'h', port: 1 }],
  ])('%s', (_name, cfg, env, expected) => {
    const t = resolve(cfg, { targetName: 'postgres', env });
    expect(settingsOf(t)).toEqual(expected);
    expect(t.schema).toBe(expected.schema);
  });

  it('ignores PG* env vars when postgres is not the target', () => {
    expect(resolve(undefined, { env: { PGPORT: 'nope', PGHOST: "'; drop" } }).type).toBe('duckdb');
  });

  it('collects every secret', () => {
    const cfg = `${SEED}[POSTGRES]\nDB_PASSWORD=pgpw\n`;
    const env = { PGPASSWORD: 'envpw', AWS_SECRET_ACCESS_KEY: 'aws-secret', AWS_SESSION_TOKEN: 'aws-token', AWS_ACCESS_KEY_ID: 'not-secret' };
    expect([...resolve(cfg, { env }).secrets].sort()).toEqual([PASSWORD, 'pgpw', 'envpw', 'aws-secret', 'aws-token'].sort());
  });
});

describe('resolveTarget: errors', () => {
  const at = (cfg: string, targetName?: string, env: Record<string, string> = {}) =>
    errorsOf(() => resolve(cfg, { env, ...(targetName === undefined ? {} : { targetName }) })).map((e) => [e.file, e.line, e.message, e.hint ?? '']);

  it.each([
    ['port not a number', SEED.replace('DB_PORT=5439', 'DB_PORT=54x'), 6, /\[CLUSTER\] DB_PORT must be an integer from 1 to 65535, got "54x"/],
    ['port 0', SEED.replace('DB_PORT=5439', 'DB_PORT=0'), 6, /DB_PORT must be an integer/],
    ['port too big', SEED.replace('DB_PORT=5439', 'PORT=65536'), 6, /\[CLUSTER\] PORT must be an integer/],
    ['postgres port', '\n[POSTGRES]\nPORT=-1\n', 3, /\[POSTGRES\] PORT must be an integer/],
    ['threads 0', '[SPARKIFY]\nTHREADS=0', 2, /THREADS must be a positive integer/],
    ['threads fraction', '[SPARKIFY]\nTHREADS=1.5', 2, /THREADS must be a positive integer/],
    ['target in file', '[SPARKIFY]\nTARGET=duckbd', 2, /TARGET is not a known target: "duckbd"/],
    ['bad ARN', SEED.replace(ARN, 'arn:aws:iam::1234:role/x'), 9, /\[IAM_ROLE\] ARN is not a valid IAM role ARN/],
    ['bad region', `${SEED}REGION=US-WEST-2\n`, 15, /\[S3\] REGION is not a valid AWS region/],
    ['upper-case bucket', SEED.replace('s3://udacity-dend/log_data', 's3://Udacity/log_data'), 12, /LOG_DATA is not a valid s3:\/\/ URI/],
    ['other scheme', SEED.replace('s3://udacity-dend/song_data', 'gs://udacity-dend/song_data'), 14, /SONG_DATA is not a valid s3:\/\/ URI/],
    ['schema with capitals', '[DUCKDB]\nSCHEMA=Main', 2, /\[DUCKDB\] SCHEMA is not a valid schema name/],
    ['bad boolean', '[S3]\nFORCE_PATH_STYLE=maybe', 2, /FORCE_PATH_STYLE must be true or false/],
    ['bad endpoint', '[S3]\nENDPOINT=ftp://x', 2, /ENDPOINT is not a valid endpoint URL/],
    ['manifest prefix not on S3', `${SEED}MANIFEST_PREFIX=/tmp/manifests\n`, 15, /^\[S3\] MANIFEST_PREFIX is not a valid s3:\/\/ prefix: "\/tmp\/manifests"$/],
    ['manifest prefix with a quote', `${SEED}MANIFEST_PREFIX=s3://sparkify-loads/x'y\n`, 15, /^\[S3\] MANIFEST_PREFIX is not a valid s3:\/\/ prefix/],
    ['manifest prefix without a bucket', `${SEED}MANIFEST_PREFIX=s3:///\n`, 15, /^\[S3\] MANIFEST_PREFIX is not a valid s3:\/\/ prefix/],
    ['unknown key in our section', '[DUCKDB]\nPAHT=x.duckdb', 2, /unknown key PAHT in \[DUCKDB\]/],
    ['memory limit without a unit', '[DUCKDB]\nMEMORY_LIMIT=3000', 2, /^\[DUCKDB\] MEMORY_LIMIT is not a valid size \(a number and a unit: 3GB, 1.5GiB, 800MB\): "3000"$/],
  ])('%s', (_name, cfg, line, message) => {
    const errors = at(cfg);
    expect(errors).toHaveLength(1);
    expect(errors[0]![0]).toBe(CFG);
    expect(errors[0]![1]).toBe(line);
    expect(errors[0]![2]).toMatch(message);
  });

  it('reads [S3] MANIFEST_PREFIX for Redshift, without its trailing slash', () => {
    const t = resolve(`${SEED}MANIFEST_PREFIX = 's3://sparkify-loads/manifests/'\n`, { targetName: 'redshift' });
    expect(settingsOf(t).manifestPrefix).toBe('s3://sparkify-loads/manifests');
    expect(settingsOf(resolve(SEED, { targetName: 'redshift' })).manifestPrefix).toBeUndefined();
  });

  it('suggests the closest name', () => {
    expect(at('[SPARKIFY]\nTARGET=duckbd')[0]![3]).toBe("did you mean 'duckdb'?");
    expect(at('[DUCKDB]\nPAHT=x')[0]![3]).toBe("did you mean 'PATH'?");
    expect(at('', 'postgress')).toEqual([[undefined, undefined, '--target is not a known target: "postgress"', "did you mean 'postgres'?"]]);
    expect(at('', 'mysql')[0]![3]).toBe('use duckdb, postgres or redshift');
  });

  it('reports every empty redshift key of the seed at its own line', () => {
    expect(at(SEED_BLANK, 'redshift').map(([, line, msg]) => [line, msg])).toEqual([
      [2, '[CLUSTER] HOST is empty (needed by the redshift target)'],
      [3, '[CLUSTER] DB_NAME is empty (needed by the redshift target)'],
      [4, '[CLUSTER] DB_USER is empty (needed by the redshift target)'],
      [5, '[CLUSTER] DB_PASSWORD is empty (needed by the redshift target)'],
      [9, '[IAM_ROLE] ARN is empty (needed by the redshift target)'],
    ]);
  });

  it('reports missing keys at the section line with the line to add', () => {
    const errors = at(`# top\n[CLUSTER]\nHOST=${HOST}\n[IAM_ROLE]\n`, 'redshift');
    expect(errors).toEqual([
      [CFG, 2, '[CLUSTER] is missing DB_NAME (needed by the redshift target)', 'add under [CLUSTER]: DB_NAME=dev'],
      [CFG, 2, '[CLUSTER] is missing DB_USER (needed by the redshift target)', 'add under [CLUSTER]: DB_USER=awsuser'],
      [CFG, 2, '[CLUSTER] is missing DB_PASSWORD (needed by the redshift target)', 'add under [CLUSTER]: DB_PASSWORD=<password>'],
      [CFG, 4, '[IAM_ROLE] is missing ARN (needed by the redshift target)', 'add under [IAM_ROLE]: ARN=arn:aws:iam::<12-digit account id>:role/<role name>'],
    ]);
  });

  it('reports missing sections with the block to add', () => {
    const errors = at('[S3]\n', 'cluster');
    expect(errors.map(([file, line, msg]) => [file, line, msg])).toEqual([
      [CFG, 1, 'missing section [CLUSTER] (needed by the redshift target)'],
      [CFG, 1, 'missing section [IAM_ROLE] (needed by the redshift target)'],
    ]);
    expect(errors[0]![3]).toContain('[CLUSTER]\n    HOST=');
    expect(errors[1]![3]).toContain('[IAM_ROLE]\n    ARN=arn:aws:iam::');
  });

  it('redshift without any config file names the expected file', () => {
    const errors = errorsOf(() => resolve(undefined, { targetName: 'redshift' }));
    expect(errors.map((e) => [e.file, e.line])).toEqual([[CFG, undefined]]);
    expect(errors[0]!.hint).toContain('dwh.cfg.example');
  });

  it('reports validation and missing-key errors together, sorted by line', () => {
    const cfg = SEED.replace('DB_PORT=5439', 'DB_PORT=x').replace(`DB_USER='dwhuser'`, 'DB_USER=').replace(ARN, 'nope');
    expect(at(cfg, 'redshift').map(([, line]) => line)).toEqual([4, 6, 9]);
  });

  it('names the env var when an env value is invalid', () => {
    expect(at('', 'postgres', { PGPORT: '99999' })).toEqual([
      [undefined, undefined, 'environment variable PGPORT must be an integer from 1 to 65535, got "99999"', ''],
    ]);
  });
});

describe('resolveTarget: hostile values', () => {
  const HOSTILE = "'; drop table users; --";
  const cases: [string, string][] = [
    ['CLUSTER', 'HOST'],
    ['CLUSTER', 'DB_NAME'],
    ['CLUSTER', 'DB_USER'],
    ['CLUSTER', 'DB_PORT'],
    ['CLUSTER', 'SCHEMA'],
    ['CLUSTER', 'REGION'],
    ['IAM_ROLE', 'ARN'],
    ['S3', 'LOG_DATA'],
    ['S3', 'LOG_JSONPATH'],
    ['S3', 'SONG_DATA'],
    ['S3', 'REGION'],
    ['S3', 'ENDPOINT'],
    ['S3', 'FORCE_PATH_STYLE'],
    ['S3', 'MANIFEST_PREFIX'],
    ['CLUSTER', 'AUTH'],
    ['SPARKIFY', 'TARGET'],
    ['SPARKIFY', 'THREADS'],
    ['DUCKDB', 'PATH'],
    ['DUCKDB', 'SCHEMA'],
    ['DUCKDB', 'MEMORY_LIMIT'],
    ['POSTGRES', 'HOST'],
    ['POSTGRES', 'PORT'],
    ['POSTGRES', 'DB_NAME'],
    ['POSTGRES', 'DB_USER'],
    ['POSTGRES', 'SCHEMA'],
    ['POSTGRES', 'SSL'],
  ];
  it.each(cases)('[%s] %s', (section, key) => {
    for (const quoted of [`"${HOSTILE}"`, HOSTILE, `s3://udacity-dend/x${HOSTILE}`]) {
      const errors = errorsOf(() => resolve(`${SEED}\n[${section}]\n${key}=${quoted}\n`, { targetName: 'redshift' }));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors.every((e) => e.file === CFG && e.line !== undefined)).toBe(true);
    }
  });

  it.each(['PGHOST', 'PGUSER', 'PGDATABASE', 'PGPORT', 'USER'])('env %s', (name) => {
    const errors = errorsOf(() => resolve(undefined, { targetName: 'postgres', env: { [name]: HOSTILE } }));
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining(`environment variable ${name}`)]);
  });

  it.each([HOSTILE, 'redshift; drop', 'duckdb\n'])('--target %j', (name) => {
    expect(errorsOf(() => resolve(undefined, { targetName: name }))).toHaveLength(1);
  });

  it('identifiers longer than 127 characters are rejected', () => {
    expect(settingsOf(resolve('[POSTGRES]\nDB_USER=' + 'u'.repeat(127), { targetName: 'postgres' })).user).toHaveLength(127);
    expect(errorsOf(() => resolve('[POSTGRES]\nDB_USER=' + 'u'.repeat(128), { targetName: 'postgres' }))).toHaveLength(1);
  });

  it('passwords are opaque: any characters are accepted, since they are never spliced into SQL', () => {
    const t = resolve(SEED.replace(`'${PASSWORD}'`, `"${HOSTILE}"`), { targetName: 'redshift' });
    expect(settingsOf(t).password).toBe(HOSTILE);
  });
});

describe('passwords never leak', () => {
  const env = { PGPASSWORD: 'env-Hunter2-pg' };
  const broken = SEED.replace('DB_PORT=5439', 'DB_PORT=x').replace(HOST, 'bad host') + '[POSTGRES]\nDB_PASSWORD=pg-Hunter2\nPORT=0\n';

  it.each([
    ['validation errors', () => resolve(broken, { targetName: 'redshift', env })],
    ['postgres errors', () => resolve(broken, { targetName: 'postgres', env })],
    ['parse error on a password line', () => resolve(`[CLUSTER]\nDB_PASSWORD ${PASSWORD}\n`)],
    ['unterminated quoted password', () => resolve(`[CLUSTER]\nDB_PASSWORD='${PASSWORD}\n`)],
  ])('%s', (_name, fn) => {
    let text = '';
    try {
      fn();
    } catch (err) {
      text = formatError(err) + JSON.stringify(err);
    }
    expect(text).toMatch(/error/);
    expect(text).not.toMatch(/Hunter2/);
  });

  it.each([
    ['redshift', SEED, {}],
    ['postgres', '[POSTGRES]\nDB_PASSWORD=pg-Hunter2\n', {}],
    ['postgres', '', env],
  ])('describeTarget masks the %s password', (targetName, cfg, e) => {
    const t = resolve(cfg, { targetName, env: e });
    const out = JSON.stringify(describeTarget(t));
    expect(out).not.toMatch(/Hunter2/);
    expect(out).toContain('"password":"****"');
    expect(t.secrets.length).toBeGreaterThan(0);
  });

  it('describeTarget summarises the target', () => {
    expect(describeTarget(resolve(undefined))).toEqual({
      name: 'duckdb',
      type: 'duckdb',
      schema: 'main',
      threads: undefined,
      configFile: undefined,
      duckdb: { path: '/proj/target/sparkify.duckdb' },
      s3: SAMPLE,
    });
  });
});

describe('resolveTarget: real files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sparkify-config-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads <projectDir>/dwh.cfg and resolves relative paths against it', () => {
    fs.writeFileSync(path.join(dir, 'dwh.cfg'), '[S3]\nLOG_DATA=data/log_data\n[DUCKDB]\nPATH=out/w.duckdb\n');
    const t = resolveTarget({ projectDir: dir, env: {} });
    expect(t.configFile).toBe(path.join(dir, 'dwh.cfg'));
    expect(t.s3.logData).toBe(path.join(dir, 'data/log_data'));
    expect(settingsOf(t).path).toBe(path.join(dir, 'out/w.duckdb'));
  });

  it('a missing --config file is an error; an unreadable one too', () => {
    const missing = path.join(dir, 'missing.cfg');
    expect(errorsOf(() => resolveTarget({ projectDir: dir, configPath: missing, env: {} }))[0]!.file).toBe(missing);
    fs.mkdirSync(path.join(dir, 'a-dir.cfg'));
    expect(errorsOf(() => resolveTarget({ projectDir: dir, configPath: 'a-dir.cfg', env: {} }))[0]!.message).toMatch(/cannot read config file/);
  });

  it('the shipped dwh.cfg.example parses as the seed format', () => {
    const example = fs.readFileSync(new URL('../../dwh.cfg.example', import.meta.url), 'utf8');
    const t = resolve(example);
    expect([t.type, t.s3]).toEqual(['duckdb', UDACITY]);
    expect(redshiftErrors(example)).toHaveLength(5);
    // Uncommenting every documented line must give a valid file.
    const uncommented = example.replace(/^# (\[[A-Z]+\]|[A-Z_]+=.*)$/gm, '$1');
    expect(uncommented).not.toMatch(/^# (TARGET|PATH|SSL)=/m);
    expect(resolve(uncommented).type).toBe('duckdb');
  });
});

function redshiftErrors(cfg: string): ConfigError[] {
  return errorsOf(() => resolve(cfg, { targetName: 'redshift' }));
}
