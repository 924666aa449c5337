// Writes the statements of a DuckDB run of a project and config as JSON, so that a bare script
// (duckdb-floor.js) can run them without sparkify: the engine's floor.
//
//   node bench/lib/dump-plan.js --project-dir DIR --config CFG --out plan.json [--select SEL] [--loads read_json|sparkify]
//
// The plan comes from sparkify's own compile and planner (dist/), so models run the SQL sparkify
// sends for them. A load step is written, with --loads read_json (the default), as a user would
// write it by hand: one CREATE TABLE ... AS SELECT from DuckDB's read_json over the source's
// folder (a glob), with the JSON keys and explicit column types (VARCHAR, INTEGER, BIGINT, DOUBLE,
// ...), newline-delimited for the event logs; then count(*). It checks nothing, and it is what
// sparkify's DuckDB load is measured against. With --loads sparkify, a load step is expanded into
// the statements sparkify's own strict path sends (the dialect's loadStatement(), FILES_PER_BATCH
// files per INSERT), to see sparkify's overhead over its own SQL.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const FILES_PER_BATCH = 2000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(root, 'dist', p));

const { values } = parseArgs({
  options: {
    'project-dir': { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    select: { type: 'string' },
    loads: { type: 'string', default: 'read_json' },
  },
});
if (!['read_json', 'sparkify'].includes(values.loads)) throw new Error(`--loads is read_json or sparkify, got ${values.loads}`);
const { compile, selectForRun } = await dist('api.js');
const { planRun } = await dist('materializations/plan-run.js');
const { listLocalFiles } = await dist('loaders/list-files.js');
const { parseJsonPathsFile } = await dist('loaders/json-paths.js');

const c = compile({ projectDir: path.resolve(values['project-dir'] ?? '.'), configPath: values.config && path.resolve(values.config), env: process.env });
if (c.target.type !== 'duckdb') throw new Error(`dump-plan is for the duckdb target, got ${c.target.type}`);
const d = c.dialect;
// a fresh database: nothing exists yet, as for the measured `sparkify run`; sources and models, as `run` builds
const plan = planRun(c.manifest, selectForRun(c.manifest, { select: values.select ? values.select.split(' ') : undefined }), [], d, {});

/** The JSON key each column is read from: its JSONPath's one key, or (json 'auto') its name. */
function keysOf(source, paths) {
  return source.columns.map((col, i) => {
    const steps = paths ? paths[i] : [col.name];
    if (steps.length !== 1 || typeof steps[0] !== 'string') throw new Error(`${source.name}.${col.name}: the hand-written floor reads top-level keys only`);
    return steps[0];
  });
}

/** The folder as a glob of its .json files (sparkify lists the same files; the floor checks the row counts). */
const globOf = (location) => (/[*?[]/.test(location) ? location : `${location.replace(/\/+$/, '')}/**/*.json`);

function handWritten(source, into, paths) {
  const keys = keysOf(source, paths);
  const columns = keys.map((k, i) => `${d.quoteLiteral(k)}: ${d.quoteLiteral(d.columnType(source.columns[i].type))}`).join(', ');
  const select = keys.map((k, i) => `${d.quoteIdent(k)} AS ${d.quoteIdent(source.columns[i].name)}`).join(', ');
  // one object per line in the event logs; the song files are one object each, read in DuckDB's default format
  const format = source.copy.json.kind === 'jsonpaths' ? ", format = 'newline_delimited'" : '';
  return [
    {
      sql: `CREATE TABLE ${d.relation(into)} AS SELECT ${select} FROM read_json(${d.quoteLiteral(globOf(source.location))}${format}, columns = {${columns}})`,
      load: source.name,
    },
    { sql: `SELECT count(*) FROM ${d.relation(into)}`, count: true },
  ];
}

async function expand(step) {
  switch (step.kind) {
    case 'sql':
      return [{ sql: step.sql }];
    case 'count':
      return [{ sql: step.sql, count: true }];
    case 'transaction':
      return [{ sql: 'BEGIN TRANSACTION' }, ...step.statements.map((sql) => ({ sql })), { sql: 'COMMIT' }];
    // an incremental source (copy: {mode: incremental}) in a fresh database loads every file: by hand, one statement
    case 'ledger-load':
    case 'load': {
      const { source, into } = step;
      if (step.kind === 'ledger-load' && values.loads !== 'read_json') throw new Error(`--loads ${values.loads}: ${source.name} is an incremental source, loaded by the ledger`);
      const files = await listLocalFiles(source.location, source.file);
      const paths =
        source.copy.json.kind === 'jsonpaths'
          ? parseJsonPathsFile(readFileSync(source.copy.json.location, 'utf8'), source.copy.json.location, source.columns.length)
          : undefined;
      if (values.loads === 'read_json') return handWritten(source, into, paths);
      const out = [{ sql: d.createTable(into, source.columns) }];
      for (let i = 0; i < files.length; i += FILES_PER_BATCH) {
        const opts = { format: 'newline_delimited', compression: source.copy.compression };
        const select = d
          .loadStatement(source, into, files.slice(i, i + FILES_PER_BATCH), source.copy.json, paths, opts)
          .replace(/^CREATE TABLE [^\n]+ AS\n/, '');
        out.push({ sql: `INSERT INTO ${d.relation(into)}\n${select}`, load: source.name, files: Math.min(FILES_PER_BATCH, files.length - i) });
      }
      return out;
    }
    default:
      throw new Error(`unknown step ${step.kind}`);
  }
}

const doc = {
  database: c.target.settings.path,
  setup: (await Promise.all(plan.setup.map(expand))).flat(),
  nodes: [],
};
for (const n of plan.nodes) {
  doc.nodes.push({ id: n.id, name: n.name, parents: plan.parents[n.id] ?? [], statements: (await Promise.all(n.steps.map(expand))).flat() });
}
writeFileSync(values.out, JSON.stringify(doc, null, 1));
