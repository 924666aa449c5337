/**
 * The methods dbt users call on Jinja's strings, lists and dicts (`name.lower()`, `cols.append(c)`,
 * `d.items()`), with Python's semantics: `replace` replaces every occurrence, `split()` splits on
 * runs of whitespace, `pop()` takes the last item. Looked up before JavaScript's own members, so
 * `'a-b-a'.replace('a', 'x')` is Python's `'x-b-x'`, not JavaScript's `'x-b-a'`.
 */
import { keywordArgs as keywords } from './keyword-args.js';
type Method = (this: never, ...args: unknown[]) => unknown;


function pyIndex(length: number, i: unknown, fallback: number): number {
  const n = i === undefined || i === null ? fallback : Number(i);
  return n < 0 ? length + n : n;
}

function stripChars(chars: unknown): string {
  return chars === undefined || chars === null ? ' \t\n\r\f\v' : String(chars);
}

/** Python's repr() of a value, as `{!r}` and error messages show it. */
export function pyRepr(v: unknown): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (isPlainObject(v)) return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

/** Python's str() of a value. */
export function pyStr(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined || typeof v === 'boolean' || Array.isArray(v) || isPlainObject(v)) return pyRepr(v);
  return String(v);
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Python's str.format: `{}`, `{0}`, `{name}`, `{!r}`, `{:>10}` (fill, align, width and precision of floats). */
export function pyFormat(template: string, rawArgs: unknown[]): string {
  const { args, kwargs } = keywords(rawArgs);
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rs]))?(?::([^{}]*))?\}/g, (m, field: string | undefined, conv: string | undefined, spec: string | undefined) => {
    if (m === '{{') return '{';
    if (m === '}}') return '}';
    const key = field ?? '';
    const v = key === '' ? args[auto++] : /^\d+$/.test(key) ? args[Number(key)] : kwargs[key];
    let s = conv === 'r' ? pyRepr(v) : pyStr(v);
    if (spec) {
      const f = /^(.?[<>^])?(\d+)?(?:\.(\d+)f)?$/.exec(spec);
      if (f?.[3] !== undefined && typeof v === 'number') s = v.toFixed(Number(f[3]));
      const width = f?.[2] ? Number(f[2]) : 0;
      const align = f?.[1]?.slice(-1) ?? (typeof v === 'number' ? '>' : '<');
      const fill = f?.[1] && f[1].length === 2 ? f[1][0]! : ' ';
      if (s.length < width) {
        const pad = width - s.length;
        s = align === '>' ? fill.repeat(pad) + s : align === '^' ? fill.repeat(Math.floor(pad / 2)) + s + fill.repeat(Math.ceil(pad / 2)) : s + fill.repeat(pad);
      }
    }
    return s;
  });
}

const STRING_METHODS: Record<string, (s: string, args: unknown[]) => unknown> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  strip: (s, [c]) => s.replace(new RegExp(`^[${escapeClass(stripChars(c))}]+|[${escapeClass(stripChars(c))}]+$`, 'g'), ''),
  lstrip: (s, [c]) => s.replace(new RegExp(`^[${escapeClass(stripChars(c))}]+`), ''),
  rstrip: (s, [c]) => s.replace(new RegExp(`[${escapeClass(stripChars(c))}]+$`), ''),
  split: (s, [sep, max]) => {
    const limit = max === undefined || max === null || Number(max) < 0 ? Infinity : Number(max);
    if (sep === undefined || sep === null) {
      const parts = s.trim() === '' ? [] : s.trim().split(/\s+/);
      return limit === Infinity || parts.length <= limit ? parts : [...parts.slice(0, limit), s.trim().split(/\s+/).slice(limit).join(' ')];
    }
    const all = s.split(String(sep));
    return limit === Infinity || all.length <= limit + 1 ? all : [...all.slice(0, limit), all.slice(limit).join(String(sep))];
  },
  replace: (s, [a, b, count]) => {
    const parts = s.split(String(a));
    const n = count === undefined || count === null || Number(count) < 0 ? parts.length : Number(count) + 1;
    return parts.slice(0, n).join(String(b)) + (n < parts.length ? String(a) + parts.slice(n).join(String(a)) : '');
  },
  startswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.startsWith(String(x))) : s.startsWith(String(p))),
  endswith: (s, [p]) => (Array.isArray(p) ? p.some((x) => s.endsWith(String(x))) : s.endsWith(String(p))),
  format: (s, args) => pyFormat(s, args),
  join: (s, [items]) => [...(items as Iterable<unknown>)].map(pyStr).join(s),
  title: (s) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  find: (s, [x]) => s.indexOf(String(x)),
  count: (s, [x]) => s.split(String(x)).length - 1,
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^[A-Za-z]+$/.test(s),
  isalnum: (s) => /^[A-Za-z0-9]+$/.test(s),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  splitlines: (s) => s.split(/\r?\n/),
  zfill: (s, [w]) => s.padStart(Number(w), '0'),
};

