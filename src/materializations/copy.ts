import type { Dialect, LedgerLoadStep } from '../adapters/adapter.js';
import type { SourceNode } from '../types.js';
import { analyze, basePlan, NO_CONFIG, swapIn, tmpRelation, type Materialization } from './materialization.js';

/** The ledger's name for a source: "sparkify.staging_events". */
export const ledgerSourceName = (node: { sourceName: string; name: string }) => `${node.sourceName}.${node.name}`;

/**
 * A source with a location is "materialized via COPY". In mode full (the default) the engine's bulk
 * loader fills x__sparkify_tmp, which is swapped in like a table, so a failed load leaves the
 * previous staging contents untouched. In mode incremental the files not yet in the ledger are
 * loaded, each appended in the transaction that records it (runner/load-new-files.ts). Its options
 * are parsed with sources.yml (parse-sources.ts).
 */
export const copy: Materialization<SourceNode> = {
  name: 'copy',
  config: NO_CONFIG,
  plan(node, d, ctx) {
    const options = node.table.copy;
    if (!node.table.location || !options) return undefined;
    const rel = node.relation;
    const tmp = tmpRelation(rel, d);
    if (options.mode === 'incremental') {
      const step: LedgerLoadStep = {
        kind: 'ledger-load',
        source: node.table,
        into: rel,
        tmp,
        ledgerSchema: ctx.manifest.target.schema,
        fullRefresh: ctx.fullRefresh,
        ...(d.analyze ? { analyze: [d.analyze(rel)] } : {}),
      };
      // the load of one file, planned now so that a source the engine cannot load is an error before anything runs
      d.loadStatements?.({ kind: 'load', source: exampleFileSource(step), into: tmp });
      return { ...basePlan(node, d), materialization: 'copy', steps: [step, { kind: 'count', sql: d.countRows(rel) }] };
    }
    return {
      ...basePlan(node, d),
      materialization: 'copy',
      steps: [
        { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
        ...d.loadSource(node.table, tmp, options),
        ...analyze(tmp, d),
        ...swapIn(tmp, rel, ctx.existing, d),
        { kind: 'count', sql: d.countRows(rel) },
      ],
    };
  },
};

/**
 * The statements an incremental load sends for one new file, with the file's values as
 * placeholders (`sparkify compile` shows them; the runner spells the real ones). The load into tmp
 * itself is the engine's (a COPY on Redshift, sparkify's own reader elsewhere). Where the dialect
 * names a manifest location (Redshift with [S3] MANIFEST_PREFIX), `manifest` is set and `perFile`
 * is the one transaction that loads every new file: tmp made, the COPY of the manifest, the query
 * of the files it committed, the append and the ledger rows.
 */
export function ledgerLoadStatements(s: LedgerLoadStep, d: Dialect): { first: string[]; perFile: string[]; manifest?: string | undefined } {
  const source = ledgerSourceName(s.source);
  const columns = s.source.columns.map((c) => c.name);
  const manifest = d.loadStatements ? d.manifestLocation?.(EXAMPLE_RUN_ID, source) : undefined;
  const file = manifest === undefined ? '<file>' : undefined;
  const loadSource = manifest === undefined ? exampleFileSource(s) : { ...s.source, location: manifest, copy: { ...s.source.copy!, manifest: true } };
  const load = d.loadStatements ? d.loadStatements({ kind: 'load', source: loadSource, into: s.tmp }) : [];
  const record = {
    source,
    size: 0,
    etag: undefined,
    mtime: undefined,
    contentHash: undefined,
    rowsLoaded: 0,
    rowsRejected: 0,
    loadSeq: 1,
    runId: '<run id>',
    loadedAt: '1970-01-01T00:00:00.000Z',
  };
  return {
    first: [d.dropRelation(s.into, 'table'), d.createStagingTable(s.into, s.source.columns), ...d.indexStagingTable(s.into, s.source), ...d.forgetLoadedFiles(s.ledgerSchema, source)],
    perFile: [
      ...(manifest !== undefined ? [d.dropRelation(s.tmp, 'table'), d.createTable(s.tmp, s.source.columns)] : []),
      ...load,
      ...(manifest !== undefined && d.loadCommitsQuery ? [d.loadCommitsQuery('last')] : []),
      d.appendLoadedRows(s.into, s.tmp, columns, file, 1),
      ...d.afterStagingAppend(s.into),
      ...d.recordLoadedFiles(
        s.ledgerSchema,
        manifest === undefined
          ? [{ ...record, file: '<file>' }]
          : [
              { ...record, file: '<first new file>' },
              { ...record, file: '<second new file>' },
            ],
      ),
      d.dropRelation(s.tmp, 'table'),
    ],
    ...(manifest !== undefined ? { manifest } : {}),
  };
}

/** The run id in the manifest location compile shows (a run's is a UUID). */
const EXAMPLE_RUN_ID = 'each-run-id';

/** The source as one of its files would be loaded (a placeholder name under its location), for the statements shown. */
function exampleFileSource(s: LedgerLoadStep): LedgerLoadStep['source'] {
  const loc = s.source.location ?? '';
  return { ...s.source, location: `${loc.replace(/\/+$/, '')}/each-new-file.json`, copy: { ...s.source.copy!, manifest: false } };
}
