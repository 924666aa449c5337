import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openLocalFile } from './open-local-file.js';

describe('reading a local file as of one moment', () => {
  const read = async (file: string, size?: number) => {
    const chunks: Buffer[] = [];
    for await (const c of openLocalFile(file, 'none', size)) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };

  it.each([
    ['a small file', 10],
    ['a large file, read in chunks', 40_000],
  ])('%s: the bytes up to the size given; the last complete line when the file has grown since', async (_, lines) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sparkify-asof-'));
    try {
      const file = path.join(dir, 'log.json');
      const text = Array.from({ length: lines }, (_, i) => `{"id": ${i + 1}}\n`).join('');
      writeFileSync(file, text);
      expect(await read(file)).toBe(text);
      expect(await read(file, text.length)).toBe(text);
      // the file grew after its size was taken, and the size ends inside a line: that line is left for later
      const cut = text.length - 3;
      expect(await read(file, cut)).toBe(text.slice(0, text.lastIndexOf('\n', cut - 1) + 1));
      // a file whose last line has no line end and has not grown is read whole (a truncated record is a bad line)
      writeFileSync(file, text + '{"id": 0');
      expect(await read(file, text.length + 8)).toBe(text + '{"id": 0');
      expect(await read(file, 0)).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
