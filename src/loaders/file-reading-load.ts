import { createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Connection, FilesLoadResult, LedgerFilesLoad, LoadProgress, LoadResult, LoadStep } from '../adapters/adapter.js';
import { LoadError } from '../errors.js';
import type { CopyOptions, Relation, SourceTable } from '../types.js';
import type { NativeRead, OpenFile, PreparedFormat } from './formats/source-format.js';
import { RejectionLimit, sourceLabel } from './load-errors.js';
import { prepareLoad, withWarnings } from './prepare-load.js';
import { isGzipped, openLocalFile } from './open-local-file.js';
import type { SourceFiles, StagedBatch } from './source-files.js';
import type { TypedJsonRead } from './typed-json-read.js';

/** Options of one read of files by the engine. */
export interface FileReadOptions {
  /** 'newline_delimited' (fast, one value per line) or 'unstructured' (values one after another, pretty-printed) */
  format?: 'newline_delimited' | 'unstructured';
  compression?: CopyOptions['compression'];
  /** the records were written by sparkify from values its row mapper accepted: skip the checks that defer to it */
  checked?: boolean;
  /** the rows go to an incremental source's staging table, each tagged with its file and the load */
  tag?: FileTag | undefined;
}

/** How the rows of a ledger load are tagged: each with its file (the reader's file name, mapped to its URI) and the load. */
export interface FileTag {
  loadSeq: number;
  /** the URI of each read path that is not its own URI (a staged copy of an S3 object, a cleaned copy) */
  uris: ReadonlyMap<string, string>;
}

/** The statements a file-reading load sends, spelt by the engine's dialect (DuckDB's). */
export interface FileReadingDialect {
  readonly label: string;
  createTable(r: Relation, columns: { name: string; type: string }[]): string;
  /** appends the rows of `files` to `into`, read by the engine itself, failing on the first record or value that does not fit */
  insertFromFiles(into: Relation, source: SourceTable, files: string[], read: NativeRead, opts: FileReadOptions): string;
  /**
   * The fast path, when the engine has one: appends the rows of local, uncompressed,
   * newline-delimited files read with `typed` (each column a top-level key, numbers read as their
   * type). Its rows are the strict path's only for lines the format's fitsTypedRead() vouches for.
   */
  insertFromFilesTyped?(into: Relation, source: SourceTable, files: string[], typed: TypedJsonRead, tag?: FileTag): string;
  /** the rows a ledger load added to a staging table, by file: rows of (file, n) */
  rowsOfLoadByFile(into: Relation, loadSeq: number): string;
  beginTransaction(): string;
  commit(): string;
  rollback(): string;
  /** the statement was interrupted (a cancelled run) */
  isInterrupt(err: unknown): boolean;
  /** reading one value per line failed because values span lines: read the files unstructured */
  needsUnstructuredRead(err: unknown): boolean;
}

/** How a batch of files was loaded: the typed read, the engine's strict read, or read by sparkify (bad lines found). */
export type BatchPath = 'typed' | 'strict' | 'tolerant';

export interface FileReadingLoadOptions {
  /** take the typed read where the engine and the format have one (default true) */
  typedRead?: boolean | undefined;
  /** told how each batch loaded */
  onBatch?: ((path: BatchPath, files: number) => void) | undefined;
}

/** Files per INSERT: DuckDB reads many small files far faster in batches than as one huge list. */
const FILES_PER_BATCH = 2000;

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The size of each local file now (undefined when it cannot be read). */
function fileSizes(files: string[]): Map<string, number | undefined> {
  return new Map(files.map((f) => [f, statSync(f, { throwIfNoEntry: false })?.size]));
}

/**
 * Loads a source into step.into for an engine that reads the files itself (DuckDB): the engine
 * reads each batch of files strictly; a batch it refuses (or a file that grew while it read) is
 * read here, every bad line found and applied to max_errors, and the rest loaded, so every engine
 * loads exactly the same rows. S3 objects are staged on local disk a batch at a time.
 */
