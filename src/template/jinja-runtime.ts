import nunjucks from 'nunjucks';
import { BLOCKED_NAMES, blockedNameError } from './sandbox-names.js';
import { pythonMethod } from './python-methods.js';
import { addDates, isDateValue, subtractDates } from './python-modules.js';

/**
 * What nunjucks lacks of the Jinja that dbt projects are written in, added to nunjucks' compiler and
 * runtime once per process (as nunjucks' own installJinjaCompat does):
 * - `return(x)` ends the innermost macro being called, which returns x instead of its output;
 * - an error inside a macro is located in the macro's file, at its line;
 * - `{{ name }}` of an undefined name or attribute is an error naming it (nunjucks renders '');
 * - `{% set ns.attr = value %}` on a namespace();
 * - Python's string, list and dict methods; slices (`s[1:]`), True/False/None;
 * - `+` and `-` on modules.datetime values.
 * sandboxTemplates() wraps the lookups after these are installed.
 */

/** Thrown by return(); the macro being called catches it and returns the value. */
export class MacroReturn {
  constructor(readonly value: unknown) {}
}

/** Signals that are not errors: they pass through macros unlocated. */
export function isSignal(e: unknown): boolean {
  return e instanceof MacroReturn || (typeof e === 'object' && e !== null && (e as { sparkifySignal?: boolean }).sparkifySignal === true);
}

/** Where in which template an error happened: the template's name and a 1-based line and column. */
export interface TemplateWhere {
  template: string;
  line: number;
  column: number;
}

const WHERE = 'sparkifyWhere';

/** The innermost location recorded on an error or its causes. */
export function whereOf(err: unknown): TemplateWhere | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const w = (e as { [WHERE]?: TemplateWhere })[WHERE];
    if (w) return w;
  }
  return undefined;
}

function locate(e: unknown, template: string, lineno: number, colno: number): unknown {
  if (isSignal(e)) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  if (whereOf(err)) return err;
  // nunjucks' own errors carry their (1-based) position in the template being run
  const own = err as { lineno?: number; colno?: number };
  const line = typeof own.lineno === 'number' && own.lineno > 0 ? own.lineno : lineno + 1;
  const column = typeof own.colno === 'number' && own.colno > 0 ? own.colno : colno + 1;
  Object.defineProperty(err, WHERE, { value: { template, line, column }, enumerable: false });
  return err;
}

/** namespace(): the one object `{% set ns.attr = ... %}` may change, as in Jinja. */
export class Namespace {
  constructor(attrs: Record<string, unknown>) {
    Object.assign(this, attrs);
  }
}

interface Node {
  typename: string;
  value?: unknown;
  lineno: number;
  colno: number;
  target?: Node;
  val?: Node;
  name?: Node;
  args?: Node & { children: Node[] };
  children?: Node[];
  left?: Node;
  right?: Node;
}
interface CompilerProto {
  templateName: string;
  codebuf: string[];
  buffer: string;
  _compileMacro(node: Node, frame: unknown): string;
  compileSet(node: Node, frame: unknown): void;
  compileOutput(node: Node, frame: unknown): void;
  compileAdd(node: Node, frame: unknown): void;
  compileSub(node: Node, frame: unknown): void;
  compileLiteral(node: Node, frame: unknown): void;
  compileDict(node: Node, frame: unknown): void;
  compileMacro(node: Node, frame: { parent?: unknown }): void;
  compileIf(node: Node, frame: unknown, async?: boolean): void;
  compileInlineIf(node: Node, frame: unknown): void;
  compileNot(node: Node, frame: unknown): void;
  compileAnd(node: Node, frame: unknown): void;
  compileOr(node: Node, frame: unknown): void;
  assertType(node: Node, ...types: unknown[]): void;
  [method: `compile${string}`]: unknown;
  compile(node: Node, frame: unknown): void;
  _compileExpression(node: Node, frame: unknown): void;
  _emit(code: string): void;
  _emitLine(code: string): void;
  fail(message: string, lineno: number, colno: number): never;
}
type RuntimeFn = (...args: unknown[]) => unknown;
interface NunjucksNodes {
  Symbol: new (lineno: number, colno: number, value: string) => unknown;
  FunCall: new (lineno: number, colno: number, name: unknown, args: unknown) => unknown;
  NodeList: new (lineno: number, colno: number, children: unknown[]) => unknown;
}
interface ParserProto {
  peekToken(): { type: string; value: string; lineno: number; colno: number } | null;
  nextToken(): unknown;
  parseUnary(noFilters?: boolean): unknown;
}

