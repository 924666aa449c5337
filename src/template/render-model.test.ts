import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import { createTemplateEnvironment } from './environment.js';
import { locate, prepareModel, renderModel, type PreparedModel, type RenderScope } from './render-model.js';

const templates = createTemplateEnvironment([]);
const scope: RenderScope = {
  templates,
  dialect: createDialect('duckdb'),
  target: { name: 'duckdb', type: 'duckdb', schema: 'main' },
  vars: {},
  env: {},
  models: new Map(),
  sources: new Map(),
  disabled: new Set(),
};

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('ref() locations', () => {
  // calls spelled in several ways, with text (some of it ref-like) around them
  const name = fc.constantFrom('a', 'b', 'a_b', 'ab', 'x1');
  const call = fc
    .tuple(name, fc.constantFrom("'", '"'), fc.constantFrom('', ' ', '  ', '\n'), fc.constantFrom('', ' '))
    .map(([n, q, gap, inner]) => `{{ ref${gap}(${inner}${q}${n}${q}) }}`);
  const text = fc.constantFrom('select ', '\n', 'from t ', 'xref ', "ref('a') ", '-- ref("b")\n', ', ');
  const template = fc.array(fc.oneof(call, text), { maxLength: 12 }).map((parts) => parts.join(''));

  it('are where the first call naming each model is, as locate() finds it', () => {
    fc.assert(
      fc.property(template, (t) => {
        const p = prepareModel({ name: 'm', path: 'models/m.sql', file: '/p/models/m.sql', text: t }, templates) as PreparedModel;
        const { refs } = renderModel(p, scope, { isIncremental: false });
        for (const r of refs) {
          const at = locate(t, new RegExp(`\\bref\\s*\\(\\s*['"]${escapeRe(r.name)}['"]`));
          expect({ name: r.name, line: r.line, column: r.column }).toEqual({ name: r.name, line: at?.line ?? 0, column: at?.column });
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('of a name with a quote in it are found too', () => {
    const t = `select 1\nfrom {{ ref("it's") }}`;
    const p = prepareModel({ name: 'm', path: 'models/q.sql', file: '/p/models/q.sql', text: t }, templates) as PreparedModel;
    expect(renderModel(p, scope, { isIncremental: false }).refs).toEqual([{ name: "it's", line: 2, column: 9 }]);
  });
});
