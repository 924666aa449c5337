import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, removeDir, runCli, writeProject, type CliResult } from '../helpers/project.js';

/** The CLI as a new user meets it (issue 18): no silent success, right pointers, progress, colour, help. */

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: events
        location: data/events
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer }
          - { name: kind, type: varchar(8) }
          - { name: v, type: bigint }
`;

const lines = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

function tinyProject(extra: Record<string, string> = {}): string {
  return writeProject({
    'sources.yml': SOURCES,
    'data/events/part-1.json': lines([
      { id: 1, kind: 'a', v: 10 },
      { id: 2, kind: 'b', v: 20 },
    ]),
    'data/events/part-2.json': lines([{ id: 3, kind: 'a', v: 30 }]),
    'models/base.sql': "select * from {{ source('raw', 'events') }}\n",
    'models/by_kind.sql': "select kind, sum(v) as total\nfrom {{ ref('base') }}\ngroup by kind\n",
    ...extra,
  });
}

const dirs: string[] = [];
const project = (extra?: Record<string, string>) => {
  const d = tinyProject(extra);
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(removeDir));

/** The CLI with stdout and stderr piped (not a terminal), and no colour variables from the test's own environment. */
const cli = (dir: string, args: string[], env: Record<string, string> = {}): CliResult =>
  runCli([...args, '--project-dir', dir], { env: { NO_COLOR: '', FORCE_COLOR: '', ...env } });
const clean = (env: Record<string, string | undefined>) => {
  const e = { ...process.env, ...env };
  for (const k of Object.keys(e)) if (e[k] === undefined) delete e[k];
  return e as Record<string, string>;
};

/** The CLI on a pseudo-terminal (util-linux script): stdout and stderr are a TTY; the output is what the terminal got. */
function onTerminal(dir: string, args: string[], env: Record<string, string | undefined> = {}): CliResult {
  const quoted = [process.execPath, BIN, ...args, '--project-dir', dir].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qefc', quoted, '/dev/null'], { env: clean({ NO_COLOR: undefined, FORCE_COLOR: undefined, COLUMNS: '200', ...env }), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const ESC = /\x1b\[/;

describe('numeric options are validated: a usage error, exit 2, nothing done', () => {
  it.each([
    [['run', '--threads', '0'], "--threads must be a whole number >= 1, got '0'"],
    [['run', '--threads', '-1'], "--threads must be a whole number >= 1, got '-1'"],
    [['run', '--threads', 'abc'], "--threads must be a whole number >= 1, got 'abc'"],
    [['run', '--threads', '1.5'], "--threads must be a whole number >= 1, got '1.5'"],
    [['test', '--threads', 'x'], "--threads must be a whole number >= 1, got 'x'"],
    [['show', '--select', 'base', '--limit', 'abc'], "--limit must be a whole number >= -1, got 'abc'"],
    [['show', '--select', 'base', '--limit', '-2'], "--limit must be a whole number >= -1, got '-2'"],
    [['generate', '--out', 'gen', '--events', 'many'], "--events must be a whole number >= 0, got 'many'"],
    [['generate', '--out', 'gen', '--songs', '-1'], "--songs must be a whole number >= 0, got '-1'"],
    [['generate', '--out', 'gen', '--seed', '4.2'], "--seed must be a whole number, got '4.2'"],
    [['generate', '--out', 'gen', '--match-rate', '2'], "--match-rate must be a number from 0 to 1, got '2'"],
  ])('%j', (args, message) => {
    const dir = project();
    const r = cli(dir, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Usage error: ${message}`);
    expect(r.stdout).not.toContain('Concurrency');
    expect(existsSync(path.join(dir, 'target', 'sparkify.duckdb'))).toBe(false);
    expect(existsSync(path.join(dir, 'gen'))).toBe(false);
  });

  it('a valid --threads builds with that many threads', () => {
    const dir = project();
    const r = cli(dir, ['run', '--threads', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Concurrency: 2 threads');
    expect(r.stdout).toContain('PASS=3 ERROR=0 SKIP=0 TOTAL=3');
  });
});

