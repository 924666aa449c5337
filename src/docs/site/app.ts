/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The docs site's script, bundled for the browser by scripts/bundle-docs-site.js (esbuild) with
 * @dagrejs/dagre and sparkify's own selector code (src/graph/), so a selector typed here means
 * exactly what it means to the CLI. Everything it shows comes from data.js; it fetches nothing.
 * Text from the project is only ever set as textContent, never parsed as HTML.
 */
import { Graph, layout } from '@dagrejs/dagre';
import { selectNodes } from '../../graph/select-nodes.js';
import type { ColumnLineage } from '../../lineage/trace-columns.js';
import type { Manifest } from '../../types.js';
import type { SiteData, SiteNode } from '../site-data.js';

const data = (window as unknown as { SPARKIFY_DOCS: SiteData }).SPARKIFY_DOCS;
const manifest = data.graph as unknown as Manifest;
// the graph draws sources, models and snapshots; tests are listed, and shown on the page of what they test
const drawable = (id: string) => data.graph.nodes[id]?.resourceType !== 'test';
const graphIds = data.graph.order.filter(drawable);

type Child = Node | string | null | undefined | false;
function h(tag: string, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}
const SVG = 'http://www.w3.org/2000/svg';
function s(tag: string, attrs: Record<string, string | number> = {}): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
const $ = (id: string) => document.getElementById(id)!;
const nodeLink = (id: string, text?: string) => h('a', { href: `#!/node/${encodeURIComponent(id)}`, 'data-node': id }, text ?? data.nodes[id]?.label ?? id);

// ---- the graph ----------------------------------------------------------------------------
let visible: string[] = graphIds;
let selected: string | undefined;

function walk(start: string, map: Record<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const todo = [...(map[start] ?? [])];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...(map[id] ?? []));
  }
  return seen;
}

function drawGraph(): void {
  const svg = $('graph');
  svg.replaceChildren();
  const g = new Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 22, ranksep: 80, marginx: 16, marginy: 16 });
  g.setDefaultEdgeLabel(() => ({}));
  const shown = new Set(visible);
  for (const id of visible) {
    const n = data.nodes[id]!;
    g.setNode(id, { width: Math.max(130, n.label.length * 7.6 + 28), height: 46 });
  }
  for (const id of visible) for (const p of manifest.parentMap[id] ?? []) if (shown.has(p)) g.setEdge(p, id);
  layout(g);
  const size = g.graph();
  svg.setAttribute('width', String(Math.ceil(size.width ?? 200)));
  svg.setAttribute('height', String(Math.ceil(size.height ?? 100)));
  const defs = s('defs');
  const marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#9aa4b2' }));
  defs.append(marker);
  svg.append(defs);
  for (const e of g.edges()) {
    const pts: { x: number; y: number }[] = g.edge(e).points ?? [];
    const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x.toFixed(1)} ${p.y.toFixed(1)}`).join(' ');
    svg.append(s('path', { class: 'edge', d, 'data-from': e.v, 'data-to': e.w }));
  }
  for (const id of visible) {
    const n = data.nodes[id]!;
    const box = g.node(id);
    const grp = s('g', {
      class: `node ${n.resourceType}`,
      'data-id': id,
      transform: `translate(${(box.x - box.width / 2).toFixed(1)}, ${(box.y - box.height / 2).toFixed(1)})`,
    });
    grp.append(s('rect', { width: box.width, height: box.height }));
    const kind = s('text', { class: 'kind', x: 12, y: 16 });
    kind.textContent = n.resourceType === 'model' ? String(n.config.materialized ?? 'model') : n.resourceType;
    const label = s('text', { class: 'label', x: 12, y: 34 });
    label.textContent = n.label;
    grp.append(kind, label);
    grp.addEventListener('click', () => {
      location.hash = `#!/node/${encodeURIComponent(id)}`;
    });
    svg.append(grp);
  }
  highlight();
}

