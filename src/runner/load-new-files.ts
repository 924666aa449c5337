import { LoadError, quotePath } from '../errors.js';
import type { Connection, Engine, LedgerLoadStep, LoadedFile, LoadProgress, LoadResult } from '../adapters/adapter.js';
import { contentHash, fingerprintOf, type Fingerprint } from '../loaders/file-fingerprint.js';
import { isS3Uri } from '../loaders/s3-uri.js';
import type { FileRef, SourceFiles } from '../loaders/source-files.js';
import type { RejectedLine } from '../loaders/load-errors.js';
import { ledgerSourceName } from '../materializations/copy.js';

/** A row of sparkify_loaded_files as the ledger query returns it. */
interface LedgerRow {
  file: string;
  size: number | null;
  etag: string | null;
  mtime: string | null;
  content_hash: string | null;
  rows_loaded: number | null;
  load_seq: number | null;
}

export interface LedgerLoadContext {
  engine: Engine;
  runId: string;
  files: SourceFiles;
  onProgress?: ((p: LoadProgress) => void) | undefined;
  /** records lines rejected under max_errors, as a full load's are */
  recordRejections(lines: RejectedLine[]): Promise<void>;
}

export interface LedgerLoadResult {
  /** rows appended by this run */
  rows: number;
  /** files loaded by this run */
  files: number;
  records: number;
  warnings: string[];
}

/** Which of the listed files to load, and what the user must be told. */
export interface FileChanges {
  /** files to load now, with the reason */
  load: { ref: FileRef; fingerprint: Fingerprint; hash: string | undefined; reload: boolean }[];
  changed: string[];
  removed: string[];
  unchanged: number;
}

const num = (v: unknown) => (v === null || v === undefined ? undefined : Number(v));

/**
 * Compares the listed files with the ledger: new files are loaded; a file whose size, ETag or
 * (when its modification time moved) content hash differs has changed; a ledger file that is no
 * longer listed has disappeared. A local file's hash is read only when it is new or its size or
 * modification time moved, so that an unchanged day costs a stat().
 */
export async function compareWithLedger(listed: FileRef[], ledger: LedgerRow[], onFileChange: 'error' | 'reload' | 'ignore'): Promise<FileChanges> {
  const known = new Map(ledger.map((r) => [r.file, r]));
  const out: FileChanges = { load: [], changed: [], removed: [], unchanged: 0 };
  const listedUris = new Set(listed.map((f) => f.uri));
  for (const ref of listed) {
    const fp = await fingerprintOf(ref);
    const local = !isS3Uri(ref.uri);
    const row = known.get(ref.uri);
    if (!row) {
      out.load.push({ ref, fingerprint: fp, hash: local ? await contentHash(ref.uri) : undefined, reload: false });
      continue;
    }
    let changed = num(row.size) !== fp.size || (!local && (row.etag ?? undefined) !== fp.etag);
    let hash: string | undefined;
    if (!changed && local && (row.mtime ?? undefined) !== fp.mtime) {
      // touched: a change only if the content differs
      hash = await contentHash(ref.uri);
      changed = hash !== (row.content_hash ?? undefined);
    }
    if (!changed) {
      out.unchanged++;
      continue;
    }
    out.changed.push(ref.uri);
    if (onFileChange === 'reload') out.load.push({ ref, fingerprint: fp, hash: local ? (hash ?? (await contentHash(ref.uri))) : undefined, reload: true });
  }
  for (const r of ledger) if (!listedUris.has(r.file)) out.removed.push(r.file);
  return out;
}

const listOf = (files: string[], max = 5) => files.slice(0, max).map(quotePath).join(', ') + (files.length > max ? ` and ${files.length - max} more` : '');

/**
 * An incremental load: the files not in the ledger are loaded one at a time into tmp (by the
 * engine's own loader), each appended to the staging table in the transaction that records it in
 * sparkify_loaded_files, so a crash never records a file without its rows or the reverse.
 */
