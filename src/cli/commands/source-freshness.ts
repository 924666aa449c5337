import { sourceFreshness, UsageError } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, selectOptions, splitSelectors, type SelectArgs } from '../options.js';

const age = (s: number | null) => (s === null ? 'no rows' : s < 3600 ? `${Math.round(s / 60)} min` : s < 172800 ? `${(s / 3600).toFixed(1)} h` : `${(s / 86400).toFixed(1)} days`);

export const sourceCliCommand = defineCommand<SelectArgs & { action: string }>({
  names: ['source <action>'],
  describe: "source freshness: check each source's latest loaded_at_field against its freshness; writes target/sources.json",
  options: (y) => selectOptions(y.positional('action', { type: 'string', describe: 'freshness' })),
  run: async (a, ctx) => {
    const { reporter } = ctx;
    if (a.action !== 'freshness') throw new UsageError(`unknown source command '${a.action}'`, { hint: 'sparkify source freshness' });
    const c = await compileFor(a, ctx);
    const { sources, results, file } = await sourceFreshness(c, {
      select: splitSelectors(a.select),
      exclude: splitSelectors(a.exclude),
      onWarning: (m) => reporter.warn(m),
      onResult: (r, i, of) => {
        const word = r.status === 'runtime error' ? 'ERROR' : r.status === 'error' ? 'ERROR STALE' : r.status.toUpperCase();
        reporter.info(`${i} of ${of} ${word} freshness of ${r.name}: latest ${r.max_loaded_at ?? '-'} (${age(r.max_loaded_at_time_ago_in_s)} ago)`);
        for (const line of (r.message ?? '').split('\n').filter(Boolean)) reporter.info(`  ${line}`);
      },
    });
    if (sources.length === 0) {
      reporter.info('No selected source declares freshness: give a source table loaded_at_field and freshness: {warn_after, error_after} in sources.yml');
      return 0;
    }
    const count = (s: string) => results.filter((r) => r.status === s).length;
    reporter.info(`Done. PASS=${count('pass')} WARN=${count('warn')} ERROR=${count('error') + count('runtime error')} TOTAL=${results.length}; results in ${file}`);
    return results.some((r) => r.status === 'error' || r.status === 'runtime error') ? 1 : 0;
  },
});