function escapeClass(chars: string): string {
  return chars.replace(/[\\\]^-]/g, '\\$&');
}

const LIST_METHODS: Record<string, (l: unknown[], args: unknown[]) => unknown> = {
  append: (l, [x]) => void l.push(x),
  extend: (l, [xs]) => void l.push(...(xs as Iterable<unknown>)),
  insert: (l, [i, x]) => void l.splice(pyIndex(l.length, i, 0), 0, x),
  pop: (l, [i]) => {
    if (l.length === 0) throw new Error('pop from empty list');
    return l.splice(pyIndex(l.length, i, -1), 1)[0];
  },
  remove: (l, [x]) => {
    const i = l.indexOf(x);
    if (i < 0) throw new Error(`list.remove(x): ${pyRepr(x)} not in list`);
    l.splice(i, 1);
  },
  index: (l, [x]) => {
    const i = l.indexOf(x);
    if (i < 0) throw new Error(`${pyRepr(x)} is not in list`);
    return i;
  },
  count: (l, [x]) => l.filter((y) => y === x).length,
  copy: (l) => [...l],
  reverse: (l) => void l.reverse(),
  clear: (l) => void (l.length = 0),
};

const DICT_METHODS: Record<string, (d: Record<string, unknown>, args: unknown[]) => unknown> = {
  items: (d) => Object.entries(d),
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  get: (d, [k, def]) => (Object.prototype.hasOwnProperty.call(d, String(k)) ? d[String(k)] : (def ?? null)),
  update: (d, args) => {
    const { args: pos, kwargs } = keywords(args);
    for (const src of pos) if (src && typeof src === 'object') Object.assign(d, Array.isArray(src) ? Object.fromEntries(src as [string, unknown][]) : src);
    Object.assign(d, kwargs);
  },
  pop: (d, [k, ...def]) => {
    const key = String(k);
    if (Object.prototype.hasOwnProperty.call(d, key)) {
      const v = d[key];
      delete d[key];
      return v;
    }
    if (def.length > 0) return def[0];
    throw new Error(`KeyError: ${pyRepr(k)}`);
  },
  setdefault: (d, [k, def]) => {
    const key = String(k);
    if (!Object.prototype.hasOwnProperty.call(d, key)) d[key] = def ?? null;
    return d[key];
  },
  copy: (d) => ({ ...d }),
  has_key: (d, [k]) => Object.prototype.hasOwnProperty.call(d, String(k)),
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
  },
};

/** The Python method `name` of a string, list or dict, bound to it; undefined when it has none. */
export function pythonMethod(obj: unknown, name: unknown): Method | undefined {
  if (typeof name !== 'string') return undefined;
  let table: Record<string, (o: never, args: unknown[]) => unknown> | undefined;
  if (typeof obj === 'string') table = STRING_METHODS;
  else if (Array.isArray(obj)) table = LIST_METHODS;
  else if (isPlainObject(obj)) table = DICT_METHODS;
  if (!table || !Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  const fn = table[name]!;
  return (...args: unknown[]) => fn(obj as never, args);
}