export async function fileReadingLoad(
  c: Connection,
  dialect: FileReadingDialect,
  sourceFiles: SourceFiles,
  step: LoadStep,
  onProgress?: (p: LoadProgress) => void,
  opts: FileReadingLoadOptions = {},
): Promise<LoadResult> {
  const { source, into } = step;
  const load = await prepareLoad(source, sourceFiles, step.files);
  const files = load.files;
  const l = new FileReadingLoad(c, dialect, source, into, load.format, load.limit, opts);
  await c.execute(dialect.createTable(into, source.columns));
  let rows = 0;
  let filesDone = 0;
  let bytes = 0;
  onProgress?.({ files: files.length, filesDone, rows, bytes });
  // S3 objects are downloaded a batch at a time into a temporary folder, deleted after the batch
  for await (const staged of sourceFiles.stage(files, { maxFiles: FILES_PER_BATCH })) {
    rows += await l.batch(staged);
    if (onProgress) {
      filesDone += staged.paths.length;
      bytes += staged.refs.reduce((sum, f, i) => sum + (f.size ?? fileSize(staged.paths[i]!)), 0);
      onProgress({ files: files.length, filesDone, rows, bytes });
    }
  }
  return withWarnings({ rows, files: files.length, records: l.records, rejected: load.limit.rejected }, load.warnings);
}

/** the typed read's check found a line it cannot vouch for: the batch loads on the strict path */
class NotVouched extends Error {}

class FileReadingLoad {
  records = 0;

  constructor(
    private readonly c: Connection,
    private readonly dialect: FileReadingDialect,
    private readonly source: SourceTable,
    private readonly into: Relation,
    private readonly format: PreparedFormat,
    private readonly limit: RejectionLimit,
    private readonly opts: FileReadingLoadOptions,
  ) {}

  private get compression(): CopyOptions['compression'] {
    return this.source.copy!.compression;
  }

  /** Loads one batch of local files; returns the rows it added. */
  async batch(staged: StagedBatch): Promise<number> {
    // every file is read as of one moment: its size now (a log file may grow while it loads)
    const sizes = fileSizes(staged.paths);
    const done = (path: BatchPath, rows: number) => {
      this.opts.onBatch?.(path, staged.paths.length);
      return rows;
    };
    const typed = await this.insertTyped(staged.paths, sizes);
    if (typed !== undefined) {
      this.records += typed;
      return done('typed', typed);
    }
    let n: number | undefined;
    let failure: unknown;
    try {
      n = await this.insertAsOf(sizes, () => this.insertStrict(staged.paths));
    } catch (err) {
      if (this.dialect.isInterrupt(err)) throw err;
      failure = err;
    }
    if (n !== undefined) {
      this.records += n;
      return done('strict', n);
    }
    // the batch holds a line that cannot load (or that the engine cannot judge), or a file grew while it was read:
    // sparkify reads the batch itself, finds every bad line, and loads the rest
    return done('tolerant', await this.insertTolerant(failure, staged, sizes));
  }

