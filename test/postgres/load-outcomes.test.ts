import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/adapters/adapter.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { compile, runCompiled } from '../../src/api.js';
import type { NodeResult } from '../../src/runner/execute-plan.js';
import { removeDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from './pg.js';

/**
 * Every kind of bad (or merely unusual) input the issue lists, loaded by DuckDB and by PostgreSQL:
 * each gives a defined outcome, the same on both engines: the same rows, or the same located error.
 * With max_errors, the bad lines are skipped and recorded, and records read = rows + rejected.
 */
type Outcome = { rows: Record<string, unknown>[] } | { error: { file: string; line: number; column?: number; message: RegExp } };

const row = (id: number, ts: string | null = null, status: number | null = null, name: string | null = null, note: string | null = null, length: number | null = null) => ({
  id,
  ts,
  status,
  name,
  note,
  length,
});
/** `depth` arrays, one inside the other */
const nested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
/** the columns in order, as JSONPaths expressions reading an object's members */
const BY_KEY = JSON.stringify({ jsonpaths: ["$['id']", "$['ts']", "$['status']", "$['name']", "$['note']", "$['length']"] });
const BIG_LINE_BYTES = 50 * 1024 * 1024;

interface Case {
  name: string;
  files: Record<string, string | Buffer | (() => string)>;
  copy?: string;
  /** a JSONPaths file for the source (json: its location) instead of json: auto */
  jsonpaths?: string;
  strict: Outcome;
  /** with max_errors: the rows loaded and the lines rejected (file:line[:position] column) */
  tolerant?: { rows: number[]; rejected: string[] };
}

const CASES: Case[] = [
  {
    name: 'malformed',
    files: { 'a.json': '{"id": 1}\n{"id": 2,, "ts": 1}\n{"id": 3}\n' },
    strict: { error: { file: 'a.json', line: 2, column: 10, message: /malformed JSON: expected a key in double quotes after ',', found ','/ } },
    tolerant: { rows: [1, 3], rejected: ['a.json:2:10'] },
  },
  {
    name: 'truncated',
    files: { 'a.json': '{"id": 1}\n{"id": 2, "ts": 1' },
    strict: { error: { file: 'a.json', line: 2, message: /unexpected end of file: the object is never closed/ } },
    tolerant: { rows: [1], rejected: ['a.json:2'] },
  },
  {
    name: 'array',
    files: { 'a.json': '{"id": 1}\n[{"id": 2}, {"id": 3}]\n{"id": 4}\n' },
    strict: { error: { file: 'a.json', line: 2, message: /expected a JSON object, found an array/ } },
    tolerant: { rows: [1, 4], rejected: ['a.json:2'] },
  },
  {
    name: 'wrong_type',
    files: { 'a.json': '{"id": 1, "ts": 5}\n{"id": 2, "ts": "abc"}\n{"id": 3, "status": 1.5}\n{"id": 4, "status": "200"}\n' },
    strict: { error: { file: 'a.json', line: 2, message: /column ts: invalid bigint "abc"/ } },
    tolerant: { rows: [1, 4], rejected: ['a.json:2 ts', 'a.json:3 status'] },
  },
  {
    name: 'missing_key',
    files: { 'a.json': '{"id": 1}\n{"id": 2, "ts": 7, "status": 200, "name": "n", "note": "x"}\n' },
    strict: { rows: [row(1), row(2, '7', 200, 'n', 'x')] },
  },
  {
    name: 'extra_key',
    files: { 'a.json': '{"id": 1, "ts": 2, "unknown": {"deep": [1, 2]}, "ID": 99}\n' },
    strict: { rows: [row(1, '2')] },
  },
  {
    name: 'too_long',
    files: { 'a.json': '{"id": 1, "name": "eight888"}\n{"id": 2, "name": "ninenine9"}\n{"id": 3, "name": "ééééé"}\n' },
    strict: { error: { file: 'a.json', line: 2, message: /column name: value too long: 9 bytes for varchar\(8\)/ } },
    tolerant: { rows: [1], rejected: ['a.json:2 name', 'a.json:3 name'] },
  },
  {
    name: 'invalid_utf8',
    files: { 'a.json': Buffer.concat([Buffer.from('{"id": 1}\n{"id": 2, "note": "ab'), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n{"id": 3}\n')]) },
    strict: { error: { file: 'a.json', line: 2, column: 22, message: /invalid UTF-8/ } },
    tolerant: { rows: [1, 3], rejected: ['a.json:2:22'] },
  },
  {
    name: 'bom',
    files: { 'a.json': '\ufeff{"id": 1, "note": "é"}\n{"id": 2}\n' },
    strict: { rows: [row(1, null, null, null, 'é'), row(2)] },
  },
  {
    name: 'crlf',
    files: { 'a.json': '{"id": 1, "note": "a"}\r\n\r\n{"id": 2, "note": "b\\r\\n"}\r\n' },
    strict: { rows: [row(1, null, null, null, 'a'), row(2, null, null, null, 'b\r\n')] },
  },
  {
    name: 'empty_file',
    files: { 'a.json': '', 'b.json': '{"id": 1}\n' },
    strict: { rows: [row(1)] },
  },
  {
    name: 'blank_lines',
    files: { 'a.json': '\n\n   \n\t\r\n' },
    strict: { rows: [] },
  },
  {
    name: 'gzip',
    copy: 'compression: gzip',
    files: { 'a.json.gz': gzipSync('{"id": 1, "note": "zipped"}\n{"id": 2}\n'), 'b.json': gzipSync('{"id": 3}\n') },
    strict: { rows: [row(1, null, null, null, 'zipped'), row(2), row(3)] },
  },
  {
    name: 'gz_extension',
    files: { 'a.json.gz': gzipSync('{"id": 1}\n'), 'b.json': '{"id": 2}\n' },
    strict: { rows: [row(1), row(2)] },
  },
  {
    name: 'big_line',
    files: { 'a.json': () => `{"id": 1}\n{"id": 2, "note": "${'x'.repeat(BIG_LINE_BYTES)}"}\n{"id": 3}\n` },
    strict: { error: { file: 'a.json', line: 2, message: /the record is 52,428,821 bytes, larger than the 4 MB a JSON object may have/ } },
    tolerant: { rows: [1, 3], rejected: ['a.json:2'] },
  },
  {
    name: 'several_objects',
    files: {
      'TRAAAAW128F429D538.json': '{"id": 1, "note": "a"}{"id": 2, "note": "b"} {"id": 3}\n',
      'TRAAABD128F429CF47.json': '{\n  "id": 4,\n  "note": "pretty",\n  "ts": 40\n}\n{\n  "id": 5\n}',
    },
    strict: { rows: [row(1, null, null, null, 'a'), row(2, null, null, null, 'b'), row(3), row(4, '40', null, null, 'pretty'), row(5)] },
  },
  {
    name: 'integer_written_as_fraction',
    // redshift: an integer column takes digits only ("Invalid digit"); the id 1 on the line must not make 10e-1 pass
    files: { 'a.json': '{"id": 1, "status": 10e-1}\n{"id": 2, "status": -0.0}\n{"id": 3, "status": -0}\n{"id": 4, "status": 1E2}\n{"id": 5, "status": 0}\n' },
    strict: { error: { file: 'a.json', line: 1, message: /column status: invalid integer "1\.0"/ } },
    tolerant: { rows: [3, 5], rejected: ['a.json:1 status', 'a.json:2 status', 'a.json:4 status'] },
  },
  {
    name: 'duplicate_key',
    // Redshift does not say which value of a key written twice loads; sparkify loads the first on every engine
    // (as DuckDB's reader does; JSON.parse would keep the last)
    files: {
      'a.json':
        '{"id": 1, "extra": 1, "extra": 2}\n{"ts": "abc", "id": 2, "note": "x", "ts": 1541990002003}\n{"id": 3, "ID": 4}\n{"id": 4, "id": "four", "status": 200, "status": "x"}\n{"ts": 10e-1, "id": 5, "ts": 5}\n',
    },
    strict: { error: { file: 'a.json', line: 2, message: /column ts: invalid bigint "abc"/ } },
    tolerant: { rows: [1, 3, 4], rejected: ['a.json:2 ts', 'a.json:5 ts'] },
  },
  {
    name: 'double_underflow',
    files: { 'a.json': '{"id": 1, "length": 1e-300}\n{"id": 2, "length": 1e-400}\n{"id": 3, "length": 0e-400}\n{"id": 4, "note": 1e-400}\n{"id": 5, "length": 0.5}\n' },
    strict: { error: { file: 'a.json', line: 2, message: /column length: 1e-400 is out of range for double precision/ } },
    tolerant: { rows: [1, 3, 4, 5], rejected: ['a.json:2 length'] },
  },
  {
    name: 'jsonpaths_over_arrays',
    // redshift: expressions naming keys map objects; an array (mapped only by index, $[0]) finds nothing: a bad line
    jsonpaths: BY_KEY,
    files: { 'a.json': '{"id": 1, "note": "a"}\n[]\n[1, 2, 3]\n[{"id": 4}]\n{"id": 5}\n' },
    strict: { error: { file: 'a.json', line: 2, message: /column id: the record is an array, but the JSONPath \$\['id'\] reads an object's member/ } },
    tolerant: { rows: [1, 5], rejected: ['a.json:2 id', 'a.json:3 id', 'a.json:4 id'] },
  },
  {
    name: 'jsonpaths_by_index',
    jsonpaths: JSON.stringify({ jsonpaths: ['$[0]', '$[1]', '$[2]', '$[3]', '$[4]', '$[5]'] }),
    files: { 'a.json': '[1, 10, 200, "n", "x", 1.5]\n{"id": 2}\n[3]\n' },
    strict: { error: { file: 'a.json', line: 2, message: /column id: the record is an object, but the JSONPath \$\[0\] reads an array's element/ } },
    tolerant: { rows: [1, 3], rejected: ['a.json:2 id'] },
  },
  {
    name: 'deep_nesting',
    files: {
      'a.json': () =>
        `{"id": 1, "note": ${nested(5000)}}\n{"id": 2, "extra": ${nested(10000)}}\n{"id": 3, "note": ${nested(1000)}}\n{"id": 4,\n "note": ${nested(10000)}}\n{"id": 5}\n`,
    },
    strict: { error: { file: 'a.json', line: 1, column: 1019, message: /column note: the value nests more than 1,000 arrays and objects deep/ } },
    tolerant: { rows: [2, 3, 5], rejected: ['a.json:1:1019 note', 'a.json:5:1010 note'] },
  },
];

function sourcesYml(maxErrors: number): string {
  const tables = CASES.map(
    (c) => `      - name: ${c.name}
        location: data/${c.name}
        copy: { json: ${c.jsonpaths ? `jsonpaths/${c.name}.json` : 'auto'}, max_errors: ${maxErrors}${c.copy ? `, ${c.copy}` : ''} }
        columns:
          - { name: id, type: integer }
          - { name: ts, type: bigint }
          - { name: status, type: integer }
          - { name: name, type: varchar(8) }
          - { name: note, type: text }
          - { name: length, type: double precision }
`,
  );
  return `version: 2\nsources:\n  - name: raw\n    tables:\n${tables.join('')}`;
}

describe('every kind of bad input gives the same defined outcome on DuckDB and PostgreSQL', () => {
  const schema = freshSchema('outcomes');
  let dir: string;
  const engines = {} as Record<'duckdb' | 'postgres', Engine>;
  const results = {} as Record<
    'duckdb' | 'postgres',
    Record<string, { strict: NodeResult; tolerant: NodeResult; rows: Record<string, unknown>[]; tolerantRows: Record<string, unknown>[] }>
  >;
  const loadErrors = {} as Record<'duckdb' | 'postgres', Record<string, unknown>[]>;

  const contents = (e: Engine, table: string) => e.withConnection((c) => c.query(`select * from "${e.schema}"."${table}" order by id`));

  beforeAll(async () => {
    dir = writeProject({ 'sources.yml': sourcesYml(0), 'dwh.cfg': `${pgCfg(schema)}[DUCKDB]\nPATH = :memory:\nSCHEMA = ${schema}\n` });
    for (const c of CASES) {
      if (c.jsonpaths) {
        mkdirSync(path.join(dir, 'jsonpaths'), { recursive: true });
        writeFileSync(path.join(dir, 'jsonpaths', `${c.name}.json`), c.jsonpaths);
      }
      for (const [rel, content] of Object.entries(c.files)) {
        const f = path.join(dir, 'data', c.name, rel);
        mkdirSync(path.dirname(f), { recursive: true });
        writeFileSync(f, typeof content === 'function' ? content() : content);
      }
    }
    for (const type of ['duckdb', 'postgres'] as const) {
      const opts = { projectDir: dir, targetName: type, env: {} };
      engines[type] = await openEngine(compile(opts).target, 2);
    }
    for (const type of ['duckdb', 'postgres'] as const) {
      const e = engines[type];
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(0));
      const strict = (await runCompiled(compile({ projectDir: dir, targetName: type, env: {} }), e, { select: ['source:raw'] })).result;
      const rows: Record<string, Record<string, unknown>[]> = {};
      for (const r of strict.results) if (r.status === 'success') rows[r.name] = await contents(e, r.name);
      writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(1000));
      const tolerant = (await runCompiled(compile({ projectDir: dir, targetName: type, env: {} }), e, { select: ['source:raw'] })).result;
      results[type] = {};
      for (const c of CASES) {
        results[type][c.name] = {
          strict: strict.results.find((r) => r.name === c.name)!,
          tolerant: tolerant.results.find((r) => r.name === c.name)!,
          rows: rows[c.name] ?? [],
          // a table whose every load failed does not exist
          tolerantRows: await contents(e, c.name).catch(() => []),
        };
      }
      loadErrors[type] = await e.withConnection((c) =>
        c.query(
          `select source, file, line, position, column_name, reason, raw_text from "${e.schema}".sparkify_load_errors where run_id = '${tolerant.runId}' order by source, file, line`,
        ),
      );
    }
  }, 120_000);

  afterAll(async () => {
    await engines.duckdb?.close();
    await engines.postgres?.close();
    await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  describe.each(CASES)('$name', (c) => {
    it.each(['duckdb', 'postgres'] as const)('max_errors 0 on %s: the defined outcome', (type) => {
      const r = results[type][c.name]!;
      if ('rows' in c.strict) {
        expect(r.strict.message).toBeUndefined();
        expect(r.strict.status).toBe('success');
        expect(r.rows).toEqual(c.strict.rows);
        expect(r.strict.records).toBe(c.strict.rows.length);
      } else {
        const want = c.strict.error;
        expect(r.strict.status).toBe('error');
        expect(r.strict.error).toMatchObject({
          kind: 'load',
          file: path.join(dir, 'data', c.name, want.file),
          line: want.line,
          column: want.column,
          node: `raw.${c.name}`,
        });
        expect(r.strict.error!.message).toMatch(want.message);
        expect(r.strict.error!.message).toContain('\n  line: ');
      }
    });

    it('both engines agree exactly', () => {
      const [duck, pg] = [results.duckdb[c.name]!, results.postgres[c.name]!];
      expect(pg.strict.error).toEqual(duck.strict.error);
      expect(pg.rows).toEqual(duck.rows);
      expect(pg.tolerantRows).toEqual(duck.tolerantRows);
      expect([pg.tolerant.records, pg.tolerant.rows, pg.tolerant.rejected]).toEqual([duck.tolerant.records, duck.tolerant.rows, duck.tolerant.rejected]);
    });

    it.each(['duckdb', 'postgres'] as const)('with max_errors on %s: bad lines skipped and recorded; records read = rows loaded + rejected', (type) => {
      const r = results[type][c.name]!.tolerant;
      expect(r.status).toBe('success');
      const rejected = r.rejected?.count ?? 0;
      expect(r.records).toBe(r.rows! + rejected);
      const want = c.tolerant ?? { rows: 'rows' in c.strict ? c.strict.rows.map((x) => x.id as number) : [], rejected: [] };
      expect(results[type][c.name]!.tolerantRows.map((x) => x.id)).toEqual(want.rows);
      const lines = (r.rejected?.lines ?? []).map(
        (l) => `${path.relative(path.join(dir, 'data', c.name), l.file)}:${l.line}${l.position ? `:${l.position}` : ''}${l.column ? ` ${l.column}` : ''}`,
      );
      expect(lines).toEqual(want.rejected);
      expect(loadErrors[type].filter((e) => e.source === `raw.${c.name}`)).toHaveLength(want.rejected.length);
    });
  });

  it('sparkify_load_errors holds the same rows on both engines, raw text cut to 1 KB', () => {
    expect(loadErrors.postgres).toEqual(loadErrors.duckdb);
    expect(loadErrors.duckdb.length).toBeGreaterThan(8);
    for (const e of loadErrors.duckdb) expect(Buffer.byteLength(String(e.raw_text))).toBeLessThanOrEqual(1024);
    const big = loadErrors.duckdb.find((e) => e.source === 'raw.big_line')!;
    expect(Buffer.byteLength(String(big.raw_text))).toBe(1024);
  });

  it.each(['duckdb', 'postgres'] as const)('on %s a failed load keeps the previous contents of the staging table', async (type) => {
    const e = engines[type];
    const before = await contents(e, 'missing_key');
    writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(0));
    writeFileSync(path.join(dir, 'data/missing_key/z.json'), '{"id": 9}\n{"id": "nine"}\n');
    try {
      const { result } = await runCompiled(compile({ projectDir: dir, targetName: type, env: {} }), e, { select: ['source:raw.missing_key'] });
      expect(result.results[0]!.error).toMatchObject({ kind: 'load', line: 2 });
      expect(await contents(e, 'missing_key')).toEqual(before);
    } finally {
      removeDir(path.join(dir, 'data/missing_key/z.json'));
    }
  });

  it.each(['duckdb', 'postgres'] as const)('on %s past max_errors the load fails at the line over the limit, and keeps the lines it rejected', async (type) => {
    const e = engines[type];
    writeFileSync(path.join(dir, 'sources.yml'), sourcesYml(1));
    const { result } = await runCompiled(compile({ projectDir: dir, targetName: type, env: {} }), e, { select: ['source:raw.wrong_type'] });
    const r = result.results[0]!;
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ kind: 'load', file: path.join(dir, 'data/wrong_type/a.json'), line: 3 });
    expect(r.error!.message).toMatch(/more than max_errors \(1\) bad lines; bad line 2: column status: invalid integer "1.5"/);
    expect(r.rejected).toMatchObject({ count: 2 });
    const rec = await e.withConnection((c) =>
      c.query(`select line, column_name from "${e.schema}".sparkify_load_errors where run_id = '${result.runId}' order by line`),
    );
    expect(rec).toEqual([
      { line: '2', column_name: 'ts' },
      { line: '3', column_name: 'status' },
    ]);
  });
});
