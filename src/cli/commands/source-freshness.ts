import type { Compiled } from '../../api.js';
import { writeFreshnessResults } from '../../api.js';
import { openEngine } from '../../adapters/create-engine.js';
import { checkFreshness, freshnessSources } from '../../freshness/source-freshness.js';
import { selectNodes } from '../../graph/select-nodes.js';
import { UsageError } from '../../errors.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, type SelectArgs } from '../options.js';
import type { Reporter } from '../reporter.js';

const age = (s: number | null) => (s === null ? 'no rows' : s < 3600 ? `${Math.round(s / 60)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} days`);

/** sparkify source freshness: each selected source's latest loaded_at_field against its limits; writes target/sources.json. */
export async function sourceFreshnessCommand(c: Compiled, reporter: Reporter, a: { select?: string[] | undefined; exclude?: string[] | undefined }): Promise<number> {
  const nodes = freshnessSources(c.manifest, selectNodes(c.manifest, a.select, a.exclude, { onWarning: (m) => reporter.warn(m) }));
  if (nodes.length === 0) {
    reporter.info('No selected source declares freshness: give a source table loaded_at_field and freshness: {warn_after, error_after} in sources.yml');
    return 0;
  }
  const t0 = performance.now();
  const engine = await openEngine(c.target, 1);
  let results;
  try {
    results = await checkFreshness(nodes, engine, (r, i) => {
      const word = r.status === 'runtime error' ? 'ERROR' : r.status === 'error' ? 'ERROR STALE' : r.status.toUpperCase();
      reporter.info(`${i} of ${nodes.length} ${word} freshness of ${r.name}: latest ${r.max_loaded_at ?? '-'} (${age(r.max_loaded_at_time_ago_in_s)} ago)`);
      for (const line of (r.message ?? '').split('\n').filter(Boolean)) reporter.info(`  ${line}`);
    });
  } finally {
    await engine.close();
  }
  const file = writeFreshnessResults(c, results, (performance.now() - t0) / 1000);
  const count = (s: string) => results.filter((r) => r.status === s).length;
  reporter.info(`Done. PASS=${count('pass')} WARN=${count('warn')} ERROR=${count('error') + count('runtime error')} TOTAL=${results.length}; results in ${file}`);
  return results.some((r) => r.status === 'error' || r.status === 'runtime error') ? 1 : 0;
}

export const sourceCliCommand = defineCommand<SelectArgs & { action: string }>({
  names: ['source <action>'],
  describe: "source freshness: check each source's latest loaded_at_field against its freshness; writes target/sources.json",
  options: (y) => selectOptions(y.positional('action', { type: 'string', describe: 'freshness' })),
  run: async (a, ctx) => {
    if (a.action !== 'freshness') throw new UsageError(`unknown source command '${a.action}'`, { hint: 'sparkify source freshness' });
    return sourceFreshnessCommand(await compileFor(a, ctx), ctx.reporter, { select: splitSelectors(a.select), exclude: splitSelectors(a.exclude) });
  },
});
