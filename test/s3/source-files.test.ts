import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, resolveProjectTarget, runCompiled } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { LoadError } from '../../src/errors.js';
import { SourceFiles } from '../../src/loaders/source-files.js';
import { removeDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';
import { S3_TEST_ENV, startS3, useTestCredentials } from './s3-fixture.js';
import type { TestS3Server } from './s3-server.js';

let s3: TestS3Server;
let files: SourceFiles;
const settings = () => ({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1' });

beforeAll(async () => {
  useTestCredentials();
  s3 = await startS3();
  for (let i = 0; i < 7; i++) s3.put('bkt', `log_data/2018/11/f${i}.json`, `{"i": ${i}}\n`);
  s3.put('bkt', 'log_data/', '');
  s3.put('bkt', 'log_data_old/f.json', '{"old": true}\n');
  s3.put('bkt', 'songs/TRA.json', '{"a": 1}');
  s3.put('bkt', 'songs/TRA.json.bak', '{"a": 2}');
  s3.put('bkt', 'gz/part-1.json.gz', gzipSync('{"z": 1}\n{"z": 2}\n'));
  s3.put('bkt', 'gz/part-2.json', gzipSync('{"z": 3}\n'));
  s3.put('bkt', 'paths/log_json_path.json', '{"jsonpaths": ["$.i"]}');
  files = new SourceFiles(settings(), { pageSize: 2 });
});
afterAll(async () => {
  await files?.close();
  await s3?.stop();
});

const text = async (stream: Readable) => {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};
const uris = async (location: string) => (await files.list(location)).map((f) => f.uri);

describe('listing s3:// locations', () => {
  it('treats a folder-style location as the prefix folder/, as Redshift COPY does', async () => {
    const expected = Array.from({ length: 7 }, (_, i) => `s3://bkt/log_data/2018/11/f${i}.json`);
    expect(await uris('s3://bkt/log_data')).toEqual(expected);
    expect(await uris('s3://bkt/log_data/')).toEqual(expected);
    expect(await uris('s3://bkt/log_data/2018/11/f3.json')).toEqual(['s3://bkt/log_data/2018/11/f3.json']);
  });

  it('matches every key that begins with a location that names an object, like Redshift', async () => {
    expect(await uris('s3://bkt/songs/TRA.json')).toEqual(['s3://bkt/songs/TRA.json', 's3://bkt/songs/TRA.json.bak']);
  });

  it('pages through ListObjectsV2 with continuation tokens, sizes included, folder markers left out', async () => {
    const before = s3.requests.length;
    const listed = await files.list('s3://bkt/log_data');
    const lists = s3.requests.slice(before).filter((r) => r.url.includes('list-type=2'));
    expect(lists.length).toBe(4); // 8 keys, 2 per page
    expect(lists.slice(1).every((r) => r.url.includes('continuation-token='))).toBe(true);
    expect(listed.every((f) => f.size === 9)).toBe(true);
  });

  it('says where it looked when nothing is there, or the bucket does not exist', async () => {
    await expect(files.list('s3://bkt/nothing_here')).rejects.toThrow(/^no objects found at s3:\/\/bkt\/nothing_here\/$/);
    const err = await files.list('s3://no-such-bucket/log_data').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as Error).message).toMatch(/^cannot read s3:\/\/no-such-bucket\/log_data\/: NoSuchBucket \(HTTP 404\)/);
    expect((err as LoadError).hint).toMatch(/bucket name/);
  });

  it('lists the entries of a manifest, as COPY ... MANIFEST does', async () => {
    const entries = (e: object[]) => JSON.stringify({ entries: e });
    s3.put(
      'bkt',
      'm/ok.manifest',
      entries([
        { url: 's3://bkt/log_data/2018/11/f1.json', mandatory: true },
        { url: 's3://bkt/songs/TRA.json' },
        { url: 's3://bkt/missing.json', mandatory: false },
      ]),
    );
    expect(await files.list('s3://bkt/m/ok.manifest', undefined, { manifest: true })).toEqual([
      { uri: 's3://bkt/log_data/2018/11/f1.json', size: 9 },
      { uri: 's3://bkt/songs/TRA.json', size: 8 },
    ]);
    s3.put('bkt', 'm/missing.manifest', entries([{ url: 's3://bkt/missing.json', mandatory: true }]));
    await expect(files.list('s3://bkt/m/missing.manifest', undefined, { manifest: true })).rejects.toThrow(
      /a mandatory file of manifest s3:\/\/bkt\/m\/missing\.manifest does not exist: s3:\/\/bkt\/missing\.json/,
    );
    s3.put('bkt', 'm/empty.manifest', entries([{ url: 's3://bkt/missing.json' }]));
    await expect(files.list('s3://bkt/m/empty.manifest', undefined, { manifest: true })).rejects.toThrow(/no files found from manifest/);
    s3.put('bkt', 'm/bad.manifest', '{"files": []}');
    await expect(files.list('s3://bkt/m/bad.manifest', undefined, { manifest: true })).rejects.toThrow(/invalid manifest .*no "entries" array/);
  });

  it('refuses locations that are not plain s3:// URIs', async () => {
    await expect(files.list("s3://bkt/x'; drop table t; --")).rejects.toThrow(/invalid S3 location/);
    await expect(files.list('s3://Upper/x')).rejects.toThrow(/invalid S3 location/);
  });
});

describe('reading S3 objects', () => {
  it('streams an object, gunzipping .gz objects, or every object with compression gzip', async () => {
    expect(await text(files.open('s3://bkt/log_data/2018/11/f2.json'))).toBe('{"i": 2}\n');
    expect(await text(files.open('s3://bkt/gz/part-1.json.gz'))).toBe('{"z": 1}\n{"z": 2}\n');
    expect(await text(files.open('s3://bkt/gz/part-2.json', 'gzip'))).toBe('{"z": 3}\n');
    expect(await files.readText('s3://bkt/paths/log_json_path.json')).toBe('{"jsonpaths": ["$.i"]}');
  });

  it('fails a read with the object and the reason', async () => {
    s3.failGets.set('log_data/2018/11/f5.json', 403);
    try {
      const err = await text(files.open('s3://bkt/log_data/2018/11/f5.json')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LoadError);
      expect((err as Error).message).toMatch(/^cannot read s3:\/\/bkt\/log_data\/2018\/11\/f5\.json: AccessDenied \(HTTP 403\)/);
      expect((err as LoadError).hint).toMatch(/s3:GetObject/);
    } finally {
      s3.failGets.clear();
    }
  });

  it('requests the next objects while one streams, and drops what was not read', async () => {
    const list = await uris('s3://bkt/log_data');
    const gets = () => s3.requests.filter((r) => r.method === 'GET' && r.url.startsWith('/bkt/log_data/2018/')).length;
    const before = gets();
    const reader = files.opener(list, 'none', 3);
    expect(await text(reader.open(list[0]!))).toBe('{"i": 0}\n');
    expect(await text(reader.open(list[1]!))).toBe('{"i": 1}\n');
    await new Promise((r) => setTimeout(r, 50));
    // f0 and f1 read, f2..f4 requested ahead
    expect(gets() - before).toBe(5);
    reader.close();
  });

  it('stages S3 objects in batches on local disk and deletes each batch after use', async () => {
    const listed = await files.list('s3://bkt/log_data');
    const seen: string[][] = [];
    let previous: string[] = [];
    for await (const batch of files.stage(listed, { maxFiles: 3 })) {
      expect(previous.some((p) => existsSync(p))).toBe(false);
      expect(batch.paths.every((p) => existsSync(p) && p.startsWith(tmpdir()))).toBe(true);
      expect(batch.paths.map((p) => readFileSync(p, 'utf8'))).toEqual(batch.refs.map((r) => `{"i": ${Number(/f(\d)/.exec(r.uri)![1])}}\n`));
      expect(batch.paths.map((p) => batch.uriOf(p))).toEqual(batch.refs.map((r) => r.uri));
      seen.push(batch.paths.map((p) => path.basename(p)));
      previous = batch.paths;
    }
    expect(seen.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(seen[0]![0]).toMatch(/^0000000-f0\.json$/);
    expect(previous.some((p) => existsSync(p))).toBe(false);
    expect(existsSync(path.dirname(previous[0]!))).toBe(false);
  });

  it('batches by bytes too, and cleans up when the reader stops early', async () => {
    const listed = await files.list('s3://bkt/log_data');
    const sizes: number[] = [];
    let dir = '';
    for await (const batch of files.stage(listed, { maxFiles: 100, maxBytes: 20 })) {
      sizes.push(batch.paths.length);
      dir = path.dirname(batch.paths[0]!);
      if (sizes.length === 2) break;
    }
    expect(sizes).toEqual([2, 2]);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(tmpdir()).filter((d) => d.startsWith('sparkify-s3-') && d === path.basename(dir))).toEqual([]);
  });
});

describe('writing S3 objects (the manifest of a Redshift load)', () => {
  it('puts the text at the key, signed by the SDK, byte for byte, and reads it back', async () => {
    s3.buckets.set('loads', new Map());
    const before = s3.requests.length;
    const body = '{"entries": [\n  {"url":"s3://bkt/log_data/2018/11/f0.json","mandatory":true,"meta":{"content_length":9}}\n]}\n';
    await files.writeS3Text('s3://loads/manifests/run-1/sparkify.staging_events.manifest', body);
    const puts = s3.requests.slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.url.split('?')[0])).toEqual(['/loads/manifests/run-1/sparkify.staging_events.manifest']);
    expect(puts[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=sparkify-test\//);
    expect(s3.buckets.get('loads')!.get('manifests/run-1/sparkify.staging_events.manifest')!.equals(Buffer.from(body))).toBe(true);
    expect(await files.readText('s3://loads/manifests/run-1/sparkify.staging_events.manifest')).toBe(body);
  });

  it('says which object it could not write, and why', async () => {
    const err = await files.writeS3Text('s3://no-such-bucket/m/x.manifest', '{}').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LoadError);
    expect((err as LoadError).message).toMatch(/^cannot write s3:\/\/no-such-bucket\/m\/x\.manifest: NoSuchBucket \(HTTP 404\)/);
    expect((err as LoadError).hint).toBe('check the bucket name in the location');
  });
});

