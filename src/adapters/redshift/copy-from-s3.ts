import { DatabaseError, LoadError } from '../../errors.js';
import type { RejectedLine } from '../../loaders/load-errors.js';
import { HELPER_RELATION } from '../../materializations/plan-run.js';
import type { Connection, FilesLoad, FilesLoadResult, LoadResult, LoadStep } from '../adapter.js';
import { loadErrorFromRows, rejectedLinesFromRows, type LoadErrorRow } from './load-errors.js';
import { committedName, copyManifest } from './manifest.js';
import type { RedshiftDialect } from './redshift-dialect.js';

/**
 * Runs the source's COPY in the cluster (the dialect spells it: loadStatements). Lines it skipped
 * under max_errors (MAXERROR) are read back from STL_LOAD_ERRORS, so the runner records them as it
 * does for every engine; a failed COPY is explained by the rejected lines behind it.
 */
export async function copyFromS3(c: Connection, dialect: RedshiftDialect, step: LoadStep): Promise<LoadResult> {
  const maxErrors = step.source.copy?.maxErrors ?? 0;
  const [sql] = dialect.loadStatements(step);
  const { rows, copyId } = await runCopy(c, dialect, sql!, step.into.name, maxErrors + 1);
  let rejected: RejectedLine[] | undefined;
  let files: number | undefined;
  if (copyId !== undefined) {
    if (maxErrors > 0) rejected = rejectedLinesFromRows(await loadErrorRows(c, dialect, copyId, maxErrors));
    files = await c.query(dialect.loadedFilesQuery(copyId)).then(
      (r) => (r[0]?.files === undefined ? undefined : Number(r[0].files)),
      () => undefined,
    );
  }
  return { rows, files, records: rows + (rejected?.length ?? 0), rejected };
}

/**
 * A COPY into `table`, and on failure the rejected lines behind it (up to `errorRows` of them),
 * read in this same session (after `beforeExplain`, which ends a transaction the failure aborted).
 * Returns the rows loaded and the COPY's query id.
 */
export async function runCopy(
  c: Connection,
  dialect: RedshiftDialect,
  sql: string,
  table: string,
  errorRows: number,
  beforeExplain?: () => Promise<void>,
): Promise<{ rows: number; copyId: number | undefined }> {
  const before = await lastCopyId(c, dialect);
  let rows: number;
  try {
    rows = (await c.execute(sql)) ?? 0;
  } catch (err) {
    await beforeExplain?.();
    throw await explainCopyFailure(c, dialect, err, table.replace(HELPER_RELATION, ''), before, errorRows);
  }
  return { rows, copyId: await lastCopyId(c, dialect) };
}

async function lastCopyId(c: Connection, dialect: RedshiftDialect): Promise<number | undefined> {
  try {
    const v = (await c.query(dialect.lastCopyIdQuery()))[0]?.copy_id;
    return v === null || v === undefined ? undefined : Number(v);
  } catch {
    return undefined;
  }
}

/**
 * Explains a failed COPY with the rejected lines behind it. When PG_LAST_COPY_ID() did not move,
 * the COPY never started loading, so any rows there belong to an earlier COPY and the server's own
 * message is the explanation. A lost session is reported as it is (a cancelled one answers no query, so its error stands too).
 */
async function explainCopyFailure(
  c: Connection,
  dialect: RedshiftDialect,
  err: unknown,
  table: string,
  before: number | undefined,
  errorRows: number,
): Promise<unknown> {
  if (!(err instanceof DatabaseError) || err.connectionLost) return err;
  const after = await lastCopyId(c, dialect);
  if (after !== undefined && (after === before || after < 0)) return err;
  return loadErrorFromRows(await loadErrorRows(c, dialect, after, Math.max(10, errorRows)), table, err) ?? err;
}

/**
 * The load-error rows of a COPY: STL_LOAD_ERRORS by query id on a provisioned cluster (where an
 * empty answer is final); on Serverless, which has no STL views, SYS_LOAD_ERROR_DETAIL by query id,
 * then this session's latest COPY there, as its ids may not be PG_LAST_COPY_ID()'s.
 */
async function loadErrorRows(c: Connection, d: RedshiftDialect, copyId: number | undefined, limit: number): Promise<LoadErrorRow[]> {
  const attempts: [string, boolean][] = [
    ...(copyId !== undefined
      ? ([
          [d.loadErrorQuery('stl', copyId, limit), true],
          [d.loadErrorQuery('sys', copyId, limit), false],
        ] as [string, boolean][])
      : []),
    [d.loadErrorQuery('sys', undefined, limit), false],
  ];
  for (const [sql, final] of attempts) {
    let rows: LoadErrorRow[];
    try {
      rows = (await c.query(sql)) as LoadErrorRow[];
    } catch {
      continue; // this kind of cluster has no such view
    }
    if (rows.length > 0 || final) return rows;
  }
  return [];
}

/** Which load views the cluster has: STL_LOAD_COMMITS on a provisioned cluster, SYS_LOAD_DETAIL (also) on Serverless. */
export interface CommitViews {
  stl: boolean;
  sys: boolean;
}

