import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import type { EngineType } from '../adapters/adapter.js';
import type { SparkifyError } from '../errors.js';
import type { QueryCache } from './dbt-context.js';
import { createTemplateEnvironment, type MacroPackage } from './environment.js';
import { prepareModel, renderModel, type PreparedModel, type RenderScope } from './render-model.js';

const MACROS = [
  {
    path: 'macros/util.sql',
    file: '/p/macros/util.sql',
    text: [
      '{% macro first_word(s) %}{{ return(s.split()[0]) }}{% endmacro %}',
      '{% macro outer() %}{% set kept = "outer" %}{% set w = first_word("a b") %}{{ kept }}:{{ w }}{% endmacro %}',
      '{% macro powers(n) %}{% for i in range(1, 10) %}{% if n <= 2 ** i %}{{ return(i) }}{% endif %}{% endfor %}{% endmacro %}',
      '{% macro fails() %}',
      '  {{ exceptions.raise_compiler_error("bad input: " ~ 3) }}',
      '{% endmacro %}',
      '{% macro shout(x) %}{{ return(adapter.dispatch("shout", "util")(x)) }}{% endmacro %}',
      '{% macro default__shout(x) %}{{ return(x | upper) }}{% endmacro %}',
      '{% macro postgres__shout(x) %}{{ return("pg:" ~ x) }}{% endmacro %}',
      '{% macro undefined_inside() %}',
      '',
      '  {{ no_such_name }}',
      '{% endmacro %}',
      '{% macro joined(sep) %}{{ return(varargs | join(sep)) }}{% endmacro %}',
      '{% macro described(name, size=1) %}{{ name }}/{{ size }}/{{ varargs | length }}/{% for k, v in kwargs.items() %}{{ k }}={{ v }};{% endfor %}{% endmacro %}',
      '{% macro passes_on(first) %}{{ return(joined(first, *varargs)) }}{% endmacro %}',
    ].join('\n'),
  },
];
const PACKAGES: MacroPackage[] = [
  {
    name: 'util',
    macros: [{ path: 'dbt_packages/util/macros/u.sql', file: '/p/dbt_packages/util/macros/u.sql', text: '{% macro greet(n) %}{{ return(helper(n)) }}{% endmacro %}\n{% macro helper(n) %}hi {{ n }}{% endmacro %}\n{% macro default__shout(x) %}{{ return("util:" ~ x) }}{% endmacro %}' }],
  },
];

function scope(type: EngineType = 'duckdb', queries?: QueryCache, logs: string[] = []): RenderScope {
  return {
    templates: createTemplateEnvironment(MACROS, PACKAGES, 'proj'),
    dialect: createDialect(type),
    target: { name: 'dev', type, schema: 'main' },
    vars: {},
    env: {},
    models: new Map([['m', { schema: 'analytics', name: 'm_alias' }]]),
    sources: new Map([['raw.events', { schema: 'raw', name: 'events' }]]),
    disabled: new Set(),
    projectName: 'proj',
    packages: ['util'],
    queries,
    onLog: (m, level) => logs.push(`${level}: ${m}`),
  };
}

function render(text: string, s = scope()): string {
  const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text }, s.templates) as PreparedModel;
  const r = renderModel(p, s, { isIncremental: false });
  if (r.errors.length) throw r.errors[0];
  return r.compiledSql;
}

function error(text: string, s = scope()): SparkifyError {
  const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text }, s.templates);
  if (!('marked' in p)) return p;
  const r = renderModel(p, s, { isIncremental: false });
  const e = r.errors[0];
  if (!e) throw new Error(`rendered without an error: ${r.compiledSql}`);
  return e;
}

describe("*args and **kwargs: a macro's varargs and kwargs, and unpacking in calls", () => {
  it.each([
    ['extra positional arguments are varargs', "{{ joined('-', 'a', 'b', 'c') }}", 'a-b-c'],
    ['no extra arguments: empty varargs and kwargs', "{{ described('x') }}", 'x/1/0/'],
    ['undeclared keyword arguments are kwargs; declared ones are not', "{{ described('x', size=2, color='red', n=3) }}", 'x/2/0/color=red;n=3;'],
    ['positional past the keyword parameters go to varargs', "{{ described('x', 5, 'extra', 'more') }}", 'x/5/2/'],
    ['*list spreads into the call', "{% set parts = ['a', 'b'] %}{{ joined('+', *parts) }}", 'a+b'],
    ['**dict spreads into the keyword arguments', "{% set opts = {'size': 4, 'tone': 'low'} %}{{ described('y', **opts) }}", 'y/4/0/tone=low;'],
    ['a macro passes its varargs on with *varargs', "{{ passes_on(',', 'p', 'q') }}", 'p,q'],
    ['* and ** still multiply and raise to a power', '{{ 2 * 3 }} {{ 2 ** 3 }} {{ [1, 2] | length * 2 }}', '6 8 4'],
    ['*args into a Python method', "{% set xs = ['a', 'b'] %}{{ '{}-{}'.format(*xs) }}", 'a-b'],
  ])('%s', (_name, text, expected) => {
    expect(render(text).trim()).toBe(expected);
  });

  it('** of something that is not a dict is an error at its line', () => {
    expect(error("\n{{ described('x', **[1, 2]) }}").line).toBe(2);
  });
});

