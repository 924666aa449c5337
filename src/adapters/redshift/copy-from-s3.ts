import { DatabaseError } from '../../errors.js';
import type { RejectedLine } from '../../loaders/load-errors.js';
import { HELPER_RELATION } from '../../materializations/plan-run.js';
import type { Connection, LoadResult, LoadStep } from '../adapter.js';
import { loadErrorFromRows, rejectedLinesFromRows, type LoadErrorRow } from './load-errors.js';
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
 * read in this same session. Returns the rows loaded and the COPY's query id.
 */
export async function runCopy(c: Connection, dialect: RedshiftDialect, sql: string, table: string, errorRows: number): Promise<{ rows: number; copyId: number | undefined }> {
  const before = await lastCopyId(c, dialect);
  let rows: number;
  try {
    rows = (await c.execute(sql)) ?? 0;
  } catch (err) {
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
async function explainCopyFailure(c: Connection, dialect: RedshiftDialect, err: unknown, table: string, before: number | undefined, errorRows: number): Promise<unknown> {
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
