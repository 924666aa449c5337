import type { ColumnLineageDoc, NodeColumnLineage } from '../lineage/column-lineage.js';
import type { GraphNode, Manifest, TargetInfo } from '../types.js';
import type { Catalog } from './build-catalog.js';

/** What the last run (target/run_results.json) recorded for one node. */
export interface LastRun {
  status: string;
  /** seconds */
  duration: number;
  rows?: number | undefined;
  message?: string | undefined;
  /** when the run's results were written */
  at?: string | undefined;
}

export interface SiteColumn {
  name: string;
  type?: string | undefined;
  description?: string | undefined;
  tests: string[];
}

export interface SiteNode {
  id: string;
  resourceType: GraphNode['resourceType'];
  name: string;
  label: string;
  path: string;
  relation?: string | undefined;
  description?: string | undefined;
  columns: SiteColumn[];
  config: Record<string, unknown>;
  tags: string[];
  rawSql?: string | undefined;
  compiledSql?: string | undefined;
  rowCount?: number | undefined;
  bytes?: number | undefined;
  /** false when the relation is not in the warehouse (never built) */
  inWarehouse: boolean;
  lastRun?: LastRun | undefined;
  dependsOn: string[];
  /** tests: the model and column tested */
  attachedTo?: { node: string; column: string } | undefined;
  loader?: Record<string, unknown> | undefined;
}

/** A node as selectNodes sees it: everything but the SQL text and the absolute file path. */
export type SelectableNode = Omit<GraphNode, 'rawSql' | 'compiledSql' | 'lineMap' | 'compiledIncrementalSql' | 'file'>;

function selectable(n: GraphNode): SelectableNode {
  const {
    rawSql: _r,
    compiledSql: _c,
    lineMap: _l,
    compiledIncrementalSql: _i,
    file: _f,
    ...rest
  } = n as GraphNode & Partial<Record<'rawSql' | 'compiledSql' | 'lineMap' | 'compiledIncrementalSql', unknown>>;
  return rest as SelectableNode;
}

/** The data the docs site shows, written to target/docs/data.js. JSON-serialisable. */
export interface SiteData {
  generatedAt: string;
  target: TargetInfo;
  /** a manifest cut down to what selectNodes reads, so the browser evaluates selectors as the CLI does */
  graph: Omit<Manifest, 'nodes'> & { nodes: Record<string, SelectableNode> };
  nodes: Record<string, SiteNode>;
  lineage: Record<string, NodeColumnLineage>;
  lineageParser: string;
  lastRunAt?: string | undefined;
}

export interface RunResultsFile {
  generatedAt?: string;
  results?: { id: string; status: string; duration: number; rows?: number; message?: string; error?: { message?: string } }[];
}

/** Puts the manifest, catalog, column lineage, tests and last run together for the site. Pure. */
export function siteData(input: {
  manifest: Manifest;
  catalog: Catalog;
  lineage: ColumnLineageDoc;
  runResults?: RunResultsFile | undefined;
}): SiteData {
  const { manifest, catalog } = input;
  const last = new Map((input.runResults?.results ?? []).map((r) => [r.id, r]));
  const testsOf = new Map<string, string[]>();
  // a column's tests in the order the yml declares them
  const tests = manifest.order
    .map((id) => manifest.nodes[id]!)
    .filter((t) => t.resourceType === 'test')
    .sort((a, b) => (a.path === b.path ? a.line - b.line : a.path < b.path ? -1 : 1));
  for (const t of tests) {
    if (t.attachedTo === undefined || t.column === undefined) continue;
    const key = `${t.attachedTo}\u0000${t.column.toLowerCase()}`;
    testsOf.set(key, [...(testsOf.get(key) ?? []), t.name]);
  }
  const nodes: Record<string, SiteNode> = {};
  const graphNodes: SiteData['graph']['nodes'] = {};
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    graphNodes[id] = selectable(n);
    const r = last.get(id);
    const lastRun = r
      ? { status: r.status, duration: r.duration, rows: r.rows, message: r.error?.message ?? r.message, at: input.runResults?.generatedAt }
      : undefined;
    if (n.resourceType === 'test') {
      const on = n.attachedTo === undefined ? undefined : manifest.nodes[n.attachedTo];
      const what = n.testType === 'generic' ? `${n.testName ?? n.name} test` : `${n.testType} test`;
      nodes[id] = {
        id,
        resourceType: 'test',
        name: n.name,
        label: n.name,
        path: n.path,
        description: `${what}${on ? ` on ${on.name}${n.column ? `.${n.column}` : ''}` : ''}${n.problem ? ` (cannot run: ${n.problem})` : ''}`,
        columns: [],
        config: n.config as unknown as Record<string, unknown>,
        tags: n.config.tags,
        compiledSql: n.compiledSql,
        inWarehouse: false,
        lastRun,
        dependsOn: n.dependsOn,
        attachedTo: n.attachedTo === undefined ? undefined : { node: n.attachedTo, column: n.column ?? '' },
      };
      continue;
    }
    const cat = n.resourceType === 'source' ? catalog.sources[id] : catalog.nodes[id];
    const declared = n.resourceType === 'source' ? n.table.columns : n.columns;
    const catCols = cat ? Object.values(cat.columns).sort((a, b) => a.index - b.index) : [];
    const names = cat ? catCols.map((c) => c.name) : declared.map((c) => c.name);
    for (const d of declared) if (!names.some((x) => x.toLowerCase() === d.name.toLowerCase())) names.push(d.name);
    const columns: SiteColumn[] = names.map((name) => {
      const d = declared.find((c) => c.name.toLowerCase() === name.toLowerCase());
      const c = catCols.find((x) => x.name === name);
      return {
        name,
        type: c?.type ?? (d?.type || undefined),
        description: d?.description,
        tests: testsOf.get(`${id}\u0000${name.toLowerCase()}`) ?? [],
      };
    });
    const rowCount = cat?.stats.row_count?.value;
    const bytes = cat?.stats.bytes?.value;
    nodes[id] = {
      id,
      resourceType: n.resourceType,
      name: n.name,
      label: n.resourceType === 'source' ? `${n.sourceName}.${n.name}` : n.name,
      path: n.path,
      relation: `${n.relation.schema}.${n.relation.name}`,
      description: n.resourceType === 'source' ? n.table.description : n.description,
      columns,
      config: n.config as unknown as Record<string, unknown>,
      tags: n.config.tags,
      rawSql: n.resourceType === 'source' || n.resourceType === 'seed' ? undefined : n.rawSql,
      compiledSql: n.resourceType === 'source' || n.resourceType === 'seed' ? undefined : n.compiledSql,
      rowCount: typeof rowCount === 'number' ? rowCount : undefined,
      bytes: typeof bytes === 'number' ? bytes : undefined,
      inWarehouse: cat !== undefined,
      lastRun,
      dependsOn: n.dependsOn,
      loader: n.resourceType === 'source' ? { location: n.table.location, copy: n.table.copy } : undefined,
    };
  }
  return {
    generatedAt: new Date().toISOString(),
    target: manifest.target,
    graph: { ...manifest, nodes: graphNodes },
    nodes,
    lineage: input.lineage.nodes,
    lineageParser: input.lineage.parser,
    lastRunAt: input.runResults?.generatedAt,
  };
}