export async function probeCommitViews(c: Connection, dialect: RedshiftDialect): Promise<CommitViews> {
  const has = (view: 'stl' | 'sys') =>
    c.query(dialect.viewExistsQuery(view)).then(
      () => true,
      () => false,
    );
  return { stl: await has('stl'), sys: await has('sys') };
}

/**
 * An incremental load's new files with one COPY: their manifest is written to S3, then in one
 * transaction the tmp table is made, `COPY ... MANIFEST` fills it, STL_LOAD_COMMITS (or
 * SYS_LOAD_DETAIL) must list every file of the manifest, and load.commit()'s statements append the
 * rows and record the files. A file with no commit fails the load, naming it, and rolls it all
 * back, so the ledger never holds a file without its rows, nor the staging table rows without their file.
 */
export async function copyFilesWithManifest(c: Connection, dialect: RedshiftDialect, load: FilesLoad, views: CommitViews): Promise<FilesLoadResult> {
  const { step } = load;
  const source = step.source;
  const maxErrors = source.copy?.maxErrors ?? 0;
  const where = { file: source.file, line: source.line, node: `${source.sourceName}.${source.name}` };
  if (step.files.length === 0) throw new LoadError(`no new files to load for ${where.node}`, where);
  await load.sourceFiles.writeS3Text(load.manifest, copyManifest(step.files));
  const copy = { ...step, source: { ...source, location: load.manifest, copy: { ...source.copy!, manifest: true } } };
  const [copySql] = dialect.loadStatements(copy);
  await c.execute(dialect.beginTransaction());
  let open = true;
  const rollback = async () => {
    if (!open) return;
    open = false;
    await c.rollback();
  };
  try {
    await c.execute(dialect.dropRelation(step.into, 'table'));
    await c.execute(dialect.createTable(step.into, source.columns));
    // a failed COPY aborts the transaction: roll back first, then read why (load errors outlive the rollback)
    const { rows, copyId } = await runCopy(c, dialect, copySql!, step.into.name, maxErrors + 1, rollback);
    if (copyId === undefined) throw new LoadError(`cannot check the load of ${where.node}: pg_last_copy_id() gave no query id for its COPY`, where);
    const committed = await committedFiles(c, dialect, copyId, views);
    const missing = step.files.filter((f) => !committed.has(committedName(f.uri)));
    if (missing.length > 0) {
      throw new LoadError(
        `COPY of ${where.node} committed no rows of ${missing.length === 1 ? 'a file' : `${missing.length} files`} of its manifest ${load.manifest}: ${missing
          .slice(0, 5)
          .map((f) => f.uri)
          .join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
        {
          ...where,
          hint: `nothing was loaded or recorded (the transaction was rolled back); STL_LOAD_COMMITS has no row for ${missing.length === 1 ? 'it' : 'them'} under query ${copyId}. Run again to retry`,
        },
      );
    }
    const rejected = maxErrors > 0 ? rejectedLinesFromRows(await loadErrorRowsInTransaction(c, dialect, copyId, maxErrors, views)) : undefined;
    const rejectedIn = new Map<string, number>();
    for (const r of rejected ?? []) rejectedIn.set(r.file, (rejectedIn.get(r.file) ?? 0) + 1);
    const rowsByFile = new Map(
      step.files.map((f) => [f.uri, Math.max(0, (committed.get(committedName(f.uri)) ?? 0) - (rejectedIn.get(committedName(f.uri)) ?? 0))]),
    );
    const result: FilesLoadResult = { rows, files: step.files.length, records: rows + (rejected?.length ?? 0), rejected, rowsByFile };
    for (const sql of load.commit(result)) await c.execute(sql);
    await c.execute(dialect.commit());
    open = false;
    return result;
  } catch (err) {
    await rollback();
    throw err;
  }
}

/** The files the COPY committed, by their name in the view, with the lines scanned in each. */
async function committedFiles(c: Connection, dialect: RedshiftDialect, copyId: number, views: CommitViews): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const view of ['stl', 'sys'] as const) {
    if (!views[view]) continue;
    for (const r of await c.query(dialect.loadCommitsQuery(copyId, view))) out.set(String(r.file ?? '').trim(), Number(r.lines ?? 0));
    // redshift: on a provisioned cluster STL_LOAD_COMMITS is the record; Serverless has only SYS_LOAD_DETAIL
    if (out.size > 0) break;
  }
  return out;
}

/** Load errors read inside the open transaction: only views that exist are queried, since a failing query would abort it. */
async function loadErrorRowsInTransaction(c: Connection, d: RedshiftDialect, copyId: number, limit: number, views: CommitViews): Promise<LoadErrorRow[]> {
  if (views.stl) return (await c.query(d.loadErrorQuery('stl', copyId, limit))) as LoadErrorRow[];
  return (await c.query(d.loadErrorQuery('sys', copyId, limit))) as LoadErrorRow[];
}
