import type { FileRef } from '../../loaders/source-files.js';

/**
 * The manifest of a COPY (AWS docs, "Using a manifest to specify data files"): one entry per file,
 * every one mandatory, so that COPY fails rather than skip a file that is gone. `meta.content_length`
 * (the object's size in bytes) is required only for ORC and Parquet files and Spectrum; the listing
 * knows every size, so each entry has it. One entry per line, for whoever reads it.
 */
export function copyManifest(files: FileRef[]): string {
  const entries = files.map((f) => JSON.stringify({ url: f.uri, mandatory: true, ...(f.size !== undefined ? { meta: { content_length: f.size } } : {}) }));
  return `{"entries": [\n${entries.map((e) => `  ${e}`).join(',\n')}\n]}\n`;
}

/** redshift: STL_LOAD_COMMITS.filename is a CHAR(256), so a longer URI is there cut to 256 bytes */
export function committedName(uri: string): string {
  const bytes = Buffer.from(uri, 'utf8');
  return bytes.length <= 256
    ? uri
    : bytes
        .subarray(0, 256)
        .toString('utf8')
        .replace(/\uFFFD+$/, '');
}
