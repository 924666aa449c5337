/**
 * dbt's `modules.datetime` and `modules.re`: the parts of Python's modules that dbt projects use,
 * with Python's semantics. Times are UTC: `datetime.now()` is the current UTC time, and a datetime
 * has no time zone (its tzinfo is None, or timezone.utc when asked for).
 */
import { keywordArgs as keywords } from './keyword-args.js';
import { pyRepr } from './python-methods.js';


const MICROS_PER_DAY = 86_400_000_000;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export class PyTimedelta {
  constructor(readonly micros: number) {}
  get days(): number {
    return Math.floor(this.micros / MICROS_PER_DAY);
  }
  get seconds(): number {
    return Math.floor((this.micros - this.days * MICROS_PER_DAY) / 1_000_000);
  }
  get microseconds(): number {
    return this.micros - this.days * MICROS_PER_DAY - this.seconds * 1_000_000;
  }
  total_seconds(): number {
    return this.micros / 1_000_000;
  }
  toString(): string {
    const d = this.days;
    const s = this.seconds;
    const time = `${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}${this.microseconds ? `.${pad(this.microseconds, 6)}` : ''}`;
    return d ? `${d} day${Math.abs(d) === 1 ? '' : 's'}, ${time}` : time;
  }
}

/** A date (dateOnly) or a datetime, as microseconds since the epoch in UTC. */
export class PyDateTime {
  constructor(
    readonly micros: number,
    readonly dateOnly: boolean,
    readonly utc: boolean = false,
  ) {}
  private get js(): Date {
    return new Date(Math.floor(this.micros / 1000));
  }
  get year(): number {
    return this.js.getUTCFullYear();
  }
  get month(): number {
    return this.js.getUTCMonth() + 1;
  }
  get day(): number {
    return this.js.getUTCDate();
  }
  get hour(): number {
    return this.dateOnly ? 0 : this.js.getUTCHours();
  }
  get minute(): number {
    return this.dateOnly ? 0 : this.js.getUTCMinutes();
  }
  get second(): number {
    return this.dateOnly ? 0 : this.js.getUTCSeconds();
  }
  get microsecond(): number {
    return this.dateOnly ? 0 : ((this.micros % 1_000_000) + 1_000_000) % 1_000_000;
  }
  get tzinfo(): unknown {
    return this.utc ? UTC : null;
  }
  weekday(): number {
    return (this.js.getUTCDay() + 6) % 7;
  }
  isoweekday(): number {
    return this.weekday() + 1;
  }
  date(): PyDateTime {
    return new PyDateTime(Math.floor(this.micros / MICROS_PER_DAY) * MICROS_PER_DAY, true);
  }
  timestamp(): number {
    return this.micros / 1_000_000;
  }
  replace(...raw: unknown[]): PyDateTime {
    const { kwargs } = keywords(raw);
    const n = (k: string, v: number) => (kwargs[k] === undefined ? v : Number(kwargs[k]));
    return fromParts(n('year', this.year), n('month', this.month), n('day', this.day), n('hour', this.hour), n('minute', this.minute), n('second', this.second), n('microsecond', this.microsecond), this.dateOnly, kwargs.tzinfo === undefined ? this.utc : kwargs.tzinfo !== null);
  }
  isoformat(sep: unknown = 'T'): string {
    const d = `${pad(this.year, 4)}-${pad(this.month)}-${pad(this.day)}`;
    if (this.dateOnly) return d;
    const us = this.microsecond ? `.${pad(this.microsecond, 6)}` : '';
    return `${d}${typeof sep === 'string' ? sep : 'T'}${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}${us}${this.utc ? '+00:00' : ''}`;
  }
  strftime(format: unknown): string {
    const f = String(format);
    return f.replace(/%([a-zA-Z%])/g, (m, c: string) => {
      switch (c) {
        case 'Y':
          return pad(this.year, 4);
        case 'y':
          return pad(this.year % 100);
        case 'm':
          return pad(this.month);
        case 'd':
          return pad(this.day);
        case 'H':
          return pad(this.hour);
        case 'I':
          return pad(((this.hour + 11) % 12) + 1);
        case 'p':
          return this.hour < 12 ? 'AM' : 'PM';
        case 'M':
          return pad(this.minute);
        case 'S':
          return pad(this.second);
        case 'f':
          return pad(this.microsecond, 6);
        case 'j':
          return pad(Math.floor((this.date().micros - fromParts(this.year, 1, 1, 0, 0, 0, 0, true, false).micros) / MICROS_PER_DAY) + 1, 3);
        case 'a':
          return DAY_NAMES[this.weekday()]!.slice(0, 3);
        case 'A':
          return DAY_NAMES[this.weekday()]!;
        case 'w':
          return String((this.weekday() + 1) % 7);
        case 'b':
          return MONTH_NAMES[this.month - 1]!.slice(0, 3);
        case 'B':
          return MONTH_NAMES[this.month - 1]!;
        case 'z':
          return this.utc ? '+0000' : '';
        case 'Z':
          return this.utc ? 'UTC' : '';
        case '%':
          return '%';
        default:
          return m;
      }
    });
  }
  toString(): string {
    return this.isoformat(' ');
  }
}

