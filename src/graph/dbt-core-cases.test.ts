// Cases from dbt-core 1.latest tests/unit/graph/ (test_selector_methods.py::test_select_fqn and
// test_selector.py::run_specs), rewritten against sparkify's selector. Where dbt returns an empty
// selection, sparkify raises a SelectionError instead (a deliberate difference, listed in the README).
import { describe, expect, it } from 'vitest';
import { SelectionError } from '../errors.js';
import type { Manifest, ModelNode } from '../types.js';
import { fqnMatcher, selectNodes } from './select-nodes.js';

// dbt's unit-test manifest (tests/unit/utils/manifest.py), its non-versioned nodes by search name
const DBT_FQNS: Record<string, string[]> = {
  union_model: ['pkg', 'unions', 'union_model'],
  table_model: ['pkg', 'table_model'],
  table_model_py: ['pkg', 'table_model_py'],
  table_model_csv: ['pkg', 'table_model_csv'],
  view_model: ['pkg', 'view_model'],
  ephemeral_model: ['pkg', 'ephemeral_model'],
  seed: ['pkg', 'seed'],
  'mynamespace.union_model': ['pkg', 'unions', 'mynamespace.union_model'],
  'mynamespace.ephemeral_model': ['pkg', 'mynamespace.ephemeral_model'],
  'mynamespace.seed': ['pkg', 'mynamespace.seed'],
  ext_model: ['ext', 'ext_model'],
  unit_test_table_model: ['pkg', 'table_model', 'unit_test_table_model'],
  test_semantic_model: ['test', 'semantic_models', 'test_semantic_model'],
  unique_table_model_id: ['minimal', 'schema_test', 'unique_table_model_id'],
  not_null_table_model_id: ['minimal', 'schema_test', 'not_null_table_model_id'],
  view_test_nothing: ['minimal', 'data_test', 'view_test_nothing'],
};
const PKG = Object.keys(DBT_FQNS).filter((k) => DBT_FQNS[k]![0] === 'pkg');

describe('fqn method: dbt-core test_select_fqn', () => {
  const cases: [string, string[]][] = [
    ['pkg.unions', ['union_model', 'mynamespace.union_model']],
    ['ext.unions', []],
    ['pkg', PKG],
    ['ext', ['ext_model']],
    ['*.*.*_model', ['mynamespace.union_model', 'mynamespace.ephemeral_model', 'test_semantic_model', 'union_model', 'unit_test_table_model']],
    ['*unions*', ['union_model', 'mynamespace.union_model']],
    ['!pkg*', []],
    ['pkg.t*', ['table_model', 'table_model_py', 'table_model_csv', 'unit_test_table_model']],
    ['*ext_m?del', ['ext_model']],
    ['*.?????_model', ['union_model', 'table_model', 'mynamespace.union_model']],
    ['*.[t-u][a-n][b-i][l-o][e-n]_model', ['union_model', 'table_model', 'mynamespace.union_model']],
    // the leaf name, and a folder with or without the project name
    ['view_model', ['view_model']],
    ['unions', ['union_model', 'mynamespace.union_model']],
    ['mynamespace.union_model', ['mynamespace.union_model']],
  ];
  it.each(cases)('%s', (selector, expected) => {
    const m = fqnMatcher(selector);
    const got = Object.keys(DBT_FQNS).filter((k) => m(DBT_FQNS[k]!));
    expect(got.sort()).toEqual([...expected].sort());
  });
});

/** dbt's test graph: a balanced binary tree of depth 2 over m.X.a ... m.X.g, X for even and Y for odd. */
function treeManifest(): Manifest {
  const letters = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const id = (i: number): string => `m.${i % 2 === 0 ? 'X' : 'Y'}.${letters[i]}`;
  const tags: Record<string, string[]> = {
    'm.X.a': ['abc'],
    'm.Y.b': ['abc', 'bcef'],
    'm.X.c': ['abc', 'bcef'],
    'm.Y.d': [],
    'm.X.e': ['efg', 'bcef'],
    'm.Y.f': ['efg', 'bcef'],
    'm.X.g': ['efg'],
  };
  const nodes: ModelNode[] = letters.map((_, i) => {
    const nid = id(i);
    const fqn = nid.split('.');
    return {
      id: nid,
      resourceType: 'model',
      name: fqn[2]!,
      fqn,
      path: `models/${fqn[1]}/${fqn[2]}.sql`,
      file: `/p/models/${fqn[1]}/${fqn[2]}.sql`,
      rawSql: 'select 1',
      compiledSql: 'select 1',
      lineMap: [1],
      config: { materialized: 'view', tags: tags[nid]!, enabled: true },
      dependsOn: i === 0 ? [] : [id(Math.floor((i - 1) / 2))],
      refs: [],
      sources: [],
      columns: [],
      relation: { schema: 'main', name: fqn[2]! },
    };
  });
  const childMap: Record<string, string[]> = {};
  const parentMap: Record<string, string[]> = {};
  for (const n of nodes) {
    childMap[n.id] ??= [];
    parentMap[n.id] = [...n.dependsOn];
    for (const p of n.dependsOn) (childMap[p] ??= []).push(n.id);
  }
  return {
    projectDir: '/p',
    projectName: 'm',
    generatedAt: '2024-01-01T00:00:00Z',
    target: { name: 'dev', type: 'duckdb', schema: 'main' },
    vars: {},
    nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
    order: nodes.map((n) => n.id),
    childMap,
    parentMap,
  };
}

