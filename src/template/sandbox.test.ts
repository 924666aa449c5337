import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import type { SparkifyError } from '../errors.js';
import { createTemplateEnvironment } from './environment.js';
import { prepareModel, renderModel, type PreparedModel, type RenderScope } from './render-model.js';

const macros = [{ path: 'macros/evil.sql', file: '/p/macros/evil.sql', text: "{% macro evil() %}\n  {{ cycler.constructor('return process')() }}\n{% endmacro %}\n" }];
const scope = (): RenderScope => ({
  templates: createTemplateEnvironment([]),
  dialect: createDialect('duckdb'),
  target: { name: 'duckdb', type: 'duckdb', schema: 'main' },
  vars: { name: 'constructor' },
  env: {},
  models: new Map(),
  sources: new Map(),
  disabled: new Set(),
});

/** The first error of compiling and rendering a model, or the compiled SQL when there is none. */
function render(text: string, s = scope()): SparkifyError | string {
  const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text }, s.templates);
  if (!('marked' in p)) return p;
  const r = renderModel(p as PreparedModel, s, { isIncremental: false });
  return r.errors[0] ?? r.compiledSql;
}

const MESSAGE = /^'(constructor|__proto__|prototype|__defineGetter__|__lookupGetter__|caller)' cannot be used in a template: it would reach JavaScript's internals$/;

// Known nunjucks escapes (tplmap/SSTImap payloads, mozilla/nunjucks#338 and #1048), each on line 2
// of a model, and the column the error points at: a blocked name (the outermost of a chain).
const ESCAPES: [string, number][] = [
  [`{{ range.constructor("return process")() }}`, 10],
  [`{{ cycler.constructor("return process.env")() }}`, 11],
  [`{{ joiner.constructor("return process")() }}`, 11],
  [`{{ range.constructor("return global.process.mainModule.require('child_process').execSync('id')")() }}`, 10],
  [`{{ ''.constructor.constructor("return process")() }}`, 19],
  [`{{ [].constructor.constructor("return process")() }}`, 19],
  [`{{ ref.constructor("return process")() }}`, 8],
  [`{{ a.constructor.__proto__.constructor('process.kill()')() }}`, 28],
  [`{{ range['constructor']("return process")() }}`, 10],
  [`{{ range["__proto__"] }}`, 10],
  [`{{ range.prototype }}`, 10],
  [`{{ range.__defineGetter__ }}`, 10],
  [`{{ ({}).__lookupGetter__('__proto__') }}`, 9],
  [`{{ range.caller }}`, 10],
  [`{% set f = range.constructor %}{{ f("return process")() }}`, 18],
  [`{% for x in [range] %}{{ x.constructor("return process")() }}{% endfor %}`, 28],
  [`{{ constructor("x") }}`, 4],
  [`{{ __proto__ }}`, 4],
  [`{{ 'x' | __defineGetter__(range) }}`, 10],
  [`{{ range | constructor }}`, 12],
  [`{% if range is constructor %}1{% endif %}`, 16],
  // computed keys: caught when looked up, at the lookup
  [`{{ range['constr' ~ 'uctor']("return process")() }}`, 9],
  [`{{ range[var('name')]("return process")() }}`, 9],
  [`{% set k = 'construct' + 'or' %}{{ range[k] }}`, 41],
  [`{{ range[['constructor']] }}`, 9],
];

describe('templates cannot reach JavaScript internals', () => {
  it.each(ESCAPES)('%s is a template error at line 2, column %i', (payload, column) => {
    const e = render(`select 1 as x\n${payload}\n`);
    expect(typeof e).not.toBe('string');
    const err = e as SparkifyError;
    expect(err.kind).toBe('template');
    expect(err.message).toMatch(MESSAGE);
    expect([err.file, err.line, err.column]).toEqual(['/p/models/m.sql', 2, column]);
  });

  it('a macro that tries is an error in the macro file, at its line', () => {
    const templates = createTemplateEnvironment(macros);
    expect(templates.errors.map((e) => [e.file, e.line, e.message])).toEqual([['/p/macros/evil.sql', 2, expect.stringMatching(MESSAGE)]]);
  });

  it('ordinary templates render as before: attributes, {% call %} with caller(), loops, filters', () => {
    const sql = render(
      "{% macro wrap() %}({{ caller() }}){% endmacro %}select {% call wrap() %}{{ target.name }}{% endcall %} as t, '{{ 'abc' | upper }}' as u{% for i in range(2) %}, {{ i }} as c{{ i }}{% endfor %}, {{ [1, 2] | join('+') }} as s, '{{ {'a': 1}.a }}' as a\n",
    );
    expect(sql).toBe("select (duckdb) as t, 'ABC' as u, 0 as c0, 1 as c1, 1+2 as s, '1' as a\n");
  });
});
