/** ValueScanner.scan(): the value goes on past the bytes given */
export const MORE = -1;
/** ValueScanner.scan(): the bytes stop being JSON (at errorAt, with error) */
export const ERROR = -2;

const LF = 10;
const CR = 13;
/** JSON whitespace (RFC 8259): space, tab, CR, LF */
export const isJsonWhitespace = (b: number): boolean => b === 32 || b === 9 || b === CR || b === LF;

const enum S {
  Value,
  ObjFirst,
  ObjKey,
  Colon,
  ArrFirst,
  After,
  Str,
  Esc,
  Hex,
  Num,
  Lit,
  Done,
}

// number sub-states: after '-', after a leading 0, integer digits, after '.', fraction digits, after e, after e's sign, exponent digits
const enum N {
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  E,
  ESign,
  Exp,
}

/**
 * A strict JSON (RFC 8259) syntax scanner over bytes, fed piece by piece, that finds where one value
 * ends or where it stops being JSON. It does not build the value: JSON.parse does that afterwards.
 */
export class ValueScanner {
  private state = S.Value;
  private stack: boolean[] = [];
  private isKey = false;
  private num = N.Int;
  private lit = '';
  private litAt = 0;
  private hex = 0;
  /** whether a token was read on the current line before the error */
  tokenBeforeError = false;
  private tokenOnLine = false;
  error = '';
  errorAt = 0;

  /** The kind of the outermost open value, for messages. */
  openKind(): string {
    return this.stack[0] === true ? 'object' : this.stack[0] === false ? 'array' : this.state === S.Str ? 'string' : 'value';
  }

  private fail(at: number, message: string): number {
    this.tokenBeforeError = this.tokenOnLine;
    this.error = message;
    this.errorAt = at;
    return ERROR;
  }

  /** A value ended; true when it was the top-level one. */
  private afterValue(): boolean {
    this.state = this.stack.length === 0 ? S.Done : S.After;
    return this.stack.length === 0;
  }

