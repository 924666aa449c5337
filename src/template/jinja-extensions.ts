import { keywordArgs as keywords } from './keyword-args.js';
import nunjucks from 'nunjucks';
import { isPlainObject, pyStr } from './python-methods.js';
import { KWSPLAT_GLOBAL, SPLAT_GLOBAL, splatArgs, splatKwargs } from './jinja-runtime.js';

/**
 * Jinja's `{% do %}` tag, and the filters and tests dbt projects use that nunjucks does not have
 * (`map`, `unique`, `selectattr` with a test, `is none`, ...), added to one environment.
 */

interface Parser {
  nextToken(): { value: string; lineno: number; colno: number };
  parseExpression(): unknown;
  advanceAfterBlockEnd(name: string): void;
}
interface Nodes {
  NodeList: new (lineno: number, colno: number, children: unknown[]) => unknown;
  CallExtension: new (ext: object, prop: string, args: unknown, contentArgs: unknown[]) => unknown;
}

/** `{% do expr %}`: evaluates the expression for its effect (`{% do cols.append(c) %}`), renders nothing. */
class DoExtension {
  readonly tags = ['do'];
  parse(parser: Parser, nodes: Nodes): unknown {
    const tok = parser.nextToken();
    const expr = parser.parseExpression();
    parser.advanceAfterBlockEnd(tok.value);
    return new nodes.CallExtension(this, 'run', new nodes.NodeList(tok.lineno, tok.colno, [expr]), []);
  }
  run(): string {
    return '';
  }
}

const lookup = (obj: unknown, key: unknown): unknown => (nunjucks as unknown as { runtime: { memberLookup(o: unknown, k: unknown): unknown } }).runtime.memberLookup(obj, key);

function attributePath(item: unknown, attr: unknown): unknown {
  let v = item;
  for (const part of typeof attr === 'string' ? attr.split('.') : [attr]) v = lookup(v, typeof part === 'string' && /^\d+$/.test(part) ? Number(part) : part);
  return v;
}


type Env = nunjucks.Environment & { getFilter(name: string): (...a: unknown[]) => unknown; getTest(name: string): (...a: unknown[]) => unknown; addTest(name: string, fn: (...a: never[]) => unknown): void };

const toList = (v: unknown): unknown[] => (v === null || v === undefined ? [] : typeof v === 'string' ? [...v] : isPlainObject(v) ? Object.keys(v) : [...(v as Iterable<unknown>)]);

export function addJinjaExtensions(env: nunjucks.Environment): void {
  const e = env as Env;
  env.addExtension('do', new DoExtension());
  // what `*xs` and `**d` in a call's arguments become (jinja-runtime.ts spreads them into the call)
  env.addGlobal(SPLAT_GLOBAL, splatArgs);
  env.addGlobal(KWSPLAT_GLOBAL, splatKwargs);

  env.addFilter('map', function (this: unknown, seq: unknown, ...raw: unknown[]) {
    const { args, kwargs } = keywords(raw);
    if ('attribute' in kwargs) return toList(seq).map((x) => attributePath(x, kwargs.attribute) ?? kwargs.default);
    const [name, ...rest] = args;
    const filter = e.getFilter(String(name));
    return toList(seq).map((x) => filter.call(this, x, ...rest));
  });
  const byTest = (keep: boolean) =>
    function (this: unknown, seq: unknown, attr: unknown, test?: unknown, ...rest: unknown[]) {
      const t = test === undefined ? undefined : e.getTest(String(test));
      return toList(seq).filter((x) => {
        const v = attributePath(x, attr);
        return (t ? t.call(this, v, ...rest) === true : Boolean(v)) === keep;
      });
    };
  env.addFilter('selectattr', byTest(true));
  env.addFilter('rejectattr', byTest(false));
  env.addFilter('unique', (seq: unknown) => [...new Set(toList(seq))]);
  env.addFilter('tojson', (v: unknown) => JSON.stringify(v));
  env.addFilter('items', (v: unknown) => (isPlainObject(v) ? Object.entries(v) : []));
  env.addFilter('min', (seq: unknown) => toList(seq).reduce((a, b) => ((a as number) <= (b as number) ? a : b)));
  env.addFilter('max', (seq: unknown) => toList(seq).reduce((a, b) => ((a as number) >= (b as number) ? a : b)));
  env.addFilter('string', (v: unknown) => pyStr(v));
  // dbt's filters (dbt docs, "Jinja functions": as_bool, as_number, as_text, as_native)
  env.addFilter('as_bool', (v: unknown) => (typeof v === 'string' ? v.trim().toLowerCase() === 'true' : Boolean(v)));
  env.addFilter('as_number', (v: unknown) => Number(v));
  env.addFilter('as_text', (v: unknown) => pyStr(v));
  env.addFilter('as_native', (v: unknown) => {
    if (typeof v !== 'string') return v;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      return v;
    }
  });

  e.addTest('none', (v: unknown) => v === null || v === undefined);
  e.addTest('boolean', (v: unknown) => typeof v === 'boolean');
  e.addTest('integer', (v: unknown) => typeof v === 'number' && Number.isInteger(v));
  e.addTest('float', (v: unknown) => typeof v === 'number' && !Number.isInteger(v));
  e.addTest('sequence', (v: unknown) => typeof v === 'string' || Array.isArray(v));
  e.addTest('true', (v: unknown) => v === true);
  e.addTest('false', (v: unknown) => v === false);
  e.addTest('in', (v: unknown, seq: unknown) => (typeof seq === 'string' ? seq.includes(String(v)) : toList(seq).includes(v)));
}
