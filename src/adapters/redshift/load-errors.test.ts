import { describe, expect, it } from 'vitest';
import { LoadError } from '../../errors.js';
import { loadErrorFromRows, rejectedLinesFromRows } from './load-errors.js';

/** STL_LOAD_ERRORS rows as RedshiftDialect.loadErrorQuery('stl') returns them (CHAR columns already trimmed). */
const STL = [
  {
    file: 's3://udacity-dend/log_data/2018/11/2018-11-13-events.json',
    line: '17',
    column_name: 'ts',
    column_type: 'int8',
    column_length: '0',
    position: 0,
    raw_value: 'abc',
    raw_line: '{"artist":null,"auth":"Logged In","ts":"abc","userId":"66"}',
    error_code: 1207,
    reason: "Invalid digit, Value 'a', Pos 0, Type: Long",
  },
  {
    file: 's3://udacity-dend/log_data/2018/11/2018-11-13-events.json',
    line: '17',
    column_name: 'userid',
    column_type: 'varchar',
    column_length: '32',
    error_code: 1204,
    reason: 'String length exceeds DDL length',
  },
  {
    file: 's3://udacity-dend/log_data/2018/11/2018-11-20-events.json',
    line: '4',
    column_name: 'userid',
    column_type: 'varchar',
    column_length: '32',
    error_code: 1204,
    reason: 'String length exceeds DDL length',
  },
];

describe('load errors from STL_LOAD_ERRORS / SYS_LOAD_ERROR_DETAIL', () => {
  it('locates the first rejected line at its S3 object and line, with column, type, value and reason', () => {
    const cause = new Error("Load into table 'staging_events__sparkify_tmp' failed. Check 'stl_load_errors' system table for details.");
    const e = loadErrorFromRows(STL, 'staging_events', cause)!;
    expect(e).toBeInstanceOf(LoadError);
    expect(e).toMatchObject({ file: 's3://udacity-dend/log_data/2018/11/2018-11-13-events.json', line: 17 });
    expect(e.message).toBe(
      "column ts (int8): Invalid digit, Value 'a', Pos 0, Type: Long [load error 1207]\n" +
        '  value: abc\n' +
        '  line: {"artist":null,"auth":"Logged In","ts":"abc","userId":"66"}\n' +
        '  and 1 more rejected line in this COPY',
    );
    expect(e.hint).toMatch(/staging_events keeps its previous contents/);
    expect(e.cause).toBe(cause);
    expect(e.message).not.toMatch(/stl_load_errors/i);
    // every rejected line travels with the error, for sparkify_load_errors
    expect(e.rejected).toEqual([
      {
        file: STL[0]!.file,
        line: 17,
        column: 'ts',
        position: undefined,
        reason: "Invalid digit, Value 'a', Pos 0, Type: Long [load error 1207]",
        raw: STL[0]!.raw_line,
      },
      { file: STL[2]!.file, line: 4, column: 'userid', position: undefined, reason: 'String length exceeds DDL length [load error 1204]', raw: '' },
    ]);
  });

  it('shows the declared length of a varchar and works without raw values (Serverless)', () => {
    const e = loadErrorFromRows([{ ...STL[1]!, file: 's3://b/k.json', line: 3, raw_value: null, raw_line: null }], 'staging_songs')!;
    expect(e.message).toBe('column userid (varchar(32)): String length exceeds DDL length [load error 1204]');
    expect(e).toMatchObject({ file: 's3://b/k.json', line: 3 });
  });

  it('clips long raw lines and reports a line number only when it is one', () => {
    const e = loadErrorFromRows([{ file: 's3://b/k.json', line: -1, reason: 'Invalid JSONPath format', raw_line: 'x'.repeat(1000) }], 't')!;
    expect(e.line).toBeUndefined();
    expect(e.message).toMatch(/^Invalid JSONPath format\n {2}line: x{197}\.\.\.$/);
  });

  it('maps rows to rejected lines, with a 1-based position for a line that is not one value', () => {
    expect(
      rejectedLinesFromRows([
        { file: 's3://b/k.json', line: '5', position: 12, reason: 'Invalid JSONPath format: Member is not an object.', raw_line: '{"a": [1}' },
      ]),
    ).toEqual([
      { file: 's3://b/k.json', line: 5, column: undefined, position: 13, reason: 'Invalid JSONPath format: Member is not an object.', raw: '{"a": [1}' },
    ]);
  });

  it('gives nothing when the COPY left no rows (it failed before reading data)', () => {
    expect(loadErrorFromRows([], 't')).toBeUndefined();
  });
});
