// The README's quick start on the shipped project: a fresh clone (models/, sources.yml, sparkify.yml,
// data/sample, and no dwh.cfg) where `sparkify run` builds the warehouse from the sample data.
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, runCli, tempDir } from '../helpers/project.js';
import { SHIPPED_PATHS, compileShipped, runNodes } from './shipped-project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

describe('a fresh clone with no config', () => {
  it('sparkify run builds the whole warehouse from the sample data into target/sparkify.duckdb', () => {
    const dir = tempDir();
    dirs.push(dir);
    for (const p of [...SHIPPED_PATHS, 'data/sample']) if (existsSync(path.join(REPO_ROOT, p))) cpSync(path.join(REPO_ROOT, p), path.join(dir, p), { recursive: true });
    const r = runCli(['run'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const n = runNodes(compileShipped(dir)).length;
    expect(r.stdout).toContain(`Done. PASS=${n} ERROR=0 SKIP=0 TOTAL=${n}`);
    expect(existsSync(path.join(dir, 'target', 'sparkify.duckdb'))).toBe(true);
    const q = (sql: string) => JSON.parse(runCli(['show', '--inline', sql, '--output', 'json'], { cwd: dir }).stdout);
    // the counts data/sample/README.md documents
    expect(q("select count(*)::int as n from {{ source('sparkify', 'staging_events') }}")).toEqual([{ n: 3000 }]);
    expect(q("select count(*)::int as n, count(song_id)::int as matched from {{ ref('songplays') }}")).toEqual([{ n: 2419, matched: 729 }]);
    expect(q("select count(*)::int as n from {{ ref('users') }}")).toEqual([{ n: 31 }]);
    expect(q("select count(*)::int as n from {{ ref('artists') }}")).toEqual([{ n: 76 }]);
    expect(q("select count(*)::int as n from {{ ref('songs') }}")).toEqual([{ n: 120 }]);
  });
});
