#!/usr/bin/env node
// npm run bench [-- options]: every benchmark of issue 7 in one run, as ratios against a peer or a
// floor measured in the same run. Writes bench/results.json and bench/RESULTS.md.
// See bench/README.md for the options and what each figure means.
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './lib/machine.js';
import { flushWrites, noisy } from './lib/measure.js';
import { Rows, markdown, s, x } from './lib/report.js';
import { benchGenerate } from './lib/bench-generate.js';
import { benchCompile } from './lib/bench-compile.js';
import { benchDuckdb } from './lib/bench-duckdb.js';
import { benchPostgres } from './lib/bench-postgres.js';
import { benchWatch } from './lib/bench-watch.js';
import { benchDocs } from './lib/bench-docs.js';
import { benchIncremental } from './lib/bench-incremental.js';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(benchDir);

const HELP = `npm run bench -- [options]

  --events N            events to generate and load (default 1000000)
  --songs N             one-object song files (default 100000)
  --seed N              generator seed (default 42)
  --sizes A,B           synthetic project sizes for sparkify compile/ls (default 1000,10000)
  --dataform-sizes A,B  sizes also compiled by Dataform; 'none' to skip (default 1000,5000,10000)
  --dataform-timeout S  budget per dataform compile, seconds (default 240)
  --repeat N            runs per sparkify compile/ls, median kept, within 12 s per command (default 3)
  --pg-large N          also load N events into PostgreSQL for the memory check; 0 to skip (default 5000000)
  --pg-build-timeout S  budget for the PostgreSQL full build, seconds (default 150)
  --watch-timeout S     budget for bench/watch-latency.mjs, seconds (default 180)
  --duckdb-parts LIST   parts of the duckdb section: load,songs,build,large (default all)
  --duckdb-load-sizes L events for the staging_events load against its floor (default <events>,5000000)
  --duckdb-large N      events of the DuckDB memory check (a full build); 0 to skip (default 10000000)
  --incremental-day-events N  events a day for the incremental rows: 30 days loaded, then day 31 (default 100000)
  --incremental-runs N  incremental run and full build of 31 days, alternated, median kept (default 3)
  --watch-models LIST   watch latency on the Sparkify project ('sparkify') and on synthetic projects
                        of these sizes (default sparkify,10000)
  --only LIST           run only these sections: generate,compile,duckdb,postgres,watch,docs,incremental
  --skip LIST           skip these sections
  --keep-tmp            keep the scratch folder (bench/tmp/run-<pid>)
  --no-write            print the table only; leave results.json and RESULTS.md alone`;

const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    songs: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '42' },
    sizes: { type: 'string', default: '1000,10000' },
    'dataform-sizes': { type: 'string', default: '1000,5000,10000' },
    'dataform-timeout': { type: 'string', default: '240' },
    repeat: { type: 'string', default: '3' },
    'pg-large': { type: 'string', default: '5000000' },
    'pg-build-timeout': { type: 'string', default: '150' },
    'watch-timeout': { type: 'string', default: '180' },
    'duckdb-parts': { type: 'string', default: 'load,songs,build,large' },
    'duckdb-load-sizes': { type: 'string' },
    'duckdb-large': { type: 'string', default: '10000000' },
    'watch-models': { type: 'string', default: 'sparkify,10000' },
    'incremental-day-events': { type: 'string', default: '100000' },
    'incremental-runs': { type: 'string', default: '3' },
    only: { type: 'string' },
    skip: { type: 'string', default: '' },
    'keep-tmp': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}

