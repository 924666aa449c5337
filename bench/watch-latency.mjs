#!/usr/bin/env node
// Watch-mode latency on DuckDB: the time from writing a model file to "model rebuilt" (its
// node_end event with status success), for a small table model at the mart level.
//
//   npm run build && node bench/watch-latency.mjs [--edits 25] [--models N] [out.json]
//
// By default the project is Sparkify's own models plus that mart. With --models N it is the
// compile benchmark's synthetic project of N models (bench/lib/synth-project.js) plus one edited
// table model on its root, and the watch session selects that model and its parent
// (`--select +bench_edit`): every save still loads and compiles all N models, as a developer's
// session on a large project does, while the database builds only the edited model.
//
// Prints one line per edit, then the median and p95; the last line of stdout is the result as
// JSON, and it is also written to out.json when a path is given.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  args.splice(i, 2);
  return Number(v);
};
const EDITS = flag('--edits', 25);
const MODELS = flag('--models', 0);
const WARMUP = 3;
const outFile = args[0];

const dir = mkdtempSync(path.join(os.tmpdir(), 'sparkify-watch-bench-'));
const martName = MODELS > 0 ? 'bench_edit' : 'plays_by_level';
const mart = path.join(dir, 'models', 'marts', `${martName}.sql`);
const martSql = (i) =>
  MODELS > 0
    ? `{{ config(materialized='table') }}\n\nselect id, value + ${i} as value, label\nfrom {{ ref('x') }}\nwhere id > {{ var('bench_start') }}\n`
    : `{{ config(materialized='table') }}\n\nselect level, count(*) as plays, ${i} as edit\nfrom {{ ref('songplays') }}\ngroup by level\n`;

async function setUp() {
  if (MODELS > 0) {
    const { synthGraph, writeSparkifyProject } = await import('./lib/synth-project.js');
    writeSparkifyProject(dir, synthGraph(MODELS - 1));
    mkdirSync(path.dirname(mart), { recursive: true });
    writeFileSync(mart, martSql(0));
    return;
  }
  cpSync(path.join(repo, 'models'), path.join(dir, 'models'), { recursive: true });
  cpSync(path.join(repo, 'sources.yml'), path.join(dir, 'sources.yml'));
  cpSync(path.join(repo, 'sparkify.yml'), path.join(dir, 'sparkify.yml'));
  mkdirSync(path.dirname(mart), { recursive: true });
  writeFileSync(mart, martSql(0));
  let data = path.join(repo, 'data', 'sample');
  if (!['log_data', 'song_data', 'log_json_path.json'].every((f) => existsSync(path.join(data, f)))) {
    data = path.join(dir, 'data');
    const { generateData } = await import(path.join(repo, 'dist', 'generate', 'generate-data.js'));
    await generateData({ outDir: data, events: 3000, songs: 120, seed: 42, matchRate: 0.3 });
  }
  writeFileSync(
    path.join(dir, 'dwh.cfg'),
    `[S3]\nLOG_DATA='${path.join(data, 'log_data')}'\nLOG_JSONPATH='${path.join(data, 'log_json_path.json')}'\nSONG_DATA='${path.join(data, 'song_data')}'\n`,
  );
}

function startWatch() {
  const select = MODELS > 0 ? ['--select', `+${martName}`] : [];
  const child = spawn(process.execPath, [path.join(repo, 'bin', 'sparkify.js'), 'run', '--watch', '--log-format', 'json', '--project-dir', dir, ...select], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const waiters = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const at = performance.now();
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    for (const w of [...waiters]) {
      if (w.match(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve({ e, at });
      }
    }
  });
  const next = (match, ms = 30_000) =>
    new Promise((resolve, reject) => {
      const w = { match, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref();
    });
  return { child, next };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

let child;
try {
  await setUp();
  const watch = startWatch();
  child = watch.child;
  const { next } = watch;
  await next((e) => e.event === 'watching', MODELS > 0 ? 300_000 : 30_000);
  const samples = [];
  for (let i = 1; i <= WARMUP + EDITS; i++) {
    const rebuilt = next((e) => e.event === 'node_end' && e.result?.id === `model.${martName}`);
    const idle = next((e) => e.event === 'watching');
    const t0 = performance.now();
    writeFileSync(mart, martSql(i));
    const { e, at } = await rebuilt;
    if (e.result.status !== 'success') throw new Error(`edit ${i}: the model did not build: ${e.result.message}`);
    await idle;
    if (i > WARMUP) {
      samples.push(at - t0);
      console.log(`edit ${i - WARMUP}: ${(at - t0).toFixed(1)} ms`);
    }
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const result = {
    bench: 'watch-latency',
    engine: 'duckdb',
    models: MODELS > 0 ? MODELS : 'sparkify',
    edits: samples.length,
    median_ms: Number(pct(sorted, 0.5).toFixed(1)),
    p95_ms: Number(pct(sorted, 0.95).toFixed(1)),
    min_ms: Number(sorted[0].toFixed(1)),
    max_ms: Number(sorted[sorted.length - 1].toFixed(1)),
    target_median_ms: 200,
  };
  console.log(`median ${result.median_ms} ms, p95 ${result.p95_ms} ms over ${result.edits} edits (target: median < 200 ms)`);
  if (outFile) writeFileSync(outFile, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result));
} finally {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
}
