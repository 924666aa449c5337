import type { GraphNode, Manifest } from '../types.js';

export type GraphFormat = 'dot' | 'mermaid';

const labelOf = (n: GraphNode) => (n.resourceType === 'source' ? `source:${n.sourceName}.${n.name}` : n.name);

/**
 * The selected sources, models and snapshots and the edges between them, as Graphviz DOT or a Mermaid flowchart, for
 * pasting elsewhere (`sparkify ls --output dot|mermaid`). Pure.
 */
export function renderGraph(manifest: Manifest, selected: string[], format: GraphFormat): string {
  // data tests are no part of the lineage picture (sparkify ls lists them)
  const ids = selected.filter((id) => manifest.nodes[id]?.resourceType !== 'test');
  const shown = new Set(ids);
  const edges: [string, string][] = [];
  for (const id of ids) for (const p of manifest.parentMap[id] ?? []) if (shown.has(p)) edges.push([p, id]);
  if (format === 'dot') {
    const q = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    const lines = ['digraph sparkify {', '  rankdir=LR;', '  node [shape=box, style="rounded,filled", fontname="Helvetica"];'];
    for (const id of ids) {
      const n = manifest.nodes[id]!;
      lines.push(`  ${q(id)} [label=${q(labelOf(n))}, fillcolor=${n.resourceType === 'source' ? '"#eef6ee"' : '"#eef3fb"'}];`);
    }
    for (const [a, b] of edges) lines.push(`  ${q(a)} -> ${q(b)};`);
    lines.push('}');
    return lines.join('\n');
  }
  // mermaid ids: letters, digits and _ only; labels in quotes, with " written as #quot;
  const mid = new Map(ids.map((id, i) => [id, `n${i}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`]));
  const lines = ['flowchart LR'];
  for (const id of ids) {
    const n = manifest.nodes[id]!;
    const label = labelOf(n).replace(/"/g, '#quot;');
    lines.push(n.resourceType === 'source' ? `  ${mid.get(id)}[("${label}")]` : `  ${mid.get(id)}["${label}"]`);
  }
  for (const [a, b] of edges) lines.push(`  ${mid.get(a)} --> ${mid.get(b)}`);
  return lines.join('\n');
}