const UTC = { toString: () => 'UTC', utcoffset: () => new PyTimedelta(0) };

function fromParts(y: number, mo: number, d: number, h: number, mi: number, s: number, us: number, dateOnly: boolean, utc: boolean): PyDateTime {
  for (const [name, v] of Object.entries({ year: y, month: mo, day: d, hour: h, minute: mi, second: s, microsecond: us })) if (!Number.isInteger(v)) throw new Error(`datetime: ${name} must be an integer, not ${pyRepr(v)}`);
  if (mo < 1 || mo > 12) throw new Error('month must be in 1..12');
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  if (new Date(ms).getUTCDate() !== d) throw new Error('day is out of range for month');
  return new PyDateTime(ms * 1000 + us, dateOnly, utc);
}

export function isDateValue(v: unknown): boolean {
  return v instanceof PyDateTime || v instanceof PyTimedelta;
}

export function addDates(a: unknown, b: unknown): unknown {
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return new PyTimedelta(a.micros + b.micros);
  if (a instanceof PyDateTime && b instanceof PyTimedelta) return new PyDateTime(a.micros + b.micros, a.dateOnly, a.utc);
  if (a instanceof PyTimedelta && b instanceof PyDateTime) return new PyDateTime(b.micros + a.micros, b.dateOnly, b.utc);
  throw new Error(`unsupported operand types for +: ${typeName(a)} and ${typeName(b)}`);
}

export function subtractDates(a: unknown, b: unknown): unknown {
  if (a instanceof PyDateTime && b instanceof PyDateTime) return new PyTimedelta(a.micros - b.micros);
  if (a instanceof PyDateTime && b instanceof PyTimedelta) return new PyDateTime(a.micros - b.micros, a.dateOnly, a.utc);
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return new PyTimedelta(a.micros - b.micros);
  throw new Error(`unsupported operand types for -: ${typeName(a)} and ${typeName(b)}`);
}

function typeName(v: unknown): string {
  if (v instanceof PyDateTime) return v.dateOnly ? 'date' : 'datetime';
  if (v instanceof PyTimedelta) return 'timedelta';
  return typeof v;
}

function nowMicros(): number {
  return Date.now() * 1000;
}

function parseIso(s: string, dateOnly: boolean): PyDateTime {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]00:?00)?)?$/.exec(s.trim());
  if (!m) throw new Error(`Invalid isoformat string: ${pyRepr(s)}`);
  return fromParts(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), Number((m[7] ?? '').padEnd(6, '0')), dateOnly, m[8] !== undefined);
}

function strptime(value: unknown, format: unknown): PyDateTime {
  const s = String(value);
  const parts: Record<string, number> = { Y: 1900, m: 1, d: 1, H: 0, M: 0, S: 0, f: 0 };
  const order: string[] = [];
  const source = String(format).replace(/%([YmdHMSfjy%])|([.*+?^${}()|[\]\\])/g, (_m, c: string | undefined, lit: string | undefined) => {
    if (lit) return `\\${lit}`;
    if (c === '%') return '%';
    order.push(c!);
    return c === 'Y' ? '(\\d{4})' : c === 'f' ? '(\\d{1,6})' : c === 'j' ? '(\\d{1,3})' : '(\\d{1,2})';
  });
  const m = new RegExp(`^${source}$`).exec(s);
  if (!m) throw new Error(`time data ${pyRepr(s)} does not match format ${pyRepr(String(format))}`);
  order.forEach((c, i) => {
    const v = m[i + 1]!;
    if (c === 'y') parts.Y = 2000 + Number(v) - (Number(v) >= 69 ? 100 : 0);
    else if (c === 'f') parts.f = Number(v.padEnd(6, '0'));
    else parts[c] = Number(v);
  });
  return fromParts(parts.Y!, parts.m!, parts.d!, parts.H!, parts.M!, parts.S!, parts.f!, false, false);
}

