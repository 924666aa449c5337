import { LoadError } from '../../errors.js';
import type { SourceTable } from '../../types.js';
import { parseJsonPathsFile, type PathStep } from '../json-paths.js';
import { createRowMapper } from '../json-rows.js';
import { jsonFilesToCopyText } from '../json-to-copy.js';
import { mapRecords } from '../map-json-records.js';
import { isS3Uri } from '../s3-uri.js';
import { fitsTypedRead, planTypedJsonRead } from '../typed-json-read.js';
import type { SourceFiles } from '../source-files.js';
import type { PreparedFormat, SourceFormat } from './source-format.js';

/**
 * JSON sources, as Redshift's COPY ... FORMAT AS JSON reads them: one value after another (one per
 * line, or pretty-printed), mapped by 'auto', 'auto ignorecase' or a JSONPaths file.
 */
export const jsonFormat: SourceFormat = {
  name: 'json',
  async prepare(source: SourceTable, files: SourceFiles): Promise<PreparedFormat> {
    const mapping = source.copy!.json;
    const paths = await readJsonPaths(source, files);
    const mapper = createRowMapper(source.columns, mapping, paths);
    const typed = planTypedJsonRead(source.columns, mapping, paths);
    return {
      mapper,
      native: { format: 'json', mapping, paths, typed },
      ...(typed ? { fitsTypedRead: (list: string[], sizes: ReadonlyMap<string, number | undefined>, signal?: AbortSignal) => fitsTypedRead(list, sizes, typed, signal) } : {}),
      records: (list, compression, open) => mapRecords(list, compression, mapper, open),
      copyText: (list, compression, opts) => jsonFilesToCopyText(list, compression, mapper, opts),
    };
  },
};

async function readJsonPaths(source: SourceTable, files: SourceFiles): Promise<PathStep[][] | undefined> {
  const json = source.copy?.json;
  if (json?.kind !== 'jsonpaths') return undefined;
  let text: string;
  try {
    text = await files.readText(json.location, source.file);
  } catch (err) {
    // an S3 error already names the object and the reason
    const why = isS3Uri(json.location) && err instanceof Error ? `: ${err.message}` : '';
    throw new LoadError(`cannot read the JSONPaths file ${json.location}${why}`, { file: source.file, line: source.line, hint: 'check LOG_JSONPATH in the [S3] section of your config', cause: err });
  }
  return parseJsonPathsFile(text, json.location, source.columns.length);
}
