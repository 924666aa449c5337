import { SelectionError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { GraphNode, Manifest, SourceNode } from '../types.js';
import { caretBlock, globToRegExp, parseSelectors, type SelectorAtom, type SelectorExpr } from './parse-selector.js';

export interface SelectOptions {
  /** a selection problem that does not stop the run (an --exclude part that matches nothing) */
  onWarning?: ((message: string) => void) | undefined;
}

type Mode = { argName: '--select' | '--exclude'; warn: (message: string) => void };

/**
 * Selected node ids in `manifest.order` order; no --select means every node. A --select part that
 * selects nothing, or a selection that --exclude empties, is a SelectionError naming that part.
 */
export function selectNodes(
  manifest: Manifest,
  select: string[] | undefined,
  exclude: string[] | undefined,
  opts: SelectOptions = {},
): string[] {
  const warn = opts.onWarning ?? (() => undefined);
  const selected = select?.length
    ? evaluate(manifest, parseSelectors(select, '--select'), { argName: '--select', warn })
    : new Set(manifest.order);
  const excluded = exclude?.length
    ? evaluate(manifest, parseSelectors(exclude, '--exclude'), { argName: '--exclude', warn })
    : new Set<string>();
  const result = manifest.order.filter((id) => selected.has(id) && !excluded.has(id));
  if (result.length === 0 && selected.size > 0 && exclude?.length) {
    const what = select?.length ? `every node that --select '${select.join(' ')}' selects` : 'every node of the project';
    throw new SelectionError(`--exclude '${exclude.join(' ')}' removes ${what}: nothing is left to run`, {
      hint: `--select chose ${describeIds(manifest, [...selected])}; narrow the --exclude or widen the --select`,
    });
  }
  return result;
}

function describeIds(manifest: Manifest, ids: string[]): string {
  const names = manifest.order.filter((id) => ids.includes(id)).map((id) => displayName(manifest.nodes[id]));
  const shown = names.slice(0, 6).join(', ');
  return `${names.length} node${names.length === 1 ? '' : 's'} (${shown}${names.length > 6 ? ', ...' : ''})`;
}

function displayName(n: GraphNode | undefined): string {
  if (!n) return '?';
  return n.resourceType === 'source' ? `source:${n.sourceName}.${n.name}` : n.name;
}

function evaluate(manifest: Manifest, expr: SelectorExpr, mode: Mode): Set<string> {
  if (expr.kind === 'atom') return evaluateAtom(manifest, expr, mode);
  const sets = expr.items.map((e) => evaluate(manifest, e, mode));
  if (expr.kind === 'union') return new Set(sets.flatMap((s) => [...s]));
  const [first = new Set<string>(), ...others] = sets;
  const result = new Set([...first].filter((id) => others.every((s) => s.has(id))));
  if (result.size === 0 && sets.every((s) => s.size > 0)) {
    const atoms = expr.items.filter((e): e is SelectorAtom => e.kind === 'atom');
    const arg = atoms[0]?.arg ?? '';
    const text = atoms.map((a) => a.text).join(',');
    const parts = expr.items.map((e, i) => `${e.kind === 'atom' ? e.text : 'part ' + (i + 1)} selects ${describeIds(manifest, [...sets[i]!])}`);
    const message = `${mode.argName} '${text}' selects nothing: no node is in every part of the intersection (${parts.join('; ')})`;
    if (mode.argName === '--exclude') mode.warn(`${message}; it excludes nothing`);
    else throw new SelectionError(`${message}${caretBlock(arg, expr.column)}`, { column: expr.column, hint: "a comma intersects; use a space to select the union ('a b')" });
  }
  return result;
}

function evaluateAtom(manifest: Manifest, atom: SelectorAtom, mode: Mode): Set<string> {
  const nodes = manifest.order.map((id) => manifest.nodes[id]).filter((n): n is GraphNode => n !== undefined);
  const matches = matcher(atom, manifest.projectName);
  const base = nodes.filter(matches).map((n) => n.id);
  if (base.length === 0) {
    const hint = noMatchHint(atom, nodes, manifest.projectName);
    if (mode.argName === '--exclude') {
      mode.warn(`--exclude selector '${atom.text}' matches no nodes, so it excludes nothing; ${hint}`);
      return new Set();
    }
    throw new SelectionError(`${atom.argName} selector '${atom.text}' matches no nodes${caretBlock(atom.arg, atom.column)}`, {
      column: atom.column,
      hint,
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

const WILDCARD = /[*?[\]]/;

/**
 * dbt-core's is_selected_node: the fqn's last part equals the selector, or the selector's dotted parts
 * equal the fqn's leading parts; from the first part with a wildcard on, the rest is an fnmatch
 * pattern over the rest of the dotted fqn.
 */
export function fqnMatcher(selector: string): (fqn: string[]) => boolean {
  const parts = selector.split('.');
  const slurp = parts.findIndex((p) => WILDCARD.test(p));
  const re = slurp < 0 ? undefined : globToRegExp(parts.slice(slurp).join('.'), false);
  const isSelected = (fqn: string[]): boolean => {
    if (fqn[fqn.length - 1] === selector) return true;
    const flat = fqn.flatMap((segment) => segment.split('.'));
    if (flat.length < parts.length) return false;
    const fixed = slurp < 0 ? parts.length : slurp;
    for (let i = 0; i < fixed; i++) if (flat[i] !== parts[i]) return false;
    return re === undefined || re.test(flat.slice(fixed).join('.'));
  };
  // the fqn with and without its project name, so a selector matches across packages
  return (fqn) => isSelected(fqn) || isSelected(fqn.slice(1));
}

function matcher(atom: SelectorAtom, projectName: string): (node: GraphNode) => boolean {
  const { value } = atom;
  switch (atom.method) {
    case 'fqn': {
      // dbt searches every node but sources by fqn
      const m = fqnMatcher(value);
      return (n) => n.resourceType !== 'source' && m(n.fqn);
    }
    case 'tag': {
      const re = globToRegExp(value, false);
      return (n) => n.config.tags.some((t) => re.test(t));
    }
    case 'path': {
      // dbt's path: globs from the project root and matches a node's file, its folders, and the
      // property file that patches it
      const re = globToRegExp(normalizePath(value), true);
      return (n) =>
        pathPrefixes(n.path).some((p) => re.test(p)) || (n.resourceType === 'model' && n.patchPath !== undefined && re.test(n.patchPath));
    }
    case 'file': {
      const re = globToRegExp(value, false);
      return (n) => {
        const base = n.path.slice(n.path.lastIndexOf('/') + 1);
        return re.test(base) || re.test(base.replace(/\.[^.]*$/, ''));
      };
    }
    case 'source': {
      const parts = value.split('.');
      const [pkg, src, table] = parts.length === 3 ? parts : ['*', parts[0]!, parts[1] ?? '*'];
      const pkgRe = globToRegExp(pkg!, false);
      const srcRe = globToRegExp(src!, false);
      const tableRe = globToRegExp(table!, false);
      return (n) => n.resourceType === 'source' && pkgRe.test(projectName) && srcRe.test(n.sourceName) && tableRe.test(n.name);
    }
    case 'package': {
      // dbt: `this` is the current project
      const re = globToRegExp(value === 'this' ? projectName : value, false);
      return () => re.test(projectName);
    }
    case 'config': {
      const key = atom.key ?? '';
      return (n) => configValues(n, key).some((v) => (typeof v === 'boolean' ? String(v) === value.toLowerCase() : String(v) === value));
    }
    case 'resource_type':
      return (n) => n.resourceType === value;
    case 'test_name':
      return testNameMatcher(value);
    case 'test_type':
      return (n) => n.resourceType === 'test' && n.testType === value;
  }
}

/** test_name: the generic test (unique, relationships, a custom one) or, for singular tests, the test's name. */
function testNameMatcher(value: string): (node: GraphNode) => boolean {
  const re = globToRegExp(value, false);
  return (n) => n.resourceType === 'test' && re.test(n.testType === 'generic' ? (n.testName ?? n.name) : n.name);
}

/** The value at a dotted config key (`meta.owner`), as a list; own properties only. */
function configValues(node: GraphNode, key: string): unknown[] {
  let v: unknown = node.config;
  for (const k of key.split('.')) {
    v = v !== null && typeof v === 'object' && Object.hasOwn(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  }
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

function examplePath(nodes: GraphNode[], re: RegExp): string {
  const n = nodes.find((x) => re.test(x.name))!;
  const folders = n.fqn.slice(1, -1);
  const leaf = n.fqn[n.fqn.length - 1]!;
  return folders.length > 0 ? `${folders.join('.')}.${leaf.replace(/[^_]*$/, '*')}` : `*${leaf}`;
}

function noMatchHint(atom: SelectorAtom, nodes: GraphNode[], projectName: string): string {
  const uniq = (xs: string[]): string[] => [...new Set(xs)].sort();
  const sources = nodes.filter((n): n is SourceNode => n.resourceType === 'source');
  let candidates: string[];
  let shownCandidates: string[] | undefined;
  let what: string;
  switch (atom.method) {
    case 'fqn': {
      const re = globToRegExp(atom.value, false);
      const src = sources.find((n) => re.test(n.name) || re.test(`${n.sourceName}.${n.name}`));
      if (src) {
        return `'${atom.value}' names a source table, and a bare name selects models only (as in dbt): use source:${src.sourceName}.${src.name}`;
      }
      const others = nodes.filter((n) => n.resourceType !== 'source');
      const named = WILDCARD.test(atom.value) ? others.filter((n) => re.test(n.name)).map((n) => n.name) : [];
      if (named.length > 0) {
        const leaf = atom.value.split('.').pop()!;
        return (
          `as in dbt, a pattern matches the dotted fqn from its start (${others.find((n) => re.test(n.name))!.fqn.join('.')}); ` +
          `use '*${leaf}' or a folder path ('${examplePath(others, re)}'), which match: ${uniq(named).slice(0, 8).join(', ')}`
        );
      }
      shownCandidates = uniq(others.map((n) => n.name));
      // names, folders and dotted paths, with and without the project name
      candidates = uniq(
        others.flatMap((n) => {
          const out: string[] = [n.name];
          for (let i = 1; i <= n.fqn.length; i++) out.push(n.fqn.slice(0, i).join('.'));
          for (let i = 2; i <= n.fqn.length; i++) out.push(n.fqn.slice(1, i).join('.'));
          return out;
        }),
      );
      what = 'nodes';
      break;
    }
    case 'tag':
      candidates = uniq(nodes.flatMap((n) => n.config.tags));
      what = 'tags';
      break;
    case 'path':
      candidates = uniq(nodes.flatMap((n) => [...pathPrefixes(n.path), ...(n.resourceType === 'model' && n.patchPath ? [n.patchPath] : [])]));
      what = 'paths';
      break;
    case 'file':
      candidates = uniq(nodes.map((n) => n.path.slice(n.path.lastIndexOf('/') + 1)));
      what = 'files';
      break;
    case 'source': {
      const parts = atom.value.split('.');
      if (parts.length === 1) {
        candidates = uniq(sources.map((n) => n.sourceName));
        what = 'sources';
        break;
      }
      const prefix = parts.length === 3 ? `${projectName}.` : '';
      candidates = uniq(sources.map((n) => `${prefix}${n.sourceName}.${n.name}`));
      const srcName = parts[parts.length - 2]!;
      const srcRe = globToRegExp(srcName, false);
      const tables = uniq(sources.filter((n) => srcRe.test(n.sourceName)).map((n) => `${prefix}${n.sourceName}.${n.name}`));
      if (tables.length > 0) {
        const dym = didYouMean(atom.value, tables);
        return dym ?? `tables of source '${srcName}': ${tables.slice(0, 12).join(', ')}${tables.length > 12 ? ', ...' : ''}`;
      }
      what = 'source tables';
      break;
    }
    case 'package':
      return `the project's package is '${projectName}' (dbt packages are not loaded by selection)`;
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
    case 'test_type':
      return `the project has no ${atom.value} tests`;
    case 'test_name':
      candidates = uniq(nodes.flatMap((n) => (n.resourceType === 'test' ? [n.testType === 'generic' ? (n.testName ?? n.name) : n.name] : [])));
      what = 'tests';
      break;
  }
  const dym = didYouMean(atom.value, candidates);
  if (dym) return dym;
  const shown = shownCandidates ?? candidates;
  if (shown.length === 0) return `the project has no ${what}`;
  return `known ${what}: ${shown.slice(0, 12).join(', ')}${shown.length > 12 ? ', ...' : ''}`;
}
