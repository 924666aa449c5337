import { SelectionError, didYouMean } from '../errors.js';
import type { GraphNode, Manifest } from '../types.js';
import { caretBlock, globToRegExp, parseSelectors, type SelectorAtom, type SelectorExpr } from './parse-selector.js';

/** Selected node ids in `manifest.order` order; no --select means every node. */
export function selectNodes(manifest: Manifest, select: string[] | undefined, exclude: string[] | undefined): string[] {
  const selected = select?.length
    ? evaluate(manifest, parseSelectors(select, '--select'), false)
    : new Set(manifest.order);
  const excluded = exclude?.length ? evaluate(manifest, parseSelectors(exclude, '--exclude'), true) : new Set<string>();
  return manifest.order.filter((id) => selected.has(id) && !excluded.has(id));
}

function evaluate(manifest: Manifest, expr: SelectorExpr, allowEmpty: boolean): Set<string> {
  if (expr.kind === 'atom') return evaluateAtom(manifest, expr, allowEmpty);
  const sets = expr.items.map((e) => evaluate(manifest, e, allowEmpty));
  if (expr.kind === 'union') return new Set(sets.flatMap((s) => [...s]));
  const [first = new Set<string>(), ...others] = sets;
  return new Set([...first].filter((id) => others.every((s) => s.has(id))));
}

function evaluateAtom(manifest: Manifest, atom: SelectorAtom, allowEmpty: boolean): Set<string> {
  const nodes = manifest.order.map((id) => manifest.nodes[id]).filter((n): n is GraphNode => n !== undefined);
  const matches = matcher(atom);
  const base = nodes.filter(matches).map((n) => n.id);
  if (base.length === 0 && !allowEmpty) {
    throw new SelectionError(`${atom.argName} selector '${atom.text}' matches no nodes${caretBlock(atom.arg, atom.column)}`, {
      column: atom.column,
      hint: noMatchHint(atom, nodes),
    });
  }
  const result = new Set(base);
  const add = (ids: Iterable<string>): void => {
    for (const id of ids) result.add(id);
  };
  if (atom.childrensParents) {
    const down = walk(base, manifest.childMap, undefined);
    add(down);
    add(walk(down, manifest.parentMap, undefined));
  }
  if (atom.parents) add(walk(base, manifest.parentMap, atom.parentsDepth));
  if (atom.children) add(walk(base, manifest.childMap, atom.childrenDepth));
  return result;
}

/** Breadth first, so a depth limit counts the shortest distance like dbt's bfs_edges. */
function walk(start: Iterable<string>, edges: Record<string, string[]>, depth: number | undefined): Set<string> {
  const seen = new Set(start);
  let frontier = [...seen];
  for (let d = 0; frontier.length > 0 && (depth === undefined || d < depth); d++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const n of edges[id] ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          next.push(n);
        }
      }
    }
    frontier = next;
  }
  return seen;
}

function matcher(atom: SelectorAtom): (node: GraphNode) => boolean {
  const { value } = atom;
  switch (atom.method) {
    case 'fqn': {
      const re = globToRegExp(value, false);
      return (n) => re.test(n.name) || (n.resourceType === 'source' && re.test(`${n.sourceName}.${n.name}`));
    }
    case 'tag': {
      const re = globToRegExp(value, false);
      return (n) => n.config.tags.some((t) => re.test(t));
    }
    case 'path': {
      const re = globToRegExp(normalizePath(value), true);
      return (n) => pathPrefixes(n.path).some((p) => re.test(p));
    }
    case 'file': {
      const re = globToRegExp(value, false);
      return (n) => {
        const base = n.path.slice(n.path.lastIndexOf('/') + 1);
        return re.test(base) || re.test(base.replace(/\.[^.]*$/, ''));
      };
    }
    case 'source': {
      const [src = '', table] = value.split('.');
      const srcRe = globToRegExp(src, false);
      const tableRe = table === undefined ? undefined : globToRegExp(table, false);
      return (n) => n.resourceType === 'source' && srcRe.test(n.sourceName) && (tableRe?.test(n.name) ?? true);
    }
    case 'config': {
      const key = atom.key ?? '';
      return (n) => configValues(n, key).some((v) => (typeof v === 'boolean' ? String(v) === value.toLowerCase() : String(v) === value));
    }
    case 'resource_type':
      return (n) => n.resourceType === value;
  }
}

function configValues(node: GraphNode, key: string): unknown[] {
  const v: unknown = Object.hasOwn(node.config, key) ? (node.config as Record<string, unknown>)[key] : undefined;
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function normalizePath(p: string): string {
  return p.replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

/** "models/marts/a.sql" -> ["models", "models/marts", "models/marts/a.sql"]: dbt's path: selects whole folders. */
function pathPrefixes(path: string): string[] {
  const parts = normalizePath(path).split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

function noMatchHint(atom: SelectorAtom, nodes: GraphNode[]): string {
  const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();
  let candidates: string[];
  let what: string;
  switch (atom.method) {
    case 'fqn':
      candidates = uniq(nodes.flatMap((n) => (n.resourceType === 'source' ? [n.name, `${n.sourceName}.${n.name}`] : [n.name])));
      what = 'nodes';
      break;
    case 'tag':
      candidates = uniq(nodes.flatMap((n) => n.config.tags));
      what = 'tags';
      break;
    case 'path':
      candidates = uniq(nodes.flatMap((n) => pathPrefixes(n.path)));
      what = 'paths';
      break;
    case 'file':
      candidates = uniq(nodes.map((n) => n.path.slice(n.path.lastIndexOf('/') + 1)));
      what = 'files';
      break;
    case 'source':
      candidates = uniq(nodes.flatMap((n) => (n.resourceType === 'source' ? [n.sourceName, `${n.sourceName}.${n.name}`] : [])));
      what = 'sources';
      break;
    case 'config': {
      const key = atom.key ?? '';
      const values = nodes.flatMap((n) => configValues(n, key).map(String));
      if (values.length === 0) {
        const keys = uniq(nodes.flatMap((n) => Object.keys(n.config)));
        return `${didYouMean(key, keys) ?? `no node sets config '${key}';`} config keys: ${keys.join(', ')}`;
      }
      candidates = uniq(values);
      what = `values of config.${key}`;
      break;
    }
    case 'resource_type':
      return `the project has no ${atom.value} nodes`;
  }
  const dym = didYouMean(atom.value, candidates);
  if (dym) return dym;
  if (candidates.length === 0) return `the project has no ${what}`;
  const shown = candidates.slice(0, 12).join(', ');
  return `known ${what}: ${shown}${candidates.length > 12 ? ', ...' : ''}`;
}
