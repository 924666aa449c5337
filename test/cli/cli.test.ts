import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, runCli, writeProject } from '../helpers/project.js';

const events = [
  { id: 1, kind: 'a', v: 10 },
  { id: 2, kind: 'b', v: 20 },
  { id: 3, kind: 'a', v: 30 },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

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

function tinyProject(extra: Record<string, string> = {}): string {
  return writeProject({
    'sources.yml': SOURCES,
    'data/events/part-1.json': events,
    'models/base.sql': "{{ config(materialized='table', tags=['core']) }}\nselect * from {{ source('raw', 'events') }}\n",
    'models/marts/by_kind.sql': "select kind, sum(v) as total\nfrom {{ ref('base') }}\ngroup by kind\n",
    'models/marts/top_kind.sql': "{{ config(materialized='view') }}\nselect * from {{ ref('by_kind') }} order by total desc limit 1\n",
    'models/other.sql': "select count(*) as n from {{ source('raw', 'events') }}\n",
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

const run = (dir: string, ...args: string[]) => runCli([...args, '--project-dir', dir]);
const jsonLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('sparkify run', () => {
  it('builds every node and reports rows, exit 0', () => {
    const dir = project();
    const r = run(dir, 'run');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OK copy source events .*\[3 rows from 1 files in/);
    expect(r.stdout).toMatch(/OK table model by_kind .*\[2 rows in/);
    expect(r.stdout).toMatch(/OK view model top_kind/);
    expect(r.stdout).toContain('Done. PASS=5 ERROR=0 SKIP=0 TOTAL=5');
    const show = run(dir, 'show', '--inline', "select * from {{ ref('by_kind') }} order by kind", '--output', 'json');
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toEqual([
      { kind: 'a', total: '40' },
      { kind: 'b', total: '20' },
    ]);
    const results = JSON.parse(readFileSync(path.join(dir, 'target/run_results.json'), 'utf8'));
    expect(results.results.map((x: { name: string; status: string }) => `${x.name}:${x.status}`)).toEqual(['events:success', 'base:success', 'by_kind:success', 'other:success', 'top_kind:success']);
    expect(readFileSync(path.join(dir, 'target/compiled/models/marts/by_kind.sql'), 'utf8')).toContain('from "main"."base"');
  });

  it('--select base+ builds base and its descendants only; --exclude subtracts', () => {
    const dir = project();
    expect(run(dir, 'run').code).toBe(0);
    const r = run(dir, 'run', '--select', 'base+', '--exclude', 'top_kind', '--log-format', 'json');
    expect(r.code).toBe(0);
    const built = jsonLines(r.stdout)
      .filter((e) => e.event === 'node_end')
      .map((e) => (e.result as { name: string }).name);
    expect(built).toEqual(['base', 'by_kind']);
  });

  it('stops only the failing branch: descendants skipped, other branches built, exit 1, error located', () => {
    const dir = project({ 'models/marts/by_kind.sql': "select kind,\n  sum(v) as total,\n  no_such_column\nfrom {{ ref('base') }}\ngroup by kind\n" });
    const r = run(dir, 'run');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR table model by_kind/);
    expect(r.stdout).toMatch(/SKIP view model top_kind/);
    expect(r.stdout).toMatch(/OK table model other/);
    expect(r.stdout).toContain('PASS=3 ERROR=1 SKIP=1 TOTAL=5');
    // the error names the model file and the template line of the bad column, and the compiled SQL
    expect(r.stdout).toMatch(/models\/marts\/by_kind\.sql:3: Database error in by_kind: .*no_such_column/);
    expect(r.stdout).toMatch(/compiled SQL: .*target\/compiled\/models\/marts\/by_kind\.sql:3/);
  });

  it('keeps the previous table when a rebuild fails', () => {
    const dir = project();
    expect(run(dir, 'run').code).toBe(0);
    writeFileSync(path.join(dir, 'models/marts/by_kind.sql'), 'select kind, nope from {{ ref("base") }}\n');
    expect(run(dir, 'run', '-s', 'by_kind').code).toBe(1);
    const show = run(dir, 'show', '--inline', "select count(*) as n from {{ ref('by_kind') }}", '--output', 'json');
    expect(JSON.parse(show.stdout)).toEqual([{ n: '2' }]);
  });

  it('refuses to build a model whose parents do not exist yet, before running any SQL', () => {
    const dir = project();
    const r = run(dir, 'run', '--select', 'by_kind');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/model by_kind depends on model base, whose relation main\.base does not exist yet/);
    expect(r.stderr).toContain('sparkify run --select +by_kind');
    expect(existsSync(path.join(dir, 'target/run_results.json'))).toBe(false);
  });

  it('emits one JSON event per line with --log-format json', () => {
    const dir = project();
    const r = run(dir, 'run', '--log-format', 'json');
    expect(r.code).toBe(0);
    const evs = jsonLines(r.stdout);
    expect(r.stdout.trim().split('\n').length).toBe(evs.length);
    expect(evs.map((e) => e.event)).toContain('run_start');
    expect(evs.filter((e) => e.event === 'node_end')).toHaveLength(5);
    expect(evs[evs.length - 1]!.event).toBe('run_end');
  });
});

describe('selection errors', () => {
  it('a selector that matches nothing is an error with a suggestion, exit 2', () => {
    const dir = project();
    const r = run(dir, 'ls', '--select', 'by_knd');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/by_knd/);
    expect(r.stderr).toMatch(/did you mean 'by_kind'/);
  });

  it('a malformed selector points at the column', () => {
    const dir = project();
    const r = run(dir, 'ls', '--select', 'base,,other');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('base,,other');
    expect(r.stderr).toMatch(/\n\s*\^/);
  });

  it('an empty selection is an error naming the part that emptied it, exit 2', () => {
    const dir = project();
    const both = run(dir, 'run', '--select', 'tag:core,marts');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--select 'tag:core,marts' selects nothing: no node is in every part of the intersection (tag:core selects 1 node (base); marts selects 2 nodes (by_kind, top_kind))");
    expect(both.stdout).not.toMatch(/Completed/);
    const gone = run(dir, 'run', '--select', 'base', '--exclude', 'base');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain("--exclude 'base' removes every node that --select 'base' selects: nothing is left to run");
    expect(gone.stdout).not.toMatch(/Completed/);
  });

  it('an --exclude that matches nothing is a warning with a suggestion; the run goes on', () => {
    const dir = project();
    const r = run(dir, 'ls', '--select', 'marts', '--exclude', 'top_knd');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['by_kind', 'top_kind']);
    expect(r.stderr).toContain("Warning: --exclude selector 'top_knd' matches no nodes, so it excludes nothing; did you mean 'top_kind'?");
  });

  it('source:src.nope suggests a table of that source; a bare table name points at source:', () => {
    const dir = project();
    const r = run(dir, 'ls', '-s', 'source:raw.nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("hint: tables of source 'raw': raw.events");
    const bare = run(dir, 'ls', '-s', 'events');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('use source:raw.events');
  });

  it('-m, --models and --model are aliases of --select; folders and the project name select as in dbt', () => {
    const dir = project();
    for (const flag of ['-m', '--models', '--model', '-s', '--select']) {
      expect(run(dir, 'ls', flag, 'marts').stdout.trim().split('\n')).toEqual(['by_kind', 'top_kind']);
    }
    expect(run(dir, 'ls', '-m', 'sparkify').stdout.trim().split('\n')).toEqual(['base', 'by_kind', 'other', 'top_kind']);
    expect(run(dir, 'ls', '-m', '*').stdout.trim().split('\n')).toEqual(['base', 'by_kind', 'other', 'top_kind']);
    expect(run(dir, 'ls', '-s', 'sparkify.marts.by_*').stdout.trim().split('\n')).toEqual(['by_kind']);
    const at = run(dir, 'ls', '-s', '@base+');
    expect(at.code).toBe(2);
    expect(at.stderr).toContain("'@' prefix and '+' suffix are incompatible");
  });

  it('unknown flags are usage errors, exit 2', () => {
    const dir = project();
    const r = run(dir, 'run', '--selct', 'base');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument/i);
  });
});

describe('ls', () => {
  it('lists nodes in DAG order as names, paths or JSON', () => {
    const dir = project();
    expect(run(dir, 'ls').stdout.trim().split('\n')).toEqual(['source:raw.events', 'base', 'by_kind', 'other', 'top_kind']);
    expect(run(dir, 'ls', '-s', '+top_kind', '--output', 'path').stdout.trim().split('\n')).toEqual(['sources.yml', 'models/base.sql', 'models/marts/by_kind.sql', 'models/marts/top_kind.sql']);
    expect(run(dir, 'ls', '-s', 'tag:core', 'config.materialized:view', '--output', 'json').stdout.trim().split('\n').map((l) => JSON.parse(l).name)).toEqual(['base', 'top_kind']);
    expect(run(dir, 'ls', '-s', 'path:models/marts').stdout.trim().split('\n')).toEqual(['by_kind', 'top_kind']);
    expect(run(dir, 'ls', '-s', 'source:raw+', '--exclude', 'path:models/marts').stdout.trim().split('\n')).toEqual(['source:raw.events', 'base', 'other']);
  });
});

describe('a broken project', () => {
  it('reports every error at once, located and sorted by file, exit 2', () => {
    const dir = project({
      'models/a_cycle.sql': "select * from {{ ref('b_cycle') }}\n",
      'models/b_cycle.sql': "select * from {{ ref('a_cycle') }}\n",
      'models/bad_ref.sql': "select 1 as x\nunion all\nselect * from {{ ref('by_knd') }}\n",
      'models/bad_syntax.sql': 'select 1\n{% if %}\n',
      'models/bad_config.sql': "{{ config(materialised='view') }}\nselect 1\n",
      'models/sub/base.sql': 'select 2\n',
    });
    const r = run(dir, 'compile');
    expect(r.code).toBe(2);
    const err = r.stderr;
    expect(err).toMatch(/models\/bad_config\.sql:1:\d+: Project error: unknown config key 'materialised'\n\s+hint: did you mean 'materialized'\?/);
    expect(err).toMatch(/models\/bad_ref\.sql:3:18: Project error: unknown model in ref\('by_knd'\)\n\s+hint: did you mean 'by_kind'\?/);
    expect(err).toMatch(/models\/bad_syntax\.sql:2:\d+: Template error/);
    expect(err).toMatch(/two models are named 'base': models\/base\.sql and models\/sub\/base\.sql/);
    // sorted by file
    const order = ['bad_config', 'bad_ref', 'bad_syntax', 'sub/base'].map((f) => err.indexOf(`models/${f}.sql`));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('prints a cycle in full with file paths', () => {
    const dir = project({
      'models/a_cycle.sql': "select * from {{ ref('b_cycle') }}\n",
      'models/b_cycle.sql': "select * from {{ ref('c_cycle') }}\n",
      'models/c_cycle.sql': "select * from {{ ref('a_cycle') }}\n",
    });
    const r = run(dir, 'compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('dependency cycle: a_cycle -> b_cycle -> c_cycle -> a_cycle');
    expect(r.stderr).toContain('a_cycle: models/a_cycle.sql');
    expect(r.stderr).toContain('c_cycle: models/c_cycle.sql');
  });

  it('locates a bad sources.yml at its YAML line', () => {
    const dir = project({ 'sources.yml': SOURCES.replace('        columns:', '        colums:') });
    const r = run(dir, 'compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sources\.yml:8:9: Project error: unknown key 'colums'\n\s+hint: did you mean 'columns'\?/);
  });

  it('reports a source value that does not fit its column with file, line and column', () => {
    const dir = project({ 'data/events/part-2.json': '{"id": 4, "kind": "a", "v": 1}\n{"id": "four", "kind": "a", "v": 1}\n' });
    const r = run(dir, 'run', '-s', 'source:raw');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/data\/events\/part-2\.json:2: Load error in raw\.events: column id: invalid integer "four"/);
  });
});

describe('vars, env_var, target and macros', () => {
  it('renders var() from --vars (JSON or YAML), env_var(), target and user macros', () => {
    const dir = project({
      'macros/money.sql': '{% macro cents(col) %}({{ col }} * 100){% endmacro %}\n',
      'models/templated.sql': "select {{ cents('v') }} as c, '{{ var('label', 'none') }}' as label, '{{ env_var('SPARKIFY_TEST_ENV', 'unset') }}' as e, '{{ target.type }}' as t\nfrom {{ ref('base') }} where id = {{ var('id') }}\n",
    });
    const r = runCli(['compile', '--project-dir', dir, '--vars', '{id: 3, label: x}'], { env: { SPARKIFY_TEST_ENV: 'hello' } });
    expect(r.stderr).toBe('');
    const sql = readFileSync(path.join(dir, 'target/compiled/models/templated.sql'), 'utf8');
    expect(sql).toContain("select (v * 100) as c, 'x' as label, 'hello' as e, 'duckdb' as t");
    expect(sql).toContain('where id = 3');
    const missing = run(dir, 'compile');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/models\/templated\.sql:2:\d+: Project error: required var 'id' is not set/);
  });
});

describe('debug', () => {
  it('prints the target with the password masked', () => {
    const dir = project({ 'dwh.cfg': '[POSTGRES]\nHOST=127.0.0.1\nPORT=1\nDB_NAME=test\nDB_USER=nobody\nDB_PASSWORD=s3cr3t-pw\n' });
    const r = run(dir, 'debug', '--target', 'postgres');
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-pw');
    expect(r.stdout).toContain('****');
    rmSync(path.join(dir, 'dwh.cfg'));
    const ok = run(dir, 'debug');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('connection: OK');
  });
});

describe('sparkify test', () => {
  it('runs the data tests of models/*.yml; a failing test names its rows and exits 1', () => {
    const dir = project({
      'models/schema.yml': `version: 2
models:
  - name: base
    columns:
      - name: id
        data_tests: [unique, not_null]
      - name: kind
        data_tests:
          - accepted_values: { values: [a] }
  - name: by_kind
    columns:
      - name: kind
        data_tests:
          - relationships: { to: ref('base'), field: kind }
`,
    });
    expect(run(dir, 'run').code).toBe(0);
    const r = run(dir, 'test');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/PASS test unique_base_id/);
    expect(r.stdout).toMatch(/FAIL test accepted_values_base_kind .*\[FAIL 1 in/);
    expect(r.stdout).toContain('accepted_values_base_kind: 1 failing row in base.kind');
    expect(r.stdout).toContain('Done. PASS=3 WARN=0 FAIL=1 ERROR=0 SKIP=0 TOTAL=4');
    const only = run(dir, 'test', '-s', 'by_kind');
    expect(only.code).toBe(0);
    expect(only.stdout).toContain('Done. PASS=1 WARN=0 FAIL=0 ERROR=0 SKIP=0 TOTAL=1');
  });

  it('locates an unknown test; a relationships test to an unknown model errors when run', () => {
    const dir = project({
      'models/schema.yml': "version: 2\nmodels:\n  - name: base\n    columns:\n      - name: id\n        data_tests: [uniqe]\n      - name: kind\n        data_tests:\n          - relationships: { to: ref('nope'), field: kind }\n",
    });
    const r = run(dir, 'compile');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/models\/schema\.yml:6:\d+: Project error: unknown data test "uniqe"\n\s+hint: did you mean 'unique'\?/);
    const fixed = writeFileSync(path.join(dir, 'models/schema.yml'), "version: 2\nmodels:\n  - name: base\n    columns:\n      - name: kind\n        data_tests:\n          - relationships: { to: ref('nope'), field: kind }\n");
    expect(fixed).toBeUndefined();
    expect(run(dir, 'run').code).toBe(0);
    const t = run(dir, 'test');
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(/models\/schema\.yml:7: Project error in relationships_base_kind__nope_kind: unknown model 'nope' in relationships test/);
  });
});
