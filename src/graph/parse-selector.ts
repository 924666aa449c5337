import { SelectionError } from '../errors.js';
import { didYouMean } from '../suggest.js';

export type SelectorMethod = 'fqn' | 'tag' | 'path' | 'file' | 'source' | 'config' | 'resource_type' | 'package' | 'test_name' | 'test_type';

export interface SelectorAtom {
  kind: 'atom';
  method: SelectorMethod;
  /** The config key for `config.<key>:value`; dotted for nested keys (`config.meta.owner:x`). */
  key?: string | undefined;
  value: string;
  parents: boolean;
  /** Undefined = unlimited. */
  parentsDepth?: number | undefined;
  children: boolean;
  childrenDepth?: number | undefined;
  /** `@`: the node, its descendants and all ancestors of those. */
  childrensParents: boolean;
  /** The atom exactly as written. */
  text: string;
  /** 1-based column of the atom within `arg`. */
  column: number;
  arg: string;
  argName: string;
}

export interface SelectorUnion {
  kind: 'union';
  items: SelectorExpr[];
  column: number;
}

export interface SelectorIntersection {
  kind: 'intersection';
  items: SelectorExpr[];
  column: number;
}

export type SelectorExpr = SelectorUnion | SelectorIntersection | SelectorAtom;

/** Every resource type dbt knows (dbt-core's NodeType); a project may have no nodes of some of them. */
export const RESOURCE_TYPES = [
  'model', 'analysis', 'test', 'snapshot', 'operation', 'seed', 'rpc', 'sql_operation', 'doc', 'source', 'macro',
  'exposure', 'metric', 'group', 'saved_query', 'semantic_model', 'unit_test', 'fixture', 'function',
] as const;

const METHODS = ['tag', 'path', 'file', 'source', 'config', 'resource_type', 'package', 'test_name', 'test_type', 'fqn'] as const;

export const TEST_TYPES = ['generic', 'singular', 'unit'] as const;

/** dbt's other selector methods: known words, so they get a plain "not supported" instead of "unknown". */
const UNSUPPORTED_METHODS = [
  'group', 'access', 'state', 'exposure', 'metric', 'result', 'source_status', 'version',
  'semantic_model', 'saved_query', 'unit_test', 'selector',
] as const;

export const SELECTOR_FORMS =
  'valid selectors: name, folder or dotted path (staging.stg_orders, globs like stg_*), tag:x, path:models/marts, ' +
  'file:x.sql, source:src, source:src.table, package:name, config.<key>:value, resource_type:model|source|..., ' +
  'test_name:unique, test_type:generic|singular|unit; ' +
  "prefix with +, N+ or @ and/or suffix with + or +N ('@' and a '+' suffix do not combine); " +
  "join with ',' (no spaces) to intersect and with spaces to union";

export function caretBlock(arg: string, column: number): string {
  return `\n  ${arg.replace(/\s/g, ' ')}\n  ${' '.repeat(Math.max(0, column - 1))}^`;
}

function syntaxError(arg: string, argName: string, column: number, what: string, hint = SELECTOR_FORMS): SelectionError {
  return new SelectionError(`Invalid ${argName} selector: ${what}${caretBlock(arg, column)}`, { column, hint });
}

export function parseSelector(arg: string, argName = '--select'): SelectorExpr {
  const terms: SelectorExpr[] = [];
  for (const m of arg.matchAll(/\S+/g)) terms.push(parseTerm(m[0], m.index + 1, arg, argName));
  if (terms.length === 0) throw syntaxError(arg, argName, 1, 'empty selector');
  return terms.length === 1 ? terms[0]! : { kind: 'union', items: terms, column: terms[0]!.column };
}

/** Several values of one option (e.g. repeated --select) are a union. */
export function parseSelectors(args: string[], argName = '--select'): SelectorExpr {
  const items: SelectorExpr[] = [];
  for (const a of args) {
    const e = parseSelector(a, argName);
    if (e.kind === 'union') items.push(...e.items);
    else items.push(e);
  }
  return items.length === 1 ? items[0]! : { kind: 'union', items, column: 1 };
}

function parseTerm(term: string, column: number, arg: string, argName: string): SelectorExpr {
  const atoms: SelectorAtom[] = [];
  let offset = 0;
  for (const part of term.split(',')) {
    atoms.push(parseAtom(part, column + offset, arg, argName));
    offset += part.length + 1;
  }
  return atoms.length === 1 ? atoms[0]! : { kind: 'intersection', items: atoms, column };
}

