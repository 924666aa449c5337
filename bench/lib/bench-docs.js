// 6. docs generate on the Sparkify project (the published data, built on DuckDB): catalog from the
// warehouse, column lineage of every column, the site. Target: under 2 s, as a user runs it.
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { measure } from './measure.js';
import { s } from './report.js';

export async function benchDocs(ctx) {
  const section = '6 docs';
  const shared = path.resolve(ctx.root, '../shared/data/sparkify');
  const dir = path.join(ctx.tmp, 'docs-project');
  cpSync(ctx.projectDir, dir, { recursive: true });
  let cfg = '';
  if (existsSync(path.join(shared, 'log_json_path.json'))) {
    cfg = `[S3]\nLOG_DATA = ${shared}/log_data\nLOG_JSONPATH = ${shared}/log_json_path.json\nSONG_DATA = ${shared}/song_data\n`;
  } else ctx.notes.push(`docs generate ran on the sample data (data/sample): ${shared} is absent`);
  writeFileSync(path.join(dir, 'dwh.cfg'), cfg);
  ctx.log('sparkify run (the warehouse the catalog reads)');
  const built = await measure('node', [ctx.cli, 'run', '--project-dir', dir], { cwd: dir });
  if (built.code !== 0) throw new Error(`sparkify run failed: ${built.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = await measure('node', [ctx.cli, 'docs', 'generate', '--project-dir', dir], { cwd: dir, what: 'docs generate' });
    if (r.code !== 0) throw new Error(`sparkify docs generate failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
    runs.push(r.wallMs);
    ctx.log(`docs generate ${i + 1}: ${s(r.wallMs)}`);
  }
  const median = [...runs].sort((x, y) => x - y)[1];
  ctx.data.docs = { runsMs: runs.map(Math.round), medianMs: Math.round(median), data: cfg === '' ? 'sample' : 'published' };
  ctx.rows.add({
    section,
    measure: `sparkify docs generate, Sparkify project on DuckDB (${cfg === '' ? 'sample' : 'published'} data), median of 3, whole process`,
    value: s(median),
    target: '< 2 s',
    met: median < 2000,
  });
}