function callable<T extends object>(fn: (...args: unknown[]) => unknown, attrs: T): ((...args: unknown[]) => unknown) & T {
  return Object.assign(fn, attrs);
}

const datetimeType = callable(
  (...raw: unknown[]) => {
    const { args, kwargs } = keywords(raw);
    const v = (i: number, k: string, d: number) => Number(args[i] ?? kwargs[k] ?? d);
    return fromParts(v(0, 'year', NaN), v(1, 'month', NaN), v(2, 'day', NaN), v(3, 'hour', 0), v(4, 'minute', 0), v(5, 'second', 0), v(6, 'microsecond', 0), false, kwargs.tzinfo !== undefined && kwargs.tzinfo !== null);
  },
  {
    now: (tz?: unknown) => new PyDateTime(nowMicros(), false, tz !== undefined && tz !== null && !(typeof tz === 'object' && (tz as { __keywords?: boolean }).__keywords)),
    utcnow: () => new PyDateTime(nowMicros(), false),
    today: () => new PyDateTime(nowMicros(), false),
    strptime,
    fromisoformat: (s: unknown) => parseIso(String(s), false),
    fromtimestamp: (t: unknown) => new PyDateTime(Math.round(Number(t) * 1_000_000), false),
    utcfromtimestamp: (t: unknown) => new PyDateTime(Math.round(Number(t) * 1_000_000), false),
  },
);

const dateType = callable(
  (...raw: unknown[]) => {
    const { args, kwargs } = keywords(raw);
    return fromParts(Number(args[0] ?? kwargs.year), Number(args[1] ?? kwargs.month), Number(args[2] ?? kwargs.day), 0, 0, 0, 0, true, false);
  },
  {
    today: () => new PyDateTime(nowMicros(), false).date(),
    fromisoformat: (s: unknown) => parseIso(String(s), true),
  },
);

const timedeltaType = (...raw: unknown[]) => {
  const { args, kwargs } = keywords(raw);
  const n = (i: number, k: string) => Number(args[i] ?? kwargs[k] ?? 0);
  const micros = n(0, 'days') * MICROS_PER_DAY + n(1, 'seconds') * 1e6 + n(2, 'microseconds') + n(3, 'milliseconds') * 1e3 + n(4, 'minutes') * 6e7 + n(5, 'hours') * 3.6e9 + n(6, 'weeks') * 7 * MICROS_PER_DAY;
  return new PyTimedelta(Math.round(micros));
};

export const datetimeModule = { datetime: datetimeType, date: dateType, timedelta: timedeltaType, timezone: { utc: UTC } };

// re ---------------------------------------------------------------------------------------------

const FLAGS = { I: 2, IGNORECASE: 2, M: 8, MULTILINE: 8, S: 16, DOTALL: 16, X: 64, VERBOSE: 64, A: 256, ASCII: 256 };

/** A Python pattern as a JavaScript RegExp: named groups, \A and \Z, and the flags. */
function toRegExp(pattern: unknown, flags: unknown, extra = ''): RegExp {
  if (pattern instanceof PyPattern) return new RegExp(pattern.re.source, pattern.re.flags.replace(/[gy]/g, '') + extra);
  let src = String(pattern)
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  const f = Number(flags ?? 0);
  if (f & FLAGS.X) src = src.replace(/\\#/g, '\u0000').replace(/#.*$/gm, '').replace(/\s+/g, '').replace(/\u0000/g, '\\#');
  let js = extra;
  if (f & FLAGS.I) js += 'i';
  if (f & FLAGS.M) js += 'm';
  if (f & FLAGS.S) js += 's';
  return new RegExp(src, js);
}

class PyMatch {
  constructor(private readonly m: RegExpExecArray) {}
  group(...which: unknown[]): unknown {
    const one = (g: unknown) => (typeof g === 'string' ? this.m.groups?.[g] : this.m[Number(g ?? 0)]) ?? null;
    return which.length <= 1 ? one(which[0]) : which.map(one);
  }
  groups(): unknown[] {
    return this.m.slice(1).map((g) => g ?? null);
  }
  groupdict(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.m.groups ?? {}).map(([k, v]) => [k, v ?? null]));
  }
  start(): number {
    return this.m.index;
  }
  end(): number {
    return this.m.index + this.m[0].length;
  }
  span(): number[] {
    return [this.start(), this.end()];
  }
  toString(): string {
    return `<re.Match object; span=(${this.start()}, ${this.end()}), match=${pyRepr(this.m[0])}>`;
  }
}