export async function loadNewFiles(c: Connection, s: LedgerLoadStep, ctx: LedgerLoadContext): Promise<LedgerLoadResult> {
  const d = ctx.engine.dialect;
  const source = ledgerSourceName(s.source);
  const copy = s.source.copy!;
  const where = { file: s.source.file, line: s.source.line };
  if (!s.source.location) throw new LoadError(`source ${s.source.id} has no location to load from`, where);
  const warnings: string[] = [];
  const listed = await ctx.files.list(s.source.location, s.source.file, { onWarning: (w) => warnings.push(w) });
  let ledger = (await c.query(d.selectLoadedFiles(s.ledgerSchema, source))) as unknown as LedgerRow[];
  const exists = (await ctx.engine.listRelations([s.into.schema])).some((r) => r.name === s.into.name);
  if (s.fullRefresh || !exists || ledger.length === 0) {
    // a first load, a full refresh, or a staging table the ledger knows nothing of (loaded in mode full before)
    await c.transaction([d.dropRelation(s.into, 'table'), d.createStagingTable(s.into, s.source.columns), ...d.forgetLoadedFiles(s.ledgerSchema, source)]);
    ledger = [];
  }
  const changes = await compareWithLedger(listed, ledger, copy.onFileChange ?? 'error');
  if (changes.changed.length > 0 && (copy.onFileChange ?? 'error') === 'error') {
    throw new LoadError(`${changes.changed.length} file${changes.changed.length === 1 ? '' : 's'} changed since ${changes.changed.length === 1 ? 'it was' : 'they were'} loaded: ${listOf(changes.changed)}`, {
      ...where,
      node: source,
      hint: "nothing was loaded. Set copy.on_file_change: reload (its rows are replaced) or ignore (the loaded version is kept), or run with --full-refresh to load every file again",
    });
  }
  if (changes.changed.length > 0 && copy.onFileChange === 'ignore') warnings.push(`${changes.changed.length} changed file${changes.changed.length === 1 ? '' : 's'} not loaded again (on_file_change: ignore), the rows of the loaded version kept: ${listOf(changes.changed)}`);
  if (changes.removed.length > 0) warnings.push(`${changes.removed.length} loaded file${changes.removed.length === 1 ? ' no longer exists' : 's no longer exist'}; ${changes.removed.length === 1 ? 'its' : 'their'} rows are kept (--full-refresh drops them): ${listOf(changes.removed)}`);

  let seq = Math.max(0, ...ledger.map((r) => num(r.load_seq) ?? 0));
  const total = { rows: 0, files: 0, records: 0, bytes: 0 };
  const columns = s.source.columns.map((col) => col.name);
  const progress = (p: LoadProgress) => ctx.onProgress?.({ files: changes.load.length, filesDone: total.files + (p.filesDone === p.files ? 1 : 0), rows: total.rows + p.rows, bytes: total.bytes + p.bytes });
  ctx.onProgress?.({ files: changes.load.length, filesDone: 0, rows: 0, bytes: 0 });
  for (const f of changes.load) {
    await c.execute(d.dropRelation(s.tmp, 'table'));
    const one = { ...s.source, location: f.ref.uri, copy: { ...copy, manifest: false } };
    let r: LoadResult;
    try {
      r = await c.load({ kind: 'load', source: one, into: s.tmp }, ctx.onProgress ? progress : undefined);
    } catch (err) {
      if (err instanceof LoadError && err.rejected?.length) await ctx.recordRejections(err.rejected).catch(() => undefined);
      throw err;
    }
    if (r.rejected?.length) await ctx.recordRejections(r.rejected);
    for (const w of r.warnings ?? []) warnings.push(w);
    seq++;
    const entry: LoadedFile = {
      source,
      file: f.ref.uri,
      size: f.fingerprint.size,
      etag: f.fingerprint.etag,
      mtime: f.fingerprint.mtime,
      contentHash: f.hash,
      rowsLoaded: r.rows,
      rowsRejected: r.rejected?.length ?? 0,
      loadSeq: seq,
      runId: ctx.runId,
      loadedAt: new Date().toISOString(),
    };
    await c.transaction([
      // on_file_change: reload: the old version's rows go, and every model that read them builds again in full
      ...(f.reload ? [d.deleteRowsOfFile(s.into, f.ref.uri), d.invalidateWatermarks(s.ledgerSchema, source)] : []),
      d.appendLoadedRows(s.into, s.tmp, columns, f.ref.uri, seq),
      ...d.recordLoadedFile(s.ledgerSchema, entry),
      d.dropRelation(s.tmp, 'table'),
    ]);
    total.rows += r.rows;
    total.files++;
    total.records += r.records ?? r.rows;
    total.bytes += f.fingerprint.size ?? 0;
  }
  ctx.onProgress?.({ files: changes.load.length, filesDone: total.files, rows: total.rows, bytes: total.bytes });
  return { rows: total.rows, files: total.files, records: total.records, warnings };
}
