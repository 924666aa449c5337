import type { PathStep } from './json-paths.js';

/**
 * A mapped value may nest at most this many arrays and objects (counting itself). Deeper values
 * are a bad line on every engine, so that no engine recurses as deep as the input goes.
 */
export const MAX_NESTING = 1000;

/** Where a column's value is read from: its path, and whether the first key is matched ignoring case. */
export interface InspectTarget {
  steps: PathStep[];
  ignoreCase?: boolean;
}

/** What the record's text says about one column's value, beyond what JSON.parse keeps. */
export interface ValueFacts {
  /** how many values were found at the column's path: 2 or more means a duplicate key */
  count: number;
  /** the offset in the record's text where the first value starts */
  start?: number | undefined;
  /** the number as written, when the (first) value is a number */
  token?: string | undefined;
  /** the offset in the record's text where the value nests deeper than MAX_NESTING, when it does */
  tooDeepAt?: number | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

interface Frame {
  isObject: boolean;
  /** the next element's index, in an array */
  index: number;
  /** the key of the member being read, in an object */
  key: string | undefined;
  /** the targets whose path leads into this container */
  targets: number[];
}

/** The offset just after the string that starts with the quote at `at`. */
function stringEnd(text: string, at: number): number {
  let i = at + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return text.length;
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1;
    i = q + 1;
  }
}

function decodeKey(text: string, from: number, to: number): string {
  const raw = text.slice(from + 1, to - 1);
  return raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
}

/**
 * Reads a record's JSON text (known to be valid: JSON.parse took it) without recursion and reports,
 * for each target path, how many values it has and where the first starts (a key written twice:
 * JSON.parse keeps the last value, DuckDB's reader the first), the number token as written
 * (JSON.parse turns `10e-1` into 1 and `1e-400` into 0) and whether the value nests too deep.
 * Memory is bounded by the record's size (at most 4 MB); the stack does not grow with the input.
 */
export function inspectRecord(text: string, targets: InspectTarget[]): ValueFacts[] {
  const facts: ValueFacts[] = targets.map(() => ({ count: 0 }));
  const lowered = targets.map((t) => (t.ignoreCase && typeof t.steps[0] === 'string' ? t.steps[0].toLowerCase() : undefined));
  const stack: Frame[] = [];
  /** targets whose value is open (a container being read), with the depth it was opened at */
  const open: { target: number; depth: number }[] = [];
  const all = targets.map((_, i) => i);
  let i = 0;
  const n = text.length;

  /** the targets whose path continues with the member or element about to be read in `frame` */
  const matching = (frame: Frame | undefined): number[] => {
    if (!frame) return all;
    const depth = stack.length - 1;
    const out: number[] = [];
    for (const t of frame.targets) {
      const step = targets[t]!.steps[depth];
      if (frame.isObject) {
        if (typeof step !== 'string' || frame.key === undefined) continue;
        if (depth === 0 && lowered[t] !== undefined ? frame.key.toLowerCase() === lowered[t] : frame.key === step) out.push(t);
      } else if (step === frame.index) out.push(t);
    }
    return out;
  };

  while (i < n) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === QUOTE && top?.isObject && top.key === undefined) {
      const end = stringEnd(text, i);
      top.key = decodeKey(text, i, end);
      i = end;
      continue;
    }
    if (c === COLON || c <= 0x20) {
      i++;
      continue;
    }
    if (c === COMMA) {
      if (top) {
        if (top.isObject) top.key = undefined;
        else top.index++;
      }
      i++;
      continue;
    }
    if (c === RBRACE || c === RBRACKET) {
      stack.pop();
      while (open.length > 0 && open[open.length - 1]!.depth > stack.length) open.pop();
      i++;
      continue;
    }
    // a value starts here: root, an object member's value, or an array element
    const here = stack.length === 0 ? (i === firstValue(text) ? all : []) : matching(top);
    const ends: number[] = [];
    for (const t of here) {
      if (targets[t]!.steps.length === stack.length) ends.push(t);
    }
    for (const t of ends) if (++facts[t]!.count === 1) facts[t]!.start = i;
    if (c === LBRACE || c === LBRACKET) {
      const depth = stack.length + 1;
      for (const t of ends) if (facts[t]!.count === 1) open.push({ target: t, depth });
      let tooDeep = false;
      for (const o of open) {
        if (depth - o.depth + 1 > MAX_NESTING) {
          facts[o.target]!.tooDeepAt ??= i;
          tooDeep = true;
        }
      }
      if (tooDeep) {
        // the value is a bad line already: what it holds further down does not matter
        i = containerEnd(text, i);
        continue;
      }
      const deeper = here.filter((t) => targets[t]!.steps.length > stack.length);
      if (deeper.length === 0 && open.length === 0) {
        // nothing mapped inside: skip the container
        i = containerEnd(text, i);
        continue;
      }
      stack.push({ isObject: c === LBRACE, index: 0, key: undefined, targets: deeper });
      i++;
      continue;
    }
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    // a number or a literal
    let j = i + 1;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d <= 0x20 || d === COMMA || d === RBRACE || d === RBRACKET) break;
      j++;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      for (const t of ends) if (facts[t]!.count === 1) facts[t]!.token = text.slice(i, j);
    }
    i = j;
  }
  return facts;
}

function firstValue(text: string): number {
  let i = 0;
  while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
  return i;
}

/** The offset just after the array or object that starts at `at`. */
function containerEnd(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c === LBRACE || c === LBRACKET) depth++;
    else if (c === RBRACE || c === RBRACKET) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}

/** The first value at `start` in a record's text, parsed (for a key written twice: the first one). */
export function parseValueAt(text: string, start: number): unknown {
  const c = text.charCodeAt(start);
  let end: number;
  if (c === LBRACE || c === LBRACKET) end = containerEnd(text, start);
  else if (c === QUOTE) end = stringEnd(text, start);
  else {
    end = start + 1;
    while (end < text.length) {
      const d = text.charCodeAt(end);
      if (d <= 0x20 || d === COMMA || d === RBRACE || d === RBRACKET) break;
      end++;
    }
  }
  return JSON.parse(text.slice(start, end));
}
