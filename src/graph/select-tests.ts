import type { Manifest } from '../types.js';

/** dbt's --indirect-selection: which tests of the selected nodes come along. */
export type IndirectSelection = 'eager' | 'cautious' | 'buildable' | 'empty';
export const INDIRECT_SELECTION_MODES: readonly IndirectSelection[] = ['eager', 'cautious', 'buildable', 'empty'];

/**
 * The selected ids plus the tests that selecting them selects indirectly (in manifest order):
 * eager, the default, any test that depends on a selected node (a relationships test pointing at a
 * selected model included); cautious, only tests all of whose parents are selected; buildable,
 * tests whose parents are selected or ancestors of selected nodes; empty, none.
 */
export function addIndirectTests(manifest: Manifest, selected: string[], mode: IndirectSelection = 'eager'): string[] {
  if (mode === 'empty') return selected;
  const chosen = new Set(selected);
  const ancestors = new Set<string>();
  if (mode === 'buildable') {
    const stack = selected.filter((id) => manifest.nodes[id]?.resourceType !== 'test');
    while (stack.length > 0) {
      for (const p of manifest.parentMap[stack.pop()!] ?? []) {
        if (!ancestors.has(p)) {
          ancestors.add(p);
          stack.push(p);
        }
      }
    }
  }
  const add = new Set<string>();
  for (const id of manifest.order) {
    const n = manifest.nodes[id];
    if (n?.resourceType !== 'test' || chosen.has(id)) continue;
    const parents = manifest.parentMap[id] ?? [];
    if (parents.length === 0) continue;
    const ok =
      mode === 'eager'
        ? parents.some((p) => chosen.has(p))
        : mode === 'cautious'
          ? parents.every((p) => chosen.has(p))
          : parents.some((p) => chosen.has(p)) && parents.every((p) => chosen.has(p) || ancestors.has(p));
    if (ok) add.add(id);
  }
  return manifest.order.filter((id) => chosen.has(id) || add.has(id));
}
