import type { GraphNode } from '../types.js';
import { copy } from './copy.js';
import { incremental } from './incremental.js';
import type { ConfigSchema, Materialization } from './materialization.js';
import { seed } from './seed.js';
import { snapshot } from './snapshot.js';
import { table } from './table.js';
import { test } from './test.js';
import { view } from './view.js';

/** Every materialization, by the name `config(materialized=...)` (or the node's kind) gives it. A new one is a file and a line here. */
export const MATERIALIZATIONS: Record<string, Materialization> = Object.fromEntries(
  ([table, view, incremental, copy, snapshot, seed, test] as Materialization[]).map((m) => [m.name, m]),
);

/** The materializations a model's config() may name. */
export const MODEL_MATERIALIZATIONS = ['table', 'view', 'incremental'] as const;

/** The materialization that builds a node. */
export function materializationOf(node: GraphNode): Materialization {
  const name = node.resourceType === 'test' ? 'test' : node.resourceType === 'source' ? 'copy' : node.resourceType === 'snapshot' ? 'snapshot' : node.resourceType === 'seed' ? 'seed' : node.config.materialized;
  return MATERIALIZATIONS[name]!;
}

const COMMON_KEYS = ['materialized', 'tags', 'schema', 'alias', 'enabled'] as const;

function checkCommon(key: string, v: unknown): string | undefined {
  switch (key) {
    case 'materialized':
      return (MODEL_MATERIALIZATIONS as readonly unknown[]).includes(v) ? undefined : `must be one of ${MODEL_MATERIALIZATIONS.join(', ')}`;
    case 'tags':
      return typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string')) ? undefined : 'must be a string or a list of strings';
    case 'schema':
    case 'alias':
      return typeof v === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'must be a name of letters, digits and _';
    case 'enabled':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    default:
      return undefined;
  }
}

/** The config() keys of a model: the common ones and each model materialization's own, each checked by the schema that declares it. */
export const MODEL_CONFIG_SCHEMA: ConfigSchema = (() => {
  const owners = new Map<string, ConfigSchema>();
  for (const name of MODEL_MATERIALIZATIONS) for (const k of MATERIALIZATIONS[name]!.config.keys) if (!owners.has(k)) owners.set(k, MATERIALIZATIONS[name]!.config);
  return {
    keys: [...COMMON_KEYS, ...owners.keys()],
    check(key, v) {
      if ((COMMON_KEYS as readonly string[]).includes(key)) return checkCommon(key, v);
      const owner = owners.get(key);
      return owner ? owner.check(key, v) : typeof v === 'string' ? undefined : 'must be a string';
    },
  };
})();
