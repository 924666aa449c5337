// Synthetic projects for the compile benchmark: one graph, written as sparkify models and as
// Dataform SQLX, so both tools compile the same thing.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The graph, as plain data. Every model descends from the root `x`, so `ls --select 'x+'`
 * selects all of them. Shape, for n models:
 * - chains (40%): chains of 25 models, each head refs x, each link refs the previous one;
 * - fan-out (40%): each refs x directly, so x has ~0.4n children;
 * - fan-in (20%): each unions 20 earlier models (chains, fan-out and earlier fan-ins),
 *   picked by a seeded generator, so the graph is deep as well as wide.
 * Each model has a config (materialization, tags), var() and a macro call.
 * @returns {{ name: string, folder: string, kind: 'root'|'chain'|'fan'|'agg', materialized: 'table'|'view', tags: string[], refs: string[] }[]}
 */
export function synthGraph(n, seed = 7) {
  let s = seed >>> 0;
  const rand = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const models = [{ name: 'x', folder: 'root', kind: 'root', materialized: 'table', tags: ['root'], refs: [] }];
  const rest = n - 1;
  const chainLen = 25;
  const chainModels = Math.floor((rest * 0.4) / chainLen) * chainLen;
  const fanModels = Math.floor(rest * 0.4);
  const aggModels = rest - chainModels - fanModels;
  const pad = (i, w) => String(i).padStart(w, '0');
  for (let c = 0; c < chainModels / chainLen; c++) {
    for (let i = 0; i < chainLen; i++) {
      const prev = i === 0 ? 'x' : `chain_${pad(c, 4)}_${pad(i - 1, 2)}`;
      models.push({
        name: `chain_${pad(c, 4)}_${pad(i, 2)}`,
        folder: `chain/c${pad(Math.floor(c / 50), 2)}`,
        kind: 'chain',
        materialized: i % 5 === 4 ? 'table' : 'view',
        tags: ['chain', `chain_${c % 10}`],
        refs: [prev],
      });
    }
  }
  for (let i = 0; i < fanModels; i++) {
    models.push({ name: `fan_${pad(i, 5)}`, folder: `fan/f${pad(Math.floor(i / 1000), 2)}`, kind: 'fan', materialized: 'view', tags: ['fan'], refs: ['x'] });
  }
  for (let i = 0; i < aggModels; i++) {
    const refs = new Set();
    const pool = models.length - 1; // anything but x
    while (refs.size < Math.min(20, pool)) refs.add(models[1 + Math.floor(rand() * pool)].name);
    models.push({
      name: `agg_${pad(i, 5)}`,
      folder: `agg/a${pad(Math.floor(i / 1000), 2)}`,
      kind: 'agg',
      materialized: 'table',
      tags: ['agg', i % 2 ? 'odd' : 'even'],
      refs: [...refs],
    });
  }
  return models;
}

const VARS = { bench_start: 100, bench_label: 'synthetic' };

function sparkifyBody(m) {
  const cfg = `{{ config(materialized='${m.materialized}', tags=[${m.tags.map((t) => `'${t}'`).join(', ')}]) }}\n`;
  if (m.kind === 'root') {
    return `${cfg}\nselect\n    {{ bench_cast('g.i') }} as id,\n    g.i * {{ var('bench_start') }} as value,\n    '{{ var('bench_label') }}' as label\nfrom generate_series(1, 1000) as g(i)\n`;
  }
  if (m.kind === 'agg') {
    const parts = m.refs.map((r) => `    select id, value from {{ ref('${r}') }}`).join('\n    union all\n');
    return `${cfg}\n-- fan-in of ${m.refs.length} models\nselect\n    {{ bench_cast('id') }} as id,\n    sum(value) as value,\n    '{{ var('bench_label') }}' as label\nfrom (\n${parts}\n) as u\nwhere id > {{ var('bench_start') }}\ngroup by id\n`;
  }
  return `${cfg}\nselect\n    {{ bench_cast('id') }} as id,\n    value + {{ var('bench_start') }} as value,\n    label\nfrom {{ ref('${m.refs[0]}') }}\nwhere id > {{ var('bench_start', 0) }}\n`;
}