  /** Scans buf[from, to): MORE, ERROR, or the offset just after the value. */
  scan(buf: Buffer, from: number, to: number): number {
    for (let i = from; i < to; i++) {
      const b = buf[i]!;
      switch (this.state) {
        case S.Str:
          if (b === 0x22) {
            if (this.isKey) this.state = S.Colon;
            else if (this.afterValue()) return i + 1;
          } else if (b === 0x5c) this.state = S.Esc;
          else if (b < 0x20) return this.fail(i, 'a control character inside a string (escape it, e.g. \\t)');
          continue;
        case S.Esc:
          if (b === 0x75) {
            this.state = S.Hex;
            this.hex = 0;
          } else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) this.state = S.Str;
          else return this.fail(i, `invalid escape '\\${String.fromCharCode(b)}' in a string`);
          continue;
        case S.Hex:
          if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)) {
            if (++this.hex === 4) this.state = S.Str;
          } else return this.fail(i, 'a \\u escape needs four hex digits');
          continue;
        case S.Num: {
          const r = this.numberByte(b, i);
          if (r === ERROR) return r;
          if (r === 1) continue;
          // the number ended before this byte
          if (this.afterValue()) return i;
          break;
        }
        case S.Lit:
          if (b === this.lit.charCodeAt(this.litAt)) {
            if (++this.litAt === this.lit.length && this.afterValue()) return i + 1;
            continue;
          }
          return this.fail(i, `invalid literal (expected '${this.lit}')`);
        case S.Done:
          return i;
      }
      if (isJsonWhitespace(b)) continue;
      const r = this.structural(b, i);
      if (r !== MORE) return r;
      this.tokenOnLine = true;
    }
    return MORE;
  }

  private structural(b: number, i: number): number {
    switch (this.state) {
      case S.Value:
      case S.ArrFirst:
        if (this.state === S.ArrFirst && b === 0x5d) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.startValue(b, i);
      case S.ObjFirst:
      case S.ObjKey:
        if (b === 0x22) {
          this.state = S.Str;
          this.isKey = true;
          return MORE;
        }
        if (b === 0x7d && this.state === S.ObjFirst) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.fail(
          i,
          this.state === S.ObjKey ? `expected a key in double quotes after ',', found ${show(b)}` : `expected a key in double quotes or '}', found ${show(b)}`,
        );
      case S.Colon:
        if (b === 0x3a) {
          this.state = S.Value;
          return MORE;
        }
        return this.fail(i, `expected ':' after a key, found ${show(b)}`);
      case S.After: {
        const inObject = this.stack[this.stack.length - 1]!;
        if (b === 0x2c) {
          this.state = inObject ? S.ObjKey : S.Value;
          return MORE;
        }
        if (b === (inObject ? 0x7d : 0x5d)) {
          this.stack.pop();
          return this.afterValue() ? i + 1 : MORE;
        }
        return this.fail(i, `expected ',' or '${inObject ? '}' : ']'}' after a value, found ${show(b)}`);
      }
      default:
        return this.fail(i, `unexpected ${show(b)}`);
    }
  }

  private startValue(b: number, i: number): number {
    if (b === 0x7b) {
      this.stack.push(true);
      this.state = S.ObjFirst;
    } else if (b === 0x5b) {
      this.stack.push(false);
      this.state = S.ArrFirst;
    } else if (b === 0x22) {
      this.state = S.Str;
      this.isKey = false;
    } else if (b === 0x2d || (b >= 0x30 && b <= 0x39)) {
      this.state = S.Num;
      this.num = b === 0x2d ? N.Minus : b === 0x30 ? N.Zero : N.Int;
    } else if (b === 0x74 || b === 0x66 || b === 0x6e) {
      this.state = S.Lit;
      this.lit = b === 0x74 ? 'true' : b === 0x66 ? 'false' : 'null';
      this.litAt = 1;
    } else return this.fail(i, `expected a value, found ${show(b)}`);
    return MORE;
  }

  /** 1: the byte belongs to the number; 0: the number ended before it; ERROR */
  private numberByte(b: number, i: number): number {
    const digit = b >= 0x30 && b <= 0x39;
    switch (this.num) {
      case N.Minus:
        if (digit) {
          this.num = b === 0x30 ? N.Zero : N.Int;
          return 1;
        }
        return this.fail(i, "a '-' must be followed by a digit");
      case N.Zero:
        if (digit) return this.fail(i, 'a number may not have a leading zero');
      // falls through
      case N.Int:
        if (digit) return 1;
        if (b === 0x2e) {
          this.num = N.Dot;
          return 1;
        }
        if (b === 0x65 || b === 0x45) {
          this.num = N.E;
          return 1;
        }
        return 0;
      case N.Dot:
        if (digit) {
          this.num = N.Frac;
          return 1;
        }
        return this.fail(i, "a '.' in a number must be followed by a digit");
      case N.Frac:
        if (digit) return 1;
        if (b === 0x65 || b === 0x45) {
          this.num = N.E;
          return 1;
        }
        return 0;
      case N.E:
        if (b === 0x2b || b === 0x2d) {
          this.num = N.ESign;
          return 1;
        }
      // falls through
      case N.ESign:
        if (digit) {
          this.num = N.Exp;
          return 1;
        }
        return this.fail(i, 'an exponent needs digits');
      case N.Exp:
        return digit ? 1 : 0;
    }
  }

  private numberComplete(): boolean {
    return this.state === S.Num && (this.num === N.Zero || this.num === N.Int || this.num === N.Frac || this.num === N.Exp);
  }

  /** The line ends: whitespace, except inside a string. Returns MORE, ERROR or 0 (the value ended). */
  newline(): number {
    if (this.state === S.Str || this.state === S.Esc || this.state === S.Hex)
      return this.failEnd('a line break inside a string (the string is never closed on its line)');
    if (this.state === S.Num) {
      if (!this.numberComplete()) return this.failEnd('the number is incomplete');
      this.afterValue();
    }
    if (this.state === S.Lit) return this.failEnd(`invalid literal (expected '${this.lit}')`);
    this.tokenOnLine = false;
    return this.state === S.Done ? 0 : MORE;
  }

  /** The file ends. Returns ERROR or 0 (the value ended). */
  end(): number {
    if (this.numberComplete() && this.stack.length === 0) return 0;
    if (this.state === S.Done) return 0;
    return this.failEnd(`unexpected end of file: the ${this.openKind()} is never closed (a truncated record?)`);
  }

  private failEnd(message: string): number {
    this.tokenBeforeError = true;
    this.error = message;
    this.errorAt = -1;
    return ERROR;
  }
}

function show(b: number): string {
  if (b >= 0x21 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  return `byte 0x${b.toString(16).padStart(2, '0')}`;
}
