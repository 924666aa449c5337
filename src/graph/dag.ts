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
  // graphlib is only needed to describe a cycle; ordering a 10k-model graph with plain maps is faster
  const ids = new Set(nodes.map((n) => n.id));
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>(nodes.map((n) => [n.id, []]));
  for (const n of nodes) {
    const ps = [...new Set(n.dependsOn)].filter((d) => ids.has(d)).sort();
    parents.set(n.id, ps);
    for (const p of ps) children.get(p)!.push(n.id);
  }
  const order = kahn(nodes, parents, children);
  if (order.length < nodes.length) throw cycleError(nodes);
  const parentMap: Record<string, string[]> = {};
  const childMap: Record<string, string[]> = {};
  for (const n of nodes) {
    parentMap[n.id] = parents.get(n.id)!;
    childMap[n.id] = children.get(n.id)!.sort();
  }
  return { order, childMap, parentMap };
}

function kahn(nodes: DagInput[], parents: Map<string, string[]>, children: Map<string, string[]>): string[] {
  const indegree = new Map(nodes.map((n) => [n.id, parents.get(n.id)!.length]));
  const ready = new MinQueue(nodes.filter((n) => indegree.get(n.id) === 0).map((n) => n.id));
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop();
    order.push(id);
    for (const c of children.get(id)!) {
      const d = indegree.get(c)! - 1;
      indegree.set(c, d);
      if (d === 0) ready.push(c);
    }
  }
  return order;
}

/** A binary heap of strings, smallest first: Kahn's ready set. */
class MinQueue {
  private readonly heap: string[] = [];
  constructor(items: string[]) {
    for (const i of items) this.push(i);
  }
  get size(): number {
    return this.heap.length;
  }
  push(v: string): void {
    const h = this.heap;
    h.push(v);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]! <= h[i]!) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }
  pop(): string {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]! < h[m]!) m = l;
        if (r < h.length && h[r]! < h[m]!) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }
}

function cycleError(nodes: DagInput[]): ProjectError {
  const g = new Graph({ directed: true });
  for (const n of nodes) g.setNode(n.id);
  for (const n of nodes) for (const d of n.dependsOn) if (g.hasNode(d)) g.setEdge(d, n.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const errors = alg.findCycles(g).map((cycle) => {
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
  return errors.length === 1 ? errors[0]! : Object.assign(errors[0]!, { message: errors.map((e) => e.message).join('\n') });
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
