// Formatting and the Markdown report.

export const s = (ms) => (ms === undefined || Number.isNaN(ms) ? 'n/a' : ms >= 100_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(2)} s`);
export const mb = (x) => (x === undefined ? 'n/a' : `${Math.round(x)} MB`);
export const int = (n) => Math.round(n).toLocaleString('en-US');
export const rate = (n, ms) => `${int((n / ms) * 1000)}/s`;
export const x = (r) => (r === undefined || !Number.isFinite(r) ? 'n/a' : `${r.toFixed(r >= 10 ? 1 : 2)}×`);

/**
 * The rows of the results table. `met` is true, false, or undefined when the row has no target or
 * its figure could not be measured.
 */
export class Rows {
  constructor() {
    this.rows = [];
  }

  /** @param {{ section: string, measure: string, value: string, target?: string, met?: boolean, note?: string }} row */
  add(row) {
    this.rows.push(row);
    const mark = row.met === undefined ? '' : row.met ? '  [target met]' : '  [TARGET MISSED]';
    console.log(`  ${row.measure}: ${row.value}${row.target ? ` (target ${row.target})` : ''}${mark}${row.note ? ` — ${row.note}` : ''}`);
  }
}

const esc = (t) =>
  String(t ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

export function markdown(results) {
  const m = results.machine;
  const lines = [];
  lines.push('# sparkify benchmark results', '');
  lines.push('Written by `npm run bench` (bench/run.js); the raw figures are in bench/results.json.', '');
  lines.push(`- **Date:** ${results.date}`);
  lines.push(`- **Machine:** ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.os}`);
  lines.push(
    `- **Software:** Node ${m.node}; @duckdb/node-api ${m.duckdbNodeApi ?? '?'}; PostgreSQL ${m.postgres ?? 'not reachable'}; Dataform CLI ${results.data.dataform?.version ?? 'not installed'}`,
  );
  lines.push(`- **Command:** \`${results.command}\` (${s(results.elapsedMs)} in all)`);
  lines.push(
    `- **Load average:** ${m.loadAverageAtStart.join(', ')} at the start, ${results.loadAverageAtEnd.join(', ')} at the end (other work on the machine adds noise; ratios are measured in the same run)`,
  );
  lines.push('');
  lines.push(
    'Wall times are whole processes started from the shell, unless the row says "in-process". Peak RSS is GNU time\'s maximum resident set size (the largest process of the tree that was waited for); for `dataform compile`, whose worker process escapes GNU time, the largest VmHWM polled over its process tree.',
  );
  lines.push('');
  lines.push('| Section | Measure | Value | Target | Met |');
  lines.push('|---|---|---|---|---|');
  const order = (r) => Number.parseInt(r.section, 10) || 99;
  for (const r of [...results.rows].sort((p, q) => order(p) - order(q))) {
    const met = r.met === undefined ? '' : r.met ? 'yes' : '**MISSED**';
    const value = r.note ? `${r.value} (${r.note})` : r.value;
    lines.push(`| ${esc(r.section)} | ${esc(r.measure)} | ${esc(value)} | ${esc(r.target ?? '')} | ${met} |`);
  }
  lines.push('');
  if (results.notes.length > 0) {
    lines.push('## Notes', '');
    for (const n of results.notes) lines.push(`- ${n}`);
    lines.push('');
  }
  return lines.join('\n');
}
