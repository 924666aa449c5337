// 7. Incremental runs: with 30 days of events loaded and built, `sparkify run` after day 31 arrives,
// against a full build of the 31 days from nothing, on DuckDB and on PostgreSQL, in the same run.
// Target: the incremental run costs at most 1/10 of the full build.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { check, flushWrites, measure } from './measure.js';
import { nodeResults, s3Section, writeConfig } from './bench-duckdb.js';
import { generate } from './bench-generate.js';
import { int, s, x } from './report.js';

const PG = { HOST: '127.0.0.1', PORT: '5432', DB_NAME: 'test', DB_USER: 'root' };
const DAY_MS = 24 * 3600 * 1000;

/**
 * Day 31: the last day of a second data set (another seed, so other users and sessions), its
 * timestamps moved one day on, written where the next day's log would be.
 */
function writeDay31(fromDir, toDir) {
  const src = path.join(fromDir, 'log_data', '2018', '11', '2018-11-30-events.json');
  const lines = readFileSync(src, 'utf8').split('\n').filter(Boolean);
  const out = lines.map((l) => {
    const e = JSON.parse(l);
    e.ts += DAY_MS;
    return JSON.stringify(e);
  });
  const dir = path.join(toDir, 'log_data', '2018', '12');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, '2018-12-01-events.json');
  writeFileSync(file, out.join('\n') + '\n');
  return { file, events: out.length };
}

async function psql(sql) {
  return measure('psql', ['-h', PG.HOST, '-p', PG.PORT, '-U', PG.DB_USER, '-d', PG.DB_NAME, '-v', 'ON_ERROR_STOP=1', '-X', '-q', '-Atc', sql], {
    gnuTime: false,
    timeoutMs: 120_000,
  });
}

