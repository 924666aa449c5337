import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SelectionError } from '../errors.js';
import { parseSelector, parseSelectors, type SelectorAtom, type SelectorExpr } from './parse-selector.js';

const plain = { parents: false, children: false, childrensParents: false, parentsDepth: undefined, childrenDepth: undefined };

describe('parseSelector atoms', () => {
  const cases: [string, Partial<SelectorAtom>][] = [
    ['users', { ...plain, method: 'fqn', value: 'users', column: 1, text: 'users' }],
    ['stg_*', { ...plain, method: 'fqn', value: 'stg_*' }],
    ['sparkify.staging_events', { ...plain, method: 'fqn', value: 'sparkify.staging_events' }],
    ['fqn:users', { method: 'fqn', value: 'users' }],
    ['+users', { ...plain, parents: true, value: 'users' }],
    ['2+users', { ...plain, parents: true, parentsDepth: 2, value: 'users' }],
    ['0+users', { parents: true, parentsDepth: 0 }],
    ['users+', { ...plain, children: true, value: 'users' }],
    ['users+3', { ...plain, children: true, childrenDepth: 3, value: 'users' }],
    ['1+users+2', { parents: true, parentsDepth: 1, children: true, childrenDepth: 2, value: 'users' }],
    ['+users+', { parents: true, children: true, value: 'users' }],
    ['@users', { ...plain, childrensParents: true, value: 'users' }],
    ['@+users', { ...plain, childrensParents: true, parents: true, value: 'users' }],
    ['@2+users', { childrensParents: true, parents: true, parentsDepth: 2, value: 'users' }],
    ['+@users', { ...plain, childrensParents: true, parents: true, value: 'users', column: 1, text: '+@users' }],
    ['12', { ...plain, method: 'fqn', value: '12' }],
    ['tag:nightly', { ...plain, method: 'tag', value: 'nightly' }],
    ['+tag:nightly+1', { method: 'tag', value: 'nightly', parents: true, children: true, childrenDepth: 1 }],
    ['path:models/marts', { method: 'path', value: 'models/marts' }],
    ['models/marts', { method: 'path', value: 'models/marts' }],
    ['path:C:\\p', { method: 'path', value: 'C:\\p' }],
    ['file:users.sql', { method: 'file', value: 'users.sql' }],
    ['users.sql', { method: 'file', value: 'users.sql' }],
    ['sources.yml', { method: 'fqn', value: 'sources.yml' }],
    ['seed.csv', { method: 'file', value: 'seed.csv' }],
    ['model.py', { method: 'file', value: 'model.py' }],
    ['USERS.SQL', { method: 'file', value: 'USERS.SQL' }],
    ['source:pkg.src.table', { method: 'source', value: 'pkg.src.table' }],
    ['config.meta.owner:ana', { method: 'config', key: 'meta.owner', value: 'ana' }],
    ['package:this', { method: 'package', value: 'this' }],
    ['resource_type:seed', { method: 'resource_type', value: 'seed' }],
    ['resource_type:unit_test', { method: 'resource_type', value: 'unit_test' }],
    ['source:sparkify', { method: 'source', value: 'sparkify' }],
    ['source:sparkify.staging_events', { method: 'source', value: 'sparkify.staging_events' }],
    ['source:sparkify.*+', { method: 'source', value: 'sparkify.*', children: true }],
    ['config.materialized:view', { method: 'config', key: 'materialized', value: 'view' }],
    ['config.tags:nightly', { method: 'config', key: 'tags', value: 'nightly' }],
    ['resource_type:source', { method: 'resource_type', value: 'source' }],
    ['stg_[!a]', { method: 'fqn', value: 'stg_[!a]' }],
  ];
  it.each(cases)('%s', (arg, expected) => {
    expect(parseSelector(arg)).toMatchObject({ kind: 'atom', arg, argName: '--select', ...expected });
  });
});

function shape(e: SelectorExpr): unknown {
  return e.kind === 'atom' ? `${e.text}@${e.column}` : { [e.kind]: e.items.map(shape), column: e.column };
}

