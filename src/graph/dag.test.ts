import { describe, expect, it } from 'vitest';
import { ProjectError } from '../errors.js';
import { buildDag } from './dag.js';

const n = (id: string, ...dependsOn: string[]) => ({ id, dependsOn, path: `models/${id}.sql`, file: `/p/models/${id}.sql` });

describe('buildDag', () => {
  it('orders deterministically, smallest ready id first, whatever the input order', () => {
    const nodes = [n('d', 'b', 'c'), n('c', 'a'), n('b', 'a'), n('a'), n('e')];
    const a = buildDag(nodes);
    const b = buildDag([...nodes].reverse());
    expect(a.order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(b.order).toEqual(a.order);
    expect(a.childMap.a).toEqual(['b', 'c']);
    expect(a.parentMap.d).toEqual(['b', 'c']);
  });

  it.each([
    ['a self-reference', [n('a', 'a')], 'a -> a'],
    ['a two-node cycle', [n('a', 'b'), n('b', 'a')], 'a -> b -> a'],
    ['a three-node cycle in ref order', [n('a', 'b'), n('b', 'c'), n('c', 'a'), n('x', 'a')], 'a -> b -> c -> a'],
  ])('reports %s with the whole cycle and file paths', (_name, nodes, chain) => {
    let err: unknown;
    try {
      buildDag(nodes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProjectError);
    expect((err as ProjectError).message).toContain(`dependency cycle: ${chain}`);
    expect((err as ProjectError).message).toContain('a: models/a.sql');
    expect((err as ProjectError).file).toBe('/p/models/a.sql');
  });
});
