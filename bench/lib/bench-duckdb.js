// 3. DuckDB: `sparkify run` against the floor a user would write by hand: DuckDB's read_json with
// explicit column types into a file database with the same settings (dump-plan.js writes it,
// duckdb-floor.js runs it), then the models' own SQL.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, flushWrites, measure, medianRun } from './measure.js';
import { generate } from './bench-generate.js';
import { int, mb, rate, s, x } from './report.js';

/** node_end events of a `--log-format json` run, by node name. */
export function nodeResults(stdout) {
  const nodes = {};
  let elapsed;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.event === 'node_end')
      nodes[e.result.name] = {
        status: e.result.status,
        rows: e.result.rows,
        files: e.result.files,
        ms: Math.round(e.result.duration * 1000),
        message: e.result.message,
      };
    if (e.event === 'run_end') elapsed = Math.round(e.result.elapsed * 1000);
  }
  return { nodes, elapsedMs: elapsed };
}

export function writeConfig(file, sections) {
  const text = Object.entries(sections)
    .map(
      ([name, kv]) =>
        `[${name}]\n${Object.entries(kv)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n')}\n`,
    )
    .join('\n');
  writeFileSync(file, text);
}

export function s3Section(dataDir) {
  return { LOG_DATA: path.join(dataDir, 'log_data'), LOG_JSONPATH: path.join(dataDir, 'log_json_path.json'), SONG_DATA: path.join(dataDir, 'song_data') };
}

/**
 * The instance settings sparkify's DuckDB engine opens its database with, read from the built
 * engine, so that the floor runs with the same ones.
 */
