// 5. Watch latency: bench/watch-latency.mjs (owned by the watch-mode work) prints the median and p95.
import path from 'node:path';
import { measure } from './measure.js';
import { int } from './report.js';

/** Finds the median and p95 (ms) in the script's output: a JSON line, or "median ... 123 ms" text. */
export function parseLatency(stdout) {
  for (const line of stdout.trim().split('\n').reverse()) {
    if (!line.trim().startsWith('{')) continue;
    try {
      const j = JSON.parse(line);
      const flat = { ...j, ...(j.latency ?? {}), ...(j.result ?? {}) };
      const key = (re) => Object.keys(flat).find((k) => re.test(k) && typeof flat[k] === 'number');
      const mk = key(/median|p50/i);
      const pk = key(/p95/i);
      if (mk && pk) return { medianMs: flat[mk], p95Ms: flat[pk], samples: flat.samples ?? flat.edits ?? flat.n ?? flat.count };
    } catch {
      // not JSON
    }
  }
  const num = (re) => {
    const m = re.exec(stdout);
    return m ? Number(m[1]) : undefined;
  };
  const medianMs = num(/(?:median|p50)[^0-9\n]*([0-9]+(?:\.[0-9]+)?)\s*ms/i);
  const p95Ms = num(/p95[^0-9\n]*([0-9]+(?:\.[0-9]+)?)\s*ms/i);
  return medianMs !== undefined && p95Ms !== undefined ? { medianMs, p95Ms } : undefined;
}

export async function benchWatch(ctx) {
  const script = path.join(ctx.benchDir, 'watch-latency.mjs');
  const section = '5 watch';
  ctx.data.watch = {};
  for (const size of ctx.opts.watchModels) {
    const project = size === 'sparkify' ? 'the Sparkify project' : `${int(size)} models (one built, all compiled)`;
    const args = size === 'sparkify' ? [script] : [script, '--models', String(size), '--edits', '15'];
    ctx.log(`bench/watch-latency.mjs, ${project}`);
    const r = await measure('node', args, { cwd: ctx.root, timeoutMs: ctx.opts.watchTimeout * 1000 });
    const parsed = r.code === 0 && !r.timedOut ? parseLatency(r.stdout) : undefined;
    const out = (ctx.data.watch[size] = {
      available: parsed !== undefined,
      wallMs: r.wallMs,
      code: r.code,
      timedOut: r.timedOut,
      ...parsed,
      output: r.stdout.trim().split('\n').slice(-10),
    });
    if (!parsed) {
      const why = r.timedOut
        ? `timed out after ${ctx.opts.watchTimeout} s`
        : r.code !== 0
          ? `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`
          : 'no median/p95 found in its output';
      out.reason = why;
      ctx.rows.add({ section, measure: `watch latency, ${project}`, value: 'not available', note: why.slice(0, 200) });
      continue;
    }
    ctx.rows.add({
      section,
      measure: `watch latency, file write to rebuilt model, ${project}: median`,
      value: `${Math.round(parsed.medianMs)} ms`,
      target: '< 200 ms',
      met: parsed.medianMs < 200,
    });
    ctx.rows.add({
      section,
      measure: `watch latency, ${project}: p95`,
      value: `${Math.round(parsed.p95Ms)} ms`,
      note: parsed.samples ? `${parsed.samples} samples` : undefined,
    });
  }
}
