import { showQuery } from '../../show/show-query.js';
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
    else reporter.print(formatTable(r.rows, (s) => reporter.mask(s)));
    return 0;
  },
});

function formatTable(rows: Record<string, unknown>[], mask: (s: string) => string): string {
  if (rows.length === 0) return '(no rows)';
  const cols = Object.keys(rows[0]!);
  // masked before cells are cut to width, so that no part of a secret is left
  const cell = (v: unknown) => mask(v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = cols.map((c) => Math.min(40, Math.max(c.length, ...rows.map((r) => cell(r[c]).length))));
  const clip = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => clip(v, widths[i]!)).join(' | ') + ' |';
  const sep = '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|';
  return [line(cols), sep, ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n') + `\n(${rows.length} rows)`;
}
