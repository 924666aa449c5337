import type { CopyOptions } from '../../types.js';
import type { SourceFormat } from './source-format.js';

/**
 * The formats a source's `copy.format` may name, each imported when a load needs it (sources.yml is
 * checked against these names without loading the readers). A new format is a module in this folder
 * that exports a SourceFormat, plus one line here. csv.ts beside it reads seeds (check and type
 * inference; the engine's CSV reader loads the rows) and is not a copy.format of sources yet.
 */
export const FORMATS: Readonly<Record<string, () => Promise<SourceFormat>>> = {
  json: async () => (await import('./json.js')).jsonFormat,
};

export const DEFAULT_FORMAT = 'json';

/** The format module of a source's COPY options (JSON when it names none). */
export async function formatOf(copy: Pick<CopyOptions, 'format'>): Promise<SourceFormat> {
  const name = copy.format ?? DEFAULT_FORMAT;
  const load = FORMATS[name];
  // sources.yml is checked against FORMATS, so only a program building its own SourceTable gets here
  if (!load) throw new Error(`no source format ${JSON.stringify(name)} (known: ${Object.keys(FORMATS).join(', ')})`);
  return load();
}
