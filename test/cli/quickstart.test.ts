import { cpSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, runCli, tempDir } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.endsWith('README.md')).sort();
}

describe('a fresh clone with no config', () => {
  it('sparkify run builds the whole warehouse from the sample data into target/sparkify.duckdb', () => {
    const dir = tempDir();
    dirs.push(dir);
    for (const p of ['models', 'sources.yml', 'sparkify.yml', 'data/sample']) cpSync(path.join(REPO_ROOT, p), path.join(dir, p), { recursive: true });
    const r = runCli(['run'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Done. PASS=7 ERROR=0 SKIP=0 TOTAL=7');
    const q = (sql: string) => JSON.parse(runCli(['show', '--inline', sql, '--output', 'json'], { cwd: dir }).stdout);
    // the counts data/sample/README.md documents
    expect(q("select count(*)::int as n from {{ source('sparkify', 'staging_events') }}")).toEqual([{ n: 3000 }]);
    expect(q("select count(*)::int as n, count(song_id)::int as matched from {{ ref('songplays') }}")).toEqual([{ n: 2419, matched: 729 }]);
    expect(q("select count(*)::int as n from {{ ref('users') }}")).toEqual([{ n: 31 }]);
    expect(q("select count(*)::int as n from {{ ref('artists') }}")).toEqual([{ n: 76 }]);
    expect(q("select count(*)::int as n from {{ ref('songs') }}")).toEqual([{ n: 120 }]);
  });
});

describe('sparkify generate', () => {
  it('reproduces the sample data that ships in the repo, byte for byte', () => {
    const out = tempDir();
    dirs.push(out);
    const r = runCli(['generate', '--out', out, '--events', '3000', '--songs', '120', '--seed', '42']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Wrote 3000 events in 30 files and 120 songs \(76 artists\)/);
    const sample = path.join(REPO_ROOT, 'data/sample');
    const files = listTree(sample);
    expect(listTree(out)).toEqual(files);
    for (const f of files.filter((x) => x.endsWith('.json'))) {
      expect(readFileSync(path.join(out, f)).equals(readFileSync(path.join(sample, f))), f).toBe(true);
    }
  });
});