describe('compile -s writes what it says', () => {
  it('compile -s base writes base only; compile with no selection writes every model', () => {
    const dir = project();
    const r = cli(dir, ['compile', '-s', 'base']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Compiled 1 node for duckdb: 1 compiled file written to target/compiled');
    expect(readdirSync(path.join(dir, 'target/compiled/models'))).toEqual(['base.sql']);
    expect(readFileSync(path.join(dir, 'target/compiled/run_plan.sql'), 'utf8')).not.toContain('by_kind');
    const all = cli(dir, ['compile']);
    expect(all.stdout).toContain('Compiled 3 nodes for duckdb: 2 compiled files written to target/compiled');
    expect(readdirSync(path.join(dir, 'target/compiled/models')).sort()).toEqual(['base.sql', 'by_kind.sql']);
  });
});

describe('incremental runs report the rows inserted and the total', () => {
  it('a run that adds 1 row and one that adds none say so; the total is labelled', () => {
    const dir = project({
      'models/appended.sql':
        "{{ config(materialized='incremental') }}\nselect id, v from {{ ref('base') }}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n",
    });
    expect(cli(dir, ['run']).code).toBe(0);
    writeFileSync(path.join(dir, 'data/events/part-3.json'), lines([{ id: 4, kind: 'b', v: 40 }]));
    const more = cli(dir, ['run']);
    expect(more.code).toBe(0);
    expect(more.stdout).toMatch(/OK incremental model appended \.+ \[1 rows inserted, 4 total in/);
    const none = cli(dir, ['run', '-s', 'appended', '--log-format', 'json']);
    const end = jsonLines(none.stdout).find((e) => e.event === 'node_end')!.result as { inserted: number; rows: number };
    expect(end).toMatchObject({ inserted: 0, rows: 4 });
    // a table model reports its rows, as before
    expect(more.stdout).toMatch(/OK table model base \.+ \[4 rows in/);
  });
});

describe('generate --out', () => {
  it('refuses a non-empty folder and says how many files it holds; --force clears it first', () => {
    const dir = project();
    const first = cli(dir, ['generate', '--out', 'gen', '--events', '200', '--songs', '5', '--seed', '1']);
    expect(first.code).toBe(0);
    const files = (d: string): string[] => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(d, path.join(e.parentPath, e.name))).sort();
    const before = files(path.join(dir, 'gen'));
    writeFileSync(path.join(dir, 'gen', 'stray.json'), '{}\n');
    const again = cli(dir, ['generate', '--out', 'gen', '--events', '100', '--songs', '3', '--seed', '2']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`is not empty: it holds ${before.length + 1} files`);
    expect(again.stderr).toContain('--force');
    expect(files(path.join(dir, 'gen'))).toEqual([...before, 'stray.json'].sort());
    const forced = cli(dir, ['generate', '--out', 'gen', '--events', '200', '--songs', '5', '--seed', '1', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`removed ${before.length + 1} files`);
    expect(files(path.join(dir, 'gen'))).toEqual(before);
  });

  it('--force never clears a project folder', () => {
    const dir = project();
    const r = cli(dir, ['generate', '--out', '.', '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not a data folder (it holds models, sources.yml)');
    expect(existsSync(path.join(dir, 'models/base.sql'))).toBe(true);
  });
});

describe('database error pointers', () => {
  it('the compiled SQL pointer is the compiled file line; the model line comes first', () => {
    const dir = project({
      'models/bad.sql': "{{ config(materialized='table') }}\n\n-- users by level\nselect\n  id,\n  kind,\n  u.levl\nfrom {{ ref('base') }} as u\n",
    });
    const r = cli(dir, ['run']);
    expect(r.code).toBe(1);
    const compiled = readFileSync(path.join(dir, 'target/compiled/models/bad.sql'), 'utf8').split('\n');
    expect(compiled[4]).toBe('  u.levl');
    expect(r.stdout).toMatch(/\/models\/bad\.sql:7: Database error in bad: .*levl/);
    expect(r.stdout).toMatch(/compiled SQL: \S*target\/compiled\/models\/bad\.sql:5\n/);
  });

  it('a GROUP BY binder error without a position in the message is located', () => {
    const dir = project({ 'models/grouped.sql': "{{ config(materialized='table') }}\n\nselect *\nfrom {{ ref('base') }}\ngroup by kind\n" });
    const r = cli(dir, ['run']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\/models\/grouped\.sql:5: Database error in grouped: Binder Error: column "id" must appear in the GROUP BY clause/);
    expect(r.stdout).toMatch(/compiled SQL: \S*target\/compiled\/models\/grouped\.sql:3\n/);
  });
});

describe('show', () => {
  it('bare names resolve in the target schema; a missing relation says where it looked; an unbuilt model says how to build it', () => {
    const dir = project({ 'dwh.cfg': '[DUCKDB]\nSCHEMA = analytics\n' });
    const unbuilt = cli(dir, ['show', '--select', 'by_kind']);
    expect(unbuilt.code).toBe(2);
    expect(unbuilt.stderr).toContain('by_kind is not built yet: analytics.by_kind does not exist on duckdb');
    expect(unbuilt.stderr).toContain('hint: run sparkify run -s by_kind');
    // nothing was created by show
    expect(existsSync(path.join(dir, 'target', 'sparkify.duckdb'))).toBe(false);
    expect(cli(dir, ['run']).code).toBe(0);
    const bare = cli(dir, ['show', '--inline', 'select count(*) as n from by_kind', '--output', 'json']);
    expect(bare.stderr).toBe('');
    expect(JSON.parse(bare.stdout)).toEqual([{ n: '2' }]);
    const missing = cli(dir, ['show', '--inline', 'select * from by_knd']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('searched schema analytics of duckdb');
    expect(missing.stderr).toContain("did you mean 'by_kind'?");
    const typo = cli(dir, ['show', '--inline', 'select * from songplays']);
    expect(typo.stderr).toContain("{{ ref('model') }}");
  });

  it('show runs read-only: a statement that writes fails and changes nothing', () => {
    const dir = project();
    expect(cli(dir, ['run']).code).toBe(0);
    const r = cli(dir, ['show', '--inline', 'drop table base', '--limit', '-1']);
    expect(r.code).toBe(1);
    expect(cli(dir, ['show', '--select', 'base', '--output', 'json']).stdout).toContain('"id": 3');
  });
});

describe('progress', () => {
  it('--log-format json: node_progress events for each load, first and last always, files done of total, rows and bytes', () => {
    const dir = project();
    const r = cli(dir, ['run', '--log-format', 'json']);
    expect(r.code).toBe(0);
    const progress = jsonLines(r.stdout).filter((e) => e.event === 'node_progress');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toMatchObject({ id: 'source.raw.events', done: 0, total: 2, unit: 'files', rows: 0 });
    const size = ['part-1.json', 'part-2.json'].reduce((n, f) => n + readFileSync(path.join(dir, 'data/events', f)).length, 0);
    expect(progress[progress.length - 1]).toMatchObject({ id: 'source.raw.events', done: 2, total: 2, rows: 3, bytes: size });
  });

  it('a terminal gets one progress line redrawn in place, cleared before the next line; a pipe gets none', () => {
    const dir = project();
    const tty = onTerminal(dir, ['run']);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toMatch(/events: 0 of 2 files, 0 rows, 0\.0 MB read, 0 rows\/s\r\x1b\[2K/);
    expect(tty.stdout).toMatch(/events: 2 of 2 files, 3 rows/);
    const piped = cli(dir, ['run']);
    expect(piped.stdout).not.toContain('of 2 files');
    expect(piped.stdout).not.toMatch(ESC);
    expect(piped.stdout).not.toContain('\r');
  });

  it('generate reports progress in JSON mode', () => {
    const dir = project();
    const r = cli(dir, ['generate', '--out', 'gen', '--events', '300', '--songs', '4', '--log-format', 'json']);
    expect(r.code).toBe(0);
    const progress = jsonLines(r.stdout).filter((e) => e.event === 'generate_progress');
    expect(progress[0]).toMatchObject({ done: 0, total: 300, unit: 'events' });
    expect(progress[progress.length - 1]).toMatchObject({ done: 300, total: 300 });
    expect(progress[progress.length - 1]!.bytes).toBeGreaterThan(0);
  });
});

describe('colour', () => {
  it('a terminal gets OK in green, ERROR in red and SKIP in yellow; NO_COLOR and --no-color turn it off', () => {
    const dir = project({ 'models/broken.sql': "select nope from {{ ref('base') }}\n", 'models/after.sql': "select * from {{ ref('broken') }}\n" });
    const tty = onTerminal(dir, ['run']);
    expect(tty.code).toBe(1);
    expect(tty.stdout).toContain('\x1b[32mOK\x1b[39m table model base');
    expect(tty.stdout).toContain('\x1b[31mERROR\x1b[39m table model broken');
    expect(tty.stdout).toContain('\x1b[33mSKIP\x1b[39m table model after');
    expect(onTerminal(dir, ['run'], { NO_COLOR: '1' }).stdout).not.toMatch(/\x1b\[3\dm/);
    expect(onTerminal(dir, ['run', '--no-color']).stdout).not.toMatch(/\x1b\[3\dm/);
    // a pipe: none, unless FORCE_COLOR; --no-color beats FORCE_COLOR
    expect(cli(dir, ['run']).stdout).not.toMatch(ESC);
    expect(cli(dir, ['run'], { FORCE_COLOR: '1' }).stdout).toContain('\x1b[32mOK\x1b[39m');
    expect(cli(dir, ['run', '--no-color'], { FORCE_COLOR: '1' }).stdout).not.toMatch(ESC);
  });
});

describe('commands, options and help', () => {
  it('an unknown command gets "did you mean"', () => {
    const dir = project();
    const r = cli(dir, ['rnu']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Usage error: unknown command 'rnu'");
    expect(r.stderr).toContain("did you mean 'run'?");
    expect(cli(dir, ['complie']).stderr).toContain("did you mean 'compile'?");
    expect(cli(dir, ['biuld']).stderr).toContain("did you mean 'build'?");
    // after global options too
    const json = jsonLines(cli(dir, ['--log-format', 'json', '--no-color', 'tset']).stdout);
    expect(json).toEqual([expect.objectContaining({ event: 'error', error: expect.objectContaining({ message: "unknown command 'tset'", hint: expect.stringContaining("did you mean 'test'?") }) })]);
  });

  it('every command takes --project-dir, --config and --log-format', () => {
    const dir = project({ 'other.cfg': '[DUCKDB]\nPATH = target/other.duckdb\n' });
    const common = ['--config', path.join(dir, 'other.cfg'), '--log-format', 'json'];
    expect(cli(dir, ['run', ...common]).code).toBe(0);
    expect(existsSync(path.join(dir, 'target/other.duckdb'))).toBe(true);
    for (const args of [['retry'], ['build'], ['test'], ['snapshot'], ['compile'], ['ls'], ['show', '--select', 'base'], ['debug'], ['generate', '--out', 'gen', '--events', '50', '--songs', '2']]) {
      const r = cli(dir, [...args, ...common]);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 0, stderr: '' });
      const out = r.stdout.trim().split('\n');
      expect(out.length).toBeGreaterThan(0);
      for (const l of out) expect(() => JSON.parse(l), `${args[0]}: ${l}`).not.toThrow();
    }
    // generate's --out is relative to --project-dir
    expect(existsSync(path.join(dir, 'gen', 'log_json_path.json'))).toBe(true);
  });

  it('ls and show honour --log-format json', () => {
    const dir = project();
    expect(cli(dir, ['run']).code).toBe(0);
    const ls = jsonLines(cli(dir, ['ls', '--log-format', 'json']).stdout);
    expect(ls.map((e) => [e.event, e.name])).toEqual([
      ['list_node', 'source:raw.events'],
      ['list_node', 'base'],
      ['list_node', 'by_kind'],
    ]);
    const show = jsonLines(cli(dir, ['show', '--inline', 'select kind, total from by_kind order by kind', '--log-format', 'json']).stdout);
    expect(show).toHaveLength(1);
    expect(show[0]).toMatchObject({ event: 'show', rows: [{ kind: 'a', total: '40' }, { kind: 'b', total: '20' }] });
  });

  it('help: every option of every command has a description; retry lists no --select; generate describes its sizes', () => {
    const dir = project();
    const commands = ['run', 'build', 'test', 'snapshot', 'retry', 'compile', 'ls', 'show', 'debug', 'generate'];
    for (const c of [undefined, ...commands]) {
      const r = cli(dir, c === undefined ? ['--help'] : [c, '--help']);
      expect(r.code).toBe(0);
      const options = r.stdout.split('\n').filter((l) => /^\s+(-\w, )?--[\w-]+/.test(l));
      expect(options.length).toBeGreaterThan(3);
      for (const l of options) expect(l, `${c ?? 'sparkify'}: ${l}`).toMatch(/^\s+(-\w, )?--[\w-]+\s+\S+/);
    }
    const retry = cli(dir, ['retry', '--help']).stdout;
    expect(retry).not.toContain('--select');
    expect(retry).not.toContain('--exclude');
    expect(cli(dir, ['show', '--help']).stdout).not.toContain('--exclude');
    const generate = cli(dir, ['generate', '--help']).stdout;
    for (const o of ['--events', '--songs', '--seed', '--match-rate', '--force']) expect(generate).toMatch(new RegExp(`${o}\\s+\\w`));
  });

  it('debug changes nothing: no DuckDB file is created', () => {
    const dir = project();
    const r = cli(dir, ['debug']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('connection: OK');
    expect(r.stdout).toContain('schema main: empty or not created yet');
    expect(existsSync(path.join(dir, 'target'))).toBe(false);
  });
});

describe('compile --target redshift offline', () => {
  it('needs no cluster settings or credentials: placeholders, and says so', () => {
    const dir = project({
      'sources.yml': SOURCES.replace('location: data/events', 'location: s3://sparkify-bucket/events'),
      'dwh.cfg': '[S3]\nREGION = us-west-2\n',
    });
    mkdirSync(path.join(dir, 'empty'));
    const r = cli(dir, ['compile', '--target', 'redshift']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Offline: no connection is needed to write SQL, so [CLUSTER] HOST, [CLUSTER] DB_NAME, [CLUSTER] DB_USER, [CLUSTER] DB_PASSWORD, [IAM_ROLE] ARN are not set');
    expect(r.stdout).toContain('arn:aws:iam::000000000000:role/sparkify-placeholder');
    const plan = readFileSync(path.join(dir, 'target/compiled/run_plan.sql'), 'utf8');
    expect(plan).toContain("IAM_ROLE 'arn:aws:iam::000000000000:role/sparkify-placeholder'");
    expect(plan).toContain("FROM 's3://sparkify-bucket/events");
    // a run, which connects, still needs every setting
    const run = cli(dir, ['run', '--target', 'redshift']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('missing section [CLUSTER]');
  });
});
