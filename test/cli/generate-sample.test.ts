import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, removeDir, runCli, tempDir } from '../helpers/project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function listTree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.endsWith('README.md')).sort();
}

describe('sparkify generate', () => {
  it('reproduces the sample data that ships in the repo, byte for byte', () => {
    const out = tempDir();
    dirs.push(out);
    const r = runCli(['generate', '--out', out, '--events', '3000', '--songs', '120', '--seed', '42'], { cwd: out });
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