describe('Jinja as dbt projects write it', () => {
  it.each([
    ['{% do %} and list methods', "{% set l = [] %}{% do l.append(1) %}{% do l.extend([2, 3]) %}{% do l.insert(0, 0) %}{{ l.pop() }}|{{ l | join(',') }}|{{ l.index(2) }}", '3|0,1,2|2'],
    ['dict methods', "{% set d = {'a': 1} %}{% do d.update({'b': 2}) %}{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{{ d.keys() | join }}{{ d.get('z', 'none') }}{{ d.pop('a') }}{{ d | length }}", 'a=1;b=2;abnone11'],
    ['string methods (Python semantics)', "{{ 'a-b-a'.replace('a', 'x') }} {{ '  x y  '.split() | length }} {{ ' pad '.strip() }} {{ 'Abc'.lower() }}{{ 'abc'.upper() }} {{ 'abc'.startswith('ab') }} {{ '{}-{x}'.format(1, x=2) }}", 'x-b-x 2 pad abcABC true 1-2'],
    ['slices and True/False/None', "{{ 'abcdef'[1:3] }}{{ [1,2,3][-1:] | join }}{{ True }}{{ None is none }}", 'bc3truetrue'],
    ['dict keys are expressions', "{% set k = 'x' %}{% set d = {k: 1, k.upper(): 2, plain: 3, 'q': 4} %}{{ d | dictsort | join(';') }}", 'plain,3;q,4;x,1;X,2'],
    ['Python truth: empty lists, dicts and strings are false', "{{ 'y' if [] else 'n' }}{% if not {} %}n{% endif %}{{ [] or 'n' }}{{ ([] and 'y') | length }}{% if [0] and 'a' %}y{% endif %}", 'nnn0y'],
    ['namespace()', "{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", '6'],
    ['return() ends the macro and keeps the caller\'s variables', '{{ outer() }} {{ powers(5) }}', 'outer:a 3'],
    ['modules.datetime', "{% set d = modules.datetime.datetime(2020, 1, 31, 23) + modules.datetime.timedelta(hours=2) %}{{ d.strftime('%Y-%m-%d %H:%M') }} {{ (d - modules.datetime.datetime(2020, 1, 1)).days }} {{ modules.datetime.date(2024, 2, 29).isoformat() }}", '2020-02-01 01:00 31 2024-02-29'],
    ['modules.re', "{{ modules.re.sub('[0-9]+', '#', 'a1b22') }} {{ modules.re.match('(?P<w>[a-z]+)', 'abc1').group('w') }} {{ modules.re.search('z', 'abc') is none }} {{ modules.re.findall('[0-9]', 'a1b2') | join }}", 'a#b# abc true 12'],
    ['execute, map and selectattr', "{{ execute }} {{ [{'n': 'a', 'k': 1}, {'n': 'b', 'k': 0}] | selectattr('k') | map(attribute='n') | join }} {{ ['a', 'b'] | map('upper') | join }} {{ [1, 1, 2] | unique | join }}", 'true a AB 12'],
    ['this and target', '{{ this.schema }}.{{ this.identifier }} {{ target.name }} {{ project_name }}', 'analytics.m_alias dev proj'],
    ['adapter.quote', '{{ adapter.quote(\'a "b"\') }}', '"a ""b"""'],
    ['package macros are namespaced and call their own', "{{ util.greet('x') }}", 'hi x'],
    ['adapter.dispatch looks in the project first, then the package', "{{ shout('q') }}", 'Q'],
    ['a relation is a mapping with metadata', "{{ ref('m').get('metadata', {}).get('type', '').endswith('Relation') }} {{ source('raw', 'events').identifier }}", 'true events'],
  ])('%s', (_name, text, expected) => {
    expect(render(text)).toBe(expected);
  });

  it('adapter.dispatch tries the engine, its parents, then default: redshift uses postgres__', () => {
    expect(render("{{ shout('q') }}", scope('redshift'))).toBe('pg:q');
    expect(render("{{ shout('q') }}", scope('postgres'))).toBe('pg:q');
    expect(error("{{ adapter.dispatch('nope', 'util')() }}").message).toMatch(/No macro named 'nope' found within namespace: 'util'/);
  });

  it("dbt's graph and the like are errors naming them, not empty values", () => {
    expect(error('{% for n in graph.nodes %}x{% endfor %}').message).toBe("'graph' is not supported by sparkify's templates");
    expect(error('{{ util.greet(graph) }}').message).toBe("'graph' is not supported by sparkify's templates");
  });

  it('log() and exceptions.warn() are told to the compile', () => {
    const logs: string[] = [];
    render("{{ log('quiet') }}{{ log('loud', info=True) }}{{ exceptions.warn('careful') }}", scope('duckdb', undefined, logs));
    expect(logs).toEqual(['debug: quiet', 'info: loud', 'warn: careful']);
  });

  it('an undefined name is an error at its line; in an if it is false, as in Jinja', () => {
    const e = error('select 1\n  , {{ foo }}\n');
    expect([e.message, e.file, e.line, e.column]).toEqual(["'foo' is undefined", '/p/models/m.sql', 2, 8]);
    expect(error('{{ target.nope }}').message).toBe("'target.nope' is undefined");
    expect(render('{% if foo %}x{% else %}y{% endif %}')).toBe('y');
  });

  it('an error inside a macro names the macro file and line', () => {
    const e = error('select\n{{ fails() }}');
    expect([e.message, e.file, e.line]).toEqual(['bad input: 3', '/p/macros/util.sql', 5]);
    const u = error('select\n{{ undefined_inside() }}');
    expect([u.message, u.file, u.line]).toEqual(["'no_such_name' is undefined", '/p/macros/util.sql', 12]);
  });

  it('run_query and statement blocks read the warehouse through the query cache', () => {
    const q: QueryCache = { answers: new Map(), pending: new Set() };
    const text = "{% set r = run_query('select 1 as n') %}{% call statement('s', fetch_result=True) %}select 2 as n{% endcall %}{{ r.columns[0].values()[0] }}-{{ r[0][0] }}-{{ r.rows[0].n }}-{{ load_result('s')['data'][0][0] }}";
    const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text }, scope().templates) as PreparedModel;
    const first = renderModel(p, scope('duckdb', q), { isIncremental: false });
    expect(first.pendingQueries).toBe(true);
    expect([...q.pending]).toEqual(['select 1 as n', 'select 2 as n']);
    q.answers.set('select 1 as n', { rows: [{ n: 1 }] });
    q.answers.set('select 2 as n', { rows: [{ n: 2 }] });
    q.pending.clear();
    const second = renderModel(p, scope('duckdb', q), { isIncremental: false });
    expect([second.pendingQueries, second.compiledSql, second.errors]).toEqual([false, '1-1-1-2', []]);
    expect(error("{{ run_query('select 1') }}").message).toMatch(/no connection to the warehouse/);
  });

  it('namespace attributes are the only ones {% set %} can change, and blocked names stay blocked', () => {
    expect(error("{% set d = {} %}{% set d.x = 1 %}").message).toMatch(/only a namespace\(\)/);
    expect(error("{% set ns = namespace() %}{% set ns.constructor = 1 %}").message).toMatch(/cannot be used in a template/);
    expect(error("{{ namespace().constructor }}").message).toMatch(/cannot be used in a template/);
    expect(render("{{ ref('m').get('constructor', 1) }}{{ {}.get('constructor', 2) }}")).toBe('12');
  });
});

