import type { TestPlan } from '../testing/plan-tests.js';
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
  resourceType: 'source' | 'model' | 'test';
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
  tests: TestPlan[];
  runResults?: RunResultsFile | undefined;
  describe: (text: string | undefined, node: GraphNode, what: string) => string | undefined;
}): SiteData {
  const { manifest, catalog } = input;
  const last = new Map((input.runResults?.results ?? []).map((r) => [r.id, r]));
  const testsOf = new Map<string, string[]>();
  for (const t of input.tests) {
    const key = `model.${t.model}\u0000${t.column}`;
    testsOf.set(key, [...(testsOf.get(key) ?? []), t.name]);
  }
  const nodes: Record<string, SiteNode> = {};
  const graphNodes: SiteData['graph']['nodes'] = {};
  for (const id of manifest.order) {
    const n = manifest.nodes[id]!;
    const cat = n.resourceType === 'source' ? catalog.sources[id] : catalog.nodes[id];
    const declared = n.resourceType === 'source' ? n.table.columns : n.columns;
    const names = cat
      ? Object.values(cat.columns)
          .sort((a, b) => a.index - b.index)
          .map((c) => c.name)
      : declared.map((c) => c.name);
    for (const d of declared) if (!names.some((x) => x.toLowerCase() === d.name.toLowerCase())) names.push(d.name);
    const columns: SiteColumn[] = names.map((name) => {
      const d = declared.find((c) => c.name.toLowerCase() === name.toLowerCase());
      const c = cat ? Object.values(cat.columns).find((x) => x.name === name) : undefined;
      return {
        name,
        type: c?.type ?? (d?.type || undefined),
        description: input.describe(d?.description, n, `column ${name}`),
        tests: testsOf.get(`${id}\u0000${d?.name ?? name}`) ?? [],
      };
    });
    const r = last.get(id);
    const rowCount = cat?.stats.row_count?.value;
    const bytes = cat?.stats.bytes?.value;
    nodes[id] = {
      id,
      resourceType: n.resourceType,
      name: n.name,
      label: n.resourceType === 'source' ? `${n.sourceName}.${n.name}` : n.name,
      path: n.path,
      relation: `${n.relation.schema}.${n.relation.name}`,
      description: input.describe(
        n.resourceType === 'source' ? n.table.description : n.description,
        n,
        n.resourceType === 'source' ? `source ${n.sourceName}.${n.name}` : `model ${n.name}`,
      ),
      columns,
      config: n.config as unknown as Record<string, unknown>,
      tags: n.config.tags,
      rawSql: n.resourceType === 'model' ? n.rawSql : undefined,
      compiledSql: n.resourceType === 'model' ? n.compiledSql : undefined,
      rowCount: typeof rowCount === 'number' ? rowCount : undefined,
      bytes: typeof bytes === 'number' ? bytes : undefined,
      inWarehouse: cat !== undefined,
      lastRun: r
        ? { status: r.status, duration: r.duration, rows: r.rows, message: r.error?.message ?? r.message, at: input.runResults?.generatedAt }
        : undefined,
      dependsOn: n.dependsOn,
      loader: n.resourceType === 'source' ? { location: n.table.location, copy: n.table.copy } : undefined,
    };
    graphNodes[id] = selectable(n);
  }
  for (const t of input.tests) {
    const id = `test.${t.name}`;
    const model = `model.${t.model}`;
    nodes[id] = {
      id,
      resourceType: 'test',
      name: t.name,
      label: t.name,
      path: t.file,
      description: `${t.kind} test on ${t.model}.${t.column}${t.problem ? ` (cannot run: ${t.problem})` : ''}`,
      columns: [],
      config: { kind: t.kind },
      tags: [],
      compiledSql: t.sql,
      inWarehouse: false,
      dependsOn: [model],
      attachedTo: { node: model, column: t.column },
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
