import type { SourceNode } from '../types.js';
import { analyze, basePlan, NO_CONFIG, swapIn, tmpRelation, type Materialization } from './materialization.js';

/**
 * A source with a location is "materialized via COPY": the engine's bulk loader fills
 * x__sparkify_tmp, which is swapped in like a table, so a failed load leaves the previous staging
 * contents untouched. Its options are parsed with sources.yml (parse-sources.ts).
 */
export const copy: Materialization<SourceNode> = {
  name: 'copy',
  config: NO_CONFIG,
  plan(node, d, ctx) {
    const options = node.table.copy;
    if (!node.table.location || !options) return undefined;
    const rel = node.relation;
    const tmp = tmpRelation(rel, d);
    return {
      ...basePlan(node, d),
      materialization: 'copy',
      steps: [{ kind: 'sql', sql: d.dropRelation(tmp, 'table') }, ...d.loadSource(node.table, tmp, options), ...analyze(tmp, d), ...swapIn(tmp, rel, ctx.existing, d), { kind: 'count', sql: d.countRows(rel) }],
    };
  },
};