function highlight(): void {
  const up = selected ? walk(selected, manifest.parentMap) : new Set<string>();
  const down = selected ? walk(selected, manifest.childMap) : new Set<string>();
  for (const el of document.querySelectorAll<SVGGElement>('#graph .node')) {
    const id = el.dataset.id!;
    el.classList.toggle('selected', id === selected);
    el.classList.toggle('upstream', up.has(id));
    el.classList.toggle('downstream', down.has(id));
    el.classList.toggle('dimmed', selected !== undefined && id !== selected && !up.has(id) && !down.has(id));
  }
  for (const el of document.querySelectorAll<SVGPathElement>('#graph .edge')) {
    const from = el.dataset.from!;
    const to = el.dataset.to!;
    const isUp = selected !== undefined && up.has(from) && (to === selected || up.has(to));
    const isDown = selected !== undefined && down.has(to) && (from === selected || down.has(from));
    el.classList.toggle('upstream', isUp);
    el.classList.toggle('downstream', isDown);
    el.classList.toggle('dimmed', selected !== undefined && !isUp && !isDown);
  }
}

function applySelector(text: string): void {
  const err = $('selector-error');
  err.hidden = true;
  if (text.trim() === '') {
    visible = graphIds;
    $('selector-status').textContent = `${visible.length} nodes`;
  } else {
    try {
      visible = selectNodes(manifest, [text.trim()], undefined).filter(drawable);
      $('selector-status').textContent = `${visible.length} of ${graphIds.length} nodes`;
    } catch (e) {
      const hint = (e as { hint?: string }).hint;
      err.textContent = (e as Error).message + (hint ? `\nhint: ${hint}` : '');
      err.hidden = false;
      return;
    }
  }
  drawGraph();
}

// ---- search and the node list -----------------------------------------------------------
const GROUPS: [SiteNode['resourceType'] | 'seed' | 'snapshot', string][] = [
  ['source', 'Sources'],
  ['seed', 'Seeds'],
  ['model', 'Models'],
  ['snapshot', 'Snapshots'],
  ['test', 'Tests'],
];

function matchOf(n: SiteNode, q: string): string | undefined {
  if (q === '') return '';
  if (n.label.toLowerCase().includes(q) || n.name.toLowerCase().includes(q)) return '';
  const col = n.columns.find((c) => c.name.toLowerCase().includes(q));
  if (col) return `column ${col.name}`;
  if (n.tags.some((t) => t.toLowerCase().includes(q))) return `tag ${n.tags.find((t) => t.toLowerCase().includes(q))}`;
  if ((n.description ?? '').toLowerCase().includes(q)) return 'description';
  const colDoc = n.columns.find((c) => (c.description ?? '').toLowerCase().includes(q));
  if (colDoc) return `column ${colDoc.name}: description`;
  return undefined;
}

function drawList(): void {
  const q = ($('search') as HTMLInputElement).value.trim().toLowerCase();
  const nav = $('sidebar');
  nav.replaceChildren();
  for (const [type, title] of GROUPS) {
    const all = Object.values(data.nodes).filter((n) => n.resourceType === type);
    const hits = all.map((n) => [n, matchOf(n, q)] as const).filter(([, why]) => why !== undefined);
    nav.append(h('h3', {}, `${title} (${q === '' ? all.length : `${hits.length} of ${all.length}`})`));
    const ul = h('ul', { 'data-group': type });
    if (all.length === 0) ul.append(h('li', { class: 'empty' }, `no ${title.toLowerCase()} in this project`));
    for (const [n, why] of hits) {
      const a = nodeLink(n.id);
      a.classList.toggle('current', n.id === currentId());
      if (why) a.append(h('span', { class: 'why' }, why));
      ul.append(h('li', { 'data-id': n.id }, a));
    }
    nav.append(ul);
  }
}

// ---- node pages ---------------------------------------------------------------------------
function currentId(): string | undefined {
  const m = /^#!\/node\/(.+)$/.exec(location.hash);
  return m ? decodeURIComponent(m[1]!) : undefined;
}