describe('selection: dbt-core test_selector run_specs', () => {
  const manifest = treeManifest();
  const runSpecs: [string[], string[], string[]][] = [
    [['X.a'], [], ['m.X.a']],
    [['tag:abc'], [], ['m.X.a', 'm.Y.b', 'm.X.c']],
    [['*'], ['tag:abc'], ['m.Y.d', 'm.X.e', 'm.Y.f', 'm.X.g']],
    [['tag:abc', 'a'], [], ['m.X.a', 'm.Y.b', 'm.X.c']],
    [['tag:abc', 'd'], [], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.Y.d']],
    [['X.a', 'b'], [], ['m.X.a', 'm.Y.b']],
    [['X.a+'], ['b'], ['m.X.a', 'm.X.c', 'm.Y.d', 'm.X.e', 'm.Y.f', 'm.X.g']],
    [['X.c+'], [], ['m.X.c', 'm.Y.f', 'm.X.g']],
    [['X.a+1'], [], ['m.X.a', 'm.Y.b', 'm.X.c']],
    [['X.a+'], ['tag:efg'], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.Y.d']],
    [['+Y.f'], [], ['m.X.c', 'm.Y.f', 'm.X.a']],
    [['1+Y.f'], [], ['m.X.c', 'm.Y.f']],
    [['@X.c'], [], ['m.X.a', 'm.X.c', 'm.Y.f', 'm.X.g']],
    [['tag:abc', 'tag:bcef'], [], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.X.e', 'm.Y.f']],
    [['tag:abc', 'tag:bcef'], ['tag:efg'], ['m.X.a', 'm.Y.b', 'm.X.c']],
    [['tag:abc', 'tag:bcef'], ['tag:efg', 'a'], ['m.Y.b', 'm.X.c']],
    [['a,a'], [], ['m.X.a']],
    [['+c,c+'], [], ['m.X.c']],
    [['tag:abc,tag:bcef'], [], ['m.Y.b', 'm.X.c']],
    [['*,tag:abc,a'], [], ['m.X.a']],
    [['a,tag:abc,*'], [], ['m.X.a']],
    [['tag:abc,tag:bcef'], ['c'], ['m.Y.b']],
    [['tag:bcef,tag:efg'], ['tag:bcef,@b'], ['m.Y.f']],
    [['*,@a,+b'], ['*,tag:abc,tag:bcef'], ['m.X.a']],
    [['tag:bcef,tag:efg', '*,tag:abc'], [], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.X.e', 'm.Y.f']],
    [['tag:bcef,tag:efg', '*,tag:abc'], ['e'], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.Y.f']],
    [['tag:bcef,tag:efg', '*,tag:abc'], ['e', 'f'], ['m.X.a', 'm.Y.b', 'm.X.c']],
    [['tag:bcef,tag:efg', '*,tag:abc'], ['tag:abc,tag:bcef'], ['m.X.a', 'm.X.e', 'm.Y.f']],
    [['tag:bcef,tag:efg', '*,tag:abc'], ['tag:abc,tag:bcef', 'tag:abc,a'], ['m.X.e', 'm.Y.f']],
    // the project name and a folder, as dbt's fqn method reads them
    [['m'], [], ['m.X.a', 'm.Y.b', 'm.X.c', 'm.Y.d', 'm.X.e', 'm.Y.f', 'm.X.g']],
    [['m.Y'], [], ['m.Y.b', 'm.Y.d', 'm.Y.f']],
    [['X,tag:efg'], [], ['m.X.e', 'm.X.g']],
  ];
  it.each(runSpecs)('select %j exclude %j', (include, exclude, expected) => {
    expect(selectNodes(manifest, include, exclude).sort()).toEqual([...expected].sort());
  });

  // dbt returns an empty selection for these; sparkify says which part emptied it
  const emptyInDbt: [string[], string[], RegExp][] = [
    [['a,b'], [], /--select 'a,b' selects nothing: no node is in every part of the intersection \(a selects 1 node \(a\); b selects 1 node \(b\)\)/],
    [['tag:bcef,tag:efg'], ['tag:bcef,@a'], /--exclude 'tag:bcef,@a' removes every node that --select 'tag:bcef,tag:efg' selects/],
  ];
  it.each(emptyInDbt)('select %j exclude %j is an error naming the part', (include, exclude, message) => {
    expect(() => selectNodes(manifest, include, exclude)).toThrow(SelectionError);
    expect(() => selectNodes(manifest, include, exclude)).toThrow(message);
  });
});
