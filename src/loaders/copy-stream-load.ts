import type { Connection, LoadProgress, LoadResult, LoadStep } from '../adapters/adapter.js';
import { DatabaseError, LoadError } from '../errors.js';
import type { ColumnSpec, Relation } from '../types.js';
import type { PreparedFormat } from './formats/source-format.js';
import { rejectionError } from './load-errors.js';
import { prepareLoad, withWarnings } from './prepare-load.js';
import type { SourceFiles } from './source-files.js';

/** The statements a COPY-stream load sends, spelt by the engine's dialect. */
export interface CopyStreamDialect {
  readonly label: string;
  createTable(r: Relation, columns: { name: string; type: string }[]): string;
  /** the statement rows stream into, in PostgreSQL's COPY text format */
  copyFromStdin(into: Relation, columns: ColumnSpec[]): string;
  beginTransaction(): string;
  commit(): string;
  /** the row (1-based, of the COPY) and column a failed COPY names, and the server's reason, when the error is about one value */
  copyErrorRow(err: DatabaseError): { row: number; column?: string | undefined; reason: string } | undefined;
}

/**
 * Loads a source into step.into by streaming every file's rows through one COPY ... FROM STDIN, in
 * one transaction: all rows or none. Records are read and mapped here (the format's copyText, with
 * its byte-level fast path); a value the server rejects is traced back to its file and line.
 */
export async function copyStreamLoad(c: Connection, dialect: CopyStreamDialect, sourceFiles: SourceFiles, step: LoadStep, onProgress?: (p: LoadProgress) => void): Promise<LoadResult> {
  const { source, into } = step;
  if (!c.copyFrom) throw new LoadError(`${dialect.label} connections cannot stream rows (no copyFrom)`, { file: source.file, line: source.line });
  if (source.copy?.compression === 'zstd') {
    throw new LoadError(`zstd-compressed files are not supported on ${dialect.label} yet`, { file: source.file, line: source.line, hint: 'use gzip or uncompressed files' });
  }
  const load = await prepareLoad(source, sourceFiles);
  const { copy, format, limit } = load;
  const files = load.files.map((f) => f.uri);
  const reader = sourceFiles.opener(files, copy.compression);
  const stats = { records: 0, rows: 0, files: 0, bytes: 0 };
  const copySql = dialect.copyFromStdin(into, source.columns);
  await c.execute(dialect.beginTransaction());
  try {
    await c.execute(dialect.createTable(into, source.columns));
    let rows: number;
    try {
      const text = format.copyText(files, copy.compression, { source, stats, limit, open: reader.open });
      rows = await c.copyFrom(copySql, onProgress ? withProgress(text, files.length, stats, onProgress) : text);
      onProgress?.({ files: files.length, filesDone: files.length, rows: stats.rows, bytes: stats.bytes });
    } catch (err) {
      throw await locateCopyError(err, step, files, format, (f, cmp) => sourceFiles.open(f, cmp), dialect);
    } finally {
      reader.close();
    }
    await c.execute(dialect.commit());
    return withWarnings({ rows, files: files.length, records: stats.records, rejected: limit.rejected }, load.warnings);
  } catch (err) {
    await c.rollback();
    throw err;
  }
}

/** A value the server rejected (a date that does not exist, a numeric overflow), traced to its file and line. */
async function locateCopyError(err: unknown, step: LoadStep, files: string[], format: PreparedFormat, open: Parameters<PreparedFormat['records']>[2], dialect: CopyStreamDialect): Promise<unknown> {
  // an error of the rows' own (max_errors), a lost session or a cancel before the COPY began is reported as it is
  if (!(err instanceof DatabaseError) || err.connectionLost || err.sql === undefined) return err;
  const { source } = step;
  const at = dialect.copyErrorRow(err);
  if (at) {
    let n = 0;
    for await (const r of format.records(files, source.copy!.compression, open)) {
      if (!r.bad && ++n === at.row) return rejectionError(source, { file: r.file, line: r.record.line, raw: r.record.raw, column: at.column, reason: at.reason });
    }
  }
  err.message = `cannot load ${source.id}: ${err.message}`;
  return err.addContext({ file: source.file, line: source.line });
}

/** Tells onProgress how far the COPY text has got, before the first chunk and after each one. */
async function* withProgress(chunks: AsyncGenerator<Buffer>, files: number, stats: { rows: number; files: number; bytes: number }, onProgress: (p: LoadProgress) => void): AsyncGenerator<Buffer> {
  onProgress({ files, filesDone: 0, rows: 0, bytes: 0 });
  for await (const chunk of chunks) {
    yield chunk;
    if (stats.files < files) onProgress({ files, filesDone: stats.files, rows: stats.rows, bytes: stats.bytes });
  }
}
