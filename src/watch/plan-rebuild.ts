import type { GraphNode, Manifest } from '../types.js';

export interface RebuildInput {
  /** the manifest of the last build; undefined before the first good compile */
  previous: Manifest | undefined;
  next: Manifest;
  /** the selection (--select/--exclude) evaluated against `next` */
  selected: string[];
  /** nodes whose last build did not succeed (error or skipped) */
  stale: ReadonlySet<string>;
  /** absolute paths of the files whose events triggered this rebuild */
  touchedFiles: readonly string[];
  /** build the whole selection: the first run, and after the config changed */
  full: boolean;
}

export interface RebuildPlan {
  /** ids to build, in `next.order` */
  nodes: string[];
  /** nodes that are new or whose build inputs changed, inside or outside the selection */
  changed: string[];
  /** nodes of `previous` that `next` no longer has; their relations are left in place */
  deleted: GraphNode[];
}

/**
 * Decides what a watch-mode rebuild builds: `changed+` intersected with the selection. A node has
 * changed when what goes into its build differs from the previous manifest: its compiled SQL,
 * config, dependencies and relation (for a source: its location, COPY options and columns).
 * Descriptions, docs and template comments do not count, so a save that changes nothing builds
 * nothing. Stale ancestors of what is rebuilt are rebuilt first, and a stale node is retried when
 * its own file is saved.
 */
export function planRebuild(input: RebuildInput): RebuildPlan {
  const { previous, next, stale } = input;
  const selected = new Set(input.selected);
  // run --watch builds sources and models: a changed test or snapshot is not a change to report
  const runs = (id: string) => ['model', 'source'].includes(next.nodes[id]!.resourceType);
  const changed = previous ? next.order.filter((id) => runs(id) && hasChanged(previous.nodes[id], next.nodes[id]!)) : next.order.filter(runs);
  // a removed test leaves no relation behind (unless it stored failures, which are the test's own)
  const deleted = previous ? previous.order.filter((id) => !(id in next.nodes) && previous.nodes[id]!.resourceType !== 'test').map((id) => previous.nodes[id]!) : [];
  if (input.full || !previous) return { nodes: next.order.filter((id) => selected.has(id)), changed, deleted };

  const touched = new Set(input.touchedFiles);
  const retried = [...stale].filter((id) => {
    const n = next.nodes[id];
    return n !== undefined && touched.has(n.file);
  });
  const seeds = new Set([...changed, ...retried]);
  for (const up of closure(closure(seeds, next.childMap), next.parentMap)) if (stale.has(up)) seeds.add(up);
  const build = closure(seeds, next.childMap);
  return { nodes: next.order.filter((id) => build.has(id) && selected.has(id)), changed, deleted };
}

/** The start nodes plus everything reachable along `edges`. */
function closure(start: Iterable<string>, edges: Record<string, string[]>): Set<string> {
  const seen = new Set(start);
  const stack = [...seen];
  while (stack.length > 0) {
    for (const n of edges[stack.pop()!] ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return seen;
}

function hasChanged(before: GraphNode | undefined, after: GraphNode): boolean {
  // a partial compile keeps the node objects of what it did not re-render
  if (before === after) return false;
  return before === undefined || buildFingerprint(before) !== buildFingerprint(after);
}

/** Everything that goes into building a node, as a canonical string. */
export function buildFingerprint(n: GraphNode): string {
  if (n.resourceType === 'test') return canonicalJson({ type: n.resourceType, compiledSql: normalizeSql(n.compiledSql), config: n.config, dependsOn: [...n.dependsOn].sort() });
  if (n.resourceType === 'seed') return canonicalJson({ type: n.resourceType, file: n.file, config: n.config, columns: n.columns, relation: n.relation });
  if (n.resourceType !== 'source') {
    return canonicalJson({
      type: n.resourceType,
      compiledSql: normalizeSql(n.compiledSql),
      compiledIncrementalSql: n.compiledIncrementalSql === undefined ? null : normalizeSql(n.compiledIncrementalSql),
      config: n.config,
      dependsOn: [...n.dependsOn].sort(),
      relation: n.relation,
    });
  }
  const t = n.table;
  return canonicalJson({
    type: n.resourceType,
    location: t.location ?? null,
    copy: t.copy ?? null,
    columns: t.columns.map((c) => ({ name: c.name, type: c.type })),
    config: n.config,
    relation: n.relation,
  });
}

/**
 * SQL without blank lines and trailing spaces, so that a template comment added on a line of its
 * own does not count as a change. The cost: an edit to the blank lines inside a multi-line string
 * literal goes unnoticed.
 */
function normalizeSql(sql: string): string {
  return sql
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '')
    .join('\n');
}

/** JSON with object keys sorted, so `config(a=1, b=2)` and `config(b=2, a=1)` compare equal. */
function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_key, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}
