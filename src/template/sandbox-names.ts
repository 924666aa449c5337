/**
 * Names a template may not look up, as an attribute (`x.constructor`, `x['__proto__']`, computed
 * keys included) or as a variable: through them a template reaches Function, and from there
 * `process` (`{{ range.constructor("return process")() }}`). dbt renders Jinja in a sandboxed
 * environment for the same reason; Jinja's sandbox refuses `__`-names and a function's internals.
 */
export const BLOCKED_NAMES: ReadonlySet<string> = new Set([
  'constructor',
  'prototype',
  '__proto__',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'caller',
  'callee',
  'arguments',
]);

/** Variables that may keep a blocked name: `caller` is the body of a `{% call %}` block. */
export const ALLOWED_VARIABLES: ReadonlySet<string> = new Set(['caller']);

export function blockedNameError(name: string): Error {
  return new Error(`'${name}' cannot be used in a template: it would reach JavaScript's internals`);
}
