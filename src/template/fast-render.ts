import { BLOCKED_NAMES, blockedNameError } from './sandbox.js';

/**
 * Most models use the template language only for calls with literal arguments:
 * `{{ ref('x') }}`, `{{ config(materialized='view', tags=['a']) }}`, `{{ var('n', 0) }}`, a macro
 * call. Compiling each such template with nunjucks (to JavaScript, through `new Function`) is most of
 * compile time at 10k models, so these templates are rendered here directly. Anything else (a
 * `{% tag %}`, a filter, an attribute, a variable) returns undefined and nunjucks renders it, as
 * does any call that throws, so errors keep nunjucks' locations. The result equals nunjucks' output
 * (test: fast-render.test.ts).
 */
export type FastTemplate = (string | FastCall)[];

interface FastCall {
  name: string;
  args: unknown[];
  kwargs: Record<string, unknown> | undefined;
  /** some argument is a list: each render gets its own copy, as from nunjucks */
  lists: boolean;
}

const TAG = /\{\{(-?)([\s\S]*?)(-?)\}\}|\{#(-?)[\s\S]*?(-?)#\}|\{%/g;

/** Calls already parsed, by their source text; shared by the templates of one environment, never changed. */
export type FastCallCache = Map<string, FastCall | undefined>;

/**
 * Parses a template into text and calls, or returns undefined when nunjucks is needed. Calls repeat
 * across models (config(...), var(...), a macro, ref('x')): with `calls`, each is parsed once.
 */
export function parseFastTemplate(src: string, calls: FastCallCache = new Map()): FastTemplate | undefined {
  const parts: FastTemplate = [];
  let text = '';
  let last = 0;
  let trimNext = false;
  TAG.lastIndex = 0;
  for (let m = TAG.exec(src); m; m = TAG.exec(src)) {
    if (m[0] === '{%') return undefined;
    let before = src.slice(last, m.index);
    if (trimNext) before = before.replace(/^\s+/, '');
    const trimPrev = m[1] === '-' || m[4] === '-';
    if (trimPrev) before = before.replace(/\s+$/, '');
    text += before;
    trimNext = m[3] === '-' || m[5] === '-';
    last = m.index + m[0].length;
    if (m[2] === undefined) continue; // a comment
    const call = parsedCall(m[2], calls);
    if (!call) return undefined;
    parts.push(text, call);
    text = '';
  }
  let rest = src.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  if (rest.includes('{{') || rest.includes('{#')) return undefined;
  parts.push(text + rest);
  return parts;
}

/** Renders a parsed template; throws whatever a called function throws. */
export function renderFastTemplate(t: FastTemplate, lookup: (name: string) => unknown): string {
  let out = '';
  for (const p of t) {
    if (typeof p === 'string') {
      out += p;
      continue;
    }
    if (BLOCKED_NAMES.has(p.name)) throw blockedNameError(p.name);
    const fn = lookup(p.name);
    if (typeof fn !== 'function') throw new Error(`Unable to call \`${p.name}\`, which is undefined or falsey`);
    let args = p.kwargs ? [...p.args, { ...p.kwargs, __keywords: true }] : p.args;
    if (p.lists) args = copyLists(args) as unknown[];
    const v: unknown = fn(...args);
    out += v === undefined || v === null ? '' : String(v);
  }
  return out;
}

function parsedCall(expr: string, calls: FastCallCache): FastCall | undefined {
  if (calls.has(expr)) return calls.get(expr);
  const call = parseCall(expr);
  if (calls.size >= 50_000) calls.clear();
  calls.set(expr, call);
  return call;
}

function copyLists(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyLists);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copyLists(x)]));
  return v;
}

const NAME = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)\s*$/;

function parseCall(expr: string): FastCall | undefined {
  const m = NAME.exec(expr);
  // a blocked name goes to nunjucks, whose compiler reports it at its line
  if (!m || BLOCKED_NAMES.has(m[1]!)) return undefined;
  const items = splitArgs(m[2]!);
  if (!items) return undefined;
  const args: unknown[] = [];
  let kwargs: Record<string, unknown> | undefined;
  for (const item of items) {
    const kw = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)([\s\S]*)$/.exec(item);
    const value = literal(kw ? kw[2]! : item);
    if (value === NOT_LITERAL) return undefined;
    if (kw) (kwargs ??= {})[kw[1]!] = value;
    else if (kwargs) return undefined; // a positional argument after a keyword one
    else args.push(value);
  }
  return { name: m[1]!, args, kwargs, lists: [...args, ...Object.values(kwargs ?? {})].some(Array.isArray) };
}

/** Splits on top-level commas; undefined for anything unbalanced. */
function splitArgs(s: string): string[] | undefined {
  if (s.trim() === '') return [];
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
    if (depth < 0) return undefined;
  }
  if (quote || depth !== 0) return undefined;
  out.push(s.slice(start));
  return out;
}

const NOT_LITERAL = Symbol('not a literal');

function literal(raw: string): unknown {
  const s = raw.trim();
  const str = /^'((?:[^'\\]|\\.)*)'$|^"((?:[^"\\]|\\.)*)"$/.exec(s);
  if (str) {
    const body = str[1] ?? str[2]!;
    // only plain escapes: \\ \' \" (nunjucks knows others; let it render those)
    if (/\\[^\\'"]/.test(body)) return NOT_LITERAL;
    return body.replace(/\\(.)/g, '$1');
  }
  if (/^-?\d+$/.test(s)) return parseInt(s, 10);
  if (/^-?\d+\.\d+$/.test(s)) return parseFloat(s);
  if (s === 'true' || s === 'True') return true;
  if (s === 'false' || s === 'False') return false;
  if (s === 'none' || s === 'None') return null;
  if (s.startsWith('[') && s.endsWith(']')) {
    const items = splitArgs(s.slice(1, -1));
    if (!items) return NOT_LITERAL;
    const values = items.filter((x, i) => !(i === items.length - 1 && x.trim() === '')).map(literal);
    return values.includes(NOT_LITERAL) ? NOT_LITERAL : values;
  }
  return NOT_LITERAL;
}