/** The names a `{% macro name(a, b=1) %}` declares: its positional and keyword parameters. */
function macroParameterNames(node: Node): string[] {
  const args = (node as unknown as { args?: { children?: { typename?: string; value?: unknown; children?: { key?: { value?: unknown } }[] }[] } }).args;
  const out: string[] = [];
  for (const c of args?.children ?? []) {
    if (c.typename === 'KeywordArgs') for (const p of c.children ?? []) out.push(String(p.key?.value));
    else out.push(String(c.value));
  }
  return out;
}
interface Runtime {
  makeMacro(argNames: string[], kwargNames: string[], func: RuntimeFn): RuntimeFn;
  memberLookup(obj: unknown, key: unknown, ...rest: unknown[]): unknown;
  [key: string]: unknown;
}

const INSTALLED = Symbol('sparkify jinja');

/** `*xs` and `**d` in a call's arguments: markers that runtime.callWrap spreads into the call. */
const SPLAT = Symbol('*args');
const KWSPLAT = Symbol('**kwargs');
/** the positional arguments a macro was given beyond those it declares: its `varargs` */
const VARARGS = Symbol('varargs');
export const SPLAT_GLOBAL = '__sparkify_splat';
export const KWSPLAT_GLOBAL = '__sparkify_kwsplat';

export function splatArgs(v: unknown): Record<symbol, unknown[]> {
  return { [SPLAT]: v === null || v === undefined ? [] : typeof v === 'string' ? [...v] : [...(v as Iterable<unknown>)] };
}

export function splatKwargs(v: unknown): Record<symbol, Record<string, unknown>> {
  if (v !== null && v !== undefined && (typeof v !== 'object' || Array.isArray(v))) throw new Error('** in a call needs a dict');
  return { [KWSPLAT]: (v ?? {}) as Record<string, unknown> };
}

const isKeywords = (v: unknown): v is Record<string | symbol, unknown> => typeof v === 'object' && v !== null && (v as { __keywords?: unknown }).__keywords === true;

/** A call's arguments with every *xs spread in place and every **d merged into its keyword arguments, as Python does. */
function spreadArgs(args: unknown[]): unknown[] {
  if (!args.some((a) => typeof a === 'object' && a !== null && (SPLAT in a || KWSPLAT in a))) return args;
  const out: unknown[] = [];
  let kw: Record<string | symbol, unknown> | undefined;
  for (const a of args) {
    if (typeof a === 'object' && a !== null && SPLAT in a) out.push(...(a as Record<symbol, unknown[]>)[SPLAT]!);
    else if (typeof a === 'object' && a !== null && KWSPLAT in a) kw = { ...kw, ...(a as Record<symbol, Record<string, unknown>>)[KWSPLAT] };
    else if (isKeywords(a)) kw = { ...kw, ...a };
    else out.push(a);
  }
  if (kw) out.push({ ...kw, __keywords: true });
  return out;
}

/** Python's truth value of a template value. */
export function pyTruthy(v: unknown): boolean {
  if (Array.isArray(v) || typeof v === 'string') return v.length > 0;
  if (v instanceof nunjucks.runtime.SafeString) return String(v).length > 0;
  if (v !== null && typeof v === 'object') {
    const proto = Object.getPrototypeOf(v) as unknown;
    if (proto === Object.prototype || proto === null) return Object.keys(v).length > 0;
  }
  return Boolean(v);
}

/** A name for an expression in an "is undefined" error: `foo`, `foo.bar`, `foo['x']`. */
function describe(node: Node | undefined): string | undefined {
  if (!node) return undefined;
  if (node.typename === 'Symbol') return String(node.value);
  if (node.typename === 'LookupVal') {
    const target = describe(node.target);
    if (target === undefined) return undefined;
    const key = node.val;
    if (key?.typename === 'Literal') return typeof key.value === 'string' && /^[A-Za-z_]\w*$/.test(key.value) ? `${target}.${key.value}` : `${target}[${JSON.stringify(key.value)}]`;
    return `${target}[...]`;
  }
  return undefined;
}

