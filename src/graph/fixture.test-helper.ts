import type { GraphNode, Manifest, Materialization, ModelNode, SourceNode } from '../types.js';

function source(name: string, tags: string[] = []): SourceNode {
  return {
    id: `source.sparkify.${name}`,
    resourceType: 'source',
    name,
    sourceName: 'sparkify',
    fqn: ['sparkify', 'staging', 'sparkify', name],
    path: 'models/staging/sources.yml',
    file: '/project/models/staging/sources.yml',
    table: {
      id: `source.sparkify.${name}`,
      sourceName: 'sparkify',
      name,
      identifier: name,
      columns: [],
      file: '/project/models/staging/sources.yml',
      line: 1,
      tags,
    },
    relation: { schema: 'public', name },
    dependsOn: [],
    config: { tags, materialized: 'copy' },
  };
}

function model(
  name: string,
  path: string,
  dependsOn: string[],
  config: { materialized: Materialization; tags?: string[]; schema?: string; full_refresh?: boolean; meta?: Record<string, unknown> },
): ModelNode {
  return {
    id: `model.${name}`,
    resourceType: 'model',
    name,
    fqn: ['sparkify', ...path.split('/').slice(1, -1), name],
    path,
    file: `/project/${path}`,
    rawSql: 'select 1',
    compiledSql: 'select 1',
    lineMap: [1],
    config: { enabled: true, ...config, tags: config.tags ?? [] },
    dependsOn,
    refs: [],
    sources: [],
    columns: [],
    relation: { schema: config.schema ?? 'public', name },
  };
}

const EVENTS = 'source.sparkify.staging_events';
const SONGS = 'source.sparkify.staging_songs';

/**
 * staging_events -> songplays, users, stg_a;  staging_songs -> songplays, songs, artists;
 * songplays -> time, daily_plays;  users -> daily_plays;  stg_a -> stg_b
 */
export function sparkifyManifest(): Manifest {
  const nodes: GraphNode[] = [
    source('staging_events', ['raw']),
    source('staging_songs', ['raw']),
    model('artists', 'models/star/artists.sql', [SONGS], { materialized: 'table', tags: ['dimension'] }),
    model('songplays', 'models/star/songplays.sql', [EVENTS, SONGS], {
      materialized: 'incremental',
      tags: ['fact', 'nightly'],
      full_refresh: false,
    }),
    model('songs', 'models/star/songs.sql', [SONGS], { materialized: 'table', tags: ['dimension'], meta: { owner: 'ana' } }),
    model('stg_a', 'models/staging/stg_a.sql', [EVENTS], { materialized: 'view', tags: ['staging'] }),
    model('stg_b', 'models/staging/stg_b.sql', ['model.stg_a'], { materialized: 'view', tags: ['staging'] }),
    model('time', 'models/star/time.sql', ['model.songplays'], { materialized: 'table', tags: ['dimension'] }),
    { ...model('users', 'models/star/users.sql', [EVENTS], { materialized: 'view', tags: ['dimension'] }), patchPath: 'models/star/schema.yml' },
    model('daily_plays', 'models/marts/daily_plays.sql', ['model.songplays', 'model.users'], {
      materialized: 'table',
      tags: ['nightly', 'marts'],
      schema: 'analytics',
    }),
  ];
  const childMap: Record<string, string[]> = {};
  const parentMap: Record<string, string[]> = {};
  for (const n of nodes) {
    childMap[n.id] ??= [];
    parentMap[n.id] = [...n.dependsOn];
    for (const p of n.dependsOn) (childMap[p] ??= []).push(n.id);
  }
  return {
    projectDir: '/project',
    projectName: 'sparkify',
    generatedAt: '2024-01-01T00:00:00Z',
    target: { name: 'dev', type: 'duckdb', schema: 'public' },
    vars: {},
    nodes: Object.fromEntries(nodes.map((n) => [n.id, n])),
    order: nodes.map((n) => n.id),
    childMap,
    parentMap,
  };
}
