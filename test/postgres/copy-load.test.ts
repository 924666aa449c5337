import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import type { SourceTable } from '../../src/types.js';
import { removeDir, tempDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: nasty
        location: data/nasty
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer }
          - { name: s, type: text }
      - name: events
        location: data/events
        copy: { format: json, json: auto ignorecase }
        columns:
          - { name: id, type: integer }
          - { name: ts, type: bigint }
          - { name: name, type: varchar(8) }
          - { name: day, type: date }
`;

const ndjson = (records: unknown[]) => records.map((r) => JSON.stringify(r)).join('\n');

/** Strings that break naive COPY text: every escape, the NULL marker as text, the end-of-data marker. */
const NASTY: (string | null)[] = [
  'tab\there',
  'back\\slash',
  '\\N',
  '\\\\N',
  'N',
  '\\',
  'ends with a backslash\\',
  '\\.',
  '.',
  'quote " and \' single',
  'new\nline',
  'crlf\r\nand lone cr\r',
  '\\t is not a tab',
  'emoji 🎵 and a family 👩‍👩‍👧',
  'controls \u0001\u0008\u000b\u000c\u001f\u007f',
  'separators \u2028\u2029 and BOM \ufeff',
  'accents éàü, CJK 漢字',
  '',
  ' padded ',
  null,
  // a 100 KB value with every special character repeated throughout
  'x\t\\\n\r"é🎵'.repeat(100 * 1024 / 8).slice(0, 100 * 1024),
];

describe('COPY loads on PostgreSQL', () => {
  const schema = freshSchema('copy');
  let dir: string;
  let engine: Engine;
  const q = (sql: string) => engine.withConnection((c) => c.query(sql));
  const build = async (select: string[]) => {
    const opts = { projectDir: dir, targetName: 'postgres', env: {} };
    return (await runCompiled(compile(opts), engine, { select })).result;
  };
  const write = (rel: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  };

  beforeAll(async () => {
    dir = writeProject({
      'sources.yml': SOURCES,
      'dwh.cfg': pgCfg(schema) + '[DUCKDB]\nPATH = :memory:\n',
      'data/events/part-1.json': ndjson([
        { id: 1, ts: 1542837407796, name: 'one', day: '2018-11-21' },
        { ID: 2, TS: -1, Name: 'two', DAY: null },
        { id: 3, ts: 0 },
      ]),
      'models/by_id.sql': "select id, name from {{ source('raw', 'events') }}\n",
      'models/names.sql': "{{ config(materialized='view') }}\nselect name from {{ ref('by_id') }}\n",
    });
    const opts = { projectDir: dir, targetName: 'postgres', env: {} };
    engine = await openEngine(compile(opts).target, 2);
  });

  afterAll(async () => {
    await engine?.close();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('round-trips tabs, backslashes, \\N as text, quotes, newlines, emoji and a 100 KB value exactly', async () => {
    const records = NASTY.map((s, i) => ({ id: i, s }));
    // values of other JSON types in a text column become their text, as Redshift's COPY does
    records.push({ id: 100, s: 4.6 as never }, { id: 101, s: true as never }, { id: 102, s: { a: [1, 'x\ty'] } as never }, { id: 103, s: 66 as never });
    write('data/nasty/part-1.json', ndjson(records));
    const result = await build(['source:raw.nasty']);
    expect(result.results.map((r) => [r.name, r.status, r.rows, r.message])).toEqual([['nasty', 'success', NASTY.length + 4, undefined]]);

    const rows = await q(`select id, s from "${schema}".nasty order by id`);
    expect(rows).toEqual([...NASTY.map((s, i) => ({ id: i, s })), { id: 100, s: '4.6' }, { id: 101, s: 'true' }, { id: 102, s: '{"a":[1,"x\\ty"]}' }, { id: 103, s: '66' }]);
    expect(rows.find((r) => r.id === NASTY.length - 1)!.s).toHaveLength(100 * 1024);
    const nulls = await q(`select count(*)::int as n from "${schema}".nasty where s is null`);
    expect(nulls).toEqual([{ n: 1 }]);

    // and DuckDB's own loader reads the same file to the same values
    const duckOpts = { projectDir: dir, targetName: 'duckdb', env: {} };
    const duck = await openEngine(compile(duckOpts).target, 1);
    try {
      await runCompiled(compile(duckOpts), duck, { select: ['source:raw.nasty'] });
      expect(await duck.withConnection((c) => c.query(`select id, s from nasty order by id`))).toEqual(rows);
    } finally {
      await duck.close();
    }
  });

  it('property: any strings (and NULLs) come back from PostgreSQL identical', async () => {
    const special = fc.constantFrom('\\', '\t', '\n', '\r', 'N', '.', '\\N', '"', '🎵');
    const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\0');
    const value = fc.option(fc.string({ unit: fc.oneof(special, anyChar), maxLength: 40 }), { nil: null });
    const dataDir = tempDir('sparkify-prop-');
    const source: SourceTable = {
      id: 'source.prop.values',
      sourceName: 'prop',
      name: 'values',
      identifier: 'values',
      location: path.join(dataDir, 'values.json'),
      copy: { json: { kind: 'auto' }, maxErrors: 0, compression: 'none', truncateColumns: false, blanksAsNull: false, emptyAsNull: false, manifest: false },
      columns: [
        { name: 'i', type: 'integer' },
        { name: 's', type: 'text' },
      ],
      file: path.join(dataDir, 'sources.yml'),
      line: 1,
      tags: [],
    };
    const into = { schema, name: 'prop_values' };
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(value, { minLength: 1, maxLength: 30 }), async (values) => {
          writeFileSync(source.location!, ndjson(values.map((s, i) => ({ i, s }))));
          const back = await engine.withConnection(async (c) => {
            await c.execute(`drop table if exists "${schema}".prop_values`);
            const r = await engine.load(c, { kind: 'load', source, into });
            expect(r).toEqual({ rows: values.length, files: 1, records: values.length, rejected: [] });
            return c.query(`select s from "${schema}".prop_values order by i`);
          });
          expect(back.map((r) => r.s)).toEqual(values);
        }),
        { numRuns: 60 },
      );
    } finally {
      removeDir(dataDir);
      await engine.withConnection((c) => c.execute(`drop table if exists "${schema}".prop_values`));
    }
  });

  it("maps keys with 'auto ignorecase' and builds models on the loaded table", async () => {
    const result = await build(['source:raw.events+']);
    expect(result.results.map((r) => [r.name, r.status, r.rows])).toEqual([
      ['events', 'success', 3],
      ['by_id', 'success', 3],
      ['names', 'success', undefined],
    ]);
    expect(await q(`select * from "${schema}".events order by id`)).toEqual([
      { id: 1, ts: '1542837407796', name: 'one', day: '2018-11-21' },
      { id: 2, ts: '-1', name: 'two', day: null },
      { id: 3, ts: '0', name: null, day: null },
    ]);
  });

  it('a failed load names the file, line and column, and leaves the previous contents untouched', async () => {
    const before = await q(`select * from "${schema}".events order by id`);
    write('data/events/part-2.json', ndjson([{ id: 4, ts: 1 }, { id: 5, ts: 2 }, { id: 6, ts: 'abc' }, { id: 7, ts: 3 }]));
    try {
      const result = await build(['source:raw.events+']);
      const [events, ...rest] = result.results;
      expect(events).toMatchObject({ name: 'events', status: 'error' });
      expect(events!.error).toMatchObject({ kind: 'load', file: path.join(dir, 'data/events/part-2.json'), line: 3 });
      expect(events!.error!.message).toContain('column ts: invalid bigint "abc"');
      expect(events!.error!.message).toContain('{"id":6,"ts":"abc"}');
      expect(rest.map((r) => [r.name, r.status])).toEqual([
        ['by_id', 'skipped'],
        ['names', 'skipped'],
      ]);
      expect(await q(`select * from "${schema}".events order by id`)).toEqual(before);
      expect(await q(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and relname like '%sparkify%'`)).toEqual([]);
    } finally {
      removeDir(path.join(dir, 'data/events/part-2.json'));
    }
  });

  it('a date that does not exist (February 30th) is rejected with its file, line and column, as on DuckDB', async () => {
    const before = await q(`select * from "${schema}".events order by id`);
    write('data/events/part-2.json', ndjson([{ id: 4, ts: 1 }, {}, { id: 5, ts: 2, day: '2018-02-30' }]));
    try {
      const [events] = (await build(['source:raw.events'])).results;
      expect(events!.error).toMatchObject({ kind: 'load', file: path.join(dir, 'data/events/part-2.json'), line: 3 });
      expect(events!.error!.message).toMatch(/column day: invalid date "2018-02-30"/);
      expect(await q(`select * from "${schema}".events order by id`)).toEqual(before);
    } finally {
      removeDir(path.join(dir, 'data/events/part-2.json'));
    }
  });

  it('drops tmp and backup relations left by a crashed run, and a view survives its table being rebuilt', async () => {
    await engine.withConnection(async (c) => {
      await c.execute(`create table "${schema}".by_id__sparkify_tmp as select 1 as half_built`);
      await c.execute(`create table "${schema}".events__sparkify_old as select 1 as aside`);
      await c.execute(`create view "${schema}".names__sparkify_tmp as select 1 as v`);
    });
    const result = await build(['source:raw.events+']);
    expect(result.results.map((r) => r.status)).toEqual(['success', 'success', 'success']);
    const rels = await q(`select relname, relkind from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = '${schema}' and relkind in ('r', 'v') order by 1`);
    expect(rels).toEqual([
      { relname: 'by_id', relkind: 'r' },
      { relname: 'events', relkind: 'r' },
      { relname: 'names', relkind: 'v' },
      { relname: 'nasty', relkind: 'r' },
    ]);
    expect(await q(`select name from "${schema}".names order by name`)).toEqual([{ name: 'one' }, { name: 'two' }, { name: null }]);
  });
});
