import { ConfigError } from '../errors.js';

export interface IniEntry {
  value: string;
  line: number;
  /** 1-based column where the value starts */
  column?: number;
}

export interface IniSection {
  line: number;
  entries: Map<string, IniEntry>;
}

/** A parsed INI file. Section and key names are upper case; every entry keeps its 1-based line. */
export interface IniDocument {
  file: string;
  sections: Map<string, IniSection>;
}

const SECTION_NAME = /^[A-Za-z0-9_.-]+(?: [A-Za-z0-9_.-]+)*$/;
const KEY_NAME = /^[A-Za-z0-9_.-]+$/;
const QUOTED = /^(['"])(.*)\1(?:\s+[#;].*)?$/s;

/**
 * Parses dwh.cfg-style INI text: `[SECTION]`, `KEY = value` or `KEY: value`, `#`/`;` comments.
 * Throws ConfigError with file, line and column. Error messages never quote a line's text,
 * because the line may hold a password.
 */
export function parseIni(text: string, file: string): IniDocument {
  const sections = new Map<string, IniSection>();
  let current: IniSection | undefined;
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);

  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const fail = (message: string, column: number, hint: string): never => {
      throw new ConfigError(message, { file, line: lineNo, column, hint });
    };
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const indent = line.length - line.trimStart().length;

    if (trimmed.startsWith('[')) {
      const m = /^\[([^\]]*)\](.*)$/.exec(trimmed);
      if (!m) return fail('section header is missing its closing "]"', indent + 1, 'write the header as [SECTION]');
      const name = m[1]!.trim();
      if (!SECTION_NAME.test(name)) {
        return fail('invalid section name', indent + 2, 'section names use letters, digits, "_", "." and "-", e.g. [CLUSTER]');
      }
      if (!/^\s*(?:[#;].*)?$/.test(m[2]!)) {
        return fail('unexpected text after section header', indent + trimmed.length - m[2]!.trimStart().length + 1, 'put the section header on a line of its own');
      }
      const key = name.toUpperCase();
      current = sections.get(key) ?? { line: lineNo, entries: new Map() };
      sections.set(key, current);
      return;
    }

    const delim = line.search(/[=:]/);
    if (delim === -1) {
      return fail('expected "KEY = value", a [SECTION] header or a comment', indent + 1, 'write KEY = value, or start the line with # to comment it out');
    }
    const key = line.slice(0, delim).trim();
    if (key === '') return fail(`missing key before "${line[delim]}"`, delim + 1, 'write KEY = value');
    if (!KEY_NAME.test(key)) {
      return fail('invalid key name', indent + 1, 'key names use letters, digits, "_", "." and "-" (no spaces), e.g. DB_PORT = 5439');
    }
    if (!current) return fail(`key ${key.toUpperCase()} is outside any section`, indent + 1, 'add a section header such as [CLUSTER] above it');

    const raw = line.slice(delim + 1);
    let value: string;
    const start = raw.trimStart();
    if (start.startsWith('"') || start.startsWith("'")) {
      const m = QUOTED.exec(start.trimEnd());
      if (!m) {
        return fail('unterminated or malformed quoted value', delim + 2 + raw.length - start.length,
          'close the quote; a value that itself starts with a quote must be wrapped in the other kind of quote');
      }
      value = m[2]!;
    } else {
      const comment = /\s[#;]/.exec(raw);
      value = (comment ? raw.slice(0, comment.index) : raw).trim();
    }
    current.entries.set(key.toUpperCase(), { value, line: lineNo, column: delim + 2 + raw.length - start.length });
  });

  return { file, sections };
}
