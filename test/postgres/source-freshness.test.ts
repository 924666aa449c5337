import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HAS_SHARED_DATA, copyFixtureProject, removeDir, runCli, sharedDataCfg, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

// sparkify source freshness on DuckDB and the real PostgreSQL server.

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
      const schema = freshSchema('fresh');
      schemas.push(schema);
      return pgCfg(schema) + '[SPARKIFY]\nTARGET = postgres\n';
    },
  },
];

const HOUR = 3600_000;
const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

const table = (name: string, extra: string, column = '{ name: loaded_at, type: timestamp }') =>
  `      - name: ${name}\n        location: data/${name}\n        copy: { format: json, json: auto }\n${extra}        columns:\n          - { name: id, type: integer }\n          - ${column}\n`;

interface Result {
  unique_id: string;
  status: string;
  max_loaded_at: string | null;
  max_loaded_at_time_ago_in_s: number | null;
}

describe.each(ENGINES)('source freshness on $engine', ({ cfg }) => {
  it('pass, warn and error by warn_after / error_after, an epoch-ms loaded_at_field, a filter; target/sources.json; exit 1 on error', () => {
    const now = Date.now();
    const rows = (...ms: number[]) => ms.map((t, i) => JSON.stringify({ id: i + 1, loaded_at: utc(t) })).join('\n');
    const rule = (warn: string, error: string) => `        loaded_at_field: loaded_at\n        freshness: { warn_after: { count: ${warn} }, error_after: { count: ${error} } }\n`;
    const dir = writeProject({
      'dwh.cfg': cfg(),
      'sources.yml':
        'version: 2\nsources:\n  - name: raw\n    tables:\n' +
        table('fresh', rule('12, period: hour', '1, period: day')) +
        table('aging', rule('1, period: day', '3, period: day')) +
        table('stale', rule('1, period: day', '3, period: day')) +
        table('epoch', "        loaded_at_field: loaded_at\n        freshness: { warn_after: { count: 1, period: hour }, filter: 'id < 2' }\n", '{ name: loaded_at, type: bigint }') +
        table('unchecked', ''),
      'data/fresh/a.json': rows(now - 48 * HOUR, now - HOUR),
      'data/aging/a.json': rows(now - 50 * HOUR),
      'data/stale/a.json': rows(now - 240 * HOUR),
      // epoch milliseconds; the filter leaves out the newest row
      'data/epoch/a.json': [JSON.stringify({ id: 1, loaded_at: now - 30 * 60_000 }), JSON.stringify({ id: 2, loaded_at: now })].join('\n'),
      'data/unchecked/a.json': rows(now),
    });
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    expect(cli('run').code).toBe(0);
    const r = cli('source', 'freshness');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/PASS freshness of raw\.fresh/);
    expect(r.stdout).toMatch(/WARN freshness of raw\.aging/);
    expect(r.stdout).toMatch(/ERROR STALE freshness of raw\.stale/);
    expect(r.stdout).toContain('Done. PASS=2 WARN=1 ERROR=1 TOTAL=4');
    const doc = JSON.parse(readFileSync(path.join(dir, 'target/sources.json'), 'utf8')) as { results: Result[] };
    const by = new Map(doc.results.map((x) => [x.unique_id, x]));
    expect([...by.keys()]).toEqual(['source.raw.aging', 'source.raw.epoch', 'source.raw.fresh', 'source.raw.stale']);
    expect(by.get('source.raw.fresh')!.status).toBe('pass');
    expect(by.get('source.raw.fresh')!.max_loaded_at).toBe(utc(now - HOUR));
    expect(by.get('source.raw.aging')!.status).toBe('warn');
    expect(by.get('source.raw.stale')!.status).toBe('error');
    expect(by.get('source.raw.epoch')!.status).toBe('pass');
    // ages measured by the engine's clock in UTC: the data's age plus the seconds the test took
    const ago = (id: string) => by.get(id)!.max_loaded_at_time_ago_in_s!;
    expect(ago('source.raw.fresh')).toBeGreaterThanOrEqual(3600 - 5);
    expect(ago('source.raw.fresh')).toBeLessThan(3600 + 600);
    expect(ago('source.raw.stale')).toBeGreaterThanOrEqual(240 * 3600 - 5);
    expect(ago('source.raw.epoch')).toBeGreaterThanOrEqual(1800 - 5);
    expect(ago('source.raw.epoch')).toBeLessThan(1800 + 600);

    const one = cli('source', 'freshness', '--select', 'source:raw.fresh');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('Done. PASS=1 WARN=0 ERROR=0 TOTAL=1');
  });

  it.skipIf(!HAS_SHARED_DATA)('Sparkify declares freshness on staging_events.ts: the published logs end on 2018-11-30, so they are stale', () => {
    const dir = copyFixtureProject(sharedDataCfg(cfg()));
    dirs.push(dir);
    const cli = (...args: string[]) => runCli([...args, '--project-dir', dir]);
    expect(cli('run', '--select', 'source:sparkify.staging_events').code).toBe(0);
    const r = cli('source', 'freshness');
    expect(r.code).toBe(1);
    const doc = JSON.parse(readFileSync(path.join(dir, 'target/sources.json'), 'utf8')) as { results: Result[] };
    expect(doc.results.map((x) => [x.unique_id, x.status, x.max_loaded_at])).toEqual([['source.sparkify.staging_events', 'error', '2018-11-30 19:54:24.796']]);
  });
});

it('a loaded_at_field that is not a column is a located error', () => {
  const dir = writeProject({
    'sources.yml': 'version: 2\nsources:\n  - name: raw\n    tables:\n' + table('t', "        loaded_at_field: loadedat\n        freshness: { warn_after: { count: 1, period: day } }\n"),
  });
  dirs.push(dir);
  const r = runCli(['source', 'freshness', '--project-dir', dir]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/sources\.yml:8:9: Project error: loaded_at_field 'loadedat' is not a column of t\n\s+hint: did you mean 'loaded_at'\?/);
});