const count = (name) => {
  const v = Number(String(a[name]).replace(/_/g, ''));
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number, got ${a[name]}`);
  return v;
};
const list = (v) => (v === 'none' || v === '' ? [] : v.split(',').map((x) => Number(x.trim().replace(/_/g, ''))));
const SECTIONS = ['generate', 'compile', 'duckdb', 'postgres', 'watch', 'docs', 'incremental'];
const only = a.only ? a.only.split(',') : SECTIONS;
const skip = a.skip.split(',').filter(Boolean);
for (const x of [...only, ...skip]) if (!SECTIONS.includes(x)) throw new Error(`unknown section '${x}': ${SECTIONS.join(', ')}`);
const sections = SECTIONS.filter((x) => only.includes(x) && !skip.includes(x));
// the loads need the generated data
if ((sections.includes('duckdb') || sections.includes('postgres') || sections.includes('incremental')) && !sections.includes('generate')) sections.unshift('generate');

const opts = {
  events: count('events'),
  songs: count('songs'),
  seed: count('seed'),
  sizes: list(a.sizes),
  dataformSizes: list(a['dataform-sizes']),
  dataformTimeout: count('dataform-timeout'),
  repeat: Math.max(1, count('repeat')),
  pgLarge: count('pg-large'),
  pgBuildTimeout: count('pg-build-timeout'),
  watchTimeout: count('watch-timeout'),
  duckdbParts: a['duckdb-parts'].split(',').filter(Boolean),
  duckdbLoadSizes: a['duckdb-load-sizes'] === undefined ? [...new Set([count('events'), 5_000_000])] : list(a['duckdb-load-sizes']),
  duckdbLarge: count('duckdb-large'),
  incrementalDayEvents: count('incremental-day-events'),
  incrementalRuns: Math.max(1, count('incremental-runs')),
  watchModels: a['watch-models']
    .split(',')
    .filter(Boolean)
    .map((v) => (v === 'sparkify' ? v : Number(v.replace(/_/g, '')))),
};
for (const p of opts.duckdbParts)
  if (!['load', 'songs', 'build', 'large'].includes(p)) throw new Error(`unknown --duckdb-parts '${p}': load, songs, build, large`);

const cli = path.join(root, 'bin', 'sparkify.js');
if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const tmp = path.join(benchDir, 'tmp', `run-${process.pid}`);
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

// a copy of the project (models, sources, macros), so that target/ of these runs stays in the scratch folder
const projectDir = path.join(tmp, 'project');
mkdirSync(projectDir, { recursive: true });
for (const f of ['models', 'macros', 'sources.yml', 'sources.yaml', 'sparkify.yml']) {
  if (existsSync(path.join(root, f))) cpSync(path.join(root, f), path.join(projectDir, f), { recursive: true });
}

const t0 = Date.now();
const started = performance.now();
const rows = new Rows();
const notes = [];
const data = { options: opts };
const ctx = {
  root,
  benchDir,
  cli,
  tmp,
  projectDir,
  dataDir: path.join(tmp, 'data'),
  opts,
  rows,
  notes,
  data,
  log: (m) => console.log(`[${s(performance.now() - started).padStart(8)}] ${m}`),
};
const machine = describeMachine(root);
console.log(`sparkify bench: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; sections: ${sections.join(', ')}`);

const runners = { generate: benchGenerate, compile: benchCompile, duckdb: benchDuckdb, postgres: benchPostgres, watch: benchWatch, docs: benchDocs, incremental: benchIncremental };
let failures = 0;
try {
  for (const name of sections) {
    ctx.log(`== ${name}`);
    // the previous section's writes (468 MB of generated data, say) are flushed first, not during this one
    ctx.log(`flushed pending writes (sync) in ${s(flushWrites())}`);
    const st = performance.now();
    try {
      await runners[name](ctx);
    } catch (err) {
      failures++;
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`section ${name} failed: ${msg}`);
      rows.add({ section: name, measure: `${name} section`, value: 'failed', note: msg.split('\n')[0].slice(0, 200) });
      data[`${name}Error`] = msg;
    }
    (data.sectionMs ??= {})[name] = Math.round(performance.now() - st);
  }
} finally {
  if (a['keep-tmp']) console.log(`scratch kept in ${tmp}`);
  else rmSync(tmp, { recursive: true, force: true });
}

// the embedded default against the server engine, both measured in this run
const dk = data.duckdb?.sparkify;
const pg = data.postgres?.build;
if (dk && pg?.wallMs && !pg.timedOut && pg.code === 0) {
  const r = dk.wallMs / pg.wallMs;
  rows.add({
    section: '4 postgres',
    measure: `full build of ${opts.events.toLocaleString('en-US')} events: DuckDB ÷ PostgreSQL`,
    value: x(r),
    target: '< 1× (DuckDB faster)',
    met: r < 1,
    note: `DuckDB ${s(dk.wallMs)} (median of ${dk.wallRuns.length}), PostgreSQL ${s(pg.wallMs)} (1 run)`,
  });
}

if (noisy.length > 0) {
  notes.push(
    `Other processes kept the machine busy during: ${noisy.map((n) => `${n.what} (${n.otherCores} cores)`).join('; ')}. Those figures are slower than on a quiet machine.`,
  );
}
const results = {
  date: new Date(t0).toISOString(),
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
  elapsedMs: Math.round(performance.now() - started),
  machine,
  loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100),
  rows: rows.rows,
  notes,
  noisy,
  data,
};
const md = markdown(results);
console.log(`\n${md}`);
if (!a['no-write']) {
  writeFileSync(path.join(benchDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(path.join(benchDir, 'RESULTS.md'), md);
  console.log('written: bench/results.json, bench/RESULTS.md');
}
process.exitCode = failures > 0 ? 1 : 0;
