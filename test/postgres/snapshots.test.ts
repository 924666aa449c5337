import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HAS_SHARED_DATA,
  SHARED_DATA,
  SHARED_DATA_SKIP_REASON,
  copyFixtureProject,
  removeDir,
  runCli,
  sharedDataCfg,
  tempDir,
  writeProject,
} from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';
import { compile } from '../../src/api.js';
import { showQuery } from '../../src/show/show-query.js';

// Snapshots (SCD type 2 with dbt's columns) on DuckDB and on the real PostgreSQL server.

const schemas: string[] = [];
const dirs: string[] = [];
afterAll(async () => {
  dirs.forEach(removeDir);
  for (const s of schemas) await dropSchema(s);
});

const ENGINES = [
  { engine: 'duckdb', cfg: (): string => '' },
  {
    engine: 'postgres',
    cfg: (): string => {
      const schema = freshSchema('snap');
      schemas.push(schema);
      return pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n';
    },
  },
];

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: raw_users
        location: data/u
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer }
          - { name: level, type: varchar(8) }
          - { name: updated, type: timestamp }
`;

type Row = Record<string, unknown>;

describe.each(ENGINES)('snapshots on $engine', ({ cfg }) => {
  const project = (files: Record<string, string>) => {
    const dir = writeProject({ 'dwh.cfg': cfg(), 'sources.yml': SOURCES, 'models/users.sql': "select * from {{ source('raw', 'raw_users') }}\n", ...files });
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    // rows are read in this process (as `sparkify show --output json` prints them): a CLI process per
    // query made this test spend most of its time starting Node
    const rows = async (sql: string): Promise<Row[]> => {
      const opts = { projectDir: dir, env: process.env };
      const r = await showQuery(compile(opts), opts, { inline: sql, limit: -1 });
      return JSON.parse(JSON.stringify(r.rows)) as Row[];
    };
    const load = (users: { id: number; level: string; updated: string }[]) =>
      writeFileSync(path.join(dir, 'data/u/a.json'), users.map((u) => JSON.stringify(u)).join('\n'));
    mkdirSync(path.join(dir, 'data/u'), { recursive: true });
    return { dir, cli, rows, load };
  };

  it('check strategy with hard_deletes new_record, timestamp strategy with invalidate_hard_deletes: history, idempotence, a failed run changes nothing', async () => {
    const { dir, cli, rows, load } = project({
      'snapshots/by_check.sql':
        "{% snapshot by_check %}\n{{ config(unique_key='id', strategy='check', check_cols=['level'], hard_deletes='new_record') }}\nselect * from {{ ref('users') }}\n{% endsnapshot %}\n",
      'snapshots/by_time.sql':
        "{% snapshot by_time %}\n{{ config(unique_key='id', strategy='timestamp', updated_at='updated', invalidate_hard_deletes=true) }}\nselect * from {{ ref('users') }}\n{% endsnapshot %}\n",
    });
    const step = (users: { id: number; level: string; updated: string }[]) => {
      load(users);
      expect(cli('run').code).toBe(0);
      const r = cli('snapshot');
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      return r;
    };
    const check = async () =>
      rows(
        "select id, level, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to, dbt_is_deleted from {{ ref('by_check') }} order by id, dbt_valid_from, dbt_is_deleted",
      );
    const time = async () =>
      rows("select id, level, dbt_scd_id, dbt_updated_at, dbt_valid_from, dbt_valid_to from {{ ref('by_time') }} order by id, dbt_valid_from");

    const first = step([
      { id: 1, level: 'free', updated: '2024-01-01 00:00:00' },
      { id: 2, level: 'free', updated: '2024-01-01 00:00:00' },
    ]);
    expect(first.stdout).toMatch(/OK snapshot by_check .*\[2 rows in/);
    const c1 = await check();
    const t1 = c1[0]!.dbt_valid_from;
    expect(c1.map((r) => [r.id, r.level, r.dbt_valid_from, r.dbt_valid_to, r.dbt_is_deleted, r.dbt_updated_at])).toEqual([
      [1, 'free', t1, null, 'False', t1],
      [2, 'free', t1, null, 'False', t1],
    ]);
    expect(new Set(c1.map((r) => r.dbt_scd_id)).size).toBe(2);
    expect((await time()).map((r) => [r.id, r.level, r.dbt_valid_from, r.dbt_valid_to, r.dbt_updated_at])).toEqual([
      [1, 'free', '2024-01-01 00:00:00', null, '2024-01-01 00:00:00'],
      [2, 'free', '2024-01-01 00:00:00', null, '2024-01-01 00:00:00'],
    ]);

    // unchanged data: nothing added, nothing changed
    expect(cli('snapshot').code).toBe(0);
    expect(await check()).toEqual(c1);

    // 1 upgrades, 2 disappears, 3 appears
    step([
      { id: 1, level: 'paid', updated: '2024-02-01 00:00:00' },
      { id: 3, level: 'free', updated: '2024-02-01 00:00:00' },
    ]);
    const c2 = await check();
    const t2 = c2.find((r) => r.id === 3)!.dbt_valid_from;
    expect(t2 !== t1 && String(t2) > String(t1)).toBe(true);
    expect(c2.map((r) => [r.id, r.level, r.dbt_valid_from, r.dbt_valid_to, r.dbt_is_deleted])).toEqual([
      [1, 'free', t1, t2, 'False'],
      [1, 'paid', t2, null, 'False'],
      [2, 'free', t1, t2, 'False'],
      [2, 'free', t2, null, 'True'],
      [3, 'free', t2, null, 'False'],
    ]);
    const tm2 = await time();
    const deletedAt = tm2.find((r) => r.id === 2)!.dbt_valid_to;
    expect(deletedAt).not.toBeNull();
    expect(tm2.map((r) => [r.id, r.level, r.dbt_valid_from, r.dbt_valid_to])).toEqual([
      [1, 'free', '2024-01-01 00:00:00', '2024-02-01 00:00:00'],
      [1, 'paid', '2024-02-01 00:00:00', null],
      [2, 'free', '2024-01-01 00:00:00', deletedAt],
      [3, 'free', '2024-02-01 00:00:00', null],
    ]);
    expect(cli('snapshot').code).toBe(0);
    expect(await check()).toEqual(c2);
    expect(await time()).toEqual(tm2);

    // 2 comes back as paid
    step([
      { id: 1, level: 'paid', updated: '2024-02-01 00:00:00' },
      { id: 2, level: 'paid', updated: '2024-03-01 00:00:00' },
      { id: 3, level: 'free', updated: '2024-02-01 00:00:00' },
    ]);
    const c3 = await check();
    const t3 = c3.find((r) => r.id === 2 && r.level === 'paid')!.dbt_valid_from;
    expect(c3.filter((r) => r.id === 2).map((r) => [r.level, r.dbt_valid_from, r.dbt_valid_to, r.dbt_is_deleted])).toEqual([
      ['free', t1, t2, 'False'],
      ['free', t2, t3, 'True'],
      ['paid', t3, null, 'False'],
    ]);
    expect((await time()).filter((r) => r.id === 2).map((r) => [r.level, r.dbt_valid_from, r.dbt_valid_to])).toEqual([
      ['free', '2024-01-01 00:00:00', deletedAt],
      ['paid', '2024-03-01 00:00:00', null],
    ]);

    // a run that fails inside its transaction (the query gained a column the table lacks) changes nothing
    const before = [await check(), await time()];
    load([{ id: 1, level: 'gold', updated: '2024-04-01 00:00:00' }]);
    writeFileSync(path.join(dir, 'models/users.sql'), "select *, 1 as extra from {{ source('raw', 'raw_users') }}\n");
    expect(cli('run').code).toBe(0);
    const failed = cli('snapshot');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/ERROR snapshot by_check/);
    expect([await check(), await time()]).toEqual(before);
  });

  it('a yml snapshot (relation: ref(...)) works like a {% snapshot %} block; a check_cols column that is not in the query fails before anything is written', async () => {
    const { cli, rows, load } = project({
      'snapshots/history.yml':
        "version: 2\nsnapshots:\n  - name: from_yml\n    relation: ref('users')\n    config:\n      unique_key: id\n      strategy: check\n      check_cols: [level]\n",
      'snapshots/bad.sql':
        "{% snapshot bad_cols %}\n{{ config(unique_key='id', strategy='check', check_cols=['levle']) }}\nselect * from {{ ref('users') }}\n{% endsnapshot %}\n",
    });
    load([{ id: 1, level: 'free', updated: '2024-01-01 00:00:00' }]);
    expect(cli('run').code).toBe(0);
    const r = cli('snapshot', '--select', 'from_yml');
    expect(r.code).toBe(0);
    expect(await rows("select id, level, dbt_valid_to from {{ ref('from_yml') }}")).toEqual([{ id: 1, level: 'free', dbt_valid_to: null }]);
    const bad = cli('snapshot', '--select', 'bad_cols');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      /snapshots\/bad\.sql: Project error in bad_cols: snapshot bad_cols: a column named in its config \(unique_key id, check_cols levle\) is not a column of its query/,
    );
    const gone = cli('show', '--inline', "select count(*) as n from {{ ref('bad_cols') }}");
    expect(gone.code).toBe(1);
  });
});

describe('snapshot config errors are located before any SQL runs', () => {
  const base = { 'sources.yml': SOURCES, 'models/users.sql': "select * from {{ source('raw', 'raw_users') }}\n" };
  const cases: [string, string, RegExp][] = [
    [
      'unknown strategy',
      "{% snapshot s %}\n{{ config(unique_key='id',\n   strategy='chek', check_cols=['level']) }}\nselect * from {{ ref('users') }}\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:3:4: Project error: config strategy: unknown snapshot strategy "chek": use 'timestamp' \(with updated_at\) or 'check' \(with check_cols\)/,
    ],
    [
      'missing unique_key',
      "\n{% snapshot s %}\n{{ config(strategy='check', check_cols=['level']) }}\nselect * from {{ ref('users') }}\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:3:4: Project error: snapshot s: missing unique_key/,
    ],
    [
      'timestamp without updated_at',
      "{% snapshot s %}\n{{ config(unique_key='id', strategy='timestamp') }}\nselect 1 as id\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:2:4: Project error: snapshot s: the timestamp strategy needs updated_at/,
    ],
    [
      'no block',
      "select * from {{ ref('users') }}\n",
      /snapshots\/s\.sql:1: Project error: no \{% snapshot name %\} \.\.\. \{% endsnapshot %\} block in this file/,
    ],
    [
      'a check_cols column the query does not have',
      "{% snapshot s %}\n{{ config(unique_key='id',\n  strategy='check', check_cols=['levle']) }}\nselect id, level, updated as changed_at from {{ ref('users') }}\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:3:21: Project error: snapshot s: check_cols column 'levle' is not a column of its query\n\s+hint: its columns: id, level, changed_at/,
    ],
    [
      'a unique_key that select * from a source does not have',
      "{% snapshot s %}\n{{ config(unique_key='user_id', strategy='timestamp', updated_at='updated') }}\nselect * from {{ source('raw', 'raw_users') }}\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:2:11: Project error: snapshot s: unique_key column 'user_id' is not a column of its query\n\s+hint: its columns: id, level, updated/,
    ],
    [
      'unknown hard_deletes',
      "{% snapshot s %}\n{{ config(unique_key='id', strategy='check', check_cols=['level'], hard_deletes='drop') }}\nselect 1 as id\n{% endsnapshot %}\n",
      /snapshots\/s\.sql:2:\d+: Project error: config hard_deletes: must be one of ignore, invalidate, new_record/,
    ],
  ];
  it.each(cases)('%s', (_what, text, expected) => {
    const dir = writeProject({ ...base, 'snapshots/s.sql': text });
    dirs.push(dir);
    const r = runCli(['snapshot', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stdout).not.toMatch(/START/);
  });
});

interface Event {
  userId: string;
  ts: number;
  itemInSession: number;
  sessionId: number;
  level: string;
}

/** Each user's level at their latest event (ties: itemInSession, then sessionId), computed from the raw files. */
function latestLevels(files: string[]): Map<number, string> {
  const latest = new Map<string, Event>();
  for (const f of files) {
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const e = JSON.parse(line) as Event;
      const id = String(e.userId ?? '').trim();
      if (!id) continue;
      const cur = latest.get(id);
      const later =
        !cur ||
        e.ts > cur.ts ||
        (e.ts === cur.ts && (e.itemInSession > cur.itemInSession || (e.itemInSession === cur.itemInSession && e.sessionId > cur.sessionId)));
      if (later) latest.set(id, e);
    }
  }
  return new Map([...latest].map(([id, e]) => [Number(id), e.level]));
}

describe.skipIf(!HAS_SHARED_DATA).each(ENGINES)('users_history on the published data on $engine', ({ cfg }) => {
  it('15 days, snapshot, then 30 days, snapshot: every row and valid range follows from the logs', () => {
    if (!HAS_SHARED_DATA) throw new Error(SHARED_DATA_SKIP_REASON);
    const logDir = path.join(SHARED_DATA, 'log_data', '2018', '11');
    const days = readdirSync(logDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(days.length).toBe(30);
    const half = tempDir('sparkify-15-days-');
    dirs.push(half);
    for (const f of days.slice(0, 15)) copyFileSync(path.join(logDir, f), path.join(half, f));
    const engineCfg = cfg();
    const cfgFor = (logData: string) => sharedDataCfg(engineCfg).replace(/^LOG_DATA = .*$/m, `LOG_DATA = ${logData}`);
    const dir = copyFixtureProject(cfgFor(half));
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    const history = () => {
      const r = cli(
        'show',
        '--inline',
        "select user_id, level, dbt_valid_from, dbt_valid_to from {{ ref('users_history') }} order by user_id, dbt_valid_from",
        '--output',
        'json',
        '--limit',
        '-1',
      );
      expect(r.stderr).toBe('');
      return JSON.parse(r.stdout) as Row[];
    };

    const first = cli('build', '--select', '+users_history');
    expect(first.stderr).toBe('');
    expect(first.code, first.stdout).toBe(0);
    const h1 = history();
    const l15 = latestLevels(days.slice(0, 15).map((f) => path.join(logDir, f)));
    const t1 = h1[0]!.dbt_valid_from;
    expect(h1).toEqual([...l15].sort((a, b) => a[0] - b[0]).map(([id, level]) => ({ user_id: id, level, dbt_valid_from: t1, dbt_valid_to: null })));

    writeFileSync(path.join(dir, 'dwh.cfg'), cfgFor(path.join(SHARED_DATA, 'log_data')));
    const second = cli('build', '--select', '+users_history');
    expect(second.code, second.stdout).toBe(0);
    const h2 = history();
    const l30 = latestLevels(days.map((f) => path.join(logDir, f)));
    const t2 = h2.find((r) => r.dbt_valid_from !== t1)!.dbt_valid_from;
    const expected: Row[] = [];
    for (const [id, level] of l30) {
      const before = l15.get(id);
      if (before !== undefined) expected.push({ user_id: id, level: before, dbt_valid_from: t1, dbt_valid_to: before === level ? null : t2 });
      if (before !== level) expected.push({ user_id: id, level, dbt_valid_from: t2, dbt_valid_to: null });
    }
    expected.sort((a, b) => Number(a.user_id) - Number(b.user_id) || String(a.dbt_valid_from).localeCompare(String(b.dbt_valid_from)));
    expect(h2).toEqual(expected);
    // the published data has users whose level changed between the halves, and users new in the second
    expect(expected.filter((r) => r.dbt_valid_to !== null).length).toBeGreaterThan(0);
    expect([...l30.keys()].filter((id) => !l15.has(id)).length).toBeGreaterThan(0);
    // the current rows are the users table
    const current = JSON.parse(
      cli(
        'show',
        '--inline',
        "select user_id, level from {{ ref('users_history') }} where dbt_valid_to is null except select user_id, level from {{ ref('users') }}",
        '--output',
        'json',
      ).stdout,
    ) as Row[];
    expect(current).toEqual([]);
    expect(h2.filter((r) => r.dbt_valid_to === null).length).toBe(97);
    // snapshotting again adds nothing
    expect(cli('snapshot').code).toBe(0);
    expect(history()).toEqual(h2);
  });
});
