import { formatRows, showQuery } from '../../index.js';
import { defineCommand } from '../cli-command.js';
import { compileFor, projectOptions, selectOption, splitSelectors, targetOptions, wholeNumber, type SelectArgs } from '../options.js';

type ShowArgs = Omit<SelectArgs, 'exclude'> & { inline?: string; limit: number; output: 'table' | 'json' };

export const showCliCommand = defineCommand<ShowArgs>({
  names: ['show'],
  describe: 'run a query or preview a model and print its rows (read-only: creates nothing)',
  options: (y) =>
    selectOption(targetOptions(y))
      .option('inline', { type: 'string', describe: 'SQL to run; may use ref() and source(); bare table names resolve in the target schema' })
      .option('limit', { requiresArg: true, default: 10, coerce: wholeNumber('limit', -1), describe: 'rows to print, a whole number (-1 for all)' })
      .option('output', { alias: 'o', choices: ['table', 'json'] as const, default: 'table' as const, describe: 'a text table, or the rows as a JSON array' }),
  run: async (a, ctx) => {
    const { reporter, env } = ctx;
    const c = await compileFor(a, ctx);
    const r = await showQuery(c, projectOptions(a, env), { inline: a.inline, select: splitSelectors(a.select), limit: a.limit });
    if (reporter.format === 'json') reporter.json({ level: 'info', event: 'show', node: r.node, sql: r.sql, rows: r.rows });
    else if (a.output === 'json') reporter.print(JSON.stringify(r.rows, null, 2));
    else reporter.print(formatRows(r.rows, (s) => reporter.mask(s)));
    return 0;
  },
});