  /**
   * Reads one batch of a ledger load into the staging table, inside the load's transaction, the way
   * `p` says; returns how and the rows it added. A read that fails (in DuckDB, an error aborts the
   * transaction) throws ReadAgain with the next way; an interrupt or a LoadError (a line past
   * max_errors) is thrown as it is.
   */
  async ledgerBatch(staged: StagedBatch, index: number, p: BatchPlan, loadSeq: number): Promise<[BatchPath, number]> {
    const { c, dialect, source, into, format, compression } = this;
    const sizes = fileSizes(staged.paths);
    const tag: FileTag = { loadSeq, uris: new Map(staged.paths.filter((f) => staged.uriOf(f) !== f).map((f) => [f, staged.uriOf(f)])) };
    const again = (plan: LedgerPlan, failure?: unknown) => new ReadAgain(index, plan, failure);
    const changed = () => {
      const now = fileSizes(staged.paths);
      return [...sizes].some(([f, size]) => now.get(f) !== size);
    };
    const typed = format.native.typed;
    let plan = p.plan;
    if (
      plan === 'typed' &&
      (!typed || !dialect.insertFromFilesTyped || !format.fitsTypedRead || compression !== 'none' || staged.paths.some((f) => isGzipped(f) || f.endsWith('.zst')))
    )
      plan = 'strict';
    if (plan === 'typed') {
      const sql = dialect.insertFromFilesTyped!(into, source, staged.paths, typed!, tag);
      const stop = new AbortController();
      const fits = format.fitsTypedRead!(staged.paths, sizes, stop.signal).catch(() => false);
      let n: number;
      try {
        const [rows, ok] = await Promise.all([c.execute(sql), fits]);
        if (!ok) throw again('strict');
        n = rows ?? 0;
      } catch (err) {
        if (err instanceof ReadAgain || dialect.isInterrupt(err)) throw err;
        throw again('strict');
      } finally {
        stop.abort();
      }
      if (changed()) throw again('mapped');
      this.records += n;
      return ['typed', n];
    }
    if (plan === 'strict' || plan === 'unstructured') {
      let n: number;
      try {
        const read = { format: plan === 'strict' ? 'newline_delimited' : 'unstructured', compression, tag } as const;
        n = (await c.execute(dialect.insertFromFiles(into, source, staged.paths, format.native, read))) ?? 0;
      } catch (err) {
        if (dialect.isInterrupt(err)) throw err;
        throw again(plan === 'strict' && dialect.needsUnstructuredRead(err) ? 'unstructured' : 'tolerant', err);
      }
      if (changed()) throw again('mapped');
      this.records += n;
      return ['strict', n];
    }
    return ['tolerant', await this.insertTolerant(plan === 'tolerant' ? p.failure : undefined, staged, sizes, { loadSeq, unstructured: p.unstructured === true, index })];
  }

  /**
   * The fast path: the engine reads the batch with typed columns while the format checks, at the
   * same time, that every line fits that read; the rows commit only when it does and no file
   * changed size. Returns the rows, or undefined (nothing inserted) when the batch needs the
   * strict path: a line the check cannot vouch for, or one the engine refuses.
   */
  private async insertTyped(files: string[], sizes: Map<string, number | undefined>): Promise<number | undefined> {
    const { c, dialect, source, into, format } = this;
    const typed = format.native.typed;
    if (this.opts.typedRead === false || !typed || !dialect.insertFromFilesTyped || !format.fitsTypedRead) return undefined;
    if (this.compression !== 'none' || files.some((f) => isGzipped(f) || f.endsWith('.zst'))) return undefined;
    const sql = dialect.insertFromFilesTyped(into, source, files, typed);
    const stop = new AbortController();
    const fits = format.fitsTypedRead(files, sizes, stop.signal).catch(() => false);
    try {
      return await this.insertAsOf(sizes, async () => {
        const [n, ok] = await Promise.all([c.execute(sql), fits]);
        if (!ok) throw new NotVouched();
        return n ?? 0;
      });
    } catch (err) {
      if (dialect.isInterrupt(err)) throw err;
      return undefined;
    } finally {
      // the engine refused a line: the check, perhaps still reading, has nothing more to say
      stop.abort();
    }
  }

  /**
   * Runs an insert of files in a transaction that commits only when no file changed size while
   * the engine read it; returns the rows, or undefined (nothing inserted) when one did.
   */
  private async insertAsOf(sizes: Map<string, number | undefined>, insert: () => Promise<number>): Promise<number | undefined> {
    const { c, dialect } = this;
    await c.execute(dialect.beginTransaction());
    let n: number;
    try {
      n = await insert();
    } catch (err) {
      await c.rollback();
      throw err;
    }
    const now = fileSizes([...sizes.keys()]);
    if ([...sizes].some(([f, size]) => now.get(f) !== size)) {
      await c.execute(dialect.rollback());
      return undefined;
    }
    await c.execute(dialect.commit());
    return n;
  }

