import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/docs/build-catalog.js';
import type { SiteData } from '../../src/docs/site-data.js';
import type { ColumnLineageDoc } from '../../src/lineage/column-lineage.js';
import { removeDir, runCli, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/** `sparkify docs generate` on a small fixture project, against real DuckDB and the real PostgreSQL. */

const SOURCES = `version: 2
sources:
  - name: raw
    tables:
      - name: events
        description: "{{ doc('events_doc') }}"
        location: data/events
        copy: { format: json, json: auto }
        columns:
          - { name: id, type: integer, description: The event's id }
          - { name: kind, type: varchar(8) }
          - { name: v, type: bigint }
`;

const events = [
  { id: 1, kind: 'a', v: 10 },
  { id: 2, kind: 'b', v: 20 },
  { id: 3, kind: 'a', v: 30 },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

function project(engine: 'duckdb' | 'postgres', schema: string): string {
  return writeProject({
    'sources.yml': SOURCES,
    'dwh.cfg': engine === 'postgres' ? pgCfg(schema) : '',
    'data/events/part-1.json': events,
    'models/docs.md': '{% docs events_doc %}\nRaw events, one per line.\n{% enddocs %}\n\n{% docs by_kind_doc %}Totals per kind.{% enddocs %}\n',
    'models/schema.yml': `version: 2
models:
  - name: by_kind
    description: "{{ doc('by_kind_doc') }} Built from base."
    columns:
      - { name: kind, description: The kind, data_tests: [unique, not_null] }
      - { name: total }
`,
    'models/base.sql': "{{ config(materialized='table', tags=['core']) }}\nselect * from {{ source('raw', 'events') }}\n",
    'models/by_kind.sql': "select kind, sum(v) as total, count(*) as n\nfrom {{ ref('base') }}\ngroup by kind\n",
    'models/ranked.sql':
      "{{ config(materialized='view') }}\nwith r as (\n  select id, row_number() over (partition by kind order by v) as rn from {{ ref('base') }}\n)\n" +
      "select id, rn from r\nunion all\nselect id, 0 from {{ ref('base') }} where id in (select id from {{ source('raw', 'events') }})\n",
    'models/generated.sql': `select * from ${engine === 'duckdb' ? 'range(3)' : 'generate_series(0, 2)'} as t(n)\n`,
    'models/late.sql': "select id * 2 as twice from {{ ref('base') }}\n",
  });
}

const read = <T>(dir: string, rel: string) => JSON.parse(readFileSync(path.join(dir, 'target', rel), 'utf8')) as T;
const siteOf = (dir: string) =>
  JSON.parse(
    readFileSync(path.join(dir, 'target', 'docs', 'data.js'), 'utf8')
      .replace(/^window\.SPARKIFY_DOCS = /, '')
      .replace(/;\s*$/, ''),
  ) as SiteData;

describe.each(['duckdb', 'postgres'] as const)('sparkify docs generate on %s', (engine) => {
  const schema = freshSchema('docs');
  const dir = project(engine, schema);
  const run = (...args: string[]) => runCli([...args, '--project-dir', dir, ...(engine === 'postgres' ? ['--target', 'postgres'] : [])]);
  afterAll(async () => {
    removeDir(dir);
    if (engine === 'postgres') await dropSchema(schema);
  });

  it('writes the catalog, the column lineage and the site from the warehouse', () => {
    const built = run('run', '--exclude', 'late');
    expect(built.code, built.stdout + built.stderr).toBe(0);
    const r = run('docs', 'generate');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/not in the warehouse \(never built\?\): model\.late/);
    expect(r.stdout).toMatch(/catalog of 5 relations from /);
    expect(r.stdout).toMatch(/column lineage of 10 columns \(9 traced, 1 untraceable\)/);
    expect(r.stdout).toMatch(/docs site -> .*target\/docs\/index\.html/);

    const catalog = read<Catalog>(dir, 'catalog.json');
    expect(catalog.metadata.dbt_schema_version).toBe('https://schemas.getdbt.com/dbt/catalog/v1.json');
    expect(catalog.errors).toBeNull();
    expect(Object.keys(catalog.sources)).toEqual(['source.raw.events']);
    expect(Object.keys(catalog.nodes).sort()).toEqual(['model.base', 'model.by_kind', 'model.generated', 'model.ranked']);
    const src = catalog.sources['source.raw.events']!;
    expect(src.unique_id).toBe('source.raw.events');
    expect(src.metadata).toMatchObject({ type: 'BASE TABLE', name: 'events' });
    expect(Object.values(src.columns).map((c) => [c.name, c.index, c.type.toLowerCase()])).toEqual(
      engine === 'duckdb'
        ? [
            ['id', 1, 'integer'],
            ['kind', 2, 'varchar'],
            ['v', 3, 'bigint'],
          ]
        : [
            ['id', 1, 'integer'],
            ['kind', 2, 'character varying(8)'],
            ['v', 3, 'bigint'],
          ],
    );
    expect(src.stats.row_count!.value).toBe(3);
    expect(catalog.nodes['model.by_kind']!.stats.row_count!.value).toBe(2);
    expect(catalog.nodes['model.ranked']!.stats.row_count!.value).toBe(6);
    expect(catalog.nodes['model.ranked']!.metadata.type).toBe('VIEW');
    if (engine === 'postgres') {
      // PostgreSQL knows a table's size on disk; a view has none
      expect(catalog.nodes['model.base']!.stats.bytes!.value).toBeGreaterThan(0);
      expect(catalog.nodes['model.ranked']!.stats.bytes).toBeUndefined();
    } else expect(catalog.nodes['model.base']!.stats.bytes).toBeUndefined();

    const lineage = read<ColumnLineageDoc>(dir, 'column_lineage.json');
    const cols = (id: string) =>
      Object.fromEntries(lineage.nodes[id]!.columns.map((c) => [c.column, [c.kind, c.upstream.map((u) => `${u.node}:${u.column}`).join(' '), c.reason ?? '']]));
    expect(cols('model.base')).toEqual({
      id: ['direct', 'source.raw.events:id', ''],
      kind: ['direct', 'source.raw.events:kind', ''],
      v: ['direct', 'source.raw.events:v', ''],
    });
    expect(cols('model.by_kind')).toEqual({ kind: ['direct', 'model.base:kind', ''], total: ['derived', 'model.base:v', ''], n: ['constant', '', ''] });
    expect(cols('model.ranked')).toEqual({ id: ['direct', 'model.base:id', ''], rn: ['derived', 'model.base:kind model.base:v', ''] });
    expect(cols('model.generated')).toEqual({ n: ['untraceable', '', 'it comes from * over a table function in FROM, whose columns are not traced'] });
    // not in the warehouse: traced from the SQL alone
    expect(cols('model.late')).toEqual({ twice: ['derived', 'model.base:id', ''] });

    const site = siteOf(dir);
    const src2 = site.nodes['source.raw.events']!;
    expect(src2.description).toBe('Raw events, one per line.'); // a {% docs %} block
    expect(src2.columns.map((c) => [c.name, c.description ?? null])).toEqual([
      ['id', "The event's id"],
      ['kind', null],
      ['v', null],
    ]);
    const byKind = site.nodes['model.by_kind']!;
    expect(byKind.description).toBe('Totals per kind. Built from base.');
    expect(byKind.columns.map((c) => [c.name, [...c.tests].sort(), c.description ?? null])).toEqual([
      ['kind', ['not_null_by_kind_kind', 'unique_by_kind_kind'], 'The kind'],
      ['total', [], null],
      ['n', [], null],
    ]);
    expect(byKind.rowCount).toBe(2);
    expect(byKind.lastRun).toMatchObject({ status: 'success', rows: 2 });
    expect(byKind.rawSql).toContain("{{ ref('base') }}");
    expect(byKind.compiledSql).toMatch(/from "[a-z_0-9]+"\."base"/);
    expect(site.nodes['model.late']!.inWarehouse).toBe(false);
    expect(site.nodes['model.late']!.lastRun).toBeUndefined();
    expect(site.nodes['test.unique_by_kind_kind']).toMatchObject({ resourceType: 'test', attachedTo: { node: 'model.by_kind', column: 'kind' } });
    expect(site.graph.order).toHaveLength(8); // 6 relations and the 2 tests
    for (const f of ['index.html', 'app.js', 'site.css', 'data.js']) expect(existsSync(path.join(dir, 'target', 'docs', f)), f).toBe(true);
    // nothing in the site reaches for the network
    const html = readFileSync(path.join(dir, 'target', 'docs', 'index.html'), 'utf8');
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toMatch(/<script src="app\.js"><\/script>/);
  });

  it('a description naming an unknown docs block fails with its file and a hint, and the last site stays whole', () => {
    const before = readFileSync(path.join(dir, 'target', 'docs', 'data.js'), 'utf8');
    const catalogBefore = readFileSync(path.join(dir, 'target', 'catalog.json'), 'utf8');
    const yml = path.join(dir, 'models', 'schema.yml');
    const good = readFileSync(yml, 'utf8');
    writeFileSync(yml, good.replace("doc('by_kind_doc')", "doc('by_kind_dok')"));
    try {
      const r = run('docs', 'generate');
      expect(r.code).toBe(2);
      // the error is at the description's own line in the property file, found when the project compiles
      expect(r.stderr).toMatch(/models\/schema\.yml:4:5: Project error: unknown docs block 'by_kind_dok' in the description of model by_kind/);
      expect(r.stderr).toMatch(/hint: did you mean 'by_kind_doc'\?/);
      expect(readFileSync(path.join(dir, 'target', 'docs', 'data.js'), 'utf8')).toBe(before);
      expect(readFileSync(path.join(dir, 'target', 'catalog.json'), 'utf8')).toBe(catalogBefore);
    } finally {
      writeFileSync(yml, good);
    }
  });

  it('ls --output dot and mermaid print the selected graph', () => {
    const dot = run('ls', '--output', 'dot', '--select', '+by_kind');
    expect(dot.code, dot.stderr).toBe(0);
    expect(dot.stdout).toContain('"source.raw.events" -> "model.base";');
    expect(dot.stdout).toContain('"model.base" -> "model.by_kind";');
    expect(dot.stdout).not.toContain('ranked');
    const mermaid = run('ls', '-o', 'mermaid');
    expect(mermaid.stdout.split('\n')[0]).toBe('flowchart LR');
    expect(mermaid.stdout.match(/-->/g)).toHaveLength(5);
  });
});

describe('sparkify docs serve', () => {
  it('says to generate the site first when there is none', () => {
    const dir = writeProject({ 'models/a.sql': 'select 1 as x\n' });
    try {
      const r = runCli(['docs', 'serve', '--port', '0', '--project-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/no docs site at .*target\/docs[\s\S]*hint: run sparkify docs generate first/);
    } finally {
      removeDir(dir);
    }
  });

  it('a port in use is a clear error', async () => {
    const { createServer } = await import('node:net');
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    const dir = writeProject({ 'models/a.sql': 'select 1 as x\n' });
    try {
      expect(runCli(['docs', 'generate', '--project-dir', dir]).code).toBe(0);
      const r = runCli(['docs', 'serve', '--port', String(port), '--project-dir', dir]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use[\\s\\S]*hint: pick another with --port N`));
    } finally {
      blocker.close();
      removeDir(dir);
    }
  });
});

describe('secrets in the docs', () => {
  it('a password a model reads with env_var() appears in no file docs generate writes', () => {
    const secret = 'Sekret-pw-4711';
    const dir = writeProject({ 'models/leaky.sql': "select '{{ env_var('PGPASSWORD') }}' as pw, 1 as one\n" });
    try {
      const env = { PGPASSWORD: secret };
      expect(runCli(['run', '--project-dir', dir], { env }).code).toBe(0);
      const r = runCli(['docs', 'generate', '--project-dir', dir], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(secret);
      for (const f of ['catalog.json', 'column_lineage.json', 'manifest.json', 'docs/data.js', 'docs/index.html']) {
        const text = readFileSync(path.join(dir, 'target', f), 'utf8');
        expect(text, f).not.toContain(secret);
        expect(text, f).not.toContain(Buffer.from(secret).toString('base64'));
      }
      expect(readFileSync(path.join(dir, 'target', 'docs', 'data.js'), 'utf8')).toContain("select '****' as pw");
    } finally {
      removeDir(dir);
    }
  });
});