// dbt-core 1.latest tests/unit/graph/test_selector.py (param_specs, invalid_specs) and
// test_selector_spec.py, rewritten for sparkify's parser
describe('dbt-core selector spec cases', () => {
  const specs: [string, boolean, number | undefined, boolean, number | undefined, string, string, boolean][] = [
    ['a', false, undefined, false, undefined, 'fqn', 'a', false],
    ['+a', true, undefined, false, undefined, 'fqn', 'a', false],
    ['256+a', true, 256, false, undefined, 'fqn', 'a', false],
    ['a+', false, undefined, true, undefined, 'fqn', 'a', false],
    ['a+256', false, undefined, true, 256, 'fqn', 'a', false],
    ['+a+', true, undefined, true, undefined, 'fqn', 'a', false],
    ['16+a+32', true, 16, true, 32, 'fqn', 'a', false],
    ['@a', false, undefined, false, undefined, 'fqn', 'a', true],
    ['a.b', false, undefined, false, undefined, 'fqn', 'a.b', false],
    ['+a.b', true, undefined, false, undefined, 'fqn', 'a.b', false],
    ['256+a.b', true, 256, false, undefined, 'fqn', 'a.b', false],
    ['a.b+', false, undefined, true, undefined, 'fqn', 'a.b', false],
    ['a.b+256', false, undefined, true, 256, 'fqn', 'a.b', false],
    ['+a.b+', true, undefined, true, undefined, 'fqn', 'a.b', false],
    ['16+a.b+32', true, 16, true, 32, 'fqn', 'a.b', false],
    ['@a.b', false, undefined, false, undefined, 'fqn', 'a.b', true],
    ['a.b.*', false, undefined, false, undefined, 'fqn', 'a.b.*', false],
    ['+a.b.*', true, undefined, false, undefined, 'fqn', 'a.b.*', false],
    ['256+a.b.*', true, 256, false, undefined, 'fqn', 'a.b.*', false],
    ['a.b.*+', false, undefined, true, undefined, 'fqn', 'a.b.*', false],
    ['a.b.*+256', false, undefined, true, 256, 'fqn', 'a.b.*', false],
    ['+a.b.*+', true, undefined, true, undefined, 'fqn', 'a.b.*', false],
    ['16+a.b.*+32', true, 16, true, 32, 'fqn', 'a.b.*', false],
    ['@a.b.*', false, undefined, false, undefined, 'fqn', 'a.b.*', true],
    ['tag:a', false, undefined, false, undefined, 'tag', 'a', false],
    ['+tag:a', true, undefined, false, undefined, 'tag', 'a', false],
    ['256+tag:a', true, 256, false, undefined, 'tag', 'a', false],
    ['tag:a+', false, undefined, true, undefined, 'tag', 'a', false],
    ['tag:a+256', false, undefined, true, 256, 'tag', 'a', false],
    ['+tag:a+', true, undefined, true, undefined, 'tag', 'a', false],
    ['16+tag:a+32', true, 16, true, 32, 'tag', 'a', false],
    ['@tag:a', false, undefined, false, undefined, 'tag', 'a', true],
    ['source:a', false, undefined, false, undefined, 'source', 'a', false],
    ['source:a+', false, undefined, true, undefined, 'source', 'a', false],
    ['source:a+1', false, undefined, true, 1, 'source', 'a', false],
    ['source:a+32', false, undefined, true, 32, 'source', 'a', false],
    ['@source:a', false, undefined, false, undefined, 'source', 'a', true],
    // test_selector_spec.py
    ['asdf', false, undefined, false, undefined, 'fqn', 'asdf', false],
    ['asdf/*', false, undefined, false, undefined, 'path', 'asdf/*', false],
    ['@asdf/*', false, undefined, false, undefined, 'path', 'asdf/*', true],
    ['+asdf', true, undefined, false, undefined, 'fqn', 'asdf', false],
    ['asdf+', false, undefined, true, undefined, 'fqn', 'asdf', false],
  ];
  it.each(specs)('%s', (spec, parents, parentsDepth, children, childrenDepth, method, value, childrensParents) => {
    expect(parseSelector(spec)).toMatchObject({ kind: 'atom', parents, parentsDepth, children, childrenDepth, method, value, childrensParents });
  });

  it('parses config with several arguments (2+config.arg.secondarg:argument_value+4)', () => {
    expect(parseSelector('2+config.arg.secondarg:argument_value+4')).toMatchObject({
      method: 'config', key: 'arg.secondarg', value: 'argument_value', parents: true, parentsDepth: 2, children: true, childrenDepth: 4, childrensParents: false,
    });
  });

  it.each(['@a+', '@a.b+', '@a.b*+', '@tag:a+', '@source:a+', 'invalid_method:something'])('rejects %s', (spec) => {
    expect(() => parseSelector(spec)).toThrow(SelectionError);
  });
});

describe('parseSelector set operations', () => {
  const cases: [string, unknown][] = [
    ['a b', { union: ['a@1', 'b@3'], column: 1 }],
    ['a,b', { intersection: ['a@1', 'b@3'], column: 1 }],
    ['  +a   b,tag:x+ ', { union: ['+a@3', { intersection: ['b@8', 'tag:x+@10'], column: 8 }], column: 3 }],
    ['a,b,c', { intersection: ['a@1', 'b@3', 'c@5'], column: 1 }],
    ['a\tb', { union: ['a@1', 'b@3'], column: 1 }],
  ];
  it.each(cases)('%j', (arg, expected) => {
    expect(shape(parseSelector(arg))).toEqual(expected);
  });

  it('parseSelectors unions and flattens several arguments', () => {
    expect(shape(parseSelectors(['a', 'b c']))).toEqual({ union: ['a@1', 'b@1', 'c@3'], column: 1 });
    expect(shape(parseSelectors(['a,b']))).toEqual({ intersection: ['a@1', 'b@3'], column: 1 });
    expect(parseSelectors(['x'], '--exclude')).toMatchObject({ kind: 'atom', argName: '--exclude' });
  });
});

