import type { Step, UpsertStrategy } from '../adapters/adapter.js';
import { ProjectError } from '../errors.js';
import type { Manifest, ModelNode } from '../types.js';
import { ledgerSourceName } from './copy.js';
import { basePlan, rebuildTable, tmpRelation, type ConfigSchema, type Materialization } from './materialization.js';
import { uniqueKeys } from './snapshot.js';
import { TABLE_CONFIG } from './table.js';

export const INCREMENTAL_STRATEGIES = ['delete+insert', 'merge', 'append'] as const;

const isStrList = (x: unknown) => typeof x === 'string' || (Array.isArray(x) && x.every((s) => typeof s === 'string'));

export const INCREMENTAL_CONFIG: ConfigSchema = {
  keys: [...TABLE_CONFIG.keys, 'unique_key', 'full_refresh', 'on_schema_change', 'incremental_strategy'],
  check(key, v) {
    switch (key) {
      case 'unique_key':
        // they become quoted column names in SQL
        return isStrList(v) && [v].flat().every((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s as string)) ? undefined : 'must be a column name or a list of column names';
      case 'full_refresh':
        return typeof v === 'boolean' ? undefined : 'must be true or false';
      case 'incremental_strategy':
        return (INCREMENTAL_STRATEGIES as readonly unknown[]).includes(v) ? undefined : `must be one of ${INCREMENTAL_STRATEGIES.map((s) => `'${s}'`).join(', ')}`;
      case 'on_schema_change':
        return typeof v === 'string' ? undefined : 'must be a string';
      default:
        return TABLE_CONFIG.check(key, v);
    }
  },
};

/**
 * incremental: the first build (or a full refresh) builds the whole table like `table`; later runs
 * put the rows of the `is_incremental()` branch into tmp, then in one transaction merge them in by
 * `unique_key` (the dialect's upsert: delete+insert, or MERGE) or append them.
 */
export const incremental: Materialization<ModelNode> = {
  name: 'incremental',
  config: INCREMENTAL_CONFIG,
  plan(node, d, ctx) {
    const rel = node.relation;
    const base = basePlan(node, d);
    const reads = loadedSourcesOf(node, ctx.manifest);
    const schema = ctx.manifest.target.schema;
    // the models that read incrementally loaded sources record which load of each they have read
    const watermarks = reads.tracked.length > 0 ? d.recordWatermarks(schema, node.name, reads.tracked) : [];
    const full = rebuildTable(rel, node.compiledSql, node.config, ctx.existing, d, watermarks);
    if (ctx.existing !== 'table' || ctx.fullRefresh || node.config.full_refresh === true) {
      return { ...base, materialization: 'incremental', steps: full };
    }
    const keys = uniqueKeys(node);
    const strategy = node.config.incremental_strategy ?? (keys.length > 0 ? d.upsertStrategies[0]! : 'append');
    if (strategy !== 'append' && keys.length === 0) {
      throw new ProjectError(`incremental model ${node.name}: incremental_strategy '${strategy}' needs a unique_key`, { file: node.file, node: node.name, hint: "set unique_key, or incremental_strategy='append'" });
    }
    if (strategy !== 'append' && !(d.upsertStrategies as readonly string[]).includes(strategy)) {
      throw new ProjectError(`incremental model ${node.name}: ${d.label} has no incremental_strategy '${strategy}'`, { file: node.file, node: node.name, hint: `use one of ${['append', ...d.upsertStrategies].join(', ')}` });
    }
    const tmp = tmpRelation(rel, d);
    const merge = strategy === 'append' ? [d.appendRows(rel, tmp)] : d.upsertRows(rel, tmp, keys, strategy as UpsertStrategy);
    const steps: Step[] = [
      { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
      { kind: 'sql', sql: d.createTableAs(tmp, node.compiledIncrementalSql ?? node.compiledSql, node.config) },
      // the rows this run adds (with a unique_key, some replace rows of the same key)
      { kind: 'count', sql: d.countRows(tmp), of: 'inserted' },
      { kind: 'transaction', statements: [...merge, ...watermarks] },
      { kind: 'sql', sql: d.dropRelation(tmp, 'table') },
      { kind: 'count', sql: d.countRows(rel) },
    ];
    if (reads.tracked.length === 0) return { ...base, materialization: 'incremental', steps };
    // only the new rows of the sources it reads with newly_loaded() are merged in; anything else that changed upstream
    // (a reloaded file, a refreshed source, new files of another source) makes the whole table be built again
    const changed = reads.tracked.filter((id) => !(node.newlyLoaded ?? []).includes(`source.${id}`));
    const choose: Step = {
      kind: 'choose',
      sql: d.watermarksStale(schema, node.name, reads.tracked, changed, reads.reloadedEveryRun),
      why: 'a source it reads changed other than by new files it reads with newly_loaded()',
      then: full,
      else: steps,
    };
    return { ...base, materialization: 'incremental', steps: [choose] };
  },
};

/**
 * The loaded sources upstream of a model: those loaded incrementally (ledger names), and whether
 * one is loaded in full (replaced on every run, so no watermark can describe it).
 */
export function loadedSourcesOf(node: ModelNode, manifest: Manifest): { tracked: string[]; reloadedEveryRun: boolean } {
  const tracked = new Set<string>();
  let reloadedEveryRun = false;
  const seen = new Set<string>();
  const stack = [...(manifest.parentMap?.[node.id] ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const n = manifest.nodes[id];
    if (!n) continue;
    if (n.resourceType === 'source') {
      if (n.table.location && n.table.copy?.mode === 'incremental') tracked.add(ledgerSourceName(n));
      else if (n.table.location) reloadedEveryRun = true;
      continue;
    }
    stack.push(...(manifest.parentMap[id] ?? []));
  }
  return { tracked: [...tracked].sort(), reloadedEveryRun };
}