  /**
   * The fast path: the engine reads the files itself and fails on the first record or value that
   * does not fit. One value per line is read in parallel; files of values one after another or
   * pretty-printed need the slower 'unstructured' reader, tried when the first reading fails.
   */
  private async insertStrict(files: string[]): Promise<number> {
    const { c, dialect, source, into, compression } = this;
    const read = this.format.native;
    try {
      return (await c.execute(dialect.insertFromFiles(into, source, files, read, { format: 'newline_delimited', compression }))) ?? 0;
    } catch (err) {
      if (!dialect.needsUnstructuredRead(err)) throw err;
      return (await c.execute(dialect.insertFromFiles(into, source, files, read, { format: 'unstructured', compression }))) ?? 0;
    }
  }

  /**
   * The strict load of a batch failed, or a file grew while the engine read it. The format's reader
   * reads the batch (each file up to its size when the batch began) and finds every bad record
   * (max_errors 0: the first one, as the error). Files without bad records load again, strictly, as
   * the engine reads them; the others, and any it refuses or that grew, load from a copy holding
   * the values the row mapper made of their good records, so every engine loads the same rows.
   */
  private async insertTolerant(
    err: unknown,
    staged: StagedBatch,
    sizes: Map<string, number | undefined>,
    ledger?: { loadSeq: number; unstructured: boolean; index: number },
  ): Promise<number> {
    const { source, compression, limit } = this;
    const cannotLoad = (cause: unknown, why = errorText(cause)) => {
      // an error that names one of the data files is about that file, not about the source's entry in sources.yml
      const named = staged.paths.find((p) => why.includes(`"${p}"`) || why.includes(`'${p}'`));
      const where = named ? { file: staged.uriOf(named) } : { file: source.file, line: source.line };
      return new LoadError(`cannot load ${source.id}: ${why}`, { ...where, node: sourceLabel(source), cause });
    };
    if (compression === 'zstd' || staged.paths.some((p) => p.endsWith('.zst'))) {
      const why = err === undefined ? `a file changed while ${this.dialect.label} read it` : errorText(err);
      throw cannotLoad(err, `${why} (sparkify reads zstd files through ${this.dialect.label} only, so it cannot point at the line or read a file as of one moment; gzip files can be)`);
    }
    const open: OpenFile = (f, cmp) => openLocalFile(f, cmp, sizes.get(f));
    const before = limit.rejected.length;
    let records = 0;
    const bad = new Set<string>();
    try {
      for await (const r of this.format.records(staged.paths, compression, open)) {
        records++;
        if (r.bad) {
          bad.add(r.file);
          limit.reject({ ...r.bad, file: staged.uriOf(r.file) });
        }
      }
    } catch (e) {
      if (e instanceof LoadError) throw e;
      throw cannotLoad(e);
    }
    const rejected = limit.rejected.length - before;
    this.records += records;
    let n = 0;
    let rewrite = staged.paths.filter((p) => bad.has(p));
    const direct = staged.paths.filter((p) => !bad.has(p));
    if (direct.length > 0 && err !== undefined && ledger) {
      // in the load's transaction: a failure here aborts it, and the batch is read again, every file mapped
      const tag: FileTag = { loadSeq: ledger.loadSeq, uris: new Map(direct.filter((f) => staged.uriOf(f) !== f).map((f) => [f, staged.uriOf(f)])) };
      const read = { format: ledger.unstructured ? 'unstructured' : 'newline_delimited', compression, tag } as const;
      try {
        n += (await this.c.execute(this.dialect.insertFromFiles(this.into, source, direct, this.format.native, read))) ?? 0;
      } catch (e) {
        if (this.dialect.isInterrupt(e)) throw e;
        throw new ReadAgain(ledger.index, 'mapped', undefined);
      }
      const now = fileSizes(direct);
      if (direct.some((f) => now.get(f) !== sizes.get(f))) throw new ReadAgain(ledger.index, 'mapped', undefined);
      rewrite = staged.paths.filter((p) => bad.has(p));
    } else if (direct.length > 0 && err !== undefined) {
      const directSizes = new Map(direct.map((p) => [p, sizes.get(p)]));
      let m: number | undefined;
      try {
        m = await this.insertAsOf(directSizes, () => this.insertStrict(direct));
      } catch (e) {
        if (this.dialect.isInterrupt(e)) throw e;
      }
      if (m === undefined) rewrite = staged.paths;
      else n += m;
    } else if (direct.length > 0) {
      rewrite = staged.paths;
    }
    if (rewrite.length > 0) n += await this.insertMapped(rewrite, open, cannotLoad, ledger && { loadSeq: ledger.loadSeq, uriOf: staged.uriOf });
    if (n !== records - rejected) throw cannotLoad(err, `${this.dialect.label} loaded ${n} rows where sparkify read ${records} records and rejected ${rejected}`);
    return n;
  }

