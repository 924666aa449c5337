import type { Engine } from '../adapters/adapter.js';
import type { GraphNode, Manifest } from '../types.js';

/** One relation of target/catalog.json, in dbt's catalog shape (catalog v1). */
export interface CatalogTable {
  metadata: { type: string; schema: string; name: string; database: string | null; comment: string | null; owner: string | null };
  columns: Record<string, { type: string; index: number; name: string; comment: string | null }>;
  stats: Record<string, { id: string; label: string; value: string | number | boolean | null; include: boolean; description: string }>;
  unique_id: string;
}

/** target/catalog.json: what the warehouse holds for each source and model (dbt's catalog shape). */
export interface Catalog {
  metadata: { dbt_schema_version: string; sparkify_version: string; generated_at: string; invocation_id: string; env: Record<string, string> };
  nodes: Record<string, CatalogTable>;
  sources: Record<string, CatalogTable>;
  errors: string[] | null;
}

interface CatalogRow {
  schema: string;
  name: string;
  type: string;
  column_name: string;
  data_type: string;
  ordinal: number | string;
  bytes: number | string | null;
}

/**
 * Reads, from the warehouse, the columns, row count and size of every node's relation. Relations
 * that do not exist yet (never built) are left out, and listed in `missing`.
 */
export async function buildCatalog(manifest: Manifest, engine: Engine, version: string): Promise<{ catalog: Catalog; missing: string[] }> {
  const dialect = engine.dialect;
  const schemas = [...new Set(Object.values(manifest.nodes).map((n) => n.relation.schema))];
  const rows = (await engine.withConnection((c) => c.query(dialect.catalogColumns(schemas)))) as unknown as CatalogRow[];
  const fold = (s: string) => (dialect.foldsIdentifierCase ? s.toLowerCase() : s);
  const byRelation = new Map<string, CatalogRow[]>();
  for (const r of rows) {
    const key = `${fold(r.schema)}.${fold(r.name)}`;
    byRelation.set(key, [...(byRelation.get(key) ?? []), r]);
  }
  const catalog: Catalog = {
    metadata: {
      dbt_schema_version: 'https://schemas.getdbt.com/dbt/catalog/v1.json',
      sparkify_version: version,
      generated_at: new Date().toISOString(),
      invocation_id: crypto.randomUUID(),
      env: {},
    },
    nodes: {},
    sources: {},
    errors: null,
  };
  const missing: string[] = [];
  const present: { node: GraphNode; cols: CatalogRow[] }[] = [];
  for (const id of manifest.order) {
    const node = manifest.nodes[id]!;
    // a test's relation exists only with store_failures, and is no part of the warehouse's catalog
    if (node.resourceType === 'test') continue;
    const cols = byRelation.get(`${fold(node.relation.schema)}.${fold(node.relation.name)}`);
    if (cols === undefined) missing.push(id);
    else present.push({ node, cols });
  }
  const counts = await engine.withConnection(async (c) => {
    const out = new Map<string, number>();
    for (const { node } of present) {
      const [row] = await c.query(dialect.countRows(node.relation));
      out.set(node.id, Number(Object.values(row ?? {})[0]));
    }
    return out;
  });
  for (const { node, cols } of present) {
    const first = cols[0]!;
    const bytes = cols.find((c) => c.bytes !== null)?.bytes;
    const table: CatalogTable = {
      metadata: { type: first.type === 'view' ? 'VIEW' : 'BASE TABLE', schema: first.schema, name: first.name, database: null, comment: null, owner: null },
      columns: Object.fromEntries(
        [...cols]
          .sort((a, b) => Number(a.ordinal) - Number(b.ordinal))
          .map((c, i) => [c.column_name, { type: c.data_type, index: i + 1, name: c.column_name, comment: null }]),
      ),
      stats: {
        row_count: {
          id: 'row_count',
          label: 'Row Count',
          value: counts.get(node.id) ?? null,
          include: true,
          description: 'Rows in the relation, counted when the catalog was generated',
        },
        ...(bytes !== undefined && bytes !== null
          ? { bytes: { id: 'bytes', label: 'Approximate Size', value: Number(bytes), include: true, description: 'Size of the relation on disk, in bytes' } }
          : {}),
        has_stats: { id: 'has_stats', label: 'Has Stats?', value: true, include: false, description: 'Indicates whether there are statistics for this table' },
      },
      unique_id: node.id,
    };
    if (node.resourceType === 'source') catalog.sources[node.id] = table;
    else catalog.nodes[node.id] = table;
  }
  return { catalog, missing };
}

/** node id -> its column names in the warehouse, in order */
export function catalogColumnNames(catalog: Catalog): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const t of [...Object.values(catalog.nodes), ...Object.values(catalog.sources)])
    out.set(
      t.unique_id,
      Object.values(t.columns)
        .sort((a, b) => a.index - b.index)
        .map((c) => c.name),
    );
  return out;
}
