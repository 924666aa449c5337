import { LoadError } from '../errors.js';
import type { SourceTable } from '../types.js';
import { isRejection, type RowMapper } from './json-rows.js';
import { openLocalFile, readJsonRecords } from './read-json-records.js';

export interface BadRecord {
  file: string;
  line: number;
  column?: string | undefined;
  reason: string;
  raw: string;
}

/** Scans files in order for the first record that cannot load; used to locate an engine's error. */
export async function findFirstBadRecord(files: string[], mapper: RowMapper): Promise<BadRecord | undefined> {
  for (const file of files) {
    for await (const rec of readJsonRecords(openLocalFile(file))) {
      if (rec.parseError !== undefined) return { file, line: rec.line, reason: `malformed JSON: ${rec.parseError}`, raw: rec.raw };
      const r = mapper.map(rec.value, rec.raw);
      if (isRejection(r)) return { file, line: rec.line, column: r.column, reason: r.reason, raw: rec.raw };
    }
  }
  return undefined;
}

export function badRecordError(source: SourceTable, bad: BadRecord): LoadError {
  const snippet = bad.raw.length > 200 ? bad.raw.slice(0, 197) + '...' : bad.raw;
  return new LoadError(
    `${bad.column ? `column ${bad.column}: ` : ''}${bad.reason}\n  line: ${snippet}`,
    {
      file: bad.file,
      line: bad.line,
      node: `${source.sourceName}.${source.name}`,
      hint: 'fix or remove the line; the staging table keeps its previous contents',
    },
  );
}