const fmtBytes = (b: number) => (b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB` : `${(b / 1048576).toFixed(1)} MiB`);
const pre = (text: string | undefined, cls = 'sql') => h('pre', { class: cls }, text ?? '');

/** For each upstream "node\0column": the model columns computed from it. */
const usedBy = new Map<string, { node: string; column: string }[]>();
for (const [node, l] of Object.entries(data.lineage)) {
  for (const c of l.columns) {
    for (const u of c.upstream) {
      const k = `${u.node}\u0000${u.column.toLowerCase()}`;
      usedBy.set(k, [...(usedBy.get(k) ?? []), { node, column: c.column }]);
    }
  }
}

function lineageCell(n: SiteNode, column: string): HTMLElement {
  const cell = h('td', { class: 'lineage' });
  const l: ColumnLineage | undefined = data.lineage[n.id]?.columns.find((c) => c.column.toLowerCase() === column.toLowerCase());
  if (l) {
    cell.append(h('span', { class: `badge ${l.kind}` }, l.kind));
    l.upstream.forEach((u, i) => cell.append(i === 0 ? ' ← ' : ', ', nodeLink(u.node, `${data.nodes[u.node]?.label ?? u.node}.${u.column}`)));
    if (l.reason) cell.append(h('div', { class: 'reason' }, l.reason));
  } else if (n.resourceType === 'model' || n.resourceType === 'snapshot') {
    cell.append(
      h('span', { class: 'badge untraceable' }, 'untraceable'),
      h('div', { class: 'reason' }, data.lineage[n.id]?.error ?? 'the compiled SQL does not produce this column'),
    );
  }
  const users = usedBy.get(`${n.id}\u0000${column.toLowerCase()}`) ?? [];
  if (users.length > 0) {
    const div = h('div', { class: 'used-by' }, 'used by ');
    users.forEach((u, i) => div.append(i > 0 ? ', ' : '', nodeLink(u.node, `${data.nodes[u.node]?.label ?? u.node}.${u.column}`)));
    cell.append(div);
  }
  return cell;
}

function drawNode(n: SiteNode): void {
  const page = $('page');
  page.replaceChildren();
  page.dataset.id = n.id;
  const meta = h(
    'div',
    { class: 'meta' },
    h('span', {}, n.resourceType),
    n.relation ? h('span', {}, `relation ${n.relation}`) : null,
    h('span', {}, n.path),
    n.tags.length > 0 ? h('span', {}, `tags: ${n.tags.join(', ')}`) : null,
  );
  page.append(h('h1', {}, n.label), meta);
  if (n.resourceType !== 'test') {
    const run = n.lastRun;
    page.append(
      h(
        'div',
        { class: 'stats' },
        h(
          'div',
          { id: 'row-count' },
          h('b', {}, n.rowCount === undefined ? '—' : n.rowCount.toLocaleString('en-US')),
          n.inWarehouse ? 'rows in the warehouse' : 'not in the warehouse',
        ),
        n.bytes === undefined ? null : h('div', {}, h('b', {}, fmtBytes(n.bytes)), 'on disk'),
        h(
          'div',
          { id: 'last-run' },
          h('b', {}, run ? h('span', { class: `badge ${run.status}` }, run.status) : '—'),
          run
            ? `last run: ${run.duration.toFixed(2)} s${run.rows === undefined ? '' : `, ${run.rows.toLocaleString('en-US')} rows`}${run.at ? `, ${run.at}` : ''}`
            : 'no run recorded',
        ),
      ),
    );
    if (run?.message && run.status !== 'success') page.append(pre(run.message, 'error'));
  }
  page.append(h('h2', {}, 'Description'), h('div', { class: 'description' }, n.description ?? 'No description.'));
  if (n.resourceType === 'test' && n.attachedTo) {
    page.append(h('h2', {}, 'Tests'), h('p', {}, 'column ', nodeLink(n.attachedTo.node, `${data.nodes[n.attachedTo.node]?.label}.${n.attachedTo.column}`)));
    page.append(h('h2', {}, 'Compiled SQL'), pre(n.compiledSql));
    return;
  }
  const table = h(
    'table',
    { id: 'columns' },
    h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'Type'), h('th', {}, 'Description'), h('th', {}, 'Tests'), h('th', {}, 'Lineage')),
  );
  for (const c of n.columns) {
    const tests = h('td', {});
    for (const t of c.tests)
      tests.append(h('a', { class: 'badge', href: `#!/node/${encodeURIComponent(`test.${t}`)}` }, t.slice(0, t.indexOf('_' + n.name + '_')) || t));
    table.append(
      h(
        'tr',
        { 'data-column': c.name },
        h('td', {}, h('code', {}, c.name)),
        h('td', {}, h('code', {}, c.type ?? '')),
        h('td', { class: 'description' }, c.description ?? ''),
        tests,
        lineageCell(n, c.name),
      ),
    );
  }
  page.append(h('h2', {}, `Columns (${n.columns.length})`), table);
  const deps = h('p', {}, 'Depends on: ');
  (manifest.parentMap[n.id] ?? []).forEach((p, i) => deps.append(i > 0 ? ', ' : '', nodeLink(p)));
  if ((manifest.parentMap[n.id] ?? []).length === 0) deps.append('nothing');
  const refs = h('p', {}, 'Referenced by: ');
  (manifest.childMap[n.id] ?? []).forEach((p, i) => refs.append(i > 0 ? ', ' : '', nodeLink(p)));
  if ((manifest.childMap[n.id] ?? []).length === 0) refs.append('nothing');
  page.append(h('h2', {}, 'Lineage'), deps, refs);
  if (data.lineage[n.id]?.error) page.append(h('p', { class: 'reason' }, data.lineage[n.id]!.error!));
  page.append(h('h2', {}, 'Config'), pre(JSON.stringify(n.config, null, 2)));
  if (n.loader) page.append(h('h2', {}, 'Loaded from'), pre(JSON.stringify(n.loader, null, 2)));
  if (n.rawSql !== undefined) page.append(h('h2', {}, 'Source'), pre(n.rawSql));
  if (n.compiledSql !== undefined) page.append(h('h2', {}, 'Compiled SQL'), pre(n.compiledSql));
}

