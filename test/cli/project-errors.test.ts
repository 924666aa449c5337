import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';

/** Bad project input: every error located at file:line:column, all of them at once, sorted by file, exit 2. */
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));
const project = (files: Record<string, string>) => {
  const d = writeProject(files);
  dirs.push(d);
  return d;
};

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: events
        columns:
          - { name: id, type: integer }
`;

/** "file:line:col: Kind error..." heads of the error blocks, in printed order */
const heads = (stderr: string) => stderr.split('\n').filter((l) => /^\S.*(error|Error)/.test(l) && !l.startsWith(' '));

describe('a broken project: every error located, all at once, sorted by file, exit 2', () => {
  it('unknown ref and source, duplicate model, cycle, template syntax, unknown config key, malformed sources.yml', () => {
    const dir = project({
      'sources.yml': SOURCES.replace('        columns:', '        columns: [\n'),
      'models/a_cycle.sql': "-- one\nselect * from {{ ref('b_cycle') }}\n",
      'models/b_cycle.sql': "select * from {{ ref('a_cycle') }}\n",
      'models/bad_ref.sql': "select 1 as x\nunion all\nselect * from {{ ref('a_cycl') }}\n",
      'models/bad_source.sql': "select *\nfrom {{ source('raw', 'evnts') }}\n",
      'models/bad_syntax.sql': 'select 1\n{% if %}\n',
      'models/bad_config.sql': "{{ config(materialised='view') }}\nselect 1\n",
      'models/dup.sql': 'select 1 as x\n',
      'models/sub/dup.sql': 'select 2 as x\n',
    });
    const r = runCli(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const h = heads(r.stderr);
    expect(h).toEqual([
      expect.stringMatching(/^models\/a_cycle\.sql:2:18: Project error: dependency cycle: a_cycle -> b_cycle -> a_cycle$/),
      expect.stringMatching(/^models\/bad_config\.sql:1:\d+: Project error: unknown config key 'materialised'$/),
      expect.stringMatching(/^models\/bad_ref\.sql:3:18: Project error: unknown model in ref\('a_cycl'\)$/),
      expect.stringMatching(/^models\/bad_source\.sql:2:9: Project error: unknown source in source\('raw', 'evnts'\)$/),
      expect.stringMatching(/^models\/bad_syntax\.sql:2:\d+: Template error/),
      expect.stringMatching(/^models\/sub\/dup\.sql:1:1: Project error: two models are named 'dup': models\/dup\.sql and models\/sub\/dup\.sql$/),
      expect.stringMatching(/^sources\.yml:\d+:\d+: Project error: invalid YAML: /),
    ]);
  });

  it('an unknown key in sources.yml at its YAML line and column', () => {
    const dir = project({ 'sources.yml': SOURCES.replace('        columns:', '        colums:') });
    const r = runCli(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(heads(r.stderr)).toEqual([expect.stringMatching(/^sources\.yml:6:9: Project error: unknown key 'colums'$/)]);
  });

  it('a dwh.cfg with a missing section or key', () => {
    const dir = project({ 'dwh.cfg': '# the cluster\n[CLUSTER]\nHOST = x.example.com\nDB_NAME = dev\n\n[S3]\nLOG_DATA = data\n' });
    // debug connects, so it needs every key (compile does not: it writes SQL with placeholders)
    const r = runCli(['debug', '--project-dir', dir, '--target', 'redshift'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(heads(r.stderr)).toEqual([
      'dwh.cfg:2:1: Config error: [CLUSTER] is missing DB_USER (needed by the redshift target)',
      'dwh.cfg:2:1: Config error: [CLUSTER] is missing DB_PASSWORD (needed by the redshift target)',
      'dwh.cfg:7:1: Config error: missing section [IAM_ROLE] (needed by the redshift target)',
    ]);
    const badDir = project({ 'dwh.cfg': '[POSTGRES]\nPORT = 99999\nSCHEMA = Bad-Schema\n' });
    const bad = runCli(['compile', '--project-dir', badDir, '--target', 'postgres'], { cwd: badDir });
    expect(bad.code).toBe(2);
    expect(heads(bad.stderr)).toEqual([
      expect.stringMatching(/^dwh\.cfg:2:8: Config error: \[POSTGRES\] PORT must be/),
      expect.stringMatching(/^dwh\.cfg:3:10: Config error: \[POSTGRES\] SCHEMA is not a valid schema name/),
    ]);
  });

  it('a bad selector points at its column; an unknown flag is a usage error', () => {
    const dir = project({ 'models/a.sql': 'select 1 as x\n' });
    const sel = runCli(['ls', '--project-dir', dir, '--select', 'a+,tag:']);
    expect(sel.code).toBe(2);
    expect(sel.stderr).toMatch(/Selection error: .*\n\s+a\+,tag:\n\s{7,}\^/);
    const flag = runCli(['run', '--project-dir', dir, '--full-refrsh']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Usage error: Unknown arguments?: full-refrsh/);
  });
});

describe('hostile YAML: a located project error, never an internal error or a stack trace', () => {
  const bomb = (key: string) =>
    [`${key}:`, '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      .concat(Array.from({ length: 8 }, (_, i) => `  ${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`))
      .join('\n') + '\n';

  it('an alias bomb in sources.yml, a schema.yml and sparkify.yml', () => {
    const dir = project({
      'sources.yml': SOURCES + bomb('meta'),
      'models/schema.yml': 'version: 2\nmodels:\n  - name: a\n' + bomb('extra'),
      'models/a.sql': 'select 1 as x\n',
      'sparkify.yml': 'name: p\n' + bomb('vars'),
    });
    const r = runCli(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/Internal error|\n\s+at /);
    expect(heads(r.stderr)).toEqual([
      expect.stringMatching(/^models\/schema\.yml:1[01]:\d+: Project error: invalid YAML: its aliases \(\*name\) stand for more than 1000000 nodes$/),
      expect.stringMatching(/^sources\.yml:1[34]:\d+: Project error: invalid YAML: its aliases \(\*name\) stand for more than 1000000 nodes$/),
      expect.stringMatching(/^sparkify\.yml:[89]:\d+: Project error: invalid YAML: its aliases \(\*name\) stand for more than 1000000 nodes$/),
    ]);
  });

  it('a sources.yml over the size limit is refused with its name, before it is read', () => {
    const dir = project({ 'sources.yml': SOURCES + `# ${'x'.repeat(33 * 1024 * 1024)}\n`, 'models/a.sql': 'select 1 as x\n' });
    const r = runCli(['compile', '--project-dir', dir], { cwd: dir });
    expect(r.code).toBe(2);
    expect(heads(r.stderr)).toEqual([expect.stringMatching(/^sources\.yml: Project error: YAML file is too large \(33 MB; the limit is 32 MB\)$/)]);
  });

  it('a large map and many columns compile (each key and column is checked once, not against every other)', () => {
    const vars = Array.from({ length: 20000 }, (_, i) => `  v${i}: ${i}`).join('\n');
    const columns = Array.from({ length: 20000 }, (_, i) => `          - { name: c${i}, type: integer }`).join('\n');
    const dir = project({
      'sparkify.yml': `name: p\nvars:\n${vars}\n`,
      'sources.yml': SOURCES.replace('          - { name: id, type: integer }', `${columns}\n          - { name: c7, type: integer }`),
      'models/a.sql': "select {{ var('v19999') }} as x from {{ source('raw', 'events') }}\n",
    });
    const r = runCli(['compile', '--project-dir', dir], { cwd: dir });
    expect(heads(r.stderr)).toEqual([expect.stringMatching(/^sources\.yml:20007:13: Project error: duplicate column 'c7'$/)]);
  });
});