export async function benchIncremental(ctx) {
  const o = ctx.opts;
  const section = '7 incremental';
  const perDay = o.incrementalDayEvents;
  const runs = o.incrementalRuns;
  const out = { perDay, runs: [] };
  ctx.data.incremental = out;
  const root = path.join(ctx.tmp, 'incremental');
  const base = path.join(root, 'base');
  const other = path.join(root, 'other');
  ctx.log(`generating 30 days of ${int(perDay)} events, and day 31`);
  await generate(ctx, { out: base, events: perDay * 30, songs: 0, seed: o.seed });
  await generate(ctx, { out: other, events: perDay * 30, songs: 0, seed: o.seed + 1 });
  const day31 = writeDay31(other, root);
  rmSync(other, { recursive: true, force: true });
  const withDay31 = (dir) => {
    const to = path.join(dir, 'log_data', '2018', '12');
    mkdirSync(to, { recursive: true });
    copyFileSync(day31.file, path.join(to, path.basename(day31.file)));
  };
  flushWrites();
  const songs = path.join(ctx.dataDir, 'song_data');
  const s3 = (dir) => ({ ...s3Section(dir), SONG_DATA: songs });

  const run = async (cfg, target, what) => {
    ctx.log(what);
    const r = check(
      await measure('node', [ctx.cli, 'run', '--project-dir', ctx.projectDir, '--config', cfg, '--target', target, '--log-format', 'json'], {
        cwd: ctx.root,
        what,
      }),
      what,
    );
    const res = nodeResults(r.stdout);
    const bad = Object.entries(res.nodes).filter(([, n]) => n.status !== 'success');
    if (bad.length > 0) throw new Error(`${what} failed: ${JSON.stringify(bad)}`);
    return { wallMs: r.wallMs, inProcessMs: res.elapsedMs, nodes: res.nodes };
  };

  const pgUp = (await psql('SELECT 1')).code === 0;
  const engines = ['duckdb', ...(pgUp ? ['postgres'] : [])];
  if (!pgUp) ctx.rows.add({ section, measure: 'PostgreSQL', value: 'not available', note: `PostgreSQL at ${PG.HOST}:${PG.PORT} is not reachable` });
  // each engine's measurements: the incremental run after day 31, and the full build of 31 days
  const results = Object.fromEntries(engines.map((e) => [e, { incremental: [], full: [] }]));
  const schemas = [];
  try {
    for (let r = 0; r < runs; r++) {
      for (const engine of engines) {
        // the 30 days loaded and built (not measured), in a data folder of their own, then day 31 added
        const data = path.join(root, `data-${engine}-${r}`);
        mkdirSync(data, { recursive: true });
        check(await measure('cp', ['-r', path.join(base, 'log_data'), path.join(base, 'log_json_path.json'), data], { gnuTime: false }), 'copy the 30 days');
        const schema = `bench_inc_${process.pid}_${r}`;
        const full = `${schema}_full`;
        const targetSection = (sch, db) => (engine === 'duckdb' ? { DUCKDB: { PATH: path.join(root, `${db}.duckdb`) } } : { POSTGRES: { ...PG, SCHEMA: sch } });
        if (engine === 'postgres') {
          schemas.push(schema, full);
          for (const sc of [schema, full]) await psql(`DROP SCHEMA IF EXISTS "${sc}" CASCADE`);
        }
        const cfg = path.join(root, `inc-${engine}-${r}.cfg`);
        writeConfig(cfg, { S3: s3(data), ...targetSection(schema, `inc-${r}`) });
        await run(cfg, engine, `${engine}: the 30 days (${int(perDay * 30)} events), built once before the measured runs (run ${r + 1} of ${runs})`);
        withDay31(data);
        flushWrites();
        results[engine].incremental.push(await run(cfg, engine, `${engine}: sparkify run after day 31 arrived (run ${r + 1} of ${runs})`));
        // the full build of the 31 days, from nothing
        const fullCfg = path.join(root, `full-${engine}-${r}.cfg`);
        writeConfig(fullCfg, { S3: s3(data), ...targetSection(full, `full-${r}`) });
        flushWrites();
        results[engine].full.push(await run(fullCfg, engine, `${engine}: full build of the 31 days (run ${r + 1} of ${runs})`));
        if (engine === 'postgres') for (const sc of [schema, full]) await psql(`DROP SCHEMA IF EXISTS "${sc}" CASCADE`);
        for (const f of [`inc-${r}.duckdb`, `full-${r}.duckdb`]) rmSync(path.join(root, f), { force: true });
        rmSync(data, { recursive: true, force: true });
      }
    }
  } finally {
    for (const sc of schemas) await psql(`DROP SCHEMA IF EXISTS "${sc}" CASCADE`).catch(() => undefined);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const engine of engines) {
    const inc = results[engine].incremental.map((v) => v.wallMs);
    const full = results[engine].full.map((v) => v.wallMs);
    const ratio = median(inc) / median(full);
    out[engine] = { incremental: results[engine].incremental, full: results[engine].full, ratio };
    const label = engine === 'duckdb' ? 'DuckDB' : 'PostgreSQL';
    const runsNote = (xs) => (xs.length > 1 ? `median of ${xs.length}: ${xs.map((v) => s(v)).join(', ')}` : '1 run');
    const inc0 = results[engine].incremental[0];
    const loadMs = inc0?.nodes.staging_events?.ms;
    ctx.rows.add({
      section,
      measure: `${label}: \`sparkify run\` after day 31 (${int(day31.events)} events) with 30 days of ${int(perDay)} events loaded`,
      value: `${s(median(inc))} whole process`,
      note: `${runsNote(inc)}${loadMs !== undefined ? `; staging_events ${s(loadMs)} (${int(inc0.nodes.staging_events.rows)} rows)` : ''}`,
    });
    ctx.rows.add({ section, measure: `${label}: full build of the 31 days, from nothing`, value: `${s(median(full))} whole process`, note: runsNote(full) });
    ctx.rows.add({ section, measure: `${label}: incremental ÷ full build`, value: x(ratio), target: '≤ 0.1×', met: ratio <= 0.1 });
  }
  rmSync(root, { recursive: true, force: true });
}