function drawOverview(): void {
  const page = $('page');
  page.replaceChildren();
  delete page.dataset.id;
  const count = (t: string) => Object.values(data.nodes).filter((n) => n.resourceType === t).length;
  page.append(
    h('h1', {}, 'Project'),
    h(
      'p',
      {},
      `${count('source')} sources, ${count('seed')} seeds, ${count('model')} models and ${count('test')} data tests on ${data.target.type} (target ${data.target.name}, schema ${data.target.schema}). Generated ${data.generatedAt}.`,
    ),
    h(
      'p',
      {},
      'Click a node in the graph to highlight what it reads (upstream) and what reads it (downstream). The selector box filters the graph with the CLI\u2019s grammar.',
    ),
    h('p', { class: 'meta' }, `Column lineage parsed with ${data.lineageParser}.`),
  );
}

function route(): void {
  const id = currentId();
  const n = id === undefined ? undefined : data.nodes[id];
  selected = n && n.resourceType !== 'test' ? n.id : n?.attachedTo?.node;
  if (n) drawNode(n);
  else drawOverview();
  highlight();
  drawList();
}

$('target').textContent = `${data.target.type} · ${data.target.schema}`;
$('search').addEventListener('input', drawList);
$('selector-form').addEventListener('submit', (e) => {
  e.preventDefault();
  applySelector(($('selector') as HTMLInputElement).value);
});
$('selector-clear').addEventListener('click', () => {
  ($('selector') as HTMLInputElement).value = '';
  applySelector('');
});
window.addEventListener('hashchange', route);
applySelector('');
route();
document.body.dataset.ready = 'true';
