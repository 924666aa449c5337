import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Step } from '../../src/adapters/adapter.js';
import { removeDir, runCli } from '../helpers/project.js';
import { planRun } from '../../src/materializations/plan-run.js';
import { SEED_CFG, buildPlanText, compileRedshift, existingRelations, planOf, planText, warehouseProject, variantsProject } from './redshift-project.js';

const dirs: string[] = [];
const keep = (d: string) => (dirs.push(d), d);
afterAll(() => dirs.forEach(removeDir));

const allText = (dir: string): string =>
  readdirSync(path.join(dir, 'target'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(path.join(e.parentPath, e.name), 'utf8'))
    .join('\n');

describe('sparkify compile --target redshift, offline', () => {
  it('writes every statement of a run, COPY included, to target/compiled/run_plan.sql', async () => {
    const dir = keep(warehouseProject());
    const r = runCli(['compile', '--target', 'redshift', '--project-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('every statement of a run -> target/compiled/run_plan.sql');
    expect(r.stdout).toContain('Compiled 7 nodes for redshift');
    const sql = readFileSync(path.join(dir, 'target/compiled/run_plan.sql'), 'utf8');
    await expect(sql).toMatchFileSnapshot('./__golden__/warehouse-run-plan.sql');
    expect(sql).toContain('COPY "public"."staging_events__sparkify_tmp" ("artist", "auth"');
    expect(sql).toContain(
      // an incremental source: one COPY per new file (the plan shows it for a placeholder name)
      "FROM 's3://udacity-dend/log_data/each-new-file.json'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 's3://udacity-dend/log_json_path.json'\nREGION 'us-west-2'",
    );
    expect(sql).toContain("FROM 's3://udacity-dend/song_data/each-new-file.json'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 'auto'");
    expect(sql).toContain('SET statement_timeout = 7200000;');
    // the models' keys, in the right place
    expect(sql).toContain('CREATE TABLE "public"."songplays__sparkify_tmp"\nDISTSTYLE KEY\nDISTKEY ("song_id")\nSORTKEY ("start_time")\nAS\n');
    expect(sql).toContain('CREATE TABLE "public"."users__sparkify_tmp"\nDISTSTYLE ALL\nSORTKEY ("user_id")\nAS\n');
    // no secret in anything written
    expect(allText(dir)).not.toContain('Passw0rd-not-real');
  });

  it('with [S3] MANIFEST_PREFIX, loads the new files of an incremental source with one COPY of their manifest, checked against STL_LOAD_COMMITS in its transaction', async () => {
    const c = compileRedshift(keep(warehouseProject(SEED_CFG.replace('[S3]\n', '[S3]\nMANIFEST_PREFIX = s3://sparkify-loads/manifests/\n'))));
    const text = planText(c, 'all');
    await expect(text).toMatchFileSnapshot('./__golden__/warehouse-manifest-loads.sql');
    const events = text.slice(text.indexOf('-- then the new files'), text.indexOf('COMMIT;', text.indexOf('-- then the new files')) + 7);
    // one transaction: tmp made, the COPY of the manifest, the committed files read for that COPY, the rows appended, the files recorded
    expect(
      events
        .split('\n')
        .filter((l) => /^(BEGIN|COMMIT|DROP|CREATE|COPY|SELECT TRIM|INSERT|DELETE)/.test(l))
        .map((l) => l.split(' (')[0]!.slice(0, 60)),
    ).toEqual([
      'BEGIN;',
      'DROP TABLE IF EXISTS "public"."staging_events__sparkify_tmp"',
      'CREATE TABLE "public"."staging_events__sparkify_tmp"',
      'COPY "public"."staging_events__sparkify_tmp"',
      'SELECT TRIM(filename) AS file, SUM(lines_scanned) AS lines F',
      'INSERT INTO "public"."staging_events"',
      'DELETE FROM "public"."sparkify_loaded_files" WHERE "source" ',
      'INSERT INTO "public"."sparkify_loaded_files"',
      'DROP TABLE IF EXISTS "public"."staging_events__sparkify_tmp"',
      'COMMIT;',
    ]);
    expect(events).toContain(
      "FROM 's3://sparkify-loads/manifests/each-run-id/sparkify.staging_events.manifest'\nIAM_ROLE 'arn:aws:iam::123456789012:role/dwhRole'\nFORMAT AS JSON 's3://udacity-dend/log_json_path.json'\nREGION 'us-west-2'\nMANIFEST\n",
    );
    expect(events).toContain('FROM stl_load_commits WHERE query = pg_last_copy_id() GROUP BY 1 ORDER BY 1;');
    // rows of a manifest load carry their load, not one file
    expect(events).toContain('CAST(NULL AS varchar(1024)), 1 FROM "public"."staging_events__sparkify_tmp";');
    expect(text).toContain("FROM 's3://sparkify-loads/manifests/each-run-id/sparkify.staging_songs.manifest'");
    expect(text).not.toContain('each-new-file.json');
  });

  it('pins the first build of the fixture warehouse (no old relations to rename or drop)', async () => {
    const c = compileRedshift(keep(warehouseProject()));
    const text = planText(c, 'none');
    await expect(text).toMatchFileSnapshot('./__golden__/warehouse-first-build.sql');
    expect(text).not.toContain('__sparkify_old');
  });

  it('pins the snapshot and the data tests of the fixture warehouse: its first build, then a build where users_history exists', async () => {
    const c = compileRedshift(keep(warehouseProject()));
    const only = (text: string) =>
      text
        .split('\n\n')
        .filter((block) => /^-- (snapshot|test)\./.test(block))
        .join('\n\n') + '\n';
    await expect(only(buildPlanText(c, 'none'))).toMatchFileSnapshot('./__golden__/warehouse-build-first.sql');
    const rebuild = only(buildPlanText(c, 'all'));
    await expect(rebuild).toMatchFileSnapshot('./__golden__/warehouse-build-rebuild.sql');
    // redshift: one transaction; SYSDATE is the transaction's start, so every version of the run has one time (AWS docs, SYSDATE)
    expect(rebuild).toContain('UPDATE "public"."users_history"\nSET "dbt_valid_to" = s."dbt_valid_from"\nFROM "public"."users_history__sparkify_tmp" AS s');
    expect(rebuild).toContain('SYSDATE AS "dbt_updated_at"');
    expect(rebuild).not.toMatch(/IS (NOT )?DISTINCT FROM|ON CONFLICT|MERGE/);
  });

  it('pins every config variant: dist and sort keys, views, incremental upserts, COPY options', async () => {
    const c = compileRedshift(keep(variantsProject()));
    await expect(planText(c, 'all')).toMatchFileSnapshot('./__golden__/variants-rebuild.sql');
    await expect(planText(c, 'none')).toMatchFileSnapshot('./__golden__/variants-first-build.sql');
  });

  it("upserts incremental models with MERGE's simplified mode, or DELETE ... USING and INSERT, in one transaction", () => {
    const c = compileRedshift(keep(variantsProject()));
    const tx = (name: string) => {
      const node = planOf(c, 'all').nodes.find((n) => n.name === name)!;
      expect(node.materialization).toBe('incremental');
      return node.steps.find((s): s is Extract<Step, { kind: 'transaction' }> => s.kind === 'transaction')!.statements;
    };
    expect(tx('upserted')).toEqual([
      'MERGE INTO "public"."upserted" USING "public"."upserted__sparkify_tmp" ON "public"."upserted"."id" = "upserted__sparkify_tmp"."id" REMOVE DUPLICATES',
    ]);
    expect(tx('deleted_inserted')).toEqual([
      'DELETE FROM "public"."deleted_inserted" USING "public"."deleted_inserted__sparkify_tmp" WHERE "public"."deleted_inserted"."id" = "deleted_inserted__sparkify_tmp"."id" AND "public"."deleted_inserted"."at" = "deleted_inserted__sparkify_tmp"."at"',
      'INSERT INTO "public"."deleted_inserted" SELECT * FROM "public"."deleted_inserted__sparkify_tmp"',
    ]);
  });

  it('swaps a table in one short transaction and drops the old table after the commit', () => {
    const c = compileRedshift(keep(warehouseProject()));
    const node = planOf(c, 'all').nodes.find((n) => n.name === 'songs')!;
    const kinds = node.steps.map((s) => (s.kind === 'sql' ? s.sql.split(/\s/).slice(0, 2).join(' ') : s.kind));
    expect(kinds).toEqual(['DROP TABLE', 'CREATE TABLE', 'ANALYZE "public"."songs__sparkify_tmp"', 'transaction', 'DROP TABLE', 'count']);
    const tx = node.steps[3] as Extract<Step, { kind: 'transaction' }>;
    expect(tx.statements).toEqual([
      'ALTER TABLE "public"."songs" RENAME TO "songs__sparkify_old"',
      'ALTER TABLE "public"."songs__sparkify_tmp" RENAME TO "songs"',
    ]);
    expect(node.steps[4]).toEqual({ kind: 'sql', sql: 'DROP TABLE IF EXISTS "public"."songs__sparkify_old" CASCADE' });
  });

  it('builds songplays incrementally: MERGE of the new plays with the watermarks, or the whole table when a source it reads changed', () => {
    const c = compileRedshift(keep(warehouseProject()));
    const node = planOf(c, 'all').nodes.find((n) => n.name === 'songplays')!;
    const choose = node.steps[0] as Extract<Step, { kind: 'choose' }>;
    expect(node.steps.map((s) => s.kind)).toEqual(['choose']);
    expect(choose.sql).toContain('"public"."sparkify_incremental_state"');
    const tx = choose.else.find((s): s is Extract<Step, { kind: 'transaction' }> => s.kind === 'transaction')!;
    expect(tx.statements[0]).toBe(
      'MERGE INTO "public"."songplays" USING "public"."songplays__sparkify_tmp" ON "public"."songplays"."songplay_id" = "songplays__sparkify_tmp"."songplay_id" REMOVE DUPLICATES',
    );
    expect(tx.statements.slice(1).every((x) => x.includes('"sparkify_incremental_state"'))).toBe(true);
    const swap = choose.then.find((s): s is Extract<Step, { kind: 'transaction' }> => s.kind === 'transaction')!;
    expect(swap.statements[1]).toBe('ALTER TABLE "public"."songplays__sparkify_tmp" RENAME TO "songplays"');
  });

  it('emits lower-case names and finds a MixedCase model among the lower-case relations Redshift lists', () => {
    const c = compileRedshift(keep(variantsProject()));
    const listed = existingRelations(c).map((r) => ({ ...r, name: r.name.toLowerCase() }));
    const node = planRun(c.manifest, ['model.MixedCase'], listed, c.dialect).nodes[0]!;
    const tx = node.steps.find((s): s is Extract<Step, { kind: 'transaction' }> => s.kind === 'transaction')!;
    expect(tx.statements).toEqual([
      'ALTER TABLE "public"."mixedcase" RENAME TO "mixedcase__sparkify_old"',
      'ALTER TABLE "public"."mixedcase__sparkify_tmp" RENAME TO "mixedcase"',
    ]);
  });

  it('never sends TRUNCATE, whose implicit commit would defeat a rollback', () => {
    for (const dir of [warehouseProject(), variantsProject()]) {
      keep(dir);
      for (const existing of ['none', 'all'] as const) expect(planText(compileRedshift(dir), existing)).not.toMatch(/\bTRUNCATE\b/i);
    }
  });
});

describe('values from dwh.cfg and sources.yml that reach SQL', () => {
  const HOSTILE = "'; drop table users; --";
  it.each([
    ['[IAM_ROLE] ARN', 'ARN=arn:aws:iam::123456789012:role/dwhRole', `ARN=arn:aws:iam::123456789012:role/dwhRole${HOSTILE}`, 9],
    ['[S3] LOG_DATA', "LOG_DATA='s3://udacity-dend/log_data'", `LOG_DATA=s3://udacity-dend/log_data${HOSTILE}`, 12],
    ['[S3] LOG_JSONPATH', "LOG_JSONPATH='s3://udacity-dend/log_json_path.json'", `LOG_JSONPATH="${HOSTILE}"`, 13],
    ['[S3] REGION', "SONG_DATA='s3://udacity-dend/song_data'", `SONG_DATA='s3://udacity-dend/song_data'\nREGION=us-west-2${HOSTILE}`, 15],
    ['[CLUSTER] REGION', 'DB_PORT=5439', `DB_PORT=5439\nREGION=us-west-2${HOSTILE}`, 7],
  ])('a hostile %s is a config error at its line, and no SQL is written', (label, from, to, line) => {
    const dir = keep(warehouseProject(SEED_CFG.replace(from, to)));
    const r = runCli(['compile', '--target', 'redshift', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`dwh\\.cfg:${line}(:\\d+)?: Config error: \\[${label.split(' ')[0]!.slice(1, -1)}\\]`));
    expect(existsSync(path.join(dir, 'target/compiled/run_plan.sql'))).toBe(false);
  });

  it('a hostile location in sources.yml is a project error, never SQL', () => {
    const dir = keep(warehouseProject());
    const yml = readFileSync(path.join(dir, 'sources.yml'), 'utf8');
    writeFileSync(path.join(dir, 'sources.yml'), yml.replace('location: "{{ target.s3.song_data }}"', `location: "s3://udacity-dend/song_data${HOSTILE}"`));
    const r = runCli(['compile', '--target', 'redshift', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/sources\.yml:\d+:\d+: Project error: invalid location/);
    expect(existsSync(path.join(dir, 'target/compiled/run_plan.sql'))).toBe(false);
  });

  it('a source in local files cannot be loaded by Redshift: the error says which and how to fix it', () => {
    const dir = keep(warehouseProject(SEED_CFG.replace("SONG_DATA='s3://udacity-dend/song_data'", 'SONG_DATA=data/song_data')));
    const r = runCli(['compile', '--target', 'redshift', '--project-dir', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /sources\.yml:\d+: Config error in sparkify\.staging_songs: Redshift loads sparkify\.staging_songs with COPY from S3, but its location is not an s3:\/\/ URI/,
    );
    expect(r.stderr).toContain('hint: point [S3] LOG_DATA / SONG_DATA');
  });
});
