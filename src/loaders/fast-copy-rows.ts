import { parseColumnType, type ColumnType } from '../adapters/column-types.js';
import type { ColumnSpec, JsonMapping } from '../types.js';
import type { PathStep } from './json-paths.js';

/**
 * The fast path of a JSON-to-COPY load: one line holding one flat JSON object is turned into a
 * PostgreSQL COPY text row byte for byte, without JSON.parse, JS strings or per-value objects.
 *
 * It only takes lines whose row it can produce exactly as the full path (JSON.parse, the RowMapper
 * and copyTextRow) would. Anything else — malformed JSON, a nested value, a duplicate key, a
 * value that needs a type check it does not make, a number it cannot spell without formatting a
 * double, a `\u0000` — makes it return -1, and the line goes through the full path, which also
 * reports every rejection. So a line is either a row identical to the full path's, or untouched.
 */
export interface FastRowEncoder {
  /**
   * Writes the COPY row of `line[from, to)` into `out` at `at` and returns the position after it,
   * or -1 (nothing written that counts) when the line must take the full path. `out` must have
   * room for `maxRowBytes(to - from)` bytes from `at`.
   */
  encode(line: Buffer, from: number, to: number, out: Buffer, at: number): number;
  /** an upper bound on the bytes of the row of a line of `lineBytes` bytes */
  maxRowBytes(lineBytes: number): number;
}

const enum Kind {
  Missing = 0,
  Str = 1,
  /** a string with escapes, already decoded and COPY-escaped into the scratch buffer */
  EscStr = 2,
  Num = 3,
  True = 4,
  False = 5,
  Null = 6,
}

