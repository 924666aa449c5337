import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/api.js';
import { columnLineage, type ColumnLineageDoc } from '../../src/lineage/column-lineage.js';
import { copyRepoProject, removeDir } from '../helpers/project.js';
import { SEED_CFG } from '../redshift/redshift-project.js';

/** Column-level lineage of every column of the shipped Sparkify models, compiled for each engine. */

const E = 'source.sparkify.staging_events';
const S = 'source.sparkify.staging_songs';
const P = 'model.songplays';

// column -> [kind, upstream as "node:column"]
const EXPECTED: Record<string, Record<string, [string, string[]]>> = {
  'model.songplays': {
    songplay_id: ['derived', [`${E}:iteminsession`, `${E}:sessionid`, `${E}:ts`, `${E}:userid`]],
    start_time: ['derived', [`${E}:ts`]],
    user_id: ['derived', [`${E}:userid`]],
    level: ['direct', [`${E}:level`]],
    song_id: ['direct', [`${S}:song_id`]],
    artist_id: ['direct', [`${S}:artist_id`]],
    session_id: ['direct', [`${E}:sessionid`]],
    location: ['direct', [`${E}:location`]],
    user_agent: ['direct', [`${E}:useragent`]],
  },
  'model.users': {
    user_id: ['derived', [`${E}:userid`]],
    first_name: ['direct', [`${E}:firstname`]],
    last_name: ['direct', [`${E}:lastname`]],
    gender: ['direct', [`${E}:gender`]],
    level: ['direct', [`${E}:level`]],
  },
  'model.songs': {
    song_id: ['direct', [`${S}:song_id`]],
    title: ['direct', [`${S}:title`]],
    artist_id: ['direct', [`${S}:artist_id`]],
    year: ['direct', [`${S}:year`]],
    duration: ['direct', [`${S}:duration`]],
  },
  'model.artists': {
    artist_id: ['direct', [`${S}:artist_id`]],
    name: ['direct', [`${S}:artist_name`]],
    location: ['direct', [`${S}:artist_location`]],
    latitude: ['direct', [`${S}:artist_latitude`]],
    longitude: ['direct', [`${S}:artist_longitude`]],
  },
  'model.time': {
    start_time: ['direct', [`${P}:start_time`]],
    hour: ['derived', [`${P}:start_time`]],
    day: ['derived', [`${P}:start_time`]],
    week: ['derived', [`${P}:start_time`]],
    month: ['derived', [`${P}:start_time`]],
    year: ['derived', [`${P}:start_time`]],
    weekday: ['derived', [`${P}:start_time`]],
  },
  // the snapshot's select; its dbt_* columns come from the warehouse (test/docs/docs-site.test.ts)
  'snapshot.users_history': {
    user_id: ['direct', ['model.users:user_id']],
    first_name: ['direct', ['model.users:first_name']],
    last_name: ['direct', ['model.users:last_name']],
    gender: ['direct', ['model.users:gender']],
    level: ['direct', ['model.users:level']],
  },
};

const dir = copyRepoProject(SEED_CFG);
afterAll(() => removeDir(dir));

describe.each(['duckdb', 'postgres', 'redshift'])('column lineage of the Sparkify models compiled for %s', (targetName) => {
  let doc: ColumnLineageDoc;
  it('traces every column of every model', async () => {
    const c = compile({ projectDir: dir, targetName, env: {} });
    doc = await columnLineage(c.manifest, { dialect: c.dialect });
    expect(Object.keys(doc.nodes).sort()).toEqual(Object.keys(EXPECTED).sort());
    for (const [model, cols] of Object.entries(EXPECTED)) {
      const node = doc.nodes[model]!;
      expect(node.error).toBeUndefined();
      const got = Object.fromEntries(node.columns.map((c) => [c.column, [c.kind, c.upstream.map((u) => `${u.node}:${u.column}`)]]));
      expect(got, model).toEqual(cols);
      // every model column declared in schema.yml is traced, in the model's own order
      const declared = c.manifest.nodes[model]!;
      if (declared.resourceType === 'model' && declared.columns.length > 0)
        expect(node.columns.map((x) => x.column)).toEqual(declared.columns.map((x) => x.name));
    }
  });
});
