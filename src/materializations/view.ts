import type { ModelNode } from '../types.js';
import { basePlan, namingTransaction, type Materialization } from './materialization.js';

/** view: `CREATE OR REPLACE VIEW`; a table of the same name is dropped in the same transaction. */
export const view: Materialization<ModelNode> = {
  name: 'view',
  config: {
    // redshift: late binding (WITH NO SCHEMA BINDING) unless bind=true
    keys: ['bind'],
    check: (_key, v) => (typeof v === 'boolean' ? undefined : 'must be true or false'),
  },
  plan(node, d, ctx) {
    const rel = node.relation;
    const steps =
      ctx.existing === 'table'
        ? [namingTransaction(rel, [d.dropRelation(rel, 'table'), d.createView(rel, node.compiledSql, node.config, false)], d)]
        : d.serializeNaming?.(rel)
          ? [namingTransaction(rel, [d.createView(rel, node.compiledSql, node.config, true)], d)]
          : [{ kind: 'sql' as const, sql: d.createView(rel, node.compiledSql, node.config, true) }];
    return { ...basePlan(node, d), materialization: 'view', onFailure: [], steps };
  },
};
