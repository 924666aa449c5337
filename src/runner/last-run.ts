import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Compiled } from '../api.js';
import type { Engine } from '../adapters/adapter.js';
import { UsageError } from '../errors.js';
import { projectSettings } from '../project/load-project.js';
import type { NodeResult } from './execute-plan.js';

/** The nodes among ids whose relations do not exist in the database. */
export async function missingRelations(c: Compiled, engine: Engine, ids: string[]): Promise<string[]> {
  const nodes = ids.map((id) => c.manifest.nodes[id]).filter((n) => n !== undefined);
  const existing = await engine.listRelations([...new Set(nodes.map((n) => n.relation.schema))]);
  const fold = (s: string) => (engine.dialect.foldsIdentifierCase ? s.toLowerCase() : s);
  const have = new Set(existing.map((r) => fold(`${r.schema}.${r.name}`)));
  return nodes.filter((n) => !have.has(fold(`${n.relation.schema}.${n.relation.name}`))).map((n) => n.id);
}

export interface LastRun {
  /** the target the last run built ("duckdb", "postgres") */
  target?: string | undefined;
  generatedAt?: string | undefined;
  /** ids of the nodes that failed, were skipped, or (a run that did not complete) never finished, in plan order */
  retry: string[];
  /** ids of the nodes that succeeded; retry rebuilds those whose relations are missing */
  succeeded: string[];
  /** false when the file was left by a run that crashed or was killed before it ended */
  complete: boolean;
  total: number;
}

/**
 * What `sparkify retry` re-runs: the nodes of target/run_results.json that failed or were skipped,
 * and, when the run that wrote it did not complete (it crashed or was killed), those it never finished.
 */
export function readLastRun(projectDir: string): LastRun {
  const file = path.join(projectDir, projectSettings(projectDir).targetPath, 'run_results.json');
  let doc: { target?: { name?: string }; generatedAt?: string; results?: NodeResult[]; complete?: boolean; pending?: unknown };
  try {
    doc = JSON.parse(readFileSync(file, 'utf8')) as typeof doc;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new UsageError(
      missing ? `nothing to retry: ${path.relative(process.cwd(), file) || file} does not exist` : `cannot read ${file}: ${(err as Error).message}`,
      {
        file,
        hint: 'sparkify retry re-runs what failed or was skipped in the last sparkify run; run it first',
      },
    );
  }
  const results = Array.isArray(doc.results) ? doc.results : [];
  // files written before runs recorded progress have no `complete`: they were written when the run ended
  const complete = doc.complete !== false;
  const pending = !complete && Array.isArray(doc.pending) ? doc.pending.filter((id): id is string => typeof id === 'string') : [];
  return {
    target: doc.target?.name,
    generatedAt: doc.generatedAt,
    retry: [...results.filter((r) => r.status === 'error' || r.status === 'fail' || r.status === 'skipped').map((r) => r.id), ...pending],
    succeeded: results.filter((r) => r.status === 'success').map((r) => r.id),
    complete,
    total: results.length + pending.length,
  };
}
