import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import { createTemplateEnvironment } from './environment.js';
import { parseFastTemplate } from './fast-render.js';
import { prepareModel, renderModel, type PreparedModel, type RenderScope } from './render-model.js';

const macros = [{ path: 'macros/m.sql', file: '/p/macros/m.sql', text: "{% macro cents(col, scale=100) %}({{ col }} * {{ scale }}){% endmacro %}\n{% macro from_x() %}select * from {{ ref('x') }} -- {{ this }}{% endmacro %}" }];
const templates = createTemplateEnvironment(macros);
const scope: RenderScope = {
  templates,
  dialect: createDialect('duckdb'),
  target: { name: 'duckdb', type: 'duckdb', schema: 'main' },
  vars: { n: 5, label: 'x', list: [1, 2] },
  env: { HOME_X: 'h' },
  models: new Map(),
  sources: new Map([['raw.events', { schema: 'main', name: 'events' }]]),
  disabled: new Set(),
};

function both(text: string) {
  const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text }, templates) as PreparedModel;
  const fast = renderModel(p, scope, { isIncremental: false });
  const slow = renderModel({ ...p, fast: undefined }, scope, { isIncremental: false });
  return { usedFast: p.fast !== undefined, fast, slow };
}

const repoModels = readdirSync(path.resolve(import.meta.dirname, '../../test/fixtures/warehouse/models/star'))
  .filter((f) => f.endsWith('.sql'))
  .map((f) => [f, readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/warehouse/models/star', f), 'utf8')] as const);

const cases: [string, string, boolean][] = [
  ['calls with every literal kind', "{{ config(materialized='view', tags=['a', \"b\"], enabled=true) }}select {{ var('n') }}, {{ var('missing', 1.5) }}, '{{ var('label') }}', {{ var('list') }} from {{ source('raw', 'events') }} join {{ ref('y') }}", true],
  ['whitespace control and comments', "select\n  {{- var('n') -}}  \n, 2 {#- a comment -#}\n  from t {# keep #} where 1 = 1\n", true],
  ['macro calls with keyword arguments', "select {{ cents('v') }}, {{ cents('w', scale=10) }}\n{{ from_x() }}", true],
  ['helpers', "select {{ date_part('dow', 'x') }}, {{ epoch_ms_to_timestamp('ts') }}, {{ surrogate_key(['a', 'b']) }}", true],
  ['escaped quotes', "select '{{ var('missing', 'it\\'s') }}'", true],
  ['a block tag falls back', "{% if true %}select 1{% endif %}", false],
  ['a filter falls back', "select '{{ var('label') | upper }}'", false],
  ['a bare variable falls back', 'select * from {{ this }}', false],
];

describe('the fast renderer gives exactly what nunjucks gives', () => {
  it.each([...cases, ...repoModels.map(([f, t]) => [`models/star/${f}`, t, !t.includes('{%')] as [string, string, boolean])])('%s', (_name, text, fastExpected) => {
    const { usedFast, fast, slow } = both(text);
    expect(usedFast).toBe(fastExpected);
    expect(fast.compiledSql).toBe(slow.compiledSql);
    expect(fast.lineMap).toEqual(slow.lineMap);
    expect(fast.config).toEqual(slow.config);
    expect(fast.refs).toEqual(slow.refs);
    expect(fast.errors.map((e) => e.message)).toEqual(slow.errors.map((e) => e.message));
  });

  it('leaves a call that throws to nunjucks, so the error is located the same way', () => {
    const { usedFast, fast, slow } = both('select 1\nfrom t\nwhere {{ nope() }}');
    expect(usedFast).toBe(true);
    expect(fast.errors.map((e) => [e.message, e.line])).toEqual(slow.errors.map((e) => [e.message, e.line]));
    expect(fast.errors[0]?.line).toBe(3);
  });

  it('parses a call once for all models, and gives each render its own lists', () => {
    const text = "{{ config(tags=['a', 'b']) }}select {{ var('n') }}";
    const one = both(text).fast;
    const two = renderModel(prepareModel({ name: 'm2', path: 'models/m2.sql', file: '/p/models/m2.sql', text }, templates) as PreparedModel, scope, { isIncremental: false });
    expect(two.config).toEqual(one.config);
    expect(two.config.tags).not.toBe(one.config.tags);
  });

  it.each(["{{ ref('a' }}", "{{ f(x) }}", "{{ f('a', b='c', 'd') }}", '{{ f(1e3) }}', "{{ f('\\n') }}"])('does not take %s', (t) => {
    expect(parseFastTemplate(t)).toBeUndefined();
  });
});