function replacement(repl: unknown): string | ((...a: unknown[]) => string) {
  if (typeof repl === 'function') return (...a: unknown[]) => String((repl as (m: PyMatch) => unknown)(new PyMatch(Object.assign([...(a.slice(0, -2) as string[])], { index: a[a.length - 2] as number, input: a[a.length - 1] as string }) as unknown as RegExpExecArray)));
  return String(repl)
    .replace(/\$/g, '$$$$')
    .replace(/\\g<([A-Za-z_]\w*)>/g, '$$<$1>')
    .replace(/\\g<(\d+)>|\\(\d+)/g, (_m, a: string | undefined, b: string | undefined) => `$${a ?? b}`)
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\\\/g, '\\');
}

const reFunctions = {
  match: (p: unknown, s: unknown, flags?: unknown) => {
    const re = toRegExp(p, flags, 'y');
    const m = re.exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  fullmatch: (p: unknown, s: unknown, flags?: unknown) => {
    const inner = toRegExp(p, flags);
    const m = new RegExp(`(?:${inner.source})$`, `${inner.flags}y`).exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  search: (p: unknown, s: unknown, flags?: unknown) => {
    const m = toRegExp(p, flags).exec(String(s));
    return m ? new PyMatch(m) : null;
  },
  findall: (p: unknown, s: unknown, flags?: unknown) =>
    [...String(s).matchAll(toRegExp(p, flags, 'g'))].map((m) => (m.length === 1 ? m[0] : m.length === 2 ? (m[1] ?? '') : m.slice(1).map((g) => g ?? ''))),
  sub: (p: unknown, repl: unknown, s: unknown, count?: unknown, flags?: unknown) => {
    const n = Number(count ?? 0);
    if (n <= 0) return String(s).replace(toRegExp(p, flags, 'g'), replacement(repl) as string);
    let out = String(s);
    let done = 0;
    const re = toRegExp(p, flags, 'g');
    out = out.replace(re, (...a: unknown[]) => {
      if (done++ >= n) return a[0] as string;
      const r = replacement(repl);
      return typeof r === 'function' ? r(...a) : (a[0] as string).replace(toRegExp(p, flags), r);
    });
    return out;
  },
  split: (p: unknown, s: unknown, maxsplit?: unknown) => {
    const parts = String(s).split(toRegExp(p, 0));
    const n = Number(maxsplit ?? 0);
    return n > 0 && parts.length > n + 1 ? [...parts.slice(0, n), parts.slice(n).join('')] : parts.map((x) => x ?? null);
  },
  escape: (s: unknown) => String(s).replace(/[.*+?^${}()|[\]\\\-#&~\s]/g, '\\$&'),
};

class PyPattern {
  readonly re: RegExp;
  constructor(pattern: unknown, flags: unknown) {
    this.re = toRegExp(pattern, flags);
  }
  get pattern(): string {
    return this.re.source;
  }
  match(s: unknown): PyMatch | null {
    return reFunctions.match(this, s);
  }
  fullmatch(s: unknown): PyMatch | null {
    return reFunctions.fullmatch(this, s);
  }
  search(s: unknown): PyMatch | null {
    return reFunctions.search(this, s);
  }
  findall(s: unknown): unknown[] {
    return reFunctions.findall(this, s);
  }
  sub(repl: unknown, s: unknown, count?: unknown): string {
    return reFunctions.sub(this, repl, s, count);
  }
  split(s: unknown, maxsplit?: unknown): unknown[] {
    return reFunctions.split(this, s, maxsplit);
  }
}

export const reModule = { ...reFunctions, ...FLAGS, compile: (p: unknown, flags?: unknown) => new PyPattern(p, flags) };