async function engineSettings(root) {
  const src = readFileSync(path.join(root, 'dist', 'adapters', 'duckdb', 'duckdb-engine.js'), 'utf8');
  // the settings given always (a read-only open adds access_mode after them)
  const m = /DuckDBInstance\.create\(file, \{((?:\s*[a-z_]+:\s*'[^']*',?)*)/.exec(src);
  const fixed = m ? [...m[1].matchAll(/([a-z_]+):\s*'([^']*)'/g)].map((x) => `${x[1]}=${x[2]}`) : [];
  // and the memory_limit it opens a database with when dwh.cfg sets none
  const { defaultMemoryLimit } = await import(path.join(root, 'dist', 'adapters', 'duckdb', 'index.js'));
  return defaultMemoryLimit ? [...fixed, `memory_limit=${defaultMemoryLimit()}`] : fixed;
}

/** sparkify runs and floors alternate this many times each, and each keeps its median */
const RUNS = 3;

const failed = (nodes) => Object.entries(nodes).filter(([, n]) => n.status !== 'success');

/**
 * `sparkify run` of a selection into a fresh database file, and the hand-written floor of the same
 * selection, alternated RUNS times; the medians and every run. The floor's row counts must equal
 * sparkify's.
 */
async function alternate(ctx, { label, cfg, dbFile, select, settings }) {
  const selectArgs = select ? ['--select', select] : [];
  const planFile = path.join(ctx.tmp, 'duckdb-plan.json');
  check(
    await measure(
      'node',
      [path.join(ctx.benchDir, 'lib', 'dump-plan.js'), '--project-dir', ctx.projectDir, '--config', cfg, '--out', planFile, ...selectArgs],
      { cwd: ctx.root },
    ),
    'dump-plan',
  );
  const floorDb = `${dbFile}.floor`;
  const sparkify = async (r) => {
    ctx.log(`sparkify run on DuckDB, ${label} (run ${r + 1} of ${RUNS})`);
    rmSync(dbFile, { force: true });
    flushWrites();
    const what = `sparkify run, ${label} (duckdb)`;
    const run = check(
      await measure('node', [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', cfg, '--log-format', 'json', ...selectArgs], { cwd: ctx.root, what }),
      what,
    );
    const sp = nodeResults(run.stdout);
    if (failed(sp.nodes).length > 0) throw new Error(`${what} failed: ${JSON.stringify(failed(sp.nodes))}`);
    rmSync(dbFile, { force: true });
    return { wallMs: run.wallMs, peakRssMb: run.peakRssMb, inProcessMs: sp.elapsedMs, nodes: sp.nodes };
  };
  const floor = async (r, expected) => {
    ctx.log(`hand-written read_json floor, ${label} (run ${r + 1} of ${RUNS})`);
    rmSync(floorDb, { force: true });
    flushWrites();
    const args = [path.join(ctx.benchDir, 'lib', 'duckdb-floor.js'), '--plan', planFile, '--db', floorDb, ...settings.flatMap((kv) => ['--setting', kv])];
    const what = `duckdb floor, ${label}`;
    const f = check(await measure('node', args, { cwd: ctx.root, what }), what);
    const doc = JSON.parse(f.stdout.trim().split('\n').pop());
    for (const [node, v] of Object.entries(expected)) {
      if (doc.nodes[node]?.rows !== v.rows) throw new Error(`floor, ${label}: ${node} has ${doc.nodes[node]?.rows} rows, sparkify ${v.rows}`);
    }
    rmSync(floorDb, { force: true });
    return { wallMs: f.wallMs, peakRssMb: f.peakRssMb, inProcessMs: doc.elapsedMs, nodes: doc.nodes };
  };
  const runs = [];
  const floors = [];
  for (let r = 0; r < RUNS; r++) {
    runs.push(await sparkify(r));
    floors.push(await floor(r, runs[0].nodes));
  }
  rmSync(planFile, { force: true });
  const summary = (xs) => ({
    ...medianRun(xs, 'wallMs'),
    wallRuns: xs.map((x) => Math.round(x.wallMs)),
    inProcessMs: medianRun(xs, 'inProcessMs').inProcessMs,
    inProcessRuns: xs.map((x) => x.inProcessMs),
    peakRssMb: Math.max(...xs.map((x) => x.peakRssMb ?? 0)),
  });
  return { sparkify: summary(runs), floor: summary(floors) };
}

const runsNote = (a) =>
  `median of ${a.wallRuns.length}: ${a.wallRuns.map((v) => s(v)).join(', ')} whole process; ${a.inProcessRuns.map((v) => s(v)).join(', ')} in-process`;

export async function benchDuckdb(ctx) {
  const o = ctx.opts;
  const section = '3 duckdb';
  const dir = path.join(ctx.tmp, 'duckdb');
  rmSync(dir, { recursive: true, force: true });
  const db = (name) => path.join(dir, `${name}.duckdb`);
  const out = { events: o.events, songs: o.songs };
  ctx.data.duckdb = out;
  const settings = await engineSettings(ctx.root);
  out.engineSettings = settings;
  const floorWhat = `DuckDB's read_json, explicit column types, same settings${settings.length ? ` (${settings.join(', ')})` : ''}, file database`;
  const parts = o.duckdbParts;

  // the staging_events load alone, at each size: sparkify's load against read_json by hand
  if (parts.includes('load')) {
    out.loads = {};
    for (const n of o.duckdbLoadSizes) {
      let dataDir = ctx.dataDir;
      if (n !== o.events) {
        dataDir = path.join(ctx.tmp, `duckdb-data-${n}`);
        ctx.log(`generating ${int(n)} events for the DuckDB load`);
        await generate(ctx, { out: dataDir, events: n, songs: 0, seed: o.seed });
        flushWrites();
      }
      const cfg = path.join(ctx.tmp, `duckdb-load-${n}.cfg`);
      writeConfig(cfg, { S3: s3Section(dataDir), DUCKDB: { PATH: db(`load-${n}`) } });
      const label = `staging_events load, ${int(n)} events`;
      const r = await alternate(ctx, { label, cfg, dbFile: db(`load-${n}`), select: 'source:sparkify.staging_events', settings });
      out.loads[n] = r;
      const sp = r.sparkify;
      const fl = r.floor;
      const spNode = sp.nodes.staging_events;
      ctx.rows.add({
        section,
        measure: `${label}: \`sparkify run --select source:sparkify.staging_events\`, fresh database`,
        value: `${s(sp.wallMs)} whole process, ${s(sp.inProcessMs)} in-process (${rate(spNode?.rows ?? n, sp.inProcessMs)} rows), ${mb(sp.peakRssMb)}`,
        note: runsNote(sp),
      });
      ctx.rows.add({
        section,
        measure: `${label}: floor, ${floorWhat}`,
        value: `${s(fl.wallMs)} whole process, ${s(fl.inProcessMs)} in-process, ${mb(fl.peakRssMb)}`,
        note: runsNote(fl),
      });
      const whole = sp.wallMs / fl.wallMs;
      const inProcess = sp.inProcessMs / fl.inProcessMs;
      ctx.rows.add({ section, measure: `${label}: sparkify ÷ floor, whole process`, value: x(whole), target: '≤ 1.15×', met: whole <= 1.15 });
      ctx.rows.add({ section, measure: `${label}: sparkify ÷ floor, in-process`, value: x(inProcess), target: '≤ 1.15×', met: inProcess <= 1.15 });
      rmSync(cfg, { force: true });
      if (dataDir !== ctx.dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  }

  // The song files alone (issue 7: 100k one-object files load in < 10 s with peak RSS < 1 GB), into
  // a fresh database file: in the full build they load beside staging_events, on the same cores.
  if (parts.includes('songs')) {
    ctx.log('sparkify run --select source:sparkify.staging_songs on DuckDB (the song files alone)');
    const songsCfg = path.join(ctx.tmp, 'duckdb-songs.cfg');
    writeConfig(songsCfg, { S3: s3Section(ctx.dataDir), DUCKDB: { PATH: db('songs') } });
    const what = 'sparkify run, staging_songs alone (duckdb)';
    const songsRun = check(
      await measure(
        'node',
        [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', songsCfg, '--log-format', 'json', '--select', 'source:sparkify.staging_songs'],
        { cwd: ctx.root, what },
      ),
      what,
    );
    const songsNode = nodeResults(songsRun.stdout).nodes.staging_songs;
    if (songsNode?.status !== 'success') throw new Error(`staging_songs alone on DuckDB failed: ${JSON.stringify(songsNode)}`);
    const sa = (out.songsAlone = {
      wallMs: songsRun.wallMs,
      peakRssMb: songsRun.peakRssMb,
      nodeMs: songsNode.ms,
      files: songsNode.files,
      rows: songsNode.rows,
    });
    rmSync(db('songs'), { force: true });
    rmSync(songsCfg, { force: true });
    flushWrites();
    const songsTarget = sa.files >= 100_000;
    ctx.rows.add({
      section,
      measure: `staging_songs load alone, ${int(sa.files)} one-object files (\`sparkify run --select source:sparkify.staging_songs\`, fresh database)`,
      value: `${s(sa.wallMs)} whole process; ${s(sa.nodeMs)} in-process (${rate(sa.rows, sa.nodeMs)} rows)`,
      ...(songsTarget ? { target: '< 10 s', met: sa.wallMs < 10_000 } : {}),
    });
    ctx.rows.add({
      section,
      measure: 'peak RSS of the staging_songs load alone',
      value: mb(sa.peakRssMb),
      ...(songsTarget ? { target: '< 1 GB', met: sa.peakRssMb < 1024 } : {}),
    });
  }

  // the full build: sparkify against the hand-written loads followed by the models' SQL, same schedule
  if (parts.includes('build')) {
    const cfg = path.join(ctx.tmp, 'duckdb.cfg');
    writeConfig(cfg, { S3: s3Section(ctx.dataDir), DUCKDB: { PATH: db('sparkify') } });
    const what = `${int(o.events)} events + ${int(o.songs)} song files`;
    const r = await alternate(ctx, { label: `full build of ${what}`, cfg, dbFile: db('sparkify'), settings });
    out.sparkify = r.sparkify;
    out.floor = r.floor;
    const sp = r.sparkify;
    const fl = r.floor;
    ctx.rows.add({
      section,
      measure: `sparkify run, full build of ${what}`,
      value: `${s(sp.wallMs)} whole process, ${s(sp.inProcessMs)} in-process, ${mb(sp.peakRssMb)} (${rate(o.events, sp.wallMs)} events)`,
      note: runsNote(sp),
    });
    ctx.rows.add({
      section,
      measure: `floor: the loads by hand (${floorWhat}), then the models' SQL, same schedule`,
      value: `${s(fl.wallMs)} whole process, ${s(fl.inProcessMs)} in-process, ${mb(fl.peakRssMb)}`,
      note: runsNote(fl),
    });
    const ratio = sp.wallMs / fl.wallMs;
    out.overhead = ratio;
    ctx.rows.add({
      section,
      measure: 'full build: sparkify ÷ floor, whole process',
      value: x(ratio),
      note: `in-process ${x(sp.inProcessMs / fl.inProcessMs)}`,
    });
    const ev = sp.nodes.staging_events;
    const so = sp.nodes.staging_songs;
    if (ev)
      ctx.rows.add({
        section,
        measure: 'staging_events load in the full build (in-process, concurrent with staging_songs)',
        value: `${s(ev.ms)} (${rate(ev.rows, ev.ms)} rows); floor ${s(fl.nodes.staging_events?.ms)}`,
      });
    if (so)
      ctx.rows.add({
        section,
        measure: `staging_songs load, ${int(so.files)} one-object files, in the full build (in-process, concurrent with staging_events)`,
        value: `${s(so.ms)}; floor ${s(fl.nodes.staging_songs?.ms)}`,
      });
    rmSync(cfg, { force: true });
  }

  // memory: one full build over many events, with the song files of the main data set
  if (parts.includes('large') && o.duckdbLarge > 0) {
    const n = o.duckdbLarge;
    const bigDir = path.join(ctx.tmp, `duckdb-data-${n}`);
    ctx.log(`generating ${int(n)} events for the DuckDB memory check`);
    await generate(ctx, { out: bigDir, events: n, songs: 0, seed: o.seed });
    flushWrites();
    const cfg = path.join(ctx.tmp, 'duckdb-large.cfg');
    writeConfig(cfg, { S3: { ...s3Section(bigDir), SONG_DATA: path.join(ctx.dataDir, 'song_data') }, DUCKDB: { PATH: db('large') } });
    ctx.log(`sparkify run on DuckDB, full build of ${int(n)} events`);
    const what = `sparkify run, full build of ${int(n)} events (duckdb)`;
    const run = check(
      await measure('node', [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', cfg, '--log-format', 'json'], { cwd: ctx.root, what }),
      what,
    );
    const sp = nodeResults(run.stdout);
    if (failed(sp.nodes).length > 0) throw new Error(`${what} failed: ${JSON.stringify(failed(sp.nodes))}`);
    out.large = { events: n, wallMs: run.wallMs, peakRssMb: run.peakRssMb, inProcessMs: sp.elapsedMs, nodes: sp.nodes };
    ctx.rows.add({
      section,
      measure: `full build of ${int(n)} events + ${int(o.songs)} song files: peak RSS`,
      value: `${mb(run.peakRssMb)} (${s(run.wallMs)}, ${rate(n, run.wallMs)} events)`,
      target: '< 4 GB',
      met: run.peakRssMb !== undefined && run.peakRssMb < 4096,
    });
    rmSync(db('large'), { force: true });
    rmSync(cfg, { force: true });
    rmSync(bigDir, { recursive: true, force: true });
  }
}
