import { describe, expect, it } from 'vitest';
import { sparkifyManifest } from '../graph/fixture.test-helper.js';
import type { GraphNode, Manifest, ModelNode, SourceNode } from '../types.js';
import { planRebuild, type RebuildInput } from './plan-rebuild.js';

const short = (id: string): string => id.replace(/^model\.|^source\.sparkify\./, '');

/** A copy of the fixture manifest with `edit` applied, and its DAG maps rebuilt. */
function edited(edit: (nodes: Record<string, GraphNode>) => void): Manifest {
  const m = structuredClone(sparkifyManifest());
  edit(m.nodes);
  m.order = m.order.filter((id) => id in m.nodes);
  for (const id of Object.keys(m.nodes)) if (!m.order.includes(id)) m.order.push(id);
  m.childMap = Object.fromEntries(m.order.map((id) => [id, [] as string[]]));
  m.parentMap = Object.fromEntries(m.order.map((id) => [id, [...m.nodes[id]!.dependsOn]]));
  for (const id of m.order) for (const p of m.nodes[id]!.dependsOn) m.childMap[p]?.push(id);
  return m;
}

const model = (nodes: Record<string, GraphNode>, name: string) => nodes[`model.${name}`] as ModelNode;
const source = (nodes: Record<string, GraphNode>, name: string) => nodes[`source.sparkify.${name}`] as SourceNode;

function plan(next: Manifest, over: Partial<RebuildInput> = {}) {
  const p = planRebuild({ previous: sparkifyManifest(), next, selected: next.order, stale: new Set(), touchedFiles: [], full: false, ...over });
  return { nodes: p.nodes.map(short), changed: p.changed.map(short), deleted: p.deleted.map((n) => short(n.id)) };
}

describe('planRebuild', () => {
  const cases: [string, (nodes: Record<string, GraphNode>) => void, string[]][] = [
    ['nothing changed', () => undefined, []],
    ['a mart: it and its children', (n) => void (model(n, 'songplays').compiledSql = 'select 2'), ['songplays', 'time', 'daily_plays']],
    ['a leaf', (n) => void (model(n, 'artists').compiledSql = 'select 2'), ['artists']],
    ['an incremental branch', (n) => void (model(n, 'songplays').compiledIncrementalSql = 'select 3'), ['songplays', 'time', 'daily_plays']],
    ['blank lines and trailing spaces only', (n) => void (model(n, 'songplays').compiledSql = '\n\nselect 1   \n\n'), []],
    ['the raw template only (a comment)', (n) => void (model(n, 'songplays').rawSql = '{# hi #}select 1'), []],
    ['the order of config keys', (n) => void (model(n, 'users').config = Object.fromEntries(Object.entries(model(n, 'users').config).reverse()) as ModelNode['config']), []],
    ['a config value', (n) => void (model(n, 'users').config.materialized = 'table'), ['users', 'daily_plays']],
    ['a dependency', (n) => void model(n, 'stg_b').dependsOn.push('model.users'), ['stg_b']],
    ['a relation (alias)', (n) => void (model(n, 'stg_a').relation.name = 'stg_a2'), ['stg_a', 'stg_b']],
    ['docs and descriptions', (n) => void Object.assign(model(n, 'time'), { description: 'new', columns: [{ name: 'x', type: '' }] }), []],
    ['a source column', (n) => void source(n, 'staging_songs').table.columns.push({ name: 'x', type: 'integer' }), ['staging_songs', 'artists', 'songplays', 'songs', 'time', 'daily_plays']],
    ['a source location', (n) => void (source(n, 'staging_events').table.location = '/data/events'), ['staging_events', 'songplays', 'stg_a', 'stg_b', 'time', 'users', 'daily_plays']],
    ['a source description and line', (n) => void Object.assign(source(n, 'staging_events').table, { description: 'd', line: 40 }), []],
  ];
  it.each(cases)('%s', (_, edit, expected) => {
    expect(plan(edited(edit)).nodes).toEqual(expected);
  });

  it('intersects changed+ with the selection', () => {
    const next = edited((n) => void (model(n, 'songplays').compiledSql = 'select 2'));
    expect(plan(next, { selected: ['model.songplays', 'model.time', 'model.users'] }).nodes).toEqual(['songplays', 'time']);
    expect(plan(next, { selected: ['model.artists'] })).toEqual({ nodes: [], changed: ['songplays'], deleted: [] });
  });

  it('builds a new model and reports a deleted one', () => {
    const next = edited((n) => {
      delete n['model.stg_b'];
      n['model.stg_c'] = { ...structuredClone(model(n, 'stg_a')), id: 'model.stg_c', name: 'stg_c', dependsOn: ['model.stg_a'] };
    });
    expect(plan(next)).toEqual({ nodes: ['stg_c'], changed: ['stg_c'], deleted: ['stg_b'] });
  });

  it('builds the whole selection on a full run and before the first good compile', () => {
    const next = edited(() => undefined);
    const selected = ['model.users', 'model.daily_plays'];
    expect(plan(next, { selected, full: true }).nodes).toEqual(['users', 'daily_plays']);
    expect(plan(next, { selected, previous: undefined }).nodes).toEqual(['users', 'daily_plays']);
  });

  it('rebuilds stale ancestors of what it rebuilds, and their children', () => {
    const next = edited((n) => void (model(n, 'time').compiledSql = 'select 2'));
    expect(plan(next, { stale: new Set(['model.songplays']) }).nodes).toEqual(['songplays', 'time', 'daily_plays']);
    // a stale node elsewhere in the DAG waits for its own change
    expect(plan(next, { stale: new Set(['model.artists']) }).nodes).toEqual(['time']);
  });

  it('retries a stale node when its file is saved, even unchanged', () => {
    const next = edited(() => undefined);
    const stale = new Set(['model.users']);
    expect(plan(next, { stale, touchedFiles: ['/project/models/star/users.sql'] }).nodes).toEqual(['users', 'daily_plays']);
    expect(plan(next, { stale, touchedFiles: ['/project/models/star/songs.sql'] }).nodes).toEqual([]);
  });
});
