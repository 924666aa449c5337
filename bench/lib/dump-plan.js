// Writes the exact statements `sparkify run` executes on DuckDB for a project and config, as
// JSON, so that a bare script can run them without sparkify (the engine's floor).
//
//   node bench/lib/dump-plan.js --project-dir DIR --config CFG --out plan.json
//
// The plan comes from sparkify's own compile and planner (dist/). Load steps are expanded the way
// DuckDbConnection.load does it on its fast path (src/adapters/duckdb/duckdb-engine.ts, local
// files, every record valid): CREATE TABLE, then one INSERT ... SELECT per batch of
// FILES_PER_BATCH files, each spelled by the dialect's loadStatement() with the newline-delimited
// reader. Keep FILES_PER_BATCH and those options in step with the engine.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const FILES_PER_BATCH = 2000;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = (p) => import(path.join(root, 'dist', p));

const { values } = parseArgs({ options: { 'project-dir': { type: 'string' }, config: { type: 'string' }, out: { type: 'string' } } });
const { compile } = await dist('api.js');
const { planRun } = await dist('materializations/plan-run.js');
const { selectNodes } = await dist('graph/select-nodes.js');
const { listLocalFiles } = await dist('loaders/list-files.js');
const { parseJsonPathsFile } = await dist('loaders/json-paths.js');

const c = compile({ projectDir: path.resolve(values['project-dir'] ?? '.'), configPath: values.config && path.resolve(values.config), env: process.env });
if (c.target.type !== 'duckdb') throw new Error(`dump-plan is for the duckdb target, got ${c.target.type}`);
const d = c.dialect;
// a fresh database: nothing exists yet, as for the measured `sparkify run`
const plan = planRun(c.manifest, selectNodes(c.manifest, undefined, undefined), [], d, {});

async function expand(step) {
  switch (step.kind) {
    case 'sql':
      return [{ sql: step.sql }];
    case 'count':
      return [{ sql: step.sql, count: true }];
    case 'transaction':
      return [{ sql: 'BEGIN TRANSACTION' }, ...step.statements.map((sql) => ({ sql })), { sql: 'COMMIT' }];
    case 'load': {
      const { source, into } = step;
      const files = await listLocalFiles(source.location, source.file);
      const paths =
        source.copy.json.kind === 'jsonpaths'
          ? parseJsonPathsFile(readFileSync(source.copy.json.location, 'utf8'), source.copy.json.location, source.columns.length)
          : undefined;
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
  database: c.target.duckdb.path,
  setup: (await Promise.all(plan.setup.map(expand))).flat(),
  nodes: [],
};
for (const n of plan.nodes) {
  doc.nodes.push({ id: n.id, name: n.name, parents: plan.parents[n.id] ?? [], statements: (await Promise.all(n.steps.map(expand))).flat() });
}
writeFileSync(values.out, JSON.stringify(doc, null, 1));
