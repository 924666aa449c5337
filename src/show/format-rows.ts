/** Rows as a text table, as `sparkify show` prints them: cells cut to 40 characters, after `mask` hid the secrets in them. */
export function formatRows(rows: Record<string, unknown>[], mask: (s: string) => string): string {
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