describe("dbt's cross-database macros, spelled per engine", () => {
  const calls = [
    "dbt.dateadd('day', 1, 'd')",
    "dbt.datediff('a', 'b', 'day')",
    "dbt.date_trunc('month', 'd')",
    "dbt.concat(['a', \"'-'\", 'b'])",
    "dbt.safe_cast('x', dbt.type_int())",
    'dbt.type_string()',
    "dbt.hash('x')",
    "dbt.split_part('s', \"','\", 2)",
    "dbt.split_part('s', \"','\", -1)",
    "dbt.listagg('v', \"','\", 'order by v')",
    "dbt.any_value('x')",
    "dbt.length('x')",
    'dbt.current_timestamp()',
  ];
  it.each(['duckdb', 'postgres', 'redshift'] as const)('%s', (type) => {
    const out = Object.fromEntries(calls.map((c) => [c, render(`{{ ${c} }}`, scope(type))]));
    expect(out).toMatchSnapshot();
  });
  it('unqualified, as dbt global macros, with keyword arguments', () => {
    expect(render("{{ dateadd(datepart='day', interval=2, from_date_or_timestamp='d') }}", scope('redshift'))).toBe('dateadd(day, 2, d)');
    expect(error("{{ dbt.dateadd('day') }}").message).toMatch(/dbt.dateadd\(\) is missing its argument 'interval'/);
  });
});