export function installJinjaRuntime(): void {
  const nj = nunjucks as unknown as { runtime: Runtime; compiler: { Compiler: { prototype: CompilerProto } }; installJinjaCompat(): void };
  const runtime = nj.runtime;
  if ((runtime as unknown as Record<symbol, unknown>)[INSTALLED]) return;
  // slices and True/False/None from nunjucks' Jinja compatibility; not its list and dict members
  // (python-methods.ts has them): its dict members apply to every object, class instances too,
  // and its get() reads any key, 'constructor' included
  const plainLookup = runtime.memberLookup;
  nj.installJinjaCompat();
  const sliceLookup = runtime.memberLookup;
  runtime.memberLookup = function (this: unknown, obj: unknown, key: unknown, ...rest: unknown[]) {
    return rest.length === 2 ? sliceLookup.call(this, obj, key, ...rest) : plainLookup.call(this, obj, key);
  };
  const proto = nj.compiler.Compiler.prototype;

  // a call's name is put in the code as a string for its error message; nunjucks escapes only its
  // quotes, so a method of a multi-line string literal ('...\n...'.format(), as dbt_utils' safe_add
  // writes) or one ending in a backslash made code that does not parse
  const protoNames = proto as unknown as { _getNodeName(node: unknown): string };
  const getNodeName = protoNames._getNodeName;
  let naming = 0;
  protoNames._getNodeName = function (this: unknown, node: unknown) {
    naming++;
    try {
      const name = getNodeName.call(this, node);
      return naming > 1 ? name : name.replace(/\\/g, '\\\\').replace(/[\n\r\u2028\u2029]/g, ' ');
    } finally {
      naming--;
    }
  };

  const compileMacro = proto._compileMacro;
  proto._compileMacro = function (this: CompilerProto, node, frame) {
    const start = this.codebuf.length;
    const id = compileMacro.call(this, node, frame);
    const buf = this.codebuf;
    const open = buf.indexOf('frame.set("caller", kwargs.caller); }\n', start);
    // Jinja's varargs and kwargs in a macro's body: the arguments it was given and does not declare
    // (set before the declared ones, so a parameter of that name wins)
    const declared = macroParameterNames(node);
    if (open >= 0) buf.splice(open + 1, 0, `frame.set("varargs", runtime.sparkifyVarargs(kwargs)); frame.set("kwargs", runtime.sparkifyKwargs(kwargs, ${JSON.stringify(declared)}));\n`);
    let ret = -1;
    for (let i = buf.length - 1; i > open; i--) {
      if (buf[i]!.startsWith('return new runtime.SafeString(')) {
        ret = i;
        break;
      }
    }
    if (open < 0 || ret < 0 || !/^frame = (callerFrame|frame\.pop\(\));\n$/.test(buf[ret - 1]!)) throw new Error('unexpected nunjucks macro code: the nunjucks version is not the one sparkify was built for');
    // the frame is restored even when the body throws (return() throws); an error is located here
    buf[ret - 1] = `} catch (e) { throw runtime.sparkifyLocate(e, ${JSON.stringify(this.templateName ?? '')}, lineno, colno); } finally { frame = callerFrame; }\n`;
    buf.splice(open + 1, 0, 'try {\n');
    return id;
  };

  // Jinja's dict keys are expressions (`{relation: []}`, `{key.lower(): v}`); nunjucks takes only
  // names and strings, a name as its text. A name is its variable's value here, or its text when
  // there is no such variable, so `{a: 1}` written for nunjucks keeps its meaning.
  const compileDict = proto.compileDict;
  proto.compileDict = function (this: CompilerProto, node, frame) {
    const pairs = (node.children ?? []) as (Node & { key: Node; value: Node })[];
    if (node.typename === 'KeywordArgs' || pairs.every((p) => p.key.typename === 'Literal' && typeof p.key.value === 'string')) {
      compileDict.call(this, node, frame);
      return;
    }
    this._emit('runtime.sparkifyDict([');
    for (const p of pairs) {
      this._emit('[');
      if (p.key.typename === 'Symbol') {
        this._emit('runtime.sparkifyKey(');
        this._compileExpression(p.key, frame);
        this._emit(`, ${JSON.stringify(String(p.key.value))})`);
      } else this._compileExpression(p.key, frame);
      this._emit(', ');
      this._compileExpression(p.value, frame);
      this._emit('],');
    }
    this._emit('])');
  };

  // macros whose names start with _ (dbt_utils._is_relation) are a package's too: export them
  const compileMacroDef = proto.compileMacro;
  proto.compileMacro = function (this: CompilerProto, node, frame) {
    compileMacroDef.call(this, node, frame);
    const name = String((node as unknown as { name: Node }).name.value);
    if (!frame.parent && name.startsWith('_')) this._emitLine(`context.addExport(${JSON.stringify(name)});`);
  };

  // Python's truth: an empty list, dict or string is false ([] is true in JavaScript)
  const truthy = (n: Node | undefined): Node | undefined => (n && n.typename !== 'SparkifyTruthy' ? ({ typename: 'SparkifyTruthy', target: n, lineno: n.lineno, colno: n.colno } as Node) : n);
  const assertType = proto.assertType;
  proto.assertType = function (this: CompilerProto, node, ...types) {
    if (node.typename !== 'SparkifyTruthy') assertType.call(this, node, ...types);
  };
  (proto as unknown as Record<string, unknown>).compileSparkifyTruthy = function (this: CompilerProto, node: Node, frame: unknown) {
    this._emit('runtime.sparkifyTruthy(');
    this.compile(node.target!, frame);
    this._emit(')');
  };
  for (const method of ['compileIf', 'compileInlineIf'] as const) {
    const orig = proto[method] as (this: CompilerProto, node: Node, frame: unknown, async?: boolean) => void;
    proto[method] = function (this: CompilerProto, node: Node, frame: unknown, async?: boolean) {
      const n = node as Node & { cond?: Node };
      n.cond = truthy(n.cond);
      orig.call(this, node, frame, async);
    };
  }
  const compileNot = proto.compileNot;
  proto.compileNot = function (this: CompilerProto, node, frame) {
    node.target = truthy(node.target);
    compileNot.call(this, node, frame);
  };
  for (const [method, op] of [
    ['compileAnd', 'And'],
    ['compileOr', 'Or'],
  ] as const) {
    proto[method] = function (this: CompilerProto, node: Node, frame: unknown) {
      this._emit(`runtime.sparkify${op}(`);
      this.compile(node.left!, frame);
      this._emit(', function () { return ');
      this.compile(node.right!, frame);
      this._emit('; })');
    };
  }

  const compileSet = proto.compileSet;
  proto.compileSet = function (this: CompilerProto, node, frame) {
    const targets = (node as unknown as { targets: Node[] }).targets;
    const t = targets[0];
    if (targets.length === 1 && t?.typename === 'LookupVal' && (node as unknown as { value: Node | null }).value) {
      const key = t.val!;
      if (key.typename === 'Literal' && BLOCKED_NAMES.has(String(key.value))) this.fail(blockedNameError(String(key.value)).message, key.lineno, key.colno);
      this._emit('runtime.sparkifySetAttribute(');
      this._compileExpression(t.target!, frame);
      this._emit(', ');
      this._compileExpression(key, frame);
      this._emit(', ');
      this._compileExpression((node as unknown as { value: Node }).value, frame);
      this._emitLine(');');
      return;
    }
    compileSet.call(this, node, frame);
  };

  proto.compileOutput = function (this: CompilerProto, node, frame) {
    for (const child of node.children ?? []) {
      if (child.typename === 'TemplateData') {
        if (child.value) {
          this._emit(`${this.buffer} += `);
          this.compileLiteral(child, frame);
          this._emitLine(';');
        }
        continue;
      }
      const name = describe(child);
      this._emit(`${this.buffer} += runtime.suppressValue(`);
      if (name !== undefined) this._emit('runtime.sparkifyDefined(');
      this.compile(child, frame);
      if (name !== undefined) this._emit(`, ${JSON.stringify(name)}, ${JSON.stringify(this.templateName ?? '')}, ${child.lineno}, ${child.colno})`);
      this._emit(', env.opts.autoescape);\n');
    }
  };

  for (const [method, op] of [
    ['compileAdd', 'Add'],
    ['compileSub', 'Sub'],
  ] as const) {
    proto[method] = function (this: CompilerProto, node, frame) {
      this._emit(`runtime.sparkify${op}(`);
      this.compile(node.left!, frame);
      this._emit(', ');
      this.compile(node.right!, frame);
      this._emit(')');
    };
  }

  const makeMacro = runtime.makeMacro;
  runtime.makeMacro = (argNames, kwargNames, func) => {
    const macro = makeMacro(argNames, kwargNames, function (this: unknown, ...args: unknown[]) {
      try {
        return func.apply(this, args);
      } catch (e) {
        if (e instanceof MacroReturn) return e.value;
        throw e;
      }
    });
    // nunjucks drops the positional arguments past the declared ones: they are the macro's varargs
    const declared = argNames.length + kwargNames.length;
    return function (this: unknown, ...macroArgs: unknown[]) {
      const last = macroArgs[macroArgs.length - 1];
      const kw = isKeywords(last) ? last : undefined;
      const positional = kw ? macroArgs.slice(0, -1) : macroArgs;
      if (positional.length <= declared) return macro.apply(this, macroArgs);
      return macro.apply(this, [...positional.slice(0, declared), { ...kw, __keywords: true, [VARARGS]: positional.slice(declared) }]);
    };
  };
  runtime.sparkifyVarargs = (kwargs: Record<string | symbol, unknown> | undefined) => [...((kwargs?.[VARARGS] as unknown[] | undefined) ?? [])];
  runtime.sparkifyKwargs = (kwargs: Record<string, unknown> | undefined, declared: string[]) =>
    (runtime.sparkifyDict as (pairs: [unknown, unknown][]) => Record<string, unknown>)(
      Object.entries(kwargs ?? {}).filter(([k]) => k !== '__keywords' && k !== 'caller' && !declared.includes(k)),
    );
  const callWrap = runtime.callWrap as (obj: unknown, name: string, context: unknown, args: unknown[]) => unknown;
  runtime.callWrap = function (this: unknown, obj: unknown, name: string, context: unknown, args: unknown[]) {
    return callWrap.call(this, obj, name, context, spreadArgs(args));
  };
  // `*xs` / `**d` where an expression starts (a call's argument): Python's unpacking, which dbt
  // macros use (dbt_utils' surrogate_key passes *varargs on); nunjucks has no such syntax
  const nodes = (nunjucks as unknown as { nodes: NunjucksNodes }).nodes;
  const parserProto = (nunjucks as unknown as { parser: { Parser: { prototype: ParserProto } } }).parser.Parser.prototype;
  const parseUnary = parserProto.parseUnary;
  parserProto.parseUnary = function (this: ParserProto, noFilters?: boolean) {
    const tok = this.peekToken();
    if (tok && tok.type === 'operator' && (tok.value === '*' || tok.value === '**')) {
      this.nextToken();
      const inner = parseUnary.call(this, noFilters);
      const fn = new nodes.Symbol(tok.lineno, tok.colno, tok.value === '*' ? SPLAT_GLOBAL : KWSPLAT_GLOBAL);
      return new nodes.FunCall(tok.lineno, tok.colno, fn, new nodes.NodeList(tok.lineno, tok.colno, [inner]));
    }
    return parseUnary.call(this, noFilters);
  };
  runtime.sparkifyLocate = locate;
  runtime.sparkifyDefined = (value: unknown, name: string, template: string, lineno: number, colno: number) => {
    if (value !== undefined) return value;
    throw locate(new Error(`'${name}' is undefined`), template, lineno, colno);
  };
  runtime.sparkifySetAttribute = (obj: unknown, key: unknown, value: unknown) => {
    if (!(obj instanceof Namespace)) throw new Error(`cannot set attribute '${String(key)}': only a namespace() takes {% set x.attr = ... %}`);
    const name = String(key);
    if (BLOCKED_NAMES.has(name)) throw blockedNameError(name);
    (obj as unknown as Record<string, unknown>)[name] = value;
  };
  runtime.sparkifyTruthy = pyTruthy;
  runtime.sparkifyAnd = (a: unknown, b: () => unknown) => (pyTruthy(a) ? b() : a);
  runtime.sparkifyOr = (a: unknown, b: () => unknown) => (pyTruthy(a) ? a : b());
  runtime.sparkifyKey = (value: unknown, name: string) => (value === undefined ? name : value);
  runtime.sparkifyDict = (pairs: [unknown, unknown][]) => {
    const out: Record<string, unknown> = {};
    for (const [k, v] of pairs) {
      const name = String(k);
      if (BLOCKED_NAMES.has(name)) throw blockedNameError(name);
      Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  runtime.sparkifyAdd = (a: unknown, b: unknown) => (isDateValue(a) || isDateValue(b) ? addDates(a, b) : (a as number) + (b as number));
  runtime.sparkifySub = (a: unknown, b: unknown) => (isDateValue(a) || isDateValue(b) ? subtractDates(a, b) : (a as number) - (b as number));

  const memberLookup = runtime.memberLookup;
  runtime.memberLookup = function (this: unknown, obj: unknown, key: unknown, ...rest: unknown[]) {
    if (rest.length === 0) {
      const m = pythonMethod(obj, key);
      if (m) return m;
    }
    const v = memberLookup.call(this, obj, key, ...rest);
    // a slice of a string is a string
    return rest.length === 2 && typeof obj === 'string' && Array.isArray(v) ? v.join('') : v;
  };
  (runtime as unknown as Record<symbol, unknown>)[INSTALLED] = true;
}