describe('anonymous access to public buckets', () => {
  it('sends unsigned requests when the default chain finds no credentials', async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const anonymous = new SourceFiles(settings());
    try {
      const before = s3.requests.length;
      expect(await anonymous.list('s3://bkt/songs/TRA.json')).toHaveLength(2);
      expect(await text(anonymous.open('s3://bkt/songs/TRA.json'))).toBe('{"a": 1}');
      const sent = s3.requests.slice(before);
      expect(sent.length).toBe(2);
      expect(sent.every((r) => r.authorization === undefined)).toBe(true);
      s3.failGets.set('songs/TRA.json', 403);
      const err = await text(anonymous.open('s3://bkt/songs/TRA.json')).catch((e: unknown) => e);
      expect((err as LoadError).hint).toMatch(/no AWS credentials were found/);
    } finally {
      s3.failGets.clear();
      await anonymous.close();
      Object.assign(process.env, { AWS_ACCESS_KEY_ID: saved.id, AWS_SECRET_ACCESS_KEY: saved.secret });
    }
  });
});

describe('a bad line in an S3 object', () => {
  const schema = freshSchema('s3bad');
  let dir: string;
  beforeAll(() => {
    s3.put('bad-data', 'events/part-1.json', '{"id": 1, "kind": "a"}\n{"id": 2, "kind": "b"}\n');
    s3.put('bad-data', 'events/part-2.json', '{"id": 3, "kind": "a"}\n\n{"id": "four", "kind": "a"}\n');
    const sources = `version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n        location: s3://bad-data/events\n        copy: { format: json, json: auto }\n        columns:\n          - { name: id, type: integer }\n          - { name: kind, type: varchar(8) }\n`;
    const cfg = `[S3]\nREGION = us-east-1\nENDPOINT = ${s3.endpoint}\nFORCE_PATH_STYLE = true\n[DUCKDB]\nPATH = w.duckdb\n${pgCfg(schema)}`;
    dir = writeProject({ 'sources.yml': sources, 'dwh.cfg': cfg, 'models/n.sql': "select count(*) as n from {{ source('raw', 'events') }}\n" });
  });
  afterAll(async () => {
    await dropSchema(schema);
    removeDir(dir);
  });

  it.each(['duckdb', 'postgres'])('fails the load on %s naming the object, the line and the column', async (type) => {
    Object.assign(process.env, S3_TEST_ENV);
    const opts = { projectDir: dir, targetName: type, env: {} };
    const compiled = compile(opts, resolveProjectTarget(opts));
    const engine = await openEngine(compiled.target, 2);
    try {
      const { result } = await runCompiled(compiled, engine, {});
      const load = result.results.find((r) => r.name === 'events')!;
      expect(load.status).toBe('error');
      expect(load.error).toMatchObject({ kind: 'load', file: 's3://bad-data/events/part-2.json', line: 3 });
      expect(load.message).toMatch(/^s3:\/\/bad-data\/events\/part-2\.json:3: Load error in raw\.events: column id: invalid integer "four"/);
      expect(result.results.find((r) => r.name === 'n')?.status).toBe('skipped');
    } finally {
      await engine.close();
    }
  });
});