function parseAtom(text: string, column: number, arg: string, argName: string): SelectorAtom {
  const fail = (at: number, what: string, hint?: string): SelectionError =>
    syntaxError(arg, argName, column + at, what, hint);
  if (text === '') {
    throw fail(0, 'empty selector between commas', `${SELECTOR_FORMS}; e.g. 'tag:nightly,songplays+'`);
  }
  // dbt's spec: [@][N+][method:]value[+N]; '@' and a '+' suffix are incompatible (dbt-core selector_spec.py)
  let i = 0;
  let childrensParents = text.startsWith('@');
  if (childrensParents) i = 1;
  const parentsMatch = /^(\d*)\+/.exec(text.slice(i));
  if (parentsMatch) i += parentsMatch[0].length;
  // sparkify also reads '+@x' as '@+x' (dbt would look for a node named '@x')
  if (parentsMatch && !childrensParents && text[i] === '@') {
    childrensParents = true;
    i += 1;
  }
  const rest = text.slice(i);
  const childrenMatch = /\+(\d*)$/.exec(rest);
  const body = childrenMatch ? rest.slice(0, childrenMatch.index) : rest;
  if (body === '') throw fail(i, `missing node name in '${text}'`);
  const bad = /[+@]/.exec(body);
  if (bad) {
    const what = bad[0] === '@' ? "'@' is only allowed at the start of a selector" : `unexpected '+' in '${text}'`;
    throw fail(i + bad.index, what);
  }
  if (childrensParents && childrenMatch) {
    throw fail(
      i + childrenMatch.index,
      `'@' prefix and '+' suffix are incompatible in '${text}'`,
      "'@name' already selects every descendant; use '@name' or '+name+'",
    );
  }

  let method: SelectorMethod;
  let key: string | undefined;
  let value = body;
  const colon = body.indexOf(':');
  if (colon >= 0) {
    const name = body.slice(0, colon);
    value = body.slice(colon + 1);
    if (name === '') throw fail(i, "missing selector method before ':'");
    const cfg = /^config\.(.*)$/.exec(name);
    if (cfg) {
      key = cfg[1]!;
      if (!/^\w+(\.\w+)*$/.test(key)) throw fail(i, `invalid config key '${key}'`, "use e.g. 'config.materialized:view' or 'config.meta.owner:x'");
      method = 'config';
    } else if (name !== 'config' && (METHODS as readonly string[]).includes(name)) {
      method = name as SelectorMethod;
    } else if ((UNSUPPORTED_METHODS as readonly string[]).includes(name)) {
      throw fail(i, `sparkify does not support dbt's '${name}:' selector method`, `supported methods: ${[...METHODS.filter((x) => x !== 'fqn'), 'fqn'].join(', ')}, config.<key>`);
    } else {
      const what = name === 'config' ? "'config' needs a key" : `unknown selector method '${name}'`;
      const dym = didYouMean(name, [...METHODS.filter((x) => x !== 'config'), 'config.materialized']);
      throw fail(i, what, dym ? `${dym} ${SELECTOR_FORMS}` : SELECTOR_FORMS);
    }
    if (value === '') throw fail(i + colon + 1, `'${name}:' needs a value`);
  } else if (value.includes('/') || value.includes('\\')) {
    method = 'path';
  } else if (/\.(sql|py|csv)$/i.test(value)) {
    // dbt's default_method: a path separator means path:, these endings mean file:, anything else fqn:
    method = 'file';
  } else {
    method = 'fqn';
  }

  if (method === 'resource_type' && !(RESOURCE_TYPES as readonly string[]).includes(value)) {
    const dym = didYouMean(value, RESOURCE_TYPES);
    throw fail(i + colon + 1, `unknown resource type '${value}'`, `${dym ? dym + ' ' : ''}resource types: ${RESOURCE_TYPES.join(', ')}`);
  }
  if (method === 'test_type' && !(TEST_TYPES as readonly string[]).includes(value)) {
    const dym = didYouMean(value, TEST_TYPES);
    throw fail(i + colon + 1, `unknown test type '${value}'`, `${dym ? dym + ' ' : ''}test types: ${TEST_TYPES.join(', ')}`);
  }
  if (method !== 'config' && method !== 'resource_type' && method !== 'test_type') {
    try {
      globToRegExp(value, false);
    } catch {
      throw fail(i + colon + 1, `invalid pattern '${value}'`, 'character classes must be well formed, e.g. [a-z] or [!0-9]');
    }
  }
  if (method === 'source' && value.split('.').length > 3) {
    throw fail(i + colon + 1, `'${value}' has too many parts`, "use 'source:source_name', 'source:source_name.table_name' or 'source:package.source_name.table_name'");
  }

  const depth = (s: string | undefined): number | undefined => (s ? Number(s) : undefined);
  return {
    kind: 'atom',
    method,
    ...(key !== undefined ? { key } : {}),
    value,
    parents: parentsMatch !== null,
    parentsDepth: depth(parentsMatch?.[1]),
    children: childrenMatch !== null,
    childrenDepth: depth(childrenMatch?.[1]),
    childrensParents,
    text,
    column,
    arg,
    argName,
  };
}

/**
 * fnmatch-style: *, ?, [abc], [!abc]. With `pathMode`, wildcards do not cross '/' and a `**` folder spans folders,
 * like the pathlib globs of dbt's path: method. Throws a SyntaxError for a class JS cannot compile (`[z-a]`).
 */
export function globToRegExp(glob: string, pathMode: boolean): RegExp {
  const any = pathMode ? '[^/]' : '.';
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      let j = i;
      while (glob[j + 1] === '*') j++;
      if (pathMode && j > i && (i === 0 || glob[i - 1] === '/') && glob[j + 1] === '/') {
        re += '(?:[^/]*/)*';
        i = j + 1;
      } else {
        re += `${any}*`;
        i = j;
      }
    } else if (c === '?') {
      re += any;
    } else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) {
        re += '\\[';
      } else {
        let body = glob.slice(i + 1, j);
        const negate = body.startsWith('!');
        if (negate) body = body.slice(1);
        re += `[${negate ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
        i = j;
      }
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
