import type { GraphNode, Manifest } from '../types.js';
import { selectNodes } from './select-nodes.js';

/** One node as `sparkify ls` lists it. */
export interface ListedNode {
  /** a model's name, or source:<source>.<table> */
  name: string;
  id: string;
  resource_type: GraphNode['resourceType'];
  path: string;
  materialized: string;
  tags: string[];
  relation: string;
  depends_on: string[];
}

/** The nodes of `ids`, in that order, as `sparkify ls` prints them. */
export function listNodes(manifest: Manifest, ids: string[]): ListedNode[] {
  return ids.map((id) => {
    const n = manifest.nodes[id]!;
    return {
      name: n.resourceType === 'source' ? `source:${n.sourceName}.${n.name}` : n.name,
      id: n.id,
      resource_type: n.resourceType,
      path: n.path,
      materialized: n.config.materialized,
      tags: n.config.tags,
      relation: `${n.relation.schema}.${n.relation.name}`,
      depends_on: n.dependsOn,
    };
  });
}

/** `sparkify ls`: the selected nodes (dbt selector grammar) of the given resource types, in DAG order. */
export function listSelected(manifest: Manifest, opts: { select?: string[] | undefined; exclude?: string[] | undefined; resourceTypes?: string[] | undefined; onWarning?: ((message: string) => void) | undefined } = {}): ListedNode[] {
  const types = opts.resourceTypes;
  const ids = selectNodes(manifest, opts.select, opts.exclude, { onWarning: opts.onWarning }).filter((id) => !types?.length || types.includes(manifest.nodes[id]!.resourceType));
  return listNodes(manifest, ids);
}

/** How many of `ids` are seeds, models, snapshots, tests and sources: "1 seed, 5 models, 0 snapshots, 2 tests, 2 sources". */
export function describeSelection(manifest: Manifest, ids: string[]): string {
  const count = (t: string) => ids.filter((id) => manifest.nodes[id]?.resourceType === t).length;
  const parts = [
    [count('seed'), 'seed'],
    [count('model'), 'model'],
    [count('snapshot'), 'snapshot'],
    [count('test'), 'test'],
    [count('source'), 'source'],
  ] as const;
  return parts.map(([n, w]) => `${n} ${w}${n === 1 ? '' : 's'}`).join(', ');
}
