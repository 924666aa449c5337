import { describe, expect, it } from 'vitest';
import { ProjectError } from '../errors.js';
import { MAX_YAML_ALIAS_NODES, MAX_YAML_BYTES, parseYamlFile } from './yaml-file.js';

const parse = (text: string) => parseYamlFile({ file: '/p/sources.yml', path: 'sources.yml', text });
const failure = (text: string): ProjectError => {
  try {
    parse(text);
  } catch (e) {
    expect(e).toBeInstanceOf(ProjectError);
    return e as ProjectError;
  }
  throw new Error('expected a ProjectError');
};

/** the classic "billion laughs": each level is ten aliases of the one before */
const LAUGHS = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
  .concat(Array.from({ length: 8 }, (_, i) => `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`))
  .join('\n');

describe('parseYamlFile', () => {
  it('values and locations as before: key positions, sequence items, the closest parent that exists', () => {
    const y = parse('sources:\n  - name: raw\n    tables:\n      - name: a\n      - name: b\n        columns: []\n');
    expect(y.value).toEqual({ sources: [{ name: 'raw', tables: [{ name: 'a' }, { name: 'b', columns: [] }] }] });
    expect(y.at([])).toEqual({ line: 1, column: 1 });
    expect(y.at(['sources', 0, 'tables', 1])).toEqual({ line: 5, column: 9 });
    expect(y.at(['sources', 0, 'tables', 1, 'columns'])).toEqual({ line: 6, column: 9 });
    expect(y.at(['sources', 0, 'tables', 1, 'nope', 3])).toEqual({ line: 5, column: 9 });
    expect(y.at(['sources', 0, 'tables', 7])).toEqual({ line: 3, column: 5 });
  });

  it('an alias is its anchor’s value, and a path through an alias is located at the anchor', () => {
    const y = parse('cols: &c\n  - name: id\n    type: integer\nt:\n  columns: *c\n');
    const v = y.value as { cols: unknown[]; t: { columns: unknown[] } };
    expect(v.t.columns).toEqual([{ name: 'id', type: 'integer' }]);
    expect(v.t.columns).toBe(v.cols);
    expect(y.at(['t', 'columns', 0, 'type'])).toEqual({ line: 3, column: 5 });
  });

  it('a __proto__ key is an own property, never the prototype', () => {
    const v = parse('__proto__:\n  polluted: yes\n').value as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a duplicate key is an error at the second key', () => {
    const e = failure('a: 1\nb:\n  x: 1\n  y: 2\n  x: 3\n');
    expect(e.message).toBe("invalid YAML: duplicate key 'x'");
    expect([e.file, e.line, e.column]).toEqual(['/p/sources.yml', 5, 3]);
  });

  it('an alias bomb is a located project error, not a resource exhaustion', () => {
    const e = failure(LAUGHS);
    expect(e.message).toBe(`invalid YAML: its aliases (*name) stand for more than ${MAX_YAML_ALIAS_NODES} nodes`);
    expect(e.file).toBe('/p/sources.yml');
    expect(e.line).toBeGreaterThanOrEqual(2);
    expect(e.hint).toMatch(/fewer aliases/);
  });

  it('one anchor used by a thousand tables is fine (the yaml package alone stops at 100 uses)', () => {
    const tables = Array.from({ length: 1000 }, (_, i) => `  - name: t${i}\n    columns: *c`).join('\n');
    const y = parse(`cols: &c\n  - name: id\n    type: integer\ntables:\n${tables}\n`);
    const v = y.value as { tables: { name: string; columns: { name: string }[] }[] };
    expect(v.tables).toHaveLength(1000);
    expect(v.tables[999]!.columns[0]!.name).toBe('id');
  });

  it('collections nested too deeply are a project error, not a stack overflow', () => {
    const e = failure(`a: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    expect(e.message).toBe('invalid YAML: collections are nested too deeply');
    expect(e.file).toBe('/p/sources.yml');
  });

  it('a file over the size limit is refused before it is parsed', () => {
    const e = failure('#'.repeat(MAX_YAML_BYTES + 1));
    expect(e.message).toMatch(/^YAML file is too large \(\d+ MB; the limit is 32 MB\)$/);
  });
});
