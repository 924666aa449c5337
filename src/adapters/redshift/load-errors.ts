import { LoadError } from '../../errors.js';
import type { RejectedLine } from '../../loaders/load-errors.js';

/** One row of RedshiftDialect.loadErrorQuery(): STL_LOAD_ERRORS or SYS_LOAD_ERROR_DETAIL, normalised. */
export interface LoadErrorRow {
  file?: unknown;
  line?: unknown;
  column_name?: unknown;
  column_type?: unknown;
  column_length?: unknown;
  position?: unknown;
  raw_value?: unknown;
  raw_line?: unknown;
  error_code?: unknown;
  reason?: unknown;
}

const text = (v: unknown): string | undefined => {
  if (v === null || v === undefined) return undefined;
  const s = String(v).trim();
  return s === '' ? undefined : s;
};

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

/**
 * The load error a failed COPY left behind, as a LoadError located at the S3 object and line, with
 * the column, its type, the raw value and Redshift's reason: what the user needs instead of "check
 * stl_load_errors". Undefined when there are no rows (the COPY failed before reading any data:
 * access to the bucket, a missing JSONPaths file, a syntax error).
 */
export function loadErrorFromRows(rows: LoadErrorRow[], table: string, cause?: unknown): LoadError | undefined {
  const first = rows[0];
  if (!first) return undefined;
  const file = text(first.file);
  const line = Number(first.line);
  const column = text(first.column_name);
  const type = text(first.column_type);
  const length = text(first.column_length);
  const code = text(first.error_code);
  const reason = text(first.reason) ?? 'rejected by COPY';
  const typeText = type ? ` (${type}${length && length !== '0' && !type.includes('(') ? `(${length})` : ''})` : '';
  let message = `${column ? `column ${column}${typeText}: ` : ''}${reason}${code ? ` [load error ${code}]` : ''}`;
  const raw = text(first.raw_value);
  if (raw !== undefined) message += `\n  value: ${clip(raw, 200)}`;
  const rawLine = text(first.raw_line);
  if (rawLine !== undefined) message += `\n  line: ${clip(rawLine, 200)}`;
  const others = new Set(rows.slice(1).map((r) => `${text(r.file) ?? ''}:${String(r.line)}`));
  others.delete(`${file ?? ''}:${String(first.line)}`);
  if (others.size > 0) message += `\n  and ${others.size} more rejected line${others.size === 1 ? '' : 's'} in this COPY`;
  const e = new LoadError(message, {
    file,
    line: Number.isInteger(line) && line > 0 ? line : undefined,
    hint: `fix or remove the line (or raise max_errors); ${table} keeps its previous contents`,
    cause,
  });
  // the runner records them in sparkify_load_errors, as for any engine's rejected lines
  e.rejected = rejectedLinesFromRows(rows);
  return e;
}

/** Load-error rows as the rejected lines every engine reports (one per file and line). */
export function rejectedLinesFromRows(rows: LoadErrorRow[]): RejectedLine[] {
  const seen = new Set<string>();
  const lines: RejectedLine[] = [];
  for (const r of rows) {
    const file = text(r.file) ?? '';
    const line = Number(r.line);
    const key = `${file}:${String(r.line)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const code = text(r.error_code);
    const position = Number(r.position);
    lines.push({
      file,
      line: Number.isInteger(line) ? line : 0,
      column: text(r.column_name),
      // redshift: position is 0-based within the field; RejectedLine counts from 1
      position: Number.isInteger(position) && position >= 0 && text(r.column_name) === undefined ? position + 1 : undefined,
      reason: `${text(r.reason) ?? 'rejected by COPY'}${code ? ` [load error ${code}]` : ''}`,
      raw: text(r.raw_line) ?? text(r.raw_value) ?? '',
    });
  }
  return lines;
}
