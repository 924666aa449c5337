import type { GraphNode, Manifest } from '../types.js';

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
