import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeFiles, writeFilesInWorker, type CompiledFile } from './write-files.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const scratch = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'sparkify-write-files-'));
  dirs.push(d);
  return d;
};
const past = new Date('2020-01-01T00:00:00Z');

describe.each([
  ['on this thread', async (files: CompiledFile[]) => writeFiles(files)],
  ['on a worker thread', writeFilesInWorker],
])('writing compiled files %s', (_how, write) => {
  it('makes the folders, writes new files, rewrites changed ones and leaves unchanged ones alone', async () => {
    const d = scratch();
    const f = (rel: string) => path.join(d, rel);
    await write([
      { file: f('a/one.sql'), text: 'select 1\n' },
      { file: f('a/two.sql'), text: 'select 2\n' },
      { file: f('b/c/three.sql'), text: 'select 3\n' },
    ]);
    expect(readFileSync(f('b/c/three.sql'), 'utf8')).toBe('select 3\n');
    for (const rel of ['a/one.sql', 'a/two.sql']) utimesSync(f(rel), past, past);

    await write([
      { file: f('a/one.sql'), text: 'select 1\n' },
      { file: f('a/two.sql'), text: 'select 22\n' },
      { file: f('a/new.sql'), text: 'select 4\n' },
    ]);
    expect(statSync(f('a/one.sql')).mtime).toEqual(past);
    expect(statSync(f('a/two.sql')).mtime).not.toEqual(past);
    expect(readFileSync(f('a/two.sql'), 'utf8')).toBe('select 22\n');
    expect(readFileSync(f('a/new.sql'), 'utf8')).toBe('select 4\n');
  });

  it('fails with the file system error of the first file it cannot write', async () => {
    const d = scratch();
    writeFileSync(path.join(d, 'taken'), 'a file where a folder should be');
    const err = await write([{ file: path.join(d, 'taken', 'x.sql'), text: 'select 1\n' }]).then(
      () => undefined,
      (e: unknown) => e as NodeJS.ErrnoException,
    );
    expect(err?.code).toMatch(/^(ENOTDIR|EEXIST)$/);
    expect(err?.message).toContain('taken');
  });
});