describe('parseSelector syntax errors', () => {
  const cases: [string, number, string][] = [
    ['', 1, 'empty selector'],
    ['   ', 1, 'empty selector'],
    ['a,,b', 3, 'empty selector between commas'],
    [',a', 1, 'empty selector between commas'],
    ['a,', 3, 'empty selector between commas'],
    ['a, b', 3, 'empty selector between commas'],
    ['++a', 2, "unexpected '+'"],
    ['a+b', 2, "unexpected '+'"],
    ['a a++', 4, "unexpected '+'"],
    ['1+2+a', 4, "unexpected '+'"],
    ['+', 2, 'missing node name'],
    ['@', 2, 'missing node name'],
    ['2+', 3, 'missing node name'],
    ['x +,y', 4, 'missing node name'],
    ['tag:', 5, "'tag:' needs a value"],
    ['x +tag:+', 8, "'tag:' needs a value"],
    ['foo:bar', 1, "unknown selector method 'foo'"],
    ['users +foo:bar', 8, "unknown selector method 'foo'"],
    [':a', 1, "missing selector method before ':'"],
    ['config:view', 1, "'config' needs a key"],
    ['config.:view', 1, "invalid config key ''"],
    ['config.a-b:view', 1, "invalid config key 'a-b'"],
    ['@a+', 3, "'@' prefix and '+' suffix are incompatible"],
    ['@tag:x+2', 7, "'@' prefix and '+' suffix are incompatible"],
    ['+@a+', 4, "'@' prefix and '+' suffix are incompatible"],
    ['a@b', 2, "'@' is only allowed at the start"],
    ['+@@a', 3, "'@' is only allowed at the start"],
    ['@@a', 2, "'@' is only allowed at the start"],
    ['resource_type:modle', 15, "unknown resource type 'modle'"],
    ['source:a.b.c.d', 8, "'a.b.c.d' has too many parts"],
    ['state:modified', 1, "sparkify does not support dbt's 'state:' selector method"],
    ['x selector:nightly', 3, "sparkify does not support dbt's 'selector:' selector method"],
    ['config.a..b:x', 1, "invalid config key 'a..b'"],
    ['x,stg_[z-a]', 3, "invalid pattern 'stg_[z-a]'"],
    ['tag:[z-a]', 5, "invalid pattern '[z-a]'"],
  ];
  it.each(cases)('%j -> column %i', (arg, column, fragment) => {
    let err: unknown;
    try {
      parseSelector(arg);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SelectionError);
    const e = err as SelectionError;
    expect(e.column).toBe(column);
    expect(e.message).toContain(fragment);
    expect(e.message).toContain(`\n  ${arg.replace(/\s/g, ' ')}\n  ${' '.repeat(column - 1)}^`);
    expect(e.hint).toBeTruthy();
  });

  it('names the option and suggests a method', () => {
    expect(() => parseSelector('tagg:x', '--exclude')).toThrow(/Invalid --exclude selector: unknown selector method 'tagg'/);
    try {
      parseSelector('tagg:x');
    } catch (e) {
      expect((e as SelectionError).hint).toMatch(/^did you mean 'tag'\? valid selectors:/);
    }
    try {
      parseSelector('resource_type:modle');
    } catch (e) {
      expect((e as SelectionError).hint).toContain("did you mean 'model'?");
    }
  });
});

describe('parseSelector on arbitrary input', () => {
  function check(arg: string): void {
    let expr: SelectorExpr;
    try {
      expr = parseSelector(arg);
    } catch (e) {
      expect(e).toBeInstanceOf(SelectionError);
      const col = (e as SelectionError).column!;
      expect(col).toBeGreaterThanOrEqual(1);
      expect(col).toBeLessThanOrEqual(arg.length + 1);
      return;
    }
    const atoms: SelectorAtom[] = [];
    const visit = (x: SelectorExpr): void => (x.kind === 'atom' ? void atoms.push(x) : x.items.forEach(visit));
    visit(expr);
    for (const a of atoms) expect(arg.slice(a.column - 1, a.column - 1 + a.text.length)).toBe(a.text);
  }

  it('returns a SelectorExpr or throws SelectionError for any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), check), { numRuns: 1000 });
  });

  it('returns a SelectorExpr or throws SelectionError for grammar-heavy strings', () => {
    const unit = fc.constantFrom(...'@+,: .1209ag*?[]!-/\\', 'tag:', 'config.', 'source:', 'path:', 'resource_type:', 'x');
    fc.assert(fc.property(fc.string({ unit, maxLength: 40 }), check), { numRuns: 3000 });
  });

  it('does not hang on long pathological input', () => {
    const long = '+'.repeat(20_000) + '1'.repeat(20_000) + '*'.repeat(20_000);
    // a hang fails by the test's timeout; how fast it parses is for the benchmarks
    expect(() => parseSelector(long)).toThrow(SelectionError);
    expect(() => parseSelector('a' + '+1'.repeat(20_000))).toThrow(SelectionError);
    expect(parseSelector('x' + '*'.repeat(20_000))).toMatchObject({ kind: 'atom' });
  });
});
