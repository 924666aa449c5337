// The DuckDB floor: runs the statements of a dumped plan (dump-plan.js) straight through
// @duckdb/node-api, with no sparkify code at all. Nodes run as soon as their parents are done,
// up to --threads at once, each on its own connection: the schedule sparkify's runner uses.
//
//   node bench/lib/duckdb-floor.js --plan plan.json --db file.duckdb [--threads 4] [--setting k=v ...]
//
// Prints one JSON line: { elapsedMs, nodes: { name: { ms, rows } } }.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DuckDBInstance } from '@duckdb/node-api';

const { values } = parseArgs({
  options: {
    plan: { type: 'string' },
    db: { type: 'string' },
    threads: { type: 'string', default: '4' },
    setting: { type: 'string', multiple: true, default: [] },
  },
});
const plan = JSON.parse(readFileSync(values.plan, 'utf8'));
const settings = Object.fromEntries(values.setting.map((kv) => kv.split('=')));
const t0 = performance.now();
const instance = await DuckDBInstance.create(values.db, settings);
const idle = [];
const lease = async () => idle.pop() ?? (await instance.connect());

async function runAll(statements) {
  const conn = await lease();
  let rows;
  try {
    for (const s of statements) {
      if (s.count) {
        const r = await conn.runAndReadAll(s.sql);
        rows = Number(r.getRows()[0][0]);
      } else await conn.run(s.sql);
    }
  } finally {
    idle.push(conn);
  }
  return rows;
}

await runAll(plan.setup);
const done = new Map();
const pending = new Set(plan.nodes.map((n) => n.id));
const running = new Map();
const threads = Number(values.threads);
while (pending.size > 0 || running.size > 0) {
  for (const n of plan.nodes) {
    if (running.size >= threads) break;
    if (!pending.has(n.id) || !n.parents.every((p) => done.has(p))) continue;
    pending.delete(n.id);
    const s = performance.now();
    running.set(
      n.id,
      runAll(n.statements).then((rows) => {
        done.set(n.id, { name: n.name, ms: Math.round(performance.now() - s), rows });
        running.delete(n.id);
      }),
    );
  }
  if (running.size === 0) break;
  await Promise.race(running.values());
}
const elapsedMs = Math.round(performance.now() - t0);
for (const c of idle) c.closeSync();
instance.closeSync();
console.log(JSON.stringify({ elapsedMs, nodes: Object.fromEntries([...done.values()].map((v) => [v.name, { ms: v.ms, rows: v.rows }])) }));
