import { LoadError } from '../errors.js';
import type { CopyOptions, SourceTable } from '../types.js';
import { formatOf } from './formats/formats.js';
import type { PreparedFormat } from './formats/source-format.js';
import { RejectionLimit } from './load-errors.js';
import type { FileRef, SourceFiles } from './source-files.js';

/** What every client-side load starts from: the files to read, the format ready to map them, the max_errors limit. */
export interface PreparedLoad {
  source: SourceTable;
  copy: CopyOptions;
  location: string;
  files: FileRef[];
  format: PreparedFormat;
  /** max_errors: bad lines are skipped and kept, up to the limit (Redshift's MAXERROR) */
  limit: RejectionLimit;
  /** what the user should know that did not stop the load (a named pipe skipped in a data folder) */
  warnings: string[];
}

/**
 * The shared first half of a load, for engines that read the files from this process: the source
 * must have a location; its files are listed (a manifest's entries, with `copy.manifest`); the
 * format reads its settings (a JSONPaths file) and makes the row mapper.
 */
export async function prepareLoad(source: SourceTable, files: SourceFiles): Promise<PreparedLoad> {
  const copy = source.copy;
  const location = source.location;
  if (!copy || !location) throw new LoadError(`source ${source.id} has no location to load from`, { file: source.file, line: source.line });
  const warnings: string[] = [];
  const listed = await files.list(location, source.file, { manifest: copy.manifest, onWarning: (w) => warnings.push(w) });
  const format = await (await formatOf(copy)).prepare(source, files);
  return { source, copy, location, files: listed, format, limit: new RejectionLimit(source), warnings };
}

/** The load's result with the warnings, when there are any. */
export function withWarnings<T extends object>(result: T, warnings: string[]): T & { warnings?: string[] } {
  return warnings.length > 0 ? { ...result, warnings } : result;
}
