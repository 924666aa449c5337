import type { Readable } from 'node:stream';
import type { CopyOptions, SourceTable } from '../../types.js';
import type { RejectedLine } from '../load-errors.js';
import type { SourceFiles } from '../source-files.js';
import type { JsonRecord } from '../json-record-splitter.js';
import type { RowMapper } from '../json-rows.js';
import type { PathStep } from '../json-paths.js';
import type { JsonMapping } from '../../types.js';
import type { TypedJsonRead } from '../typed-json-read.js';

/** Opens one file of a source as a byte stream (decompressed). */
export type OpenFile = (file: string, compression: CopyOptions['compression']) => Readable;

/** One record of a source: its column values, or why it is rejected. */
export interface MappedRecord {
  file: string;
  record: JsonRecord;
  values?: (string | null)[] | undefined;
  bad?: RejectedLine | undefined;
}

/**
 * What an engine that reads the files itself (DuckDB) needs to know to read this format in SQL;
 * `typed`, when the mapping can be spelled as a typed read of top-level keys (typed-json-read.ts).
 */
export type NativeRead = { format: 'json'; mapping: JsonMapping; paths?: PathStep[][] | undefined; typed?: TypedJsonRead | undefined };

export interface CopyTextStats {
  records: number;
  rows: number;
  files?: number;
  bytes?: number;
}

/** A format ready to load one source: its settings read (a JSONPaths file), its row mapper made. */
export interface PreparedFormat {
  readonly mapper: RowMapper;
  /** how an engine that reads the files itself spells reading them */
  readonly native: NativeRead;
  /** the records of the files, in order, each mapped to a row or rejected; an unreadable file is a LoadError */
  records(files: string[], compression: CopyOptions['compression'], open?: OpenFile): AsyncGenerator<MappedRecord>;
  /**
   * The rows of the files as PostgreSQL COPY text, in chunks, for engines that stream rows
   * (COPY ... FROM STDIN). Bad records go to `limit`; the one past max_errors throws.
   */
  copyText(files: string[], compression: CopyOptions['compression'], opts: CopyTextOptions): AsyncGenerator<Buffer>;
  /**
   * Whether every line of the (local, uncompressed) files, each up to its size, fits native.typed,
   * so that the engine's typed read gives the strict path's rows; absent when there is no typed read.
   */
  fitsTypedRead?(files: string[], sizes: ReadonlyMap<string, number | undefined>, signal?: AbortSignal): Promise<boolean>;
}

export interface CopyTextOptions {
  source: SourceTable;
  stats?: CopyTextStats;
  limit?: import('../load-errors.js').RejectionLimit;
  open?: OpenFile;
}

/**
 * A source format (sources.yml `copy.format`): how its records are read and mapped to rows, and
 * the bulk path each kind of engine takes. JSON today (src/loaders/formats/json.ts); a new format is
 * a module here plus one line in formats.ts.
 */
export interface SourceFormat {
  /** the name in sources.yml: "json" */
  readonly name: string;
  /** reads what the format needs besides the data (the JSONPaths file) and makes the row mapper */
  prepare(source: SourceTable, files: SourceFiles): Promise<PreparedFormat>;
}
