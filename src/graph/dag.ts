import { Graph, alg } from '@dagrejs/graphlib';
import { ProjectError } from '../errors.js';

export interface DagInput {
  id: string;
  dependsOn: string[];
  /** for error messages */
  path: string;
  file: string;
  /** where in `file` each dependency is declared (a ref() call), to locate a cycle */
  refs?: { id: string; line?: number | undefined; column?: number | undefined }[] | undefined;
}

export interface Dag {
  order: string[];
  childMap: Record<string, string[]>;
  parentMap: Record<string, string[]>;
}

/**
 * Builds the graph and orders it deterministically: Kahn's algorithm, always taking the
 * smallest ready id, so the same project always runs in the same order.
 * A cycle is an error that prints the whole cycle with file paths.
 */
export function buildDag(nodes: DagInput[]): Dag {
  const g = new Graph({ directed: true });
  for (const n of nodes) g.setNode(n.id);
  for (const n of nodes) for (const d of n.dependsOn) if (g.hasNode(d)) g.setEdge(d, n.id);

  const cycles = alg.findCycles(g);
  if (cycles.length > 0) {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const errors = cycles.map((cycle) => {
      const ordered = orderCycle(g, cycle);
      const names = ordered.map((id) => byId.get(id)!);
      const chain = [...names, names[0]!].map((n) => `${shortName(n.id)}`).join(' -> ');
      const files = names.map((n) => `    ${shortName(n.id)}: ${n.path}`).join('\n');
      // the ref() in the first model that leads on round the cycle
      const at = names[0]!.refs?.find((r) => r.id === names[1 % names.length]!.id);
      return new ProjectError(`dependency cycle: ${chain}\n${files}`, {
        file: names[0]!.file,
        line: at?.line,
        column: at?.column,
        hint: 'remove one of the ref() calls in the cycle',
      });
    });
    throw errors.length === 1 ? errors[0]! : Object.assign(errors[0]!, { message: errors.map((e) => e.message).join('\n') });
  }

  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const n of nodes) {
    parentMap[n.id] = (g.predecessors(n.id) ?? []).sort();
    childMap[n.id] = (g.successors(n.id) ?? []).sort();
  }
  const indegree = new Map(nodes.map((n) => [n.id, parentMap[n.id]!.length]));
  const ready = nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id).sort();
  const order: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift()!;
    order.push(id);
    for (const c of childMap[id]!) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) insertSorted(ready, c);
    }
  }
  return { order, childMap, parentMap };
}

function insertSorted(list: string[], v: string): void {
  let i = 0;
  while (i < list.length && list[i]! < v) i++;
  list.splice(i, 0, v);
}

/**
 * findCycles returns a strongly connected component; print its shortest cycle through the smallest
 * id, in ref() order: "a -> b" means a refs b.
 */
function orderCycle(g: Graph, members: string[]): string[] {
  const set = new Set(members);
  const start = [...members].sort()[0]!;
  const prev = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const cur = queue.shift()!;
    for (const s of (g.predecessors(cur) ?? []).filter((x) => set.has(x)).sort()) {
      if (s === start) {
        const path = [cur];
        while (path[0] !== start) path.unshift(prev.get(path[0]!)!);
        return path;
      }
      if (!prev.has(s)) {
        prev.set(s, cur);
        queue.push(s);
      }
    }
  }
  return [start];
}

function shortName(id: string): string {
  return id.replace(/^model\./, '').replace(/^source\./, 'source:');
}
