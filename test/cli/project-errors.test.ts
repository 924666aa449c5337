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
