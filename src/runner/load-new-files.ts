import { LoadError } from '../errors.js';
import { quotePath } from '../display-path.js';
import type { Connection, Engine, FilesLoadResult, LedgerLoadStep, LoadedFile, LoadProgress, LoadResult } from '../adapters/adapter.js';
import { contentHash, fingerprintOf, type Fingerprint } from '../loaders/file-fingerprint.js';
import { isS3Uri } from '../loaders/s3-uri.js';
import { yieldTurn } from '../loaders/list-files.js';
import type { FileRef, SourceFiles } from '../loaders/source-files.js';
import type { RejectedLine } from '../loaders/load-errors.js';
import { ledgerSourceName } from '../materializations/copy.js';

/** A row of sparkify_loaded_files as the ledger query returns it. */
export interface LedgerRow {
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
export async function compareWithLedger(
  listed: FileRef[],
  ledger: LedgerRow[],
  onFileChange: 'error' | 'reload' | 'ignore',
  opts: { hashNew?: boolean } = {},
): Promise<FileChanges> {
  const known = new Map(ledger.map((r) => [r.file, r]));
  const out: FileChanges = { load: [], changed: [], removed: [], unchanged: 0 };
  const listedUris = new Set(listed.map((f) => f.uri));
  let n = 0;
  for (const ref of listed) {
    // fingerprintOf() stats synchronously: a load running beside a listing of 100,000 files gets a turn now and then
    if (++n % 1000 === 0) await yieldTurn();
    const fp = await fingerprintOf(ref);
    const local = !isS3Uri(ref.uri);
    const row = known.get(ref.uri);
    if (!row) {
      out.load.push({ ref, fingerprint: fp, hash: local && opts.hashNew !== false ? await contentHash(ref.uri) : undefined, reload: false });
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
 * An incremental load: the files not in the ledger are loaded into tmp (by the engine's own loader:
 * one at a time or in batches of small files; on Redshift with a manifest prefix, all of them with
 * one COPY of their manifest), each load appended to the staging table in the transaction that
 * records its files in sparkify_loaded_files, so a crash never records a file without its rows or the reverse.
 * An engine that reads the files itself (DuckDB, Engine.loadLedgerFiles) reads all of them straight
 * into the staging table, each row tagged with its file, in the one transaction that records them.
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
    await c.transaction([d.dropRelation(s.into, 'table'), d.createStagingTable(s.into, s.source.columns), ...d.indexStagingTable(s.into, s.source), ...d.forgetLoadedFiles(s.ledgerSchema, source)]);
    ledger = [];
  } else {
    // a staging table made before its engine indexed them gets its index now (a no-op when it has it)
    const index = d.indexStagingTable(s.into, s.source);
    if (index.length > 0) await c.transaction(index);
  }
  // an engine that loads every new file in one load hashes the new files while it reads them, not before
  const oneLoad = d.loadStatements === undefined && ctx.engine.loadLedgerFiles !== undefined;
  const changes = await compareWithLedger(listed, ledger, copy.onFileChange ?? 'error', { hashNew: !oneLoad });
  if (changes.changed.length > 0 && (copy.onFileChange ?? 'error') === 'error') {
    throw new LoadError(
      `${changes.changed.length} file${changes.changed.length === 1 ? '' : 's'} changed since ${changes.changed.length === 1 ? 'it was' : 'they were'} loaded: ${listOf(changes.changed)}`,
      {
        ...where,
        node: source,
        hint: 'nothing was loaded. Set copy.on_file_change: reload (its rows are replaced) or ignore (the loaded version is kept), or run with --full-refresh to load every file again',
      },
    );
  }
  if (changes.changed.length > 0 && copy.onFileChange === 'ignore')
    warnings.push(
      `${changes.changed.length} changed file${changes.changed.length === 1 ? '' : 's'} not loaded again (on_file_change: ignore), the rows of the loaded version kept: ${listOf(changes.changed)}`,
    );
  if (changes.removed.length > 0)
    warnings.push(
      `${changes.removed.length} loaded file${changes.removed.length === 1 ? ' no longer exists' : 's no longer exist'}; ${changes.removed.length === 1 ? 'its' : 'their'} rows are kept (--full-refresh drops them): ${listOf(changes.removed)}`,
    );

  // a reloaded file's old rows are those of the load that added it: when every row of that load carries its file,
  // the file's rows go and it loads again; else (the load read several files at once) every file of that load does
  const reloadedBySeq = new Map<number, string[]>();
  for (const f of changes.load) {
    if (!f.reload) continue;
    const rs = num(known(ledger, f.ref.uri)?.load_seq) ?? -1;
    reloadedBySeq.set(rs, [...(reloadedBySeq.get(rs) ?? []), f.ref.uri]);
  }
  const reloads = new Set<number>();
  const fileReloads = new Map<number, string[]>();
  for (const [rs, uris] of reloadedBySeq) {
    const untagged = rs < 0 ? 1 : Number(Object.values((await c.query(d.countUntaggedRows(s.into, rs)))[0] ?? {})[0] ?? 1);
    if (untagged === 0) fileReloads.set(rs, uris);
    else reloads.add(rs);
  }
  const queued = new Set(changes.load.map((f) => f.ref.uri));
  const byUri = new Map(listed.map((f) => [f.uri, f]));
  for (const r of ledger) {
    const rs = num(r.load_seq);
    if (rs === undefined || !reloads.has(rs) || queued.has(r.file)) continue;
    const ref = byUri.get(r.file);
    if (!ref) {
      warnings.push(`${quotePath(r.file)}, which no longer exists, was loaded together with a reloaded file: its rows are dropped with theirs`);
      continue;
    }
    changes.load.push({ ref, fingerprint: await fingerprintOf(ref), hash: isS3Uri(ref.uri) ? undefined : await contentHash(ref.uri), reload: true });
    queued.add(r.file);
  }
  const dropped = [...ledger.filter((r) => reloads.has(num(r.load_seq) ?? -1)).map((r) => r.file), ...[...fileReloads.values()].flat()];
  const reloading = reloads.size > 0 || fileReloads.size > 0;
  /** on_file_change: reload: the old loads' rows go (and their files leave the ledger until loaded again), and every model that read them builds again in full */
  const reloadStatements = (): string[] =>
    reloading
      ? [
          ...[...reloads].map((rs) => d.deleteRowsOfLoad(s.into, rs)),
          ...[...fileReloads].flatMap(([rs, uris]) => d.deleteRowsOfFiles(s.into, rs, uris)),
          ...d.forgetFiles(s.ledgerSchema, source, dropped),
          d.invalidateWatermarks(s.ledgerSchema, source),
        ]
      : [];

  let seq = Math.max(0, ...ledger.map((r) => num(r.load_seq) ?? 0));
  const total = { rows: 0, files: 0, records: 0, bytes: 0 };
  const columns = s.source.columns.map((col) => col.name);
  const todo = changes.load.length;
  const progress = (p: LoadProgress) =>
    ctx.onProgress?.({ files: todo, filesDone: total.files + p.filesDone, rows: total.rows + p.rows, bytes: total.bytes + p.bytes });
  ctx.onProgress?.({ files: todo, filesDone: 0, rows: 0, bytes: 0 });
  let first = true;
  const sorted = changes.load.sort((x, y) => (x.ref.uri < y.ref.uri ? -1 : x.ref.uri > y.ref.uri ? 1 : 0));
  /** the statements that append tmp's rows and record the batch, run in the transaction of its load */
  const ledgerEntries = (batch: typeof sorted, r: FilesLoadResult, loadSeq: number, tagged: boolean): LoadedFile[] => {
    const single = batch.length === 1 ? batch[0]!.ref.uri : undefined;
    const loadedAt = new Date().toISOString();
    const rejectedIn = (uri: string) => (r.rejected ?? []).filter((l) => l.file === uri).length;
    return batch.map((f) => ({
      source,
      file: f.ref.uri,
      size: f.fingerprint.size,
      etag: f.fingerprint.etag,
      mtime: f.fingerprint.mtime,
      contentHash: f.hash,
      // a file loaded on its own has its own count, as has each file of a manifest (from STL_LOAD_COMMITS) and of a load
      // whose rows carry their file (a file without rows is not in rowsByFile); files loaded together share theirs
      rowsLoaded: single && !tagged ? r.rows : tagged ? (r.rowsByFile?.get(f.ref.uri) ?? 0) : r.rowsByFile?.get(f.ref.uri),
      rowsRejected: single ? (r.rejected?.length ?? 0) : r.rowsByFile ? rejectedIn(f.ref.uri) : undefined,
      loadSeq,
      runId: ctx.runId,
      loadedAt,
    }));
  };
  /** the statements that append tmp's rows and record the batch, run in the transaction of its load */
  const commitStatements = (batch: typeof sorted, r: FilesLoadResult, loadSeq: number): string[] => {
    const single = batch.length === 1 ? batch[0]!.ref.uri : undefined;
    const out = [
      ...(first ? reloadStatements() : []),
      d.appendLoadedRows(s.into, s.tmp, columns, single, loadSeq),
      ...d.afterStagingAppend(s.into),
      ...d.recordLoadedFiles(s.ledgerSchema, ledgerEntries(batch, r, loadSeq, false)),
      d.dropRelation(s.tmp, 'table'),
    ];
    first = false;
    return out;
  };
  const counted = (batch: typeof sorted, r: LoadResult) => {
    total.rows += r.rows;
    total.files += batch.length;
    total.records += r.records ?? r.rows;
    total.bytes += batch.reduce((n, f) => n + (f.fingerprint.size ?? 0), 0);
  };
  const recordLoad = async (r: LoadResult) => {
    if (r.rejected?.length) await ctx.recordRejections(r.rejected);
    for (const w of r.warnings ?? []) warnings.push(w);
  };
  const failed = async (err: unknown): Promise<never> => {
    if (err instanceof LoadError && err.rejected?.length) await ctx.recordRejections(err.rejected).catch(() => undefined);
    throw err;
  };

  // an engine whose load is SQL run by the server (Redshift's COPY from S3) is given a manifest of the new files when the
  // dialect names where it goes ([S3] MANIFEST_PREFIX), else one file at a time as its location
  const serverLoads = d.loadStatements !== undefined;
  const manifest = serverLoads && ctx.engine.loadFiles && sorted.length > 0 ? d.manifestLocation?.(ctx.runId, source) : undefined;
  if (manifest !== undefined) {
    const loadSeq = seq + 1;
    const r = await ctx.engine.loadFiles!(c, {
      step: { kind: 'load', source: { ...s.source, copy: { ...copy, manifest: false } }, into: s.tmp, files: sorted.map((f) => f.ref) },
      manifest,
      sourceFiles: ctx.files,
      commit: (res) => commitStatements(sorted, res, loadSeq),
    }).catch(failed);
    seq = loadSeq;
    await recordLoad(r);
    counted(sorted, r);
  } else if (oneLoad && ctx.engine.loadLedgerFiles && sorted.length > 0) {
    // the engine reads every new file straight into the staging table, each row tagged with its file, in the one
    // transaction that records them all
    const loadSeq = seq + 1;
    const hashed = hashAll(sorted);
    hashed.catch(() => undefined);
    const r = await ctx.engine
      .loadLedgerFiles(
        c,
        {
          step: { kind: 'load', source: { ...s.source, copy: { ...copy, manifest: false } }, into: s.into, files: sorted.map((f) => f.ref) },
          loadSeq,
          first: reloadStatements(),
          commit: async (res) => [...d.afterStagingAppend(s.into), ...d.recordLoadedFiles(s.ledgerSchema, ledgerEntries(await hashed, res, loadSeq, true))],
        },
        ctx.onProgress ? progress : undefined,
      )
      .catch(failed);
    seq = loadSeq;
    await recordLoad(r);
    counted(sorted, r);
  } else {
    for (const batch of serverLoads ? sorted.map((f) => [f]) : batchesOf(sorted)) {
      await c.execute(d.dropRelation(s.tmp, 'table'));
      // the server's COPY needs its table; the client-side loaders make their own
      if (serverLoads) await c.execute(d.createTable(s.tmp, s.source.columns));
      const r = await (
        serverLoads
          ? ctx.engine.load(c, { kind: 'load', source: { ...s.source, location: batch[0]!.ref.uri, copy: { ...copy, manifest: false } }, into: s.tmp })
          : ctx.engine.load(
              c,
              { kind: 'load', source: { ...s.source, copy: { ...copy, manifest: false } }, into: s.tmp, files: batch.map((f) => f.ref) },
              ctx.onProgress ? progress : undefined,
            )
      ).catch(failed);
      await recordLoad(r);
      seq++;
      await c.transaction(commitStatements(batch, r, seq));
      counted(batch, r);
    }
  }
  ctx.onProgress?.({ files: changes.load.length, filesDone: total.files, rows: total.rows, bytes: total.bytes });
  const keptBytes = ledger.filter((r) => !reloads.has(num(r.load_seq) ?? -1)).reduce((n, r) => n + (num(r.size) ?? 0), 0);
  if (s.analyze?.length && analyzeDue({ before: keptBytes, added: total.bytes, files: total.files, fresh: ledger.length === 0 || reloads.size > 0 || fileReloads.size > 0 })) {
    for (const sql of s.analyze) await c.execute(sql);
  }
  return { rows: total.rows, files: total.files, records: total.records, warnings };
}

/** files hashed at once: enough to overlap the reads, few enough to keep the open files bounded (100k song files) */
const HASHES_AT_ONCE = 4;

/** The files with the content hash of each local one that has none yet. */
async function hashAll<T extends { ref: FileRef; hash: string | undefined }>(files: T[]): Promise<T[]> {
  const out = [...files];
  let next = 0;
  const worker = async () => {
    while (next < out.length) {
      const i = next++;
      const f = out[i]!;
      if (f.hash === undefined && !isS3Uri(f.ref.uri)) out[i] = { ...f, hash: await contentHash(f.ref.uri) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(HASHES_AT_ONCE, out.length) }, worker));
  return out;
}

/** The growth, as a ratio of loaded bytes, between two refreshes of a staging table's statistics. */
const ANALYZE_GROWTH = 1.1;

/**
 * Whether a load's staging table needs its statistics refreshed (ANALYZE): when it is new (a first load, a full refresh)
 * or lost rows (a reloaded file), and otherwise each time the source's loaded bytes pass the next power of 1.1, that is,
 * after about a tenth more data, as PostgreSQL's autovacuum analyzes a table once a tenth of its rows changed. A day of
 * logs added to thirty is 3%: its run reads no sample of three million rows, and every third or fourth day's run does.
 * The rule needs no state: the ledger's sizes tell where the table stands.
 */
export function analyzeDue(o: { before: number; added: number; files: number; fresh: boolean }): boolean {
  if (o.files === 0) return false;
  if (o.fresh || o.before <= 0) return true;
  const step = (bytes: number) => Math.floor(Math.log(Math.max(bytes, 1)) / Math.log(ANALYZE_GROWTH));
  return step(o.before + o.added) > step(o.before);
}

function known(ledger: LedgerRow[], file: string): LedgerRow | undefined {
  return ledger.find((r) => r.file === file);
}

/** Files of this size or more load on their own (a day of logs), so their rows carry their file; smaller ones in batches. */
export const OWN_LOAD_BYTES = 64 * 1024;
/** When a run has at most this many files to load, each loads on its own whatever its size. */
export const OWN_LOAD_FILES = 64;
const BATCH_FILES = 2000;
const BATCH_BYTES = 64 * 1024 * 1024;

/** Groups the files to load: each alone when there are few or it is large; small ones among many (a song catalogue) up to 2,000 files or 64 MB a batch. */
export function batchesOf<T extends { fingerprint: Fingerprint }>(files: T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const f of files) {
    const size = f.fingerprint.size ?? 0;
    if (size >= OWN_LOAD_BYTES || files.length <= OWN_LOAD_FILES) {
      out.push([f]);
      continue;
    }
    if (cur.length >= BATCH_FILES || bytes + size > BATCH_BYTES) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(f);
    bytes += size;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}
