import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { check, measure } from './measure.js';
import { int, mb, rate, s } from './report.js';

function du(dir) {
  let bytes = 0;
  let files = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    files++;
    bytes += statSync(path.join(e.parentPath ?? e.path, e.name)).size;
  }
  return { bytes, files };
}

/** `sparkify generate`, timed from the shell. */
export async function generate(ctx, { out, events, songs, seed, label = 'generate' }) {
  const r = check(
    await measure('node', [ctx.cli, 'generate', '--out', out, '--events', String(events), '--songs', String(songs), '--seed', String(seed)], {
      cwd: ctx.root,
      what: `sparkify generate --events ${events}`,
    }),
    `sparkify generate --events ${events}`,
  );
  const size = du(out);
  return { label, events, songs, wallMs: r.wallMs, peakRssMb: r.peakRssMb, bytes: size.bytes, files: size.files };
}

export async function benchGenerate(ctx) {
  const o = ctx.opts;
  const g = await generate(ctx, { out: ctx.dataDir, events: o.events, songs: o.songs, seed: o.seed });
  ctx.data.generate = g;
  const what = `generate ${int(o.events)} events + ${int(o.songs)} songs`;
  ctx.rows.add({
    section: '1 data',
    measure: `${what}: wall`,
    value: `${s(g.wallMs)} (${rate(o.events, g.wallMs)} events)`,
    target: 'seconds, not minutes',
    met: g.wallMs < 60_000,
  });
  ctx.rows.add({ section: '1 data', measure: `${what}: peak RSS`, value: mb(g.peakRssMb), target: 'bounded (streaming)' });
  ctx.rows.add({ section: '1 data', measure: `${what}: written`, value: `${int(g.files)} files, ${mb(g.bytes / 2 ** 20)}` });
}
