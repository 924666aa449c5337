import { compile, resolveProjectTarget, type Compiled } from '../../src/api.js';
import type { ExistingRelation } from '../../src/adapters/adapter.js';
import { planRun, type Plan } from '../../src/materializations/plan-run.js';
import { renderPlan } from '../../src/materializations/render-plan.js';
import { copyFixtureProject, writeProject } from '../helpers/project.js';

/** The seed project's dwh.cfg, filled in with made-up values (no cluster is reachable). */
export const SEED_CFG = `[CLUSTER]
HOST=redshift-cluster-1.abc123xyz789.us-west-2.redshift.amazonaws.com
DB_NAME=dev
DB_USER=awsuser
DB_PASSWORD=Passw0rd-not-real
DB_PORT=5439

[IAM_ROLE]
ARN=arn:aws:iam::123456789012:role/dwhRole

[S3]
LOG_DATA='s3://udacity-dend/log_data'
LOG_JSONPATH='s3://udacity-dend/log_json_path.json'
SONG_DATA='s3://udacity-dend/song_data'
`;

/** A copy of the fixture warehouse (test/fixtures/warehouse) with the seed config. */
export function warehouseProject(cfg = SEED_CFG): string {
  return copyFixtureProject(cfg, 'sparkify-redshift-');
}

const column = (name: string, type: string) => `          - { name: ${name}, type: ${type} }`;

/** One source per COPY option variant, and one model per DDL variant. */
export function variantsProject(): string {
  const table = (name: string, location: string, copy: string) =>
    `      - name: ${name}\n        location: "${location}"\n        copy: { format: json, ${copy} }\n        columns:\n${column('id', 'integer')}\n${column('note', 'varchar(64)')}\n${column('at', 'timestamp')}`;
  const sources = [
    'version: 2',
    'sources:',
    '  - name: raw',
    '    tables:',
    table('auto_folder', 's3://sparkify-raw/events', 'json: auto'),
    table('ignorecase_slash', 's3://sparkify-raw/events/', "json: 'auto ignorecase'"),
    table('jsonpaths_file', 's3://sparkify-raw/events/2018-11-01.json', 'json: "{{ target.s3.log_jsonpath }}"'),
    table('whole_bucket', 's3://sparkify-raw', 'json: auto, region: eu-west-1'),
    table(
      'conversions',
      's3://sparkify-raw/events',
      "json: auto, timeformat: 'YYYY-MM-DD HH:MI:SS', truncatecolumns: true, blanksasnull: true, emptyasnull: true, acceptinvchars: '^'",
    ),
    table('epoch_times', 's3://sparkify-raw/events', 'json: auto, timeformat: epochmillisecs, max_errors: 10'),
    table('updates_on', 's3://sparkify-raw/events', 'json: auto, compupdate: true, statupdate: true'),
    table('gzip', 's3://sparkify-raw/gz', 'json: auto, compression: gzip'),
    table('zstd', 's3://sparkify-raw/zst', 'json: auto, compression: zstd'),
    table('manifest', 's3://sparkify-raw/loads/events.manifest', 'json: auto, manifest: true'),
  ].join('\n');
  const src = "{{ source('raw', 'auto_folder') }}";
  return writeProject({
    'dwh.cfg': SEED_CFG,
    'sources.yml': sources + '\n',
    'models/ddl/dist_key.sql': `{{ config(dist='id', sort=['at']) }}\nselect id, at from ${src}\n`,
    'models/ddl/dist_all.sql': `{{ config(dist='all') }}\nselect id from ${src}\n`,
    'models/ddl/dist_even_compound.sql': `{{ config(dist='even', sort=['id', 'at'], sort_type='compound') }}\nselect id, at from ${src}\n`,
    'models/ddl/dist_auto_interleaved.sql': `{{ config(dist='auto', sort=['id', 'at'], sort_type='interleaved') }}\nselect id, at from ${src}\n`,
    'models/ddl/no_keys.sql': `select id from ${src}\n`,
    'models/ddl/MixedCase.sql': `{{ config(dist='ID') }}\nselect id as ID from ${src}\n`,
    'models/views/late_binding.sql': `{{ config(materialized='view') }}\nselect * from {{ ref('no_keys') }}\n`,
    'models/views/late_binding_explicit.sql': `{{ config(materialized='view', bind=false) }}\nselect * from {{ ref('no_keys') }}\n`,
    'models/views/bound.sql': `{{ config(materialized='view', bind=true) }}\nselect * from {{ ref('no_keys') }}\n`,
    'models/incremental/upserted.sql':
      "{{ config(materialized='incremental', unique_key='id', dist='id', sort=['at']) }}\n" +
      `select id, note, at from ${src}\n{% if is_incremental() %}where at > (select max(at) from {{ this }}){% endif %}\n`,
    'models/incremental/deleted_inserted.sql':
      "{{ config(materialized='incremental', unique_key=['id', 'at'], incremental_strategy='delete+insert') }}\n" +
      `select id, note, at from ${src}\n{% if is_incremental() %}where at > (select max(at) from {{ this }}){% endif %}\n`,
    'models/incremental/appended.sql':
      "{{ config(materialized='incremental') }}\n" + `select id from ${src}\n{% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}\n`,
  });
}

export function compileRedshift(dir: string): Compiled {
  const opts = { projectDir: dir, targetName: 'redshift', env: {} };
  return compile(opts, resolveProjectTarget(opts));
}

/** Every relation of the project, as it exists after a previous build. */
export function existingRelations(c: Compiled): ExistingRelation[] {
  return Object.values(c.manifest.nodes).map((n) => ({
    ...n.relation,
    type: n.resourceType === 'model' && n.config.materialized === 'view' ? ('view' as const) : ('table' as const),
  }));
}

/** The plan of `sparkify run`: sources and models. */
export function planOf(c: Compiled, existing: 'none' | 'all'): Plan {
  const runs = c.manifest.order.filter((id) => ['model', 'source'].includes(c.manifest.nodes[id]!.resourceType));
  return planRun(c.manifest, runs, existing === 'all' ? existingRelations(c) : [], c.dialect);
}

/** The plan of `sparkify build`: sources, models, snapshots and tests, each node's tests after it. */
export function buildPlanOf(c: Compiled, existing: 'none' | 'all'): Plan {
  return planRun(c.manifest, c.manifest.order, existing === 'all' ? existingRelations(c) : [], c.dialect, { testsGateChildren: true });
}

export function buildPlanText(c: Compiled, existing: 'none' | 'all'): string {
  return renderPlan(buildPlanOf(c, existing), c.dialect).split(c.manifest.projectDir).join('<project>');
}

/** The plan as run_plan.sql spells it, with the temp project dir taken out. */
export function planText(c: Compiled, existing: 'none' | 'all'): string {
  return renderPlan(planOf(c, existing), c.dialect).split(c.manifest.projectDir).join('<project>');
}