function sqlxBody(m) {
  const type = m.materialized === 'view' ? 'view' : 'table';
  const cfg = `config {\n  type: "${type}",\n  tags: [${m.tags.map((t) => `"${t}"`).join(', ')}]\n}\n`;
  const v = (k) => `\${dataform.projectConfig.vars.${k}}`;
  if (m.kind === 'root') {
    return `${cfg}\nselect\n    \${bench_macros.bench_cast("i")} as id,\n    i * ${v('bench_start')} as value,\n    '${v('bench_label')}' as label\nfrom unnest(generate_array(1, 1000)) as i\n`;
  }
  if (m.kind === 'agg') {
    const parts = m.refs.map((r) => `    select id, value from \${ref("${r}")}`).join('\n    union all\n');
    return `${cfg}\n-- fan-in of ${m.refs.length} models\nselect\n    \${bench_macros.bench_cast("id")} as id,\n    sum(value) as value,\n    '${v('bench_label')}' as label\nfrom (\n${parts}\n) as u\nwhere id > ${v('bench_start')}\ngroup by id\n`;
  }
  return `${cfg}\nselect\n    \${bench_macros.bench_cast("id")} as id,\n    value + ${v('bench_start')} as value,\n    label\nfrom \${ref("${m.refs[0]}")}\nwhere id > ${v('bench_start')}\n`;
}

/** models/<folder>/<name>.sql, macros/bench_macros.sql and sparkify.yml with the vars. */
export function writeSparkifyProject(dir, graph) {
  mkdirSync(path.join(dir, 'macros'), { recursive: true });
  writeFileSync(path.join(dir, 'macros', 'bench_macros.sql'), `{% macro bench_cast(expr) %}cast({{ expr }} as bigint){% endmacro %}\n`);
  writeFileSync(path.join(dir, 'sparkify.yml'), `name: bench\nvars:\n  bench_start: ${VARS.bench_start}\n  bench_label: ${VARS.bench_label}\n`);
  const made = new Set();
  for (const m of graph) {
    const folder = path.join(dir, 'models', m.folder);
    if (!made.has(folder)) mkdirSync(folder, { recursive: true });
    made.add(folder);
    writeFileSync(path.join(folder, `${m.name}.sql`), sparkifyBody(m));
  }
}

/**
 * definitions/<folder>/<name>.sqlx, includes/bench_macros.js and workflow_settings.yaml (Dataform 3).
 * `@dataform/core` must then be copied into <dir>/node_modules (a symlink is refused by its sandbox).
 */
export function writeDataformProject(dir, graph, coreVersion) {
  mkdirSync(path.join(dir, 'includes'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'sparkify-bench-dataform', private: true, dependencies: { '@dataform/core': coreVersion } }, null, 2) + '\n',
  );
  writeFileSync(
    path.join(dir, 'includes', 'bench_macros.js'),
    'function bench_cast(expr) {\n  return `cast(${expr} as int64)`;\n}\nmodule.exports = { bench_cast };\n',
  );
  writeFileSync(
    path.join(dir, 'workflow_settings.yaml'),
    `defaultProject: bench\ndefaultLocation: US\ndefaultDataset: bench\ndefaultAssertionDataset: bench_assertions\nvars:\n  bench_start: "${VARS.bench_start}"\n  bench_label: "${VARS.bench_label}"\n`,
  );
  const made = new Set();
  for (const m of graph) {
    const folder = path.join(dir, 'definitions', m.folder);
    if (!made.has(folder)) mkdirSync(folder, { recursive: true });
    made.add(folder);
    writeFileSync(path.join(folder, `${m.name}.sqlx`), sqlxBody(m));
  }
}
