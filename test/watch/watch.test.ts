// End to end: the real CLI in watch mode on a throwaway DuckDB project, real file edits, and the
// JSON events it prints. Run after `npm run build` (npm test builds first).
import { appendFileSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeProject, sampleData, tempRoot, WATCHED_FIXTURE, WatchProcess, type LogEvent } from './watch-harness.js';

const SOURCES = ['source.sparkify.staging_events', 'source.sparkify.staging_songs'];
const repoModels = (readdirSync(path.join(WATCHED_FIXTURE, 'models'), { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/'));
const ALL = [...SOURCES, ...repoModels.filter((f) => f.endsWith('.sql')).map((f) => `model.${path.basename(f, '.sql')}`)].sort();
/** the files a fresh project has to follow: models and their YAML, sources.yml, sparkify.yml and dwh.cfg */
const FOLLOWED = repoModels.filter((f) => /\.(sql|ya?ml)$/.test(f)).length + 3;

const sorted = (v: unknown): string[] => [...(v as string[])].sort();
const ofType = (events: LogEvent[], type: string) => events.filter((e) => e.event === type);
const built = (events: LogEvent[]) =>
  ofType(events, 'node_end')
    .map((e) => e.result as { id: string; status: string })
    .map((r) => r.id)
    .sort();

let root: string;
let data: string;
const sessions: WatchProcess[] = [];

beforeAll(async () => {
  root = tempRoot();
  data = await sampleData(root);
});

afterEach(async () => {
  for (const w of sessions.splice(0)) await w.kill();
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh project and a watch session on it, past its first run. */
async function start(args: string[] = []) {
  const dir = makeProject(root, data);
  const w = new WatchProcess(dir, args);
  sessions.push(w);
  await w.idle();
  const file = (rel: string) => path.join(dir, rel);
  return { w, dir, file, read: (rel: string) => readFileSync(file(rel), 'utf8') };
}

async function relationsIn(dbFile: string): Promise<string[]> {
  const db = await DuckDBInstance.create(dbFile, { access_mode: 'READ_ONLY' });
  try {
    const c = await db.connect();
    const rows = (await c.runAndReadAll(`SELECT table_schema || '.' || table_name AS r FROM information_schema.tables ORDER BY 1`)).getRowObjectsJson();
    c.closeSync();
    return rows.map((r) => String(r.r));
  } finally {
    db.closeSync();
  }
}

describe('sparkify run --watch', () => {
  it('runs the selection first, then rebuilds only an edited mart and its children', async () => {
    const { w, file } = await start();
    const first = ofType(w.events, 'rebuild_end');
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ status: 'success', rebuild: 1 });
    expect(sorted(first[0]!.nodes)).toEqual(ALL);
    expect(ofType(w.events, 'watching')[0]).toMatchObject({ files: FOLLOWED });

    const mart = await w.rebuild(() => appendFileSync(file('models/star/songplays.sql'), '\n-- edited\n'));
    expect(mart.end).toMatchObject({ status: 'success', nodes: ['model.songplays', 'model.time'], failed: [] });
    expect(built(mart.events)).toEqual(['model.songplays', 'model.time']);
    expect(ofType(mart.events, 'rebuild_start')[0]).toMatchObject({ reason: 'change', files: ['models/star/songplays.sql'] });

    const leaf = await w.rebuild(() => appendFileSync(file('models/star/users.sql'), '\n-- edited\n'));
    expect(leaf.end).toMatchObject({ status: 'success', nodes: ['model.users'] });
    expect(built(leaf.events)).toEqual(['model.users']);

    // a template comment does not change the compiled SQL: nothing is rebuilt
    const comment = await w.rebuild(() => appendFileSync(file('models/star/songplays.sql'), '\n{# a note #}\n'));
    expect(comment.end).toMatchObject({ status: 'nothing', nodes: [] });
    expect(built(comment.events)).toEqual([]);
  });

  it('reloads sources.yml and rebuilds the changed source and its descendants', async () => {
    const { w, file, read } = await start();
    const yml = read('sources.yml');

    const description = await w.rebuild(() => writeFileSync(file('sources.yml'), yml.replace('as kept in S3.', 'as kept in the bucket.')));
    expect(description.end).toMatchObject({ status: 'nothing', nodes: [] });

    const columnType = '- { name: year, type: integer, description: 0 when unknown }';
    expect(yml).toContain(columnType);
    const type = await w.rebuild(() => writeFileSync(file('sources.yml'), yml.replace(columnType, columnType.replace('integer', 'bigint'))));
    expect(type.plan).toMatchObject({ changed: ['source.sparkify.staging_songs'] });
    expect(type.end).toMatchObject({ status: 'success' });
    expect(sorted(type.end.nodes)).toEqual(['model.artists', 'model.songplays', 'model.songs', 'model.time', 'source.sparkify.staging_songs']);
    // staging_events is not copied again, and users does not depend on songs
    expect(built(type.events)).toEqual(sorted(type.end.nodes));
  });

  it('prints located errors, keeps going, and recovers when the file is fixed', async () => {
    const { w, file, read } = await start();
    const time = read('models/star/time.sql');
    const songplays = read('models/star/songplays.sql');
    const errorOf = (events: LogEvent[]) => ofType(events, 'error')[0]?.error as { kind: string; file?: string; line?: number; message: string; hint?: string };

    // template syntax error
    const syntax = await w.rebuild(() => writeFileSync(file('models/star/time.sql'), time.replace("ref('songplays')", "ref('songplays'")));
    expect(syntax.end).toMatchObject({ status: 'error', nodes: [] });
    expect(errorOf(syntax.events)).toMatchObject({ kind: 'template', file: file('models/star/time.sql') });
    expect(errorOf(syntax.events).line).toBeGreaterThan(1);
    // putting the built text back: the database already holds it
    const restored = await w.rebuild(() => writeFileSync(file('models/star/time.sql'), time));
    expect(restored.end).toMatchObject({ status: 'nothing' });

    // unknown ref, with a suggestion
    const ref = await w.rebuild(() => writeFileSync(file('models/star/time.sql'), time.replace("ref('songplays')", "ref('songplay')")));
    expect(ref.end).toMatchObject({ status: 'error' });
    expect(errorOf(ref.events).file).toBe(file('models/star/time.sql'));
    expect(JSON.stringify(errorOf(ref.events))).toContain("'songplays'");

    // a cycle: songplays -> time -> songplays
    const cycle = await w.rebuild(() => {
      writeFileSync(file('models/star/time.sql'), time);
      writeFileSync(file('models/star/songplays.sql'), `${songplays}\n-- {{ ref('time') }}\n`);
    });
    expect(cycle.end).toMatchObject({ status: 'error' });
    expect(errorOf(cycle.events).message).toContain('cycle');
    const uncycled = await w.rebuild(() => writeFileSync(file('models/star/songplays.sql'), songplays));
    expect(uncycled.end).toMatchObject({ status: 'nothing' });

    // an SQL error from the database, mapped to the model's file and line
    const sql = await w.rebuild(() => writeFileSync(file('models/star/time.sql'), time.replace('select\n    start_time,', 'select\n    start_time, no_such_column,')));
    expect(sql.end).toMatchObject({ status: 'failed', nodes: ['model.time'], failed: ['model.time'] });
    const failedNode = ofType(sql.events, 'node_end')[0]!.result as { status: string; error: { kind: string; file: string; line?: number } };
    expect(failedNode.status).toBe('error');
    expect(failedNode.error).toMatchObject({ kind: 'database', file: file('models/star/time.sql') });
    expect(failedNode.error.line).toBe(time.split('\n').findIndex((l) => l === '    start_time,') + 1);

    const fixed = await w.rebuild(() => writeFileSync(file('models/star/time.sql'), `${time}\n-- fixed\n`));
    expect(fixed.end).toMatchObject({ status: 'success', nodes: ['model.time'] });
    expect(w.running).toBe(true);
  });

  it('adds a new model to the DAG and builds only it', async () => {
    const { w, file } = await start();
    const mart = await w.rebuild(() => {
      mkdirSync(file('models/marts'), { recursive: true });
      writeFileSync(file('models/marts/plays_by_level.sql'), "select level, count(*) as plays\nfrom {{ ref('songplays') }}\ngroup by level\n");
    });
    expect(mart.end).toMatchObject({ status: 'success', nodes: ['model.plays_by_level'] });
    expect(built(mart.events)).toEqual(['model.plays_by_level']);
    expect(ofType(mart.events, 'watching').at(-1)).toMatchObject({ files: FOLLOWED + 1 });

    const child = await w.rebuild(() => writeFileSync(file('models/marts/paid_plays.sql'), "select * from {{ ref('plays_by_level') }} where level = 'paid'\n"));
    expect(child.end).toMatchObject({ status: 'success', nodes: ['model.paid_plays'] });
  });

  it('leaves a deleted or renamed model in place and says so', async () => {
    const { w, dir, file } = await start();
    const deleted = await w.rebuild(() => unlinkSync(file('models/star/time.sql')));
    expect(deleted.plan).toMatchObject({ nodes: [], deleted: [{ id: 'model.time', relation: 'main.time' }] });
    expect(deleted.end).toMatchObject({ status: 'nothing' });
    expect(ofType(deleted.events, 'watching').at(-1)).toMatchObject({ files: FOLLOWED - 1 });

    const renamed = await w.rebuild(() => renameSync(file('models/star/users.sql'), file('models/star/app_users.sql')));
    expect(renamed.plan).toMatchObject({ nodes: ['model.app_users'], deleted: [{ id: 'model.users', relation: 'main.users' }] });
    expect(renamed.end).toMatchObject({ status: 'success', nodes: ['model.app_users'] });

    w.signal('SIGINT');
    expect(await w.exit()).toEqual({ code: 0, signal: null });
    const relations = await relationsIn(path.join(dir, 'target', 'sparkify.duckdb'));
    expect(relations).toEqual(expect.arrayContaining(['main.time', 'main.users', 'main.app_users']));
  });

  it('turns a burst of 20 saves into one rebuild', async () => {
    const { w, dir, file, read } = await start();
    const songplays = read('models/star/songplays.sql');
    const from = w.mark();
    // 20 separate saves; the session is stopped while they land, so no gap between two of them can
    // outlast the quiet window, however loaded the machine (see WatchProcess.frozen)
    w.frozen(() => {
      for (let i = 1; i <= 20; i++) writeFileSync(file('models/star/songplays.sql'), `${songplays}\n-- save ${i}\n`);
    });
    const end = await w.waitFor((e) => e.event === 'rebuild_end', from);
    expect(end).toMatchObject({ status: 'success', nodes: ['model.songplays', 'model.time'] });
    // the rebuild read the last save: every write had landed before the session could see one
    expect(readFileSync(path.join(dir, 'target', 'compiled', 'models', 'star', 'songplays.sql'), 'utf8')).toContain('-- save 20');
    // a later, separate edit is the next rebuild that builds anything
    const edit = w.mark();
    w.frozen(() => appendFileSync(file('models/star/users.sql'), '\n-- edited\n'));
    const next = await w.waitFor((e) => e.event === 'rebuild_end' && sorted(e.nodes).includes('model.users'), edit);
    await w.idle(w.events.indexOf(next));
    expect(next).toMatchObject({ status: 'success', nodes: ['model.users'] });
    // The 20 saves are 40 queued inotify events. Their copies are dropped by chokidar's throttles
    // (5 ms, then 50 ms) and one change event reaches the session; on a starved machine (load 20+
    // on 2 cores) the process can be descheduled for longer than the quiet window between two of
    // them, so a late copy can start a second rebuild after the first: it finds the compiled SQL
    // unchanged and builds nothing. What the burst must never do is build songplays twice.
    const ends = ofType(w.events.slice(from, w.events.indexOf(next) + 1), 'rebuild_end');
    const building = ends.filter((e) => (e.nodes as string[]).length > 0);
    expect(building.map((e) => e.nodes)).toEqual([['model.songplays', 'model.time'], ['model.users']]);
    expect(ends.filter((e) => !building.includes(e)).map((e) => e.status)).toEqual(ends.filter((e) => !building.includes(e)).map(() => 'nothing'));
    const starts = ofType(w.events.slice(from, w.events.indexOf(next) + 1), 'rebuild_start');
    expect(starts[0]).toMatchObject({ files: ['models/star/songplays.sql'] });
  });

  it('never runs two rebuilds at once: saves during a rebuild make one follow-up', async () => {
    const { w, file } = await start();
    const from = w.mark();
    writeFileSync(file('models/star/slow.sql'), 'select sum(a.range * b.range) as s from range(6000) a, range(6000) b\n');
    await w.waitFor((e) => e.event === 'node_start' && e.id === 'model.slow', from);
    w.frozen(() => {
      appendFileSync(file('models/star/users.sql'), '\n-- edited during the run\n');
      appendFileSync(file('models/star/songs.sql'), '\n-- edited during the run\n');
    });
    const followUp = await w.waitFor((e) => e.event === 'rebuild_end' && sorted(e.nodes).includes('model.users'), from);
    expect(followUp).toMatchObject({ status: 'success' });
    expect(sorted(followUp.nodes)).toEqual(['model.songs', 'model.users']);
    const lifecycle = w.events.slice(from).filter((e) => e.event === 'rebuild_start' || e.event === 'rebuild_end');
    expect(lifecycle.map((e) => e.event)).toEqual(['rebuild_start', 'rebuild_end', 'rebuild_start', 'rebuild_end']);
    expect(lifecycle[0]).toMatchObject({ files: ['models/star/slow.sql'] });
    expect(sorted(lifecycle[2]!.files)).toEqual(['models/star/songs.sql', 'models/star/users.sql']);
  });

  it('reconnects and runs the whole selection when the config file changes', async () => {
    const { w, file } = await start();
    const r = await w.rebuild(() => appendFileSync(file('dwh.cfg'), '\n[SPARKIFY]\nTHREADS=2\n'));
    expect(ofType(r.events, 'rebuild_start')[0]).toMatchObject({ reason: 'config', files: ['dwh.cfg'] });
    expect(r.events.some((e) => e.event === 'log' && String(e.message).startsWith('Connected to duckdb'))).toBe(true);
    expect(ofType(r.events, 'run_start')[0]).toMatchObject({ threads: 2 });
    expect(r.end).toMatchObject({ status: 'success' });
    expect(sorted(r.end.nodes)).toEqual(ALL);
  });

  it('honours --select: only changed+ inside the selection is rebuilt', async () => {
    const { w, file } = await start(['--select', '+songplays']);
    expect(sorted(ofType(w.events, 'rebuild_end')[0]!.nodes)).toEqual(['model.songplays', ...SOURCES]);
    const r = await w.rebuild(() => appendFileSync(file('models/star/songplays.sql'), '\n-- edited\n'));
    expect(r.end).toMatchObject({ status: 'success', nodes: ['model.songplays'] });
    const outside = await w.rebuild(() => appendFileSync(file('models/star/users.sql'), '\n-- edited\n'));
    expect(outside.end).toMatchObject({ status: 'nothing', nodes: [] });
  });

  it('exits 0 on Ctrl-C when idle', async () => {
    const { w } = await start();
    const from = w.mark();
    w.signal('SIGINT');
    expect(await w.exit()).toEqual({ code: 0, signal: null });
    expect(ofType(w.events.slice(from), 'watch_end')).toMatchObject([{ exitCode: 0 }]);
  });

  it('exits 130 on Ctrl-C during a rebuild, cancelling the running query', async () => {
    const { w, file } = await start();
    const from = w.mark();
    // about 20 s of work unless it is cancelled
    writeFileSync(file('models/star/slow.sql'), 'select sum(a.range * b.range) as s from range(60000) a, range(60000) b\n');
    await w.waitFor((e) => e.event === 'node_start' && e.id === 'model.slow', from);
    w.signal('SIGINT');
    expect(await w.exit()).toEqual({ code: 130, signal: null });
    expect(ofType(w.events.slice(from), 'rebuild_end')).toMatchObject([{ status: 'interrupted' }]);
    // the query was cancelled, not left to finish: the model ended in error, not success
    expect(ofType(w.events.slice(from), 'node_end').map((e) => e.result)).toMatchObject([{ id: 'model.slow', status: 'error', message: expect.stringMatching(/interrupt/i) }]);
  });
});
