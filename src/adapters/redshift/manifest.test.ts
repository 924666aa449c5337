import { describe, expect, it } from 'vitest';
import { committedName, copyManifest } from './manifest.js';

describe('copyManifest', () => {
  it('lists every file as a mandatory entry with its size, in order, one entry a line', () => {
    const text = copyManifest([
      { uri: 's3://b/log_data/2018/11/a.json', size: 120 },
      { uri: 's3://b/log_data/2018/11/b.json', size: 0 },
    ]);
    expect(text).toBe(
      '{"entries": [\n  {"url":"s3://b/log_data/2018/11/a.json","mandatory":true,"meta":{"content_length":120}},\n  {"url":"s3://b/log_data/2018/11/b.json","mandatory":true,"meta":{"content_length":0}}\n]}\n',
    );
    expect(JSON.parse(text)).toEqual({
      entries: [
        { url: 's3://b/log_data/2018/11/a.json', mandatory: true, meta: { content_length: 120 } },
        { url: 's3://b/log_data/2018/11/b.json', mandatory: true, meta: { content_length: 0 } },
      ],
    });
  });

  it('leaves meta out when the size is unknown', () => {
    expect(JSON.parse(copyManifest([{ uri: 's3://b/k.json' }]))).toEqual({ entries: [{ url: 's3://b/k.json', mandatory: true }] });
  });
});

describe('committedName', () => {
  it.each([
    ['a short URI is itself', 's3://b/k.json', 's3://b/k.json'],
    ['a URI of 256 bytes is itself', `s3://b/${'k'.repeat(249)}`, `s3://b/${'k'.repeat(249)}`],
    ['a longer one is cut to 256 bytes, as STL_LOAD_COMMITS.filename', `s3://b/${'k'.repeat(300)}`, `s3://b/${'k'.repeat(249)}`],
    ['a cut never splits a character', `s3://b/${'k'.repeat(248)}é-more`, `s3://b/${'k'.repeat(248)}`],
  ])('%s', (_name, uri, name) => {
    expect(committedName(uri)).toBe(name);
    expect(Buffer.byteLength(committedName(uri))).toBeLessThanOrEqual(256);
  });
});