/** What a column takes on the fast path. */
const enum Col {
  Text = 0,
  Int = 1,
  Float = 2,
  Bool = 3,
  /** every other type (numeric, date, timestamp): only null is fast */
  Other = 4,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

const isWs = (b: number) => b === SPACE || b === TAB || b === LF || b === CR;

/** bytes that end the plain run of a string: the quote, a backslash, a control character */
const STOPS = new Uint8Array(256);
for (let b = 0; b < SPACE; b++) STOPS[b] = 1;
STOPS[QUOTE] = 1;
STOPS[BACKSLASH] = 1;

const INT_LIMITS: Partial<Record<ColumnType['base'], [number, number]>> = {
  smallint: [-32768, 32767],
  integer: [-2147483648, 2147483647],
  bigint: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

interface KeyGroup {
  key: Buffer;
  cols: number[];
}

/**
 * The fast encoder for these columns and this mapping, or undefined when the mapping cannot be
 * read on the fast path (a JSONPaths expression deeper than one key, or with an array index).
 */
export function createFastRowEncoder(columns: ColumnSpec[], mapping: JsonMapping, paths?: PathStep[][]): FastRowEncoder | undefined {
  const ignoreCase = mapping.kind === 'auto_ignorecase';
  const keys: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    if (mapping.kind === 'jsonpaths') {
      const steps = paths?.[i];
      if (!steps || steps.length !== 1 || typeof steps[0] !== 'string') return undefined;
      keys.push(steps[0]);
    } else {
      keys.push(columns[i]!.name);
    }
  }
  // keys are compared as raw bytes: a key that JSON must escape is left to the full path, and under
  // ignorecase (which lowercases as JavaScript does) so is a non-ASCII one
  if (keys.some((k) => /["\\\x00-\x1f]/.test(k) || (ignoreCase && /[^\x20-\x7e]/.test(k)))) return undefined;
  const groups: KeyGroup[] = [];
  const byKey = new Map<string, KeyGroup>();
  keys.forEach((k, i) => {
    const name = ignoreCase ? k.toLowerCase() : k;
    let g = byKey.get(name);
    if (!g) {
      g = { key: Buffer.from(name, 'utf8'), cols: [] };
      byKey.set(name, g);
      groups.push(g);
    }
    g.cols.push(i);
  });
  const types = columns.map((c) => parseColumnType(c.type) ?? { base: 'text' as const });
  return new Encoder(groups, types, ignoreCase);
}

class Encoder implements FastRowEncoder {
  private readonly n: number;
  private readonly colKind: Col[];
  /** varchar length in bytes, or -1 */
  private readonly maxLen: Int32Array;
  private readonly intLo: Float64Array;
  private readonly intHi: Float64Array;
  /** the key group of each column */
  private readonly groupOf: Int32Array;
  private readonly byHash = new Map<number, number[]>();
  // per record, by key group: what the value is and where
  private readonly kind: Uint8Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  /** decoded UTF-8 bytes of an escaped string (for varchar lengths) */
  private readonly decodedLen: Int32Array;
  /** the group that matched the key at each position in the previous record: usually the same */
  private readonly guess: Int32Array;
  private scratch: Buffer = Buffer.allocUnsafe(64 * 1024);
  private scratchAt = 0;
  private escOut = 0;
  private keyEnd = 0;
  private escDecoded = 0;
  /** the column of each key group when every group is one column, in column order; else undefined */
  private readonly colOfGroup: Int32Array | undefined;
  /** lines whose keys came in column order, and lines whose keys did not */
  private inOrderHits = 0;
  private inOrderMisses = 0;

  constructor(
    private readonly groups: KeyGroup[],
    types: ColumnType[],
    private readonly ignoreCase: boolean,
  ) {
    this.n = types.length;
    this.colKind = types.map((t) =>
      t.base === 'varchar' || t.base === 'text'
        ? Col.Text
        : INT_LIMITS[t.base]
          ? Col.Int
          : t.base === 'double precision' || t.base === 'real'
            ? Col.Float
            : t.base === 'boolean'
              ? Col.Bool
              : Col.Other,
    );
    this.maxLen = Int32Array.from(types, (t) => (t.base === 'varchar' && t.length !== undefined ? t.length : -1));
    this.intLo = Float64Array.from(types, (t) => INT_LIMITS[t.base]?.[0] ?? 0);
    this.intHi = Float64Array.from(types, (t) => INT_LIMITS[t.base]?.[1] ?? 0);
    this.groupOf = new Int32Array(this.n);
    groups.forEach((g, gi) => {
      for (const c of g.cols) this.groupOf[c] = gi;
      const h = hashOf(g.key, 0, g.key.length);
      const list = this.byHash.get(h);
      if (list) list.push(gi);
      else this.byHash.set(h, [gi]);
    });
    const k = groups.length;
    this.kind = new Uint8Array(k);
    this.start = new Int32Array(k);
    this.end = new Int32Array(k);
    this.decodedLen = new Int32Array(k);
    this.guess = new Int32Array(64).fill(-1);
    // one pass needs each key to feed one column, and the groups to be in column order
    this.colOfGroup = groups.every((g, gi) => g.cols.length === 1 && (gi === 0 || g.cols[0]! > groups[gi - 1]!.cols[0]!))
      ? Int32Array.from(groups, (g) => g.cols[0]!)
      : undefined;
  }

  maxRowBytes(lineBytes: number): number {
    // values are at most their JSON text, plus ".0" on a number, "\N" for a missing key and a tab each
    return lineBytes + 4 * this.n + 8;
  }

  encode(buf: Buffer, from: number, to: number, out: Buffer, at: number): number {
    // records usually list their keys in the columns' order: then one pass writes the row as it reads
    if (this.colOfGroup !== undefined && this.inOrderMisses <= this.inOrderHits + 64) {
      const o = this.inOrder(buf, from, to, out, at);
      if (o !== BAIL) {
        this.inOrderHits++;
        return o;
      }
      this.inOrderMisses++;
    }
    if (!this.scan(buf, from, to)) return -1;
    return this.write(buf, out, at);
  }

  /**
   * One pass: reads the object and writes each value as soon as it is read, while the keys come in
   * column order. Returns the position after the row, -1 when the line needs the full path, or
   * BAIL when a key comes out of order (or twice), for the two-pass scan and write.
   */
  private inOrder(buf: Buffer, from: number, to: number, out: Buffer, at: number): number {
    const colOf = this.colOfGroup!;
    const n = this.n;
    let o = at;
    let next = 0;
    let i = from;
    while (i < to && isWs(buf[i]!)) i++;
    if (i >= to || buf[i] !== LBRACE) return -1;
    i++;
    while (i < to && isWs(buf[i]!)) i++;
    if (i < to && buf[i] === RBRACE) {
      if (!this.tail(buf, i + 1, to)) return -1;
    } else {
      for (let pos = 0; ; pos++) {
        if (i >= to || buf[i] !== QUOTE) return -1;
        const g = this.readKey(buf, i + 1, to, pos);
        if (g === BAIL) return -1;
        i = this.keyEnd;
        while (i < to && isWs(buf[i]!)) i++;
        if (i >= to || buf[i] !== COLON) return -1;
        i++;
        while (i < to && isWs(buf[i]!)) i++;
        if (i >= to) return -1;
        const c = g >= 0 ? colOf[g]! : -1;
        if (c >= 0) {
          if (c < next) return BAIL;
          // the columns whose keys the record does not have
          for (; next < c; next++) {
            if (next > 0) out[o++] = TAB;
            out[o++] = BACKSLASH;
            out[o++] = 0x4e; // N
          }
          if (c > 0) out[o++] = TAB;
          next = c + 1;
        }
        const b = buf[i]!;
        if (b === QUOTE) {
          const vs = i + 1;
          let j = vs;
          // a text column: the string's bytes are its COPY text up to the first escape, copied as they are read
          const text = c >= 0 && this.colKind[c] === Col.Text;
          if (text) {
            let x = 0;
            while (j < to && STOPS[(x = buf[j]!)] === 0) {
              out[o++] = x;
              j++;
            }
          } else {
            while (j < to && STOPS[buf[j]!] === 0) j++;
          }
          if (j >= to) return -1;
          const q = buf[j]!;
          if (q < SPACE) return -1;
          if (q === QUOTE) {
            if (text) {
              if (this.maxLen[c]! >= 0 && j - vs > this.maxLen[c]!) return -1;
            } else if (c >= 0) return -1; // a string in a column of another type: the full path checks it
            i = j + 1;
          } else {
            if (c >= 0 && !text) return -1;
            const e = this.escaped(buf, j, to, text ? out : undefined, o, j - vs);
            if (e < 0) return -1;
            if (text) {
              if (this.maxLen[c]! >= 0 && this.escDecoded > this.maxLen[c]!) return -1;
              o = this.escOut;
            }
            i = e;
          }
        } else if (b === MINUS || (b >= ZERO && b <= NINE)) {
          const e = numberEnd(buf, i, to);
          if (e < 0) return -1;
          if (c >= 0 && (o = this.value(c, Kind.Num, buf, i, e, 0, out, o)) < 0) return -1;
          i = e;
        } else if (b === 0x74 /* t */) {
          if (!literal(buf, i, to, TRUE)) return -1;
          if (c >= 0 && (o = this.value(c, Kind.True, buf, 0, 0, 0, out, o)) < 0) return -1;
          i += 4;
        } else if (b === 0x66 /* f */) {
          if (!literal(buf, i, to, FALSE)) return -1;
          if (c >= 0 && (o = this.value(c, Kind.False, buf, 0, 0, 0, out, o)) < 0) return -1;
          i += 5;
        } else if (b === 0x6e /* n */) {
          if (!literal(buf, i, to, NULL)) return -1;
          if (c >= 0) o = this.value(c, Kind.Null, buf, 0, 0, 0, out, o);
          i += 4;
        } else {
          return -1;
        }
        while (i < to && isWs(buf[i]!)) i++;
        if (i >= to) return -1;
        const sep = buf[i]!;
        if (sep === RBRACE) {
          if (!this.tail(buf, i + 1, to)) return -1;
          break;
        }
        if (sep !== COMMA) return -1;
        i++;
        while (i < to && isWs(buf[i]!)) i++;
      }
    }
    for (; next < n; next++) {
      if (next > 0) out[o++] = TAB;
      out[o++] = BACKSLASH;
      out[o++] = 0x4e; // N
    }
    out[o++] = LF;
    return o;
  }

  /** Reads the object's values into kind/start/end; false when the line needs the full path. */
  private scan(buf: Buffer, from: number, to: number): boolean {
    const kind = this.kind;
    kind.fill(Kind.Missing);
    this.scratchAt = 0;
    let i = from;
    while (i < to && isWs(buf[i]!)) i++;
    if (i >= to || buf[i] !== LBRACE) return false;
    i++;
    while (i < to && isWs(buf[i]!)) i++;
    if (i < to && buf[i] === RBRACE) return this.tail(buf, i + 1, to);
    for (let pos = 0; ; pos++) {
      // the key
      if (i >= to || buf[i] !== QUOTE) return false;
      const g = this.readKey(buf, i + 1, to, pos);
      if (g === BAIL) return false;
      i = this.keyEnd;
      while (i < to && isWs(buf[i]!)) i++;
      if (i >= to || buf[i] !== COLON) return false;
      i++;
      while (i < to && isWs(buf[i]!)) i++;
      if (i >= to) return false;
      // a key given twice (or twice in different case, under ignorecase): the full path decides
      if (g >= 0 && kind[g] !== Kind.Missing) return false;
      // the value
      const b = buf[i]!;
      if (b === QUOTE) {
        const vs = i + 1;
        let j = vs;
        // the plain part: no escapes
        while (j < to && STOPS[buf[j]!] === 0) j++;
        if (j >= to) return false;
        const c = buf[j]!;
        if (c < SPACE) return false;
        if (c === QUOTE) {
          if (g >= 0) {
            kind[g] = Kind.Str;
            this.start[g] = vs;
            this.end[g] = j;
          }
          i = j + 1;
        } else {
          let dest: Buffer | undefined;
          if (g >= 0) dest = this.scratchAt + (to - vs) > this.scratch.length ? this.growScratch(this.scratchAt + (to - vs)) : this.scratch;
          if (dest) copy(buf, vs, j, dest, this.scratchAt);
          const e = this.escaped(buf, j, to, dest, this.scratchAt + (j - vs), j - vs);
          if (e < 0) return false;
          if (g >= 0) {
            kind[g] = Kind.EscStr;
            this.start[g] = this.scratchAt;
            this.end[g] = this.escOut;
            this.decodedLen[g] = this.escDecoded;
            this.scratchAt = this.escOut;
          }
          i = e;
        }
      } else if (b === MINUS || (b >= ZERO && b <= NINE)) {
        const e = numberEnd(buf, i, to);
        if (e < 0) return false;
        if (g >= 0) {
          kind[g] = Kind.Num;
          this.start[g] = i;
          this.end[g] = e;
        }
        i = e;
      } else if (b === 0x74 /* t */) {
        if (!literal(buf, i, to, TRUE)) return false;
        if (g >= 0) kind[g] = Kind.True;
        i += 4;
      } else if (b === 0x66 /* f */) {
        if (!literal(buf, i, to, FALSE)) return false;
        if (g >= 0) kind[g] = Kind.False;
        i += 5;
      } else if (b === 0x6e /* n */) {
        if (!literal(buf, i, to, NULL)) return false;
        if (g >= 0) kind[g] = Kind.Null;
        i += 4;
      } else {
        // an object, an array, or not JSON
        return false;
      }
      while (i < to && isWs(buf[i]!)) i++;
      if (i >= to) return false;
      const sep = buf[i]!;
      if (sep === RBRACE) return this.tail(buf, i + 1, to);
      if (sep !== COMMA) return false;
      i++;
      while (i < to && isWs(buf[i]!)) i++;
    }
  }

  /**
   * The key group of the key whose text starts at i (after its quote), -1 for a key no column
   * reads, or BAIL; keyEnd is left just after its closing quote.
   */
  private readKey(buf: Buffer, i: number, to: number, pos: number): number {
    const ks = i;
    // the key at this position in the previous record, compared in place: usually the same
    const guessed = pos < 64 ? this.guess[pos]! : -1;
    if (guessed >= 0) {
      const ke = ks + this.groups[guessed]!.key.length;
      if (ke < to && buf[ke] === QUOTE && this.keyIs(guessed, buf, ks, ke)) {
        this.keyEnd = ke + 1;
        return guessed;
      }
    }
    let h = 0;
    for (;;) {
      if (i >= to) return BAIL;
      const b = buf[i]!;
      if (b === QUOTE) break;
      // an escaped or control character in a key: the full path reads it; under ignorecase, so does a non-ASCII one
      if (b === BACKSLASH || b < SPACE || (this.ignoreCase && b >= 0x80)) return BAIL;
      h = (Math.imul(h, 31) + (this.ignoreCase && b >= 0x41 && b <= 0x5a ? b + 32 : b)) | 0;
      i++;
    }
    const g = this.lookup(buf, ks, i, h);
    if (g >= 0 && pos < 64) this.guess[pos] = g;
    this.keyEnd = i + 1;
    return g;
  }

  /** Only blanks may follow the object on its line. */
  private tail(buf: Buffer, i: number, to: number): boolean {
    while (i < to && isWs(buf[i]!)) i++;
    return i === to;
  }

  /** The key group of key buf[ks, ke) (with hash h), or -1 for a key no column reads. */
  private lookup(buf: Buffer, ks: number, ke: number, h: number): number {
    const list = this.byHash.get(h);
    if (list) for (const gi of list) if (this.keyIs(gi, buf, ks, ke)) return gi;
    return -1;
  }

  private keyIs(gi: number, buf: Buffer, ks: number, ke: number): boolean {
    const key = this.groups[gi]!.key;
    const len = ke - ks;
    if (key.length !== len) return false;
    if (this.ignoreCase) {
      for (let k = 0; k < len; k++) {
        let b = buf[ks + k]!;
        if (b >= 0x41 && b <= 0x5a) b += 32;
        if (b !== key[k]) return false;
      }
    } else {
      for (let k = 0; k < len; k++) if (buf[ks + k] !== key[k]) return false;
    }
    return true;
  }

  /**
   * The rest of a string with escapes, from its first backslash at `j` (the `decoded` bytes before
   * it are already written): decoded and COPY-escaped into `s` at `o` when `s` is given, validated
   * only otherwise. Returns the position after the closing
   * quote, or -1; the end of the output and the decoded UTF-8 length are left in escOut and
   * escDecoded. Decoded text is never longer than its JSON spelling (COPY's escapes of \\, \t, \n
   * and \r keep the length), so `s` needs room for `to - vs` bytes.
   */
  private escaped(buf: Buffer, j: number, to: number, s: Buffer | undefined, o: number, decoded: number): number {
    const keep = s !== undefined;
    let i = j;
    for (;;) {
      if (i >= to) return -1;
      const c = buf[i]!;
      if (STOPS[c] === 0) {
        // a plain run up to the next quote, backslash or control character
        const r0 = i;
        if (keep) {
          let x = 0;
          while (i < to && STOPS[(x = buf[i]!)] === 0) {
            s[o++] = x;
            i++;
          }
        } else {
          while (i < to && STOPS[buf[i]!] === 0) i++;
        }
        decoded += i - r0;
        continue;
      }
      if (c === QUOTE) break;
      if (c < SPACE) return -1;
      if (i + 1 >= to) return -1;
      const e = buf[i + 1]!;
      i += 2;
      let out = -1;
      switch (e) {
        case QUOTE:
        case 0x2f: // '/'
          out = e;
          break;
        case BACKSLASH:
          if (keep) {
            s![o++] = BACKSLASH;
            s![o++] = BACKSLASH;
          }
          decoded++;
          continue;
        case 0x62: // b
          out = 0x08;
          break;
        case 0x66: // f
          out = 0x0c;
          break;
        case 0x6e: // n
          if (keep) {
            s![o++] = BACKSLASH;
            s![o++] = 0x6e;
          }
          decoded++;
          continue;
        case 0x72: // r
          if (keep) {
            s![o++] = BACKSLASH;
            s![o++] = 0x72;
          }
          decoded++;
          continue;
        case 0x74: // t
          if (keep) {
            s![o++] = BACKSLASH;
            s![o++] = 0x74;
          }
          decoded++;
          continue;
        case 0x75: {
          // \uXXXX: a character other than NUL and a surrogate; pairs and NUL take the full path
          const cp = hex4(buf, i, to);
          if (cp <= 0 || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
          i += 4;
          if (cp === BACKSLASH || cp === TAB || cp === LF || cp === CR) {
            if (keep) {
              s![o++] = BACKSLASH;
              s![o++] = cp === BACKSLASH ? BACKSLASH : cp === TAB ? 0x74 : cp === LF ? 0x6e : 0x72;
            }
            decoded++;
          } else if (cp < 0x80) {
            if (keep) s![o++] = cp;
            decoded++;
          } else if (cp < 0x800) {
            if (keep) {
              s![o++] = 0xc0 | (cp >> 6);
              s![o++] = 0x80 | (cp & 0x3f);
            }
            decoded += 2;
          } else {
            if (keep) {
              s![o++] = 0xe0 | (cp >> 12);
              s![o++] = 0x80 | ((cp >> 6) & 0x3f);
              s![o++] = 0x80 | (cp & 0x3f);
            }
            decoded += 3;
          }
          continue;
        }
        default:
          return -1;
      }
      if (keep) s![o++] = out;
      decoded++;
    }
    this.escOut = o;
    this.escDecoded = decoded;
    return i + 1;
  }

  private growScratch(need: number): Buffer {
    const next = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2));
    this.scratch.copy(next, 0, 0, this.scratchAt);
    this.scratch = next;
    return next;
  }

  /** Writes the row; -1 when a value needs the full path (a type check or number formatting). */
  private write(buf: Buffer, out: Buffer, at: number): number {
    let o = at;
    const n = this.n;
    for (let c = 0; c < n; c++) {
      if (c > 0) out[o++] = TAB;
      const g = this.groupOf[c]!;
      const k = this.kind[g]!;
      o = this.value(c, k, k === Kind.EscStr ? this.scratch : buf, this.start[g]!, this.end[g]!, this.decodedLen[g]!, out, o);
      if (o < 0) return -1;
    }
    out[o++] = LF;
    return o;
  }

  /**
   * Writes the value of column c, of kind k, read from src[s, e) (an escaped string: already
   * decoded and COPY-escaped there, `decoded` bytes once unescaped). Returns the position after
   * it, or -1 when the value needs the full path.
   */
  private value(c: number, k: Kind, src: Buffer, s: number, e: number, decoded: number, out: Buffer, o: number): number {
    if (k === Kind.Missing || k === Kind.Null) {
      out[o++] = BACKSLASH;
      out[o++] = 0x4e; // N
      return o;
    }
    const col = this.colKind[c]!;
    const max = this.maxLen[c]!;
    if (k === Kind.Str || k === Kind.EscStr) {
      if (col !== Col.Text) return -1;
      if (max >= 0 && (k === Kind.Str ? e - s : decoded) > max) return -1;
      return copy(src, s, e, out, o);
    }
    if (k === Kind.True || k === Kind.False) {
      if (col !== Col.Text && col !== Col.Bool) return -1;
      return copy(k === Kind.True ? TRUE : FALSE, 0, k === Kind.True ? 4 : 5, out, o);
    }
    // a number
    if (col === Col.Bool || col === Col.Other) return -1;
    const shape = numberShape(src, s, e);
    if (shape === NOT_SIMPLE) return -1;
    if (shape === INTEGRAL) {
      if (col === Col.Int) {
        const v = digitsValue(src, s, e);
        if (v < this.intLo[c]! || v > this.intHi[c]!) return -1;
      }
      if (max >= 0 && e - s > max) return -1;
      return copy(src, s, e, out, o);
    }
    // a fraction: integer columns reject it on the full path
    if (col === Col.Int) return -1;
    // shape is the end of the digits to keep (trailing zeros of the fraction dropped), or -(end) when the value is integral
    const keep = shape > 0 ? shape : -shape;
    const text = shape > 0 ? keep - s : keep - s + 2;
    if (max >= 0 && text > max) return -1;
    o = copy(src, s, keep, out, o);
    if (shape < 0) {
      out[o++] = DOT;
      out[o++] = ZERO;
    }
    return o;
  }
}

const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');
const NULL = Buffer.from('null');

function literal(buf: Buffer, i: number, to: number, word: Buffer): boolean {
  if (i + word.length > to) return false;
  for (let k = 1; k < word.length; k++) if (buf[i + k] !== word[k]) return false;
  return true;
}

function hashOf(buf: Buffer, from: number, to: number): number {
  let h = 0;
  for (let i = from; i < to; i++) h = (Math.imul(h, 31) + buf[i]!) | 0;
  return h;
}

function hex4(buf: Buffer, i: number, to: number): number {
  if (i + 4 > to) return -1;
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const b = buf[i + k]!;
    const d = b >= 0x30 && b <= 0x39 ? b - 0x30 : b >= 0x41 && b <= 0x46 ? b - 0x37 : b >= 0x61 && b <= 0x66 ? b - 0x57 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function copy(src: Buffer, s: number, e: number, out: Buffer, o: number): number {
  if (e - s > 96) return o + src.copy(out, o, s, e);
  for (let i = s; i < e; i++) out[o++] = src[i]!;
  return o;
}

/** The end of a JSON number token that starts at i, or -1 when it is not one (RFC 8259 grammar). */
function numberEnd(buf: Buffer, i: number, to: number): number {
  if (buf[i] === MINUS) i++;
  if (i >= to) return -1;
  const first = buf[i]!;
  if (first === ZERO) i++;
  else if (first > ZERO && first <= NINE) while (i < to && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
  else return -1;
  if (i < to && buf[i] === DOT) {
    i++;
    const d = i;
    while (i < to && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
    if (i === d) return -1;
  }
  if (i < to && (buf[i] === 0x65 || buf[i] === 0x45)) {
    i++;
    if (i < to && (buf[i] === 0x2b || buf[i] === MINUS)) i++;
    const d = i;
    while (i < to && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
    if (i === d) return -1;
  }
  // a number must end at a delimiter: "01" or "1x" are not JSON
  if (i < to) {
    const b = buf[i]!;
    if (!(isWs(b) || b === COMMA || b === RBRACE)) return -1;
  }
  return i;
}

const BAIL = -2;
const NOT_SIMPLE = 0;
const INTEGRAL = 1;

/**
 * How the full path would spell a (valid) number token, when the fast path can spell it the same
 * without formatting a double:
 * - INTEGRAL: an integer of at most 15 digits, not -0: spelled as written;
 * - a positive end offset: a fraction with at most 15 significant digits and a magnitude of at
 *   least 1e-6, spelled as written up to that offset (trailing zeros of the fraction dropped),
 *   which is the shortest round-trip form JavaScript and DuckDB print;
 * - a negative end offset: a fraction of zeros (1540919166796.0), spelled as the integer digits up
 *   to -offset followed by ".0";
 * - NOT_SIMPLE: anything else (an exponent, more digits, -0): the full path formats it.
 */
function numberShape(buf: Buffer, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === MINUS;
  if (neg) i++;
  const intStart = i;
  while (i < e && buf[i] !== DOT && buf[i] !== 0x65 && buf[i] !== 0x45) i++;
  const intEnd = i;
  const intDigits = intEnd - intStart;
  if (intDigits > 15) return NOT_SIMPLE;
  const zeroInt = intDigits === 1 && buf[intStart] === ZERO;
  if (i === e) return neg && zeroInt ? NOT_SIMPLE : INTEGRAL;
  if (buf[i] !== DOT) return NOT_SIMPLE;
  i++;
  const fracStart = i;
  while (i < e && buf[i]! >= ZERO && buf[i]! <= NINE) i++;
  if (i !== e) return NOT_SIMPLE; // an exponent
  let last = e;
  while (last > fracStart && buf[last - 1] === ZERO) last--;
  if (last === fracStart) {
    // integral value: 12.0 -> "12.0"; -0.0 is "-0.0" on the full path, but only via Object.is: leave it
    if (zeroInt) return NOT_SIMPLE;
    return -intEnd;
  }
  let sig: number;
  if (zeroInt) {
    let lead = fracStart;
    while (buf[lead] === ZERO) lead++;
    // below 1e-6 JavaScript switches to exponent form
    if (lead - fracStart >= 6) return NOT_SIMPLE;
    sig = last - lead;
  } else {
    sig = intDigits + (last - fracStart);
  }
  return sig > 15 ? NOT_SIMPLE : last;
}

/** The value of an integer token of at most 15 digits (exact in a double). */
function digitsValue(buf: Buffer, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === MINUS;
  if (neg) i++;
  let v = 0;
  for (; i < e; i++) v = v * 10 + (buf[i]! - ZERO);
  return neg ? -v : v;
}
