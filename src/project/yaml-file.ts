import { LineCounter, parseDocument, isAlias, isMap as isYamlMap, isNode, isScalar, isSeq, visit, type Alias, type Document, type Node, type Pair } from 'yaml';
import { ProjectError } from '../errors.js';
import type { TemplateFile } from '../template/environment.js';

export interface YamlFile {
  file: string;
  doc: Document;
  value: unknown;
  /** the 1-based line (and column) of the node at a path, or of the closest parent that exists */
  at(path: (string | number)[]): { line: number; column: number };
}

/** YAML files larger than this are refused before they are read: they cost about 40 times their size in memory. */
export const MAX_YAML_BYTES = 32 * 1024 * 1024;

/**
 * How many nodes aliases (*name) may add to a file in all, counting each alias as the whole node it
 * stands for. A "billion laughs" document, whose anchors nest aliases of aliases, stops here instead
 * of exhausting memory in every stage that walks the values.
 */
export const MAX_YAML_ALIAS_NODES = 1_000_000;

export function parseYamlFile(f: TemplateFile): YamlFile {
  const lineCounter = new LineCounter();
  const where = (offset: number) => {
    const pos = lineCounter.linePos(offset);
    return { file: f.file, line: pos.line, column: pos.col };
  };
  if (f.text.length > MAX_YAML_BYTES) throw tooLarge(f.file, f.text.length);
  let doc: Document;
  let value: unknown;
  let aliases: ReturnType<typeof resolveAliases>;
  try {
    // uniqueKeys is checked below in one pass: the yaml package compares each key with every
    // earlier key of its map, which is quadratic in the size of a map
    doc = parseDocument(f.text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      // the yaml package composes nested collections recursively and reports a stack overflow as a parse error
      if (/call stack/i.test(e.message)) throw nestedTooDeeply(f.file);
      throw new ProjectError(`invalid YAML: ${e.message.split('\n')[0]}`, { ...where(e.pos[0]), hint: 'check the indentation and the ":" after each key' });
    }
    const dup = firstDuplicateKey(doc);
    if (dup) throw new ProjectError(`invalid YAML: duplicate key '${dup.name}'`, { ...where(dup.offset), hint: 'each key may appear once in a mapping; remove or rename one of them' });
    aliases = resolveAliases(doc);
    if (aliases.overflow !== undefined) {
      throw new ProjectError(`invalid YAML: its aliases (*name) stand for more than ${MAX_YAML_ALIAS_NODES} nodes`, {
        ...where(aliases.overflow),
        hint: 'write the values out, or use fewer aliases and no aliases of aliases',
      });
    }
    value = toPlain(doc.contents, aliases.targets);
  } catch (e) {
    if (e instanceof RangeError) throw nestedTooDeeply(f.file);
    throw e;
  }
  const pairIndex = new WeakMap<object, Map<string, Pair>>();
  const at = (p: (string | number)[]) => {
    // walk down as far as the path exists; point at a map entry's key, so errors show the key itself
    let pos: number | undefined = doc.contents && isNode(doc.contents) ? doc.contents.range?.[0] : undefined;
    let node: unknown = doc.contents;
    for (const step of p) {
      if (isAlias(node)) node = aliases.targets.get(node);
      if (isYamlMap(node)) {
        const pair = pairsOf(pairIndex, node).get(String(step));
        if (!pair) break;
        node = pair.value;
        const keyPos = isNode(pair.key) ? pair.key.range?.[0] : undefined;
        if (keyPos === undefined) break;
        pos = keyPos;
      } else if (isSeq(node) && typeof step === 'number') {
        node = node.items[step];
        const itemPos = isNode(node) ? node.range?.[0] : undefined;
        if (itemPos === undefined) break;
        pos = itemPos;
      } else break;
    }
    if (pos === undefined) return { line: 1, column: 1 };
    const lc = lineCounter.linePos(pos);
    return { line: lc.line, column: lc.col };
  };
  return { file: f.file, doc, value, at };
}