  /**
   * Loads the good records of files as the row mapper maps them: a copy of their values, one JSON
   * array per row. Tagged rows (a ledger load) get one copy per file, so that each row keeps its file.
   */
  private async insertMapped(
    files: string[],
    open: OpenFile,
    cannotLoad: (cause: unknown, why?: string) => LoadError,
    tagged?: { loadSeq: number; uriOf: (p: string) => string },
  ): Promise<number> {
    const { c, dialect, source, into, compression } = this;
    const records = this.format.records(files, compression, open);
    const clean = await mkdtemp(path.join(tmpdir(), 'sparkify-clean-'));
    try {
      const copies = tagged ? files.map((_, i) => path.join(clean, `${String(i).padStart(7, '0')}.json`)) : [path.join(clean, 'rows.json')];
      const copyOf = new Map(files.map((f, i) => [f, tagged ? i : 0]));
      let at = -1;
      let out: ReturnType<typeof createWriteStream> | undefined;
      const opened: ReturnType<typeof createWriteStream>[] = [];
      try {
        // every copy exists, empty for a file without a good record
        for (let i = 0; i < copies.length; i++) opened.push(createWriteStream(copies[i]!));
        for await (const r of records) {
          if (r.bad) continue;
          const i = copyOf.get(r.file) ?? 0;
          if (i !== at) [at, out] = [i, opened[i]];
          if (!out!.write(JSON.stringify(r.values) + '\n')) await new Promise<void>((resolve) => out!.once('drain', () => resolve()));
        }
        await Promise.all(opened.map((o) => new Promise<void>((resolve, reject) => o.end((err?: Error | null) => (err ? reject(err) : resolve())))));
      } finally {
        for (const o of opened) o.destroy();
      }
      const read: NativeRead = { format: 'json', mapping: { kind: 'jsonpaths', location: copies[0]! }, paths: source.columns.map((_, i) => [i]) };
      const mapped: SourceTable = { ...source, copy: { ...source.copy!, format: 'json', json: read.mapping, compression: 'none' } };
      const tag: FileTag | undefined = tagged && { loadSeq: tagged.loadSeq, uris: new Map(files.map((f, i) => [copies[i]!, tagged.uriOf(f)])) };
      try {
        return (await c.execute(dialect.insertFromFiles(into, mapped, copies, read, { format: 'newline_delimited', compression: 'none', checked: true, tag }))) ?? 0;
      } catch (e) {
        throw cannotLoad(e, `${dialect.label} rejected a record that sparkify's own checks accept: ${errorText(e)}`);
      }
    } finally {
      await rm(clean, { recursive: true, force: true });
    }
  }
}

/** How a batch of a ledger load is read, from the fastest; a batch whose read fails is read the next way, in a new transaction. */
type LedgerPlan = 'typed' | 'strict' | 'unstructured' | 'tolerant' | 'mapped';

