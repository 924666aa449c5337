import nunjucks from 'nunjucks';
import { installJinjaRuntime } from './jinja-runtime.js';
import { ALLOWED_VARIABLES, BLOCKED_NAMES, blockedNameError } from './sandbox-names.js';

export { BLOCKED_NAMES, blockedNameError } from './sandbox-names.js';

interface TemplateNode {
  typename: string;
  value?: unknown;
  lineno: number;
  colno: number;
  target?: TemplateNode;
  val?: TemplateNode;
  /** a filter's name; a test's (`x is name`) is right, or right.name when it takes arguments */
  name?: TemplateNode;
  right?: TemplateNode;
}
interface Compiler {
  compileLookupVal(node: TemplateNode, frame: unknown): void;
  compileSymbol(node: TemplateNode, frame: unknown): void;
  compileFilter(node: TemplateNode, frame: unknown): void;
  compileFilterAsync(node: TemplateNode, frame: unknown): void;
  compileIs(node: TemplateNode, frame: unknown): void;
  fail(message: string, lineno: number, colno: number): never;
  _emit(code: string): void;
  _compileExpression(node: TemplateNode, frame: unknown): void;
}

interface Runtime {
  memberLookup(obj: unknown, key: unknown, ...slice: unknown[]): unknown;
  contextOrFrameLookup(context: unknown, frame: unknown, name: string): unknown;
  [SANDBOXED]?: true;
}
const SANDBOXED = Symbol('sparkify template sandbox');

/**
 * Makes every nunjucks template in the process refuse the blocked names: when it is compiled, where
 * the name is written out (`x.constructor`, `x['__proto__']`, `constructor`, `x | constructor`,
 * `x is constructor`), as an error at its
 * line and column; and at run time, where a key is computed (`x['constr' ~ 'uctor']`). nunjucks has
 * no sandbox option and hands every compiled template its runtime module, so the compiler and the
 * runtime lookups are wrapped, as nunjucks' own `installJinjaCompat()` replaces the lookups.
 * Idempotent; wraps whatever is installed.
 */
export function sandboxTemplates(): void {
  // the Jinja additions go in first, so that the sandbox wraps them too
  installJinjaRuntime();
  const runtime = (nunjucks as unknown as { runtime: Runtime }).runtime;
  if (runtime[SANDBOXED]) return;
  const compiler = (nunjucks as unknown as { compiler: { Compiler: { prototype: Compiler } } }).compiler.Compiler.prototype;
  const compileLookupVal = compiler.compileLookupVal;
  const compileSymbol = compiler.compileSymbol;
  compiler.compileLookupVal = function (this: Compiler, node, frame) {
    const key = node.val;
    // a slice's keys are numbers
    if (key?.typename === 'Literal' || key?.typename === 'Slice') {
      if (BLOCKED_NAMES.has(String(key.value))) this.fail(blockedNameError(String(key.value)).message, key.lineno, key.colno);
      compileLookupVal.call(this, node, frame);
      return;
    }
    // a computed key is checked when it is looked up: record where once the key is evaluated (as
    // nunjucks does for a call), so an error points at this lookup, not at a call inside the key
    this._emit('runtime.memberLookup((');
    this._compileExpression(node.target!, frame);
    this._emit('),');
    this._compileExpression(key!, frame);
    this._emit(`, (lineno = ${node.lineno}, colno = ${node.colno}))`);
  };
  compiler.compileSymbol = function (this: Compiler, node, frame) {
    const name = String(node.value);
    if (BLOCKED_NAMES.has(name) && !ALLOWED_VARIABLES.has(name)) this.fail(blockedNameError(name).message, node.lineno, node.colno);
    compileSymbol.call(this, node, frame);
  };
  // a filter or test is looked up in a plain object too: `x | constructor` is Object
  for (const method of ['compileFilter', 'compileFilterAsync', 'compileIs'] as const) {
    const compile = compiler[method];
    compiler[method] = function (this: Compiler, node, frame) {
      const named = method === 'compileIs' ? (node.right?.name ?? node.right) : node.name;
      const name = String(named?.value);
      if (BLOCKED_NAMES.has(name)) this.fail(blockedNameError(name).message, named?.lineno ?? node.lineno, named?.colno ?? node.colno);
      compile.call(this, node, frame);
    };
  }
  const memberLookup = runtime.memberLookup;
  const contextOrFrameLookup = runtime.contextOrFrameLookup;
  runtime.memberLookup = (obj, key, ...slice) => {
    if (slice.length === 2) return memberLookup(obj, key, ...slice);
    // one conversion, so a key object cannot answer the check and the lookup differently
    const name = typeof key === 'string' || typeof key === 'number' || typeof key === 'symbol' ? key : String(key);
    if (typeof name === 'string' && BLOCKED_NAMES.has(name)) throw blockedNameError(name);
    return memberLookup(obj, name);
  };
  runtime.contextOrFrameLookup = (context, frame, name) => {
    if (BLOCKED_NAMES.has(name) && !ALLOWED_VARIABLES.has(name)) throw blockedNameError(name);
    return contextOrFrameLookup(context, frame, name);
  };
  runtime[SANDBOXED] = true;
}
