import type { Engine } from '../adapters/adapter.js';
import { LEDGER_TABLE } from '../adapters/base-dialect.js';
import type { SourceFiles } from '../loaders/source-files.js';
import { ledgerSourceName } from '../materializations/copy.js';
import { compareWithLedger, type LedgerRow } from '../runner/load-new-files.js';
import type { Target } from '../config/load-config.js';
import type { Manifest, SourceNode } from '../types.js';

/** How far an incremental source is loaded: files in the ledger, and files a run would load or report. */
export interface SourceFilesStatus {
  source: string;
  /** files recorded in sparkify_loaded_files */
  loaded: number;
  /** listed files not in the ledger: the next run loads them */
  pending: number;
  /** files in the ledger whose size, ETag or content differs now (on_file_change decides) */
  changed: number;
  /** files in the ledger that are no longer listed */
  missing: number;
  /** set when the files or the ledger could not be read */
  error?: string | undefined;
}

/** For each incremental source among `ids`: its files, loaded and pending. Reads the ledger and lists the files; writes nothing. */
export async function sourceFilesStatus(manifest: Manifest, ids: string[], engine: Engine, files: SourceFiles): Promise<SourceFilesStatus[]> {
  const d = engine.dialect;
  const sources = ids.map((id) => manifest.nodes[id]).filter((n): n is SourceNode => n?.resourceType === 'source' && !!n.table.location && n.table.copy?.mode === 'incremental');
  if (sources.length === 0) return [];
  const ledgerExists = (await engine.listRelations([manifest.target.schema])).some((r) => r.name === LEDGER_TABLE);
  const out: SourceFilesStatus[] = [];
  for (const n of sources) {
    const source = ledgerSourceName(n);
    try {
      const ledger = ledgerExists ? ((await engine.withConnection((c) => c.query(d.selectLoadedFiles(manifest.target.schema, source)))) as unknown as LedgerRow[]) : [];
      const listed = await files.list(n.table.location!, n.table.file);
      const changes = await compareWithLedger(listed, ledger, 'ignore', { hashNew: false });
      out.push({ source, loaded: ledger.length, pending: listed.length - changes.unchanged - changes.changed.length, changed: changes.changed.length, missing: changes.removed.length });
    } catch (err) {
      out.push({ source, loaded: 0, pending: 0, changed: 0, missing: 0, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return out;
}

/** sourceFilesStatus() over a read-only connection to the target (ls, debug): creates nothing. */
export async function readSourceFilesStatus(target: Target, manifest: Manifest, ids: string[]): Promise<SourceFilesStatus[]> {
  if (!ids.some((id) => { const n = manifest.nodes[id]; return n?.resourceType === 'source' && n.table.copy?.mode === 'incremental'; })) return [];
  const { openEngine } = await import('../adapters/create-engine.js');
  const { SourceFiles } = await import('../loaders/source-files.js');
  const engine = await openEngine(target, 1, { readOnly: true });
  const files = new SourceFiles(target.s3);
  try {
    return await sourceFilesStatus(manifest, ids, engine, files);
  } finally {
    await files.close();
    await engine.close();
  }
}

/**
 * Listed nodes with, for each incremental source, its files loaded and pending (`sparkify ls
 * --output json`). The ledger is read over a read-only connection; when it cannot be read, the
 * nodes come back as they are and `onWarning` says why.
 */
export async function withSourceFiles<N extends { id: string }>(target: Target, manifest: Manifest, nodes: N[], onWarning?: (message: string) => void): Promise<(N & { files?: Omit<SourceFilesStatus, 'source'> })[]> {
  let status: SourceFilesStatus[] = [];
  try {
    status = await readSourceFilesStatus(target, manifest, nodes.map((n) => n.id));
  } catch (err) {
    onWarning?.(`cannot read the load ledger: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const byId = new Map(status.map((s) => [`source.${s.source}`, s]));
  return nodes.map((n) => {
    const s = byId.get(n.id);
    if (!s) return n;
    const { source: _, ...files } = s;
    return { ...n, files };
  });
}
