import { describe, expect, it } from 'vitest';
import { parseJsonPathsFile } from '../../loaders/json-paths.js';
import type { SourceTable } from '../../types.js';
import { DuckDbDialect, duckdbPath } from './duckdb-dialect.js';

const d = new DuckDbDialect();
const copy = { maxErrors: 0, compression: 'none' as const, truncateColumns: false, blanksAsNull: false, emptyAsNull: false, manifest: false };
const source = (columns: [string, string][], json: SourceTable['copy'] extends infer C ? (C extends { json: infer J } ? J : never) : never): SourceTable => ({
  id: 'source.s.t',
  sourceName: 's',
  name: 't',
  identifier: 't',
  location: '/data',
  copy: { ...copy, json },
  columns: columns.map(([name, type]) => ({ name, type })),
  file: '/p/sources.yml',
  line: 1,
  tags: [],
});

describe('DuckDB load statements', () => {
  it('maps a JSONPaths file by position and converts strictly', async () => {
    const cols: [string, string][] = [['userid', 'varchar(32)'], ['ts', 'bigint'], ['length', 'double precision'], ['page', 'text']];
    const paths = parseJsonPathsFile(JSON.stringify({ jsonpaths: ["$['userId']", "$['ts']", '$.length', "$['a']['b'][0]"] }), 'p.json', 4);
    const sql = d.loadStatement(source(cols, { kind: 'jsonpaths', location: 'p.json' }), { schema: 'main', name: 't__sparkify_tmp' }, ['/data/a.json', "/data/it's.json"], { kind: 'jsonpaths', location: 'p.json' }, paths);
    await expect(sql + '\n').toMatchFileSnapshot('./__golden__/load-jsonpaths.sql');
  });

  it("spells 'auto' as exact keys and 'auto ignorecase' as a case-insensitive key lookup", async () => {
    const cols: [string, string][] = [['song_id', 'varchar(32)'], ['year', 'integer']];
    const auto = d.loadStatement(source(cols, { kind: 'auto' }), { schema: 'main', name: 'x' }, ['/f.json'], { kind: 'auto' });
    const ignore = d.loadStatement(source(cols, { kind: 'auto_ignorecase' }), { schema: 'main', name: 'x' }, ['/f.json'], { kind: 'auto_ignorecase' });
    await expect(`${auto}\n\n${ignore}\n`).toMatchFileSnapshot('./__golden__/load-auto.sql');
  });

  it.each([
    [["userId"], '$."userId"'],
    [['a', 0, 'b'], '$."a"[0]."b"'],
  ] as const)('duckdbPath(%j) = %s', (steps, expected) => {
    expect(duckdbPath([...steps])).toBe(expected);
  });
});