/** A batch of a ledger load must be read another way: the transaction is rolled back and the load starts again. */
class ReadAgain extends Error {
  constructor(
    readonly batch: number,
    readonly plan: LedgerPlan,
    readonly failure: unknown,
  ) {
    super(`batch ${batch} is read again (${plan})`);
  }
}

interface BatchPlan {
  plan: LedgerPlan;
  /** why the batch left the strict path (the engine's error), undefined when a file changed while it was read */
  failure?: unknown;
  /** the batch's files need the unstructured reader */
  unstructured?: boolean;
}

/**
 * An incremental source's new files, loaded in ONE transaction (src/runner/load-new-files.ts): the
 * statements of `load.first` (a reload's deletes), then every batch of files read by the engine
 * straight into the staging table, each row tagged with its file and the load, then the ledger rows
 * of `load.commit()`, given each file's row count (a GROUP BY of the rows just added), then COMMIT.
 * One read of all the files where they fit one batch, and one commit: a crash commits all of
 * them, with their ledger rows, or none. A batch the typed read cannot vouch for, or that the
 * engine refuses, or whose file changed while it was read, rolls the transaction back, and the
 * load starts again with that batch read the next way (typed, strict, unstructured, then read by
 * sparkify, which finds every bad line and applies max_errors to the whole load, as Redshift's
 * COPY of a manifest does). A line past max_errors fails the load, and nothing is committed.
 */
export async function fileReadingLedgerLoad(
  c: Connection,
  dialect: FileReadingDialect,
  sourceFiles: SourceFiles,
  load: LedgerFilesLoad,
  onProgress?: (p: LoadProgress) => void,
  opts: FileReadingLoadOptions = {},
): Promise<FilesLoadResult> {
  const { source, into } = load.step;
  const prepared = await prepareLoad(source, sourceFiles, load.step.files);
  const files = prepared.files;
  const plans: BatchPlan[] = [];
  for (;;) {
    // each attempt counts its own rejections: a rolled-back attempt's are not the load's
    const limit = new RejectionLimit(source);
    const l = new FileReadingLoad(c, dialect, source, into, prepared.format, limit, {});
    const paths: [BatchPath, number][] = [];
    let rows = 0;
    let filesDone = 0;
    let bytes = 0;
    onProgress?.({ files: files.length, filesDone, rows, bytes });
    await c.execute(dialect.beginTransaction());
    try {
      for (const s of load.first) await c.execute(s);
      let i = 0;
      for await (const staged of sourceFiles.stage(files, { maxFiles: FILES_PER_BATCH })) {
        const plan = plans[i] ?? { plan: opts.typedRead === false ? 'strict' : 'typed' };
        const [path, n] = await l.ledgerBatch(staged, i, plan, load.loadSeq);
        paths.push([path, staged.paths.length]);
        rows += n;
        if (onProgress) {
          filesDone += staged.paths.length;
          bytes += staged.refs.reduce((sum, f, j) => sum + (f.size ?? fileSize(staged.paths[j]!)), 0);
          onProgress({ files: files.length, filesDone, rows, bytes });
        }
        i++;
      }
      const counts = await c.query(dialect.rowsOfLoadByFile(into, load.loadSeq));
      const rowsByFile = new Map(counts.map((r) => [String(r.file), Number(r.n)]));
      const result: FilesLoadResult = { rows, files: files.length, records: l.records, rejected: limit.rejected, rowsByFile };
      for (const s of await load.commit(result)) await c.execute(s);
      await c.execute(dialect.commit());
      for (const [path, n] of paths) opts.onBatch?.(path, n);
      return withWarnings(result, prepared.warnings);
    } catch (err) {
      await c.rollback();
      if (!(err instanceof ReadAgain)) throw err;
      plans[err.batch] = { plan: err.plan, failure: err.failure, unstructured: err.plan === 'unstructured' || plans[err.batch]?.unstructured };
    }
  }
}
