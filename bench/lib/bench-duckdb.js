// 3. DuckDB: `sparkify run` against the same statements run bare through @duckdb/node-api.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, flushWrites, measure, medianRun } from './measure.js';
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
function engineSettings(root) {
  const src = readFileSync(path.join(root, 'dist', 'adapters', 'duckdb', 'duckdb-engine.js'), 'utf8');
  const m = /DuckDBInstance\.create\(file, \{([^}]*)\}\)/.exec(src);
  if (!m) return [];
  return [...m[1].matchAll(/([a-z_]+):\s*'([^']*)'/g)].map((x) => `${x[1]}=${x[2]}`);
}

/** sparkify builds and bare-engine floors, alternated; the median of each is kept */
const BUILD_RUNS = 3;

const failed = (nodes) => Object.entries(nodes).filter(([, n]) => n.status !== 'success');

export async function benchDuckdb(ctx) {
  const o = ctx.opts;
  const dir = path.join(ctx.tmp, 'duckdb');
  rmSync(dir, { recursive: true, force: true });
  const cfg = path.join(ctx.tmp, 'duckdb.cfg');
  const db = (name) => path.join(dir, `${name}.duckdb`);
  writeConfig(cfg, { S3: s3Section(ctx.dataDir), DUCKDB: { PATH: db('sparkify') } });
  const out = { events: o.events, songs: o.songs };
  ctx.data.duckdb = out;

  // The song files alone (issue 7: 100k one-object files load in < 10 s with peak RSS < 1 GB), into
  // a fresh database file: in the full build they load beside staging_events, on the same cores.
  ctx.log('sparkify run --select source:sparkify.staging_songs on DuckDB (the song files alone)');
  const songsCfg = path.join(ctx.tmp, 'duckdb-songs.cfg');
  writeConfig(songsCfg, { S3: s3Section(ctx.dataDir), DUCKDB: { PATH: db('songs') } });
  const songsRun = check(
    await measure(
      'node',
      [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', songsCfg, '--log-format', 'json', '--select', 'source:sparkify.staging_songs'],
      {
        cwd: ctx.root,
        what: 'sparkify run, staging_songs alone (duckdb)',
      },
    ),
    'sparkify run, staging_songs alone (duckdb)',
  );
  const songsNode = nodeResults(songsRun.stdout).nodes.staging_songs;
  if (songsNode?.status !== 'success') throw new Error(`staging_songs alone on DuckDB failed: ${JSON.stringify(songsNode)}`);
  out.songsAlone = { wallMs: songsRun.wallMs, peakRssMb: songsRun.peakRssMb, nodeMs: songsNode.ms, files: songsNode.files, rows: songsNode.rows };
  rmSync(db('songs'), { force: true });
  rmSync(songsCfg, { force: true });
  flushWrites();

  // a fresh database file for every build, so that each run is a first build, as the floor's is
  const sparkifyRun = async (label) => {
    ctx.log(`sparkify run on DuckDB (full build${label})`);
    rmSync(db('sparkify'), { force: true });
    const run = check(
      await measure('node', [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', cfg, '--log-format', 'json'], {
        cwd: ctx.root,
        what: 'sparkify run (duckdb)',
      }),
      'sparkify run (duckdb)',
    );
    const sp = nodeResults(run.stdout);
    if (failed(sp.nodes).length > 0) throw new Error(`sparkify run on DuckDB failed: ${JSON.stringify(failed(sp.nodes))}`);
    return { wallMs: run.wallMs, peakRssMb: run.peakRssMb, inProcessMs: sp.elapsedMs, nodes: sp.nodes };
  };
  const builds = [await sparkifyRun('')];
  const sp = builds[0];

  ctx.log('dumping the same statements, then running them bare through @duckdb/node-api');
  const planFile = path.join(ctx.tmp, 'duckdb-plan.json');
  check(
    await measure('node', [path.join(ctx.benchDir, 'lib', 'dump-plan.js'), '--project-dir', ctx.projectDir, '--config', cfg, '--out', planFile], {
      cwd: ctx.root,
    }),
    'dump-plan',
  );

  const floorRun = async (name, settings) => {
    const args = [path.join(ctx.benchDir, 'lib', 'duckdb-floor.js'), '--plan', planFile, '--db', db(name), ...settings.flatMap((kv) => ['--setting', kv])];
    const r = check(await measure('node', args, { cwd: ctx.root, what: `duckdb ${name}` }), `duckdb ${name}`);
    const doc = JSON.parse(r.stdout.trim().split('\n').pop());
    for (const [node, v] of Object.entries(sp.nodes)) {
      if (doc.nodes[node]?.rows !== v.rows) throw new Error(`floor ${name}: ${node} has ${doc.nodes[node]?.rows} rows, sparkify ${v.rows}`);
    }
    rmSync(db(name), { force: true });
    return { wallMs: r.wallMs, peakRssMb: r.peakRssMb, inProcessMs: doc.elapsedMs, nodes: doc.nodes, settings };
  };
  const settings = engineSettings(ctx.root);
  out.engineSettings = settings;
  // builds and floors alternate BUILD_RUNS times each, and each keeps its median: one noisy run does not decide the ratio
  const floors = [await floorRun('floor', settings)];
  for (let r = 1; r < BUILD_RUNS; r++) {
    builds.push(await sparkifyRun(`, run ${r + 1} of ${BUILD_RUNS}`));
    ctx.log(`bare @duckdb/node-api floor, run ${r + 1} of ${BUILD_RUNS}`);
    floors.push(await floorRun('floor', settings));
  }
  out.sparkify = {
    ...medianRun(builds, 'wallMs'),
    runsMs: builds.map((b) => Math.round(b.wallMs)),
    peakRssMb: Math.max(...builds.map((b) => b.peakRssMb ?? 0)),
  };
  out.floor = { ...medianRun(floors, 'wallMs'), runsMs: floors.map((f) => Math.round(f.wallMs)) };
  if (o.duckdbVariant && settings.length > 0) {
    ctx.log(`the same bare statements with DuckDB's default settings (without ${settings.join(', ')})`);
    out.floorDefaults = await floorRun('floor-defaults', []);
  }
  rmSync(db('sparkify'), { force: true });
  rmSync(planFile, { force: true });

  const ratio = out.sparkify.wallMs / out.floor.wallMs;
  out.overhead = ratio;
  const what = `${int(o.events)} events + ${int(o.songs)} song files`;
  ctx.rows.add({
    section: '3 duckdb',
    measure: `sparkify run, full build of ${what}`,
    value: `${s(out.sparkify.wallMs)}, ${mb(out.sparkify.peakRssMb)} (${rate(o.events, out.sparkify.wallMs)} events)`,
    note: `median of ${builds.length}: ${out.sparkify.runsMs.map((v) => s(v)).join(', ')}`,
  });
  ctx.rows.add({
    section: '3 duckdb',
    measure: `bare @duckdb/node-api, same statements, schedule and settings (floor${settings.length ? `; ${settings.join(', ')}` : ''})`,
    value: `${s(out.floor.wallMs)}, ${mb(out.floor.peakRssMb)} (${rate(o.events, out.floor.wallMs)} events)`,
    note: `median of ${floors.length}: ${out.floor.runsMs.map((v) => s(v)).join(', ')}`,
  });
  ctx.rows.add({ section: '3 duckdb', measure: 'sparkify ÷ floor (overhead)', value: x(ratio), target: '≤ 1.10×', met: ratio <= 1.1 });
  const ev = out.sparkify.nodes.staging_events;
  const so = out.sparkify.nodes.staging_songs;
  const sa = out.songsAlone;
  const songsTarget = sa.files >= 100_000;
  ctx.rows.add({
    section: '3 duckdb',
    measure: `staging_songs load alone, ${int(sa.files)} one-object files (\`sparkify run --select source:sparkify.staging_songs\`, fresh database)`,
    value: `${s(sa.wallMs)} whole process; ${s(sa.nodeMs)} in-process (${rate(sa.rows, sa.nodeMs)} rows)`,
    ...(songsTarget ? { target: '< 10 s', met: sa.wallMs < 10_000 } : {}),
  });
  ctx.rows.add({
    section: '3 duckdb',
    measure: 'peak RSS of the staging_songs load alone',
    value: mb(sa.peakRssMb),
    ...(songsTarget ? { target: '< 1 GB', met: sa.peakRssMb < 1024 } : {}),
  });
  if (ev)
    ctx.rows.add({
      section: '3 duckdb',
      measure: 'staging_events load (in-process, concurrent with staging_songs)',
      value: `${s(ev.ms)} (${rate(ev.rows, ev.ms)} rows); floor ${s(out.floor.nodes.staging_events?.ms)}`,
    });
  if (so) {
    ctx.rows.add({
      section: '3 duckdb',
      measure: `staging_songs load, ${int(so.files)} one-object files (in-process, in the full build, concurrent with staging_events)`,
      value: `${s(so.ms)}; floor ${s(out.floor.nodes.staging_songs?.ms)}`,
    });
    ctx.rows.add({ section: '3 duckdb', measure: 'peak RSS of the full build (includes the song files)', value: mb(out.sparkify.peakRssMb) });
  }
  if (out.floorDefaults) {
    const u = out.floorDefaults;
    ctx.rows.add({
      section: '3 duckdb',
      measure: "floor with DuckDB's default settings (what the engine did before this issue)",
      value: `${s(u.wallMs)}, ${mb(u.peakRssMb)}; staging_events ${s(u.nodes.staging_events?.ms)}, staging_songs ${s(u.nodes.staging_songs?.ms)}`,
      note: `${x(u.wallMs / out.floor.wallMs)} the time of the floor with the engine's settings`,
    });
  }
}