function nestedTooDeeply(file: string): ProjectError {
  return new ProjectError('invalid YAML: collections are nested too deeply', { file, hint: 'sparkify files need a few levels of nesting; flatten the structure' });
}

export function tooLarge(file: string, bytes: number): ProjectError {
  return new ProjectError(`YAML file is too large (${(bytes / 1024 / 1024).toFixed(0)} MB; the limit is ${MAX_YAML_BYTES / 1024 / 1024} MB)`, {
    file,
    hint: 'split the file, or describe fewer tables and columns in it',
  });
}

/** A map's entries by key, built once per map: looking a key up in a map's item list is linear. */
function pairsOf(pairIndex: WeakMap<object, Map<string, Pair>>, map: { items: Pair[] }): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined && !index.has(key)) index.set(key, pair);
    }
    pairIndex.set(map, index);
  }
  return index;
}

function firstDuplicateKey(doc: Document): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const name = String(pair.key.value);
        if (seen.has(name)) {
          found = { name, offset: pair.key.range?.[0] ?? 0 };
          return visit.BREAK;
        }
        seen.add(name);
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Each alias's node (the latest anchor of its name before it, as YAML defines), and where the
 * nodes the aliases stand for first pass MAX_YAML_ALIAS_NODES. One pass over the document: the
 * yaml package looks each alias up in a list of every anchor, which is quadratic.
 */
function resolveAliases(doc: Document): { targets: Map<Alias, Node>; overflow: number | undefined } {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  const sizes = new Map<Node, number>();
  const sizing = new Set<Node>();
  const sizeOf = (node: unknown): number => {
    if (isAlias(node)) {
      const t = targets.get(node);
      return t === undefined ? 1 : sizeOf(t);
    }
    if (!isNode(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (sizing.has(node)) return 1; // an alias inside its own anchor: a recursive structure, shared, not copied
    sizing.add(node);
    let n = 1;
    if (isYamlMap(node)) for (const pair of node.items) n += sizeOf(pair.key) + sizeOf(pair.value);
    else if (isSeq(node)) for (const item of node.items) n += sizeOf(item);
    sizing.delete(node);
    sizes.set(node, n);
    return n;
  };
  let added = 0;
  let overflow: number | undefined;
  visit(doc, {
    Node(_key, node) {
      if (isAlias(node)) {
        const t = anchors.get(node.source);
        if (t === undefined) return undefined;
        targets.set(node, t);
        added += sizeOf(t);
        if (added > MAX_YAML_ALIAS_NODES) {
          overflow = node.range?.[0] ?? 0;
          return visit.BREAK;
        }
      } else if (node.anchor) anchors.set(node.anchor, node);
      return undefined;
    },
  });
  return { targets, overflow };
}

/**
 * The plain JavaScript value of a node, as yaml's toJS gives it: an alias is the same object as its
 * anchor's; a `__proto__` key is an own property, never the prototype.
 */
function toPlain(node: unknown, targets: Map<Alias, Node>, done = new Map<Node, unknown>()): unknown {
  if (isAlias(node)) {
    const t = targets.get(node);
    return t === undefined ? undefined : toPlain(t, targets, done);
  }
  if (isScalar(node)) return node.value;
  if (!isYamlMap(node) && !isSeq(node)) return node === null ? null : undefined;
  const seen = done.get(node);
  if (seen !== undefined) return seen;
  if (isSeq(node)) {
    const out: unknown[] = [];
    done.set(node, out);
    for (const item of node.items) out.push(toPlain(item, targets, done));
    return out;
  }
  const out: Record<string, unknown> = {};
  done.set(node, out);
  for (const pair of node.items) {
    const k = toPlain(pair.key, targets, done);
    const key = k !== null && typeof k === 'object' ? JSON.stringify(k) : String(k ?? '');
    Object.defineProperty(out, key, { value: toPlain(pair.value, targets, done), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
