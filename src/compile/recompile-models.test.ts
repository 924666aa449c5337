import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import { resolveTarget } from '../config/load-config.js';
import { ErrorList } from '../errors.js';
import type { Project } from '../project/load-project.js';
import { readProjectSettings } from '../project/project-settings.js';
import type { Manifest } from '../types.js';
import { compileProject } from './compile-project.js';
import { Compiler } from './compiler.js';

const target = resolveTarget({ projectDir: '/p', env: {}, readFile: () => undefined });
const dialect = createDialect('duckdb');
const NAMES = ['m0', 'm1', 'm2', 'm3', 'm4', 'm5'];

interface ModelSpec {
  materialized: 'table' | 'view' | 'incremental';
  enabled: boolean;
  value: number;
  comment: boolean;
  refs: string[];
  useVar: boolean;
  useMacro: boolean;
  /** reads its own relation's name: rendered again once every relation is known */
  readsThis: boolean;
  alias: boolean;
  /** the first config() key: the merged config keeps the order of the keys */
  tagsFirst: boolean;
  error: 'none' | 'unknown-ref' | 'syntax' | 'unknown-config';
}

interface ProjectSpec {
  models: Record<string, ModelSpec>;
  macro: 'times' | 'plus';
  varK: number;
  description: string;
  testColumn: 'v' | 'k';
}

function modelText(name: string, s: ModelSpec): string {
  const cfg = [`materialized='${s.materialized}'`, `tags=['t_${name}']`];
  if (s.tagsFirst) cfg.reverse();
  if (!s.enabled) cfg.push('enabled=false');
  if (s.alias) cfg.push(`alias='${name}_x'`);
  if (s.error === 'unknown-config') cfg.push('colour=1');
  const from = s.refs.length > 0 ? s.refs.map((r) => `{{ ref('${r}') }}`).join(' cross join ') : "{{ source('raw', 'events') }}";
  return [
    `{{ config(${cfg.join(', ')}) }}`,
    s.comment ? '{# a note #}' : '',
    `select ${s.value} as v${s.useVar ? ", {{ var('k', 0) }} as k" : ''}${s.useMacro ? ", {{ twice('v') }} as t" : ''}${s.readsThis ? ", '{{ this.schema }}.{{ this.identifier }}' as at" : ''}`,
    `from ${from}`,
    s.materialized === 'incremental' ? 'where {% if is_incremental() %}v > (select max(v) from {{ this }}){% else %}true{% endif %}' : '',
    s.error === 'unknown-ref' ? "{{ ref('nope') }}" : s.error === 'syntax' ? 'and {{ v ' : '',
  ].join('\n');
}

function toProject(spec: ProjectSpec): Project {
  const projectFile = { path: 'sparkify.yml', file: '/p/sparkify.yml', text: `name: eq\nvars:\n  k: ${spec.varK}\n` };
  const names = Object.keys(spec.models).sort();
  return {
    dir: '/p',
    settings: readProjectSettings({ sparkify: projectFile }, []),
    projectFile,
    models: names.map((n) => ({ name: n, path: `models/${n}.sql`, file: `/p/models/${n}.sql`, text: modelText(n, spec.models[n]!) })),
    macros: [{ path: 'macros/twice.sql', file: '/p/macros/twice.sql', text: spec.macro === 'times' ? '{% macro twice(x) %}{{ x }} * 2{% endmacro %}' : '{% macro twice(x) %}{{ x }} + {{ x }}{% endmacro %}' }],
    sourcesFiles: [{ path: 'sources.yml', file: '/p/sources.yml', text: 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n' }],
    docFiles: [
      {
        path: 'models/schema.yml',
        file: '/p/models/schema.yml',
        text: `version: 2\nmodels:\n  - name: m0\n    description: ${spec.description}\n    columns:\n      - name: ${spec.testColumn}\n        data_tests: [not_null]\n`,
      },
    ],
    problems: [],
  };
}

const modelSpec: fc.Arbitrary<ModelSpec> = fc.record({
  materialized: fc.constantFrom('table', 'view', 'incremental'),
  enabled: fc.constantFrom(true, true, true, true, false),
  value: fc.integer({ min: 0, max: 9 }),
  comment: fc.boolean(),
  refs: fc.subarray(NAMES, { maxLength: 2 }),
  useVar: fc.boolean(),
  useMacro: fc.boolean(),
  readsThis: fc.boolean(),
  alias: fc.boolean(),
  tagsFirst: fc.boolean(),
  error: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'none', 'unknown-ref', 'syntax', 'unknown-config'),
});

/** m0..m3 refer only to models before them, so most projects compile; the edits can change that. */
const initialProject: fc.Arbitrary<ProjectSpec> = fc
  .tuple(...NAMES.slice(0, 4).map((n, i) => modelSpec.map((s) => ({ ...s, refs: s.refs.filter((r) => NAMES.indexOf(r) < i), error: 'none' as const, enabled: n === 'm0' || s.enabled }))))
  .map((specs) => ({ models: Object.fromEntries(specs.map((s, i) => [NAMES[i]!, s])), macro: 'times' as const, varK: 1, description: 'first', testColumn: 'v' as const }));

type Edit =
  | { kind: 'model'; name: string; change: Partial<ModelSpec> }
  | { kind: 'add'; name: string; spec: ModelSpec }
  | { kind: 'remove'; name: string }
  | { kind: 'macro' }
  | { kind: 'var'; value: number }
  | { kind: 'docs'; description: string; testColumn: 'v' | 'k' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('model' as const), name: fc.constantFrom(...NAMES), change: modelSpec.chain((s) => fc.subarray(Object.keys(s) as (keyof ModelSpec)[], { minLength: 1, maxLength: 2 }).map((keys) => Object.fromEntries(keys.map((k) => [k, s[k]])) as Partial<ModelSpec>)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('add' as const), name: fc.constantFrom(...NAMES), spec: modelSpec }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), name: fc.constantFrom(...NAMES.slice(1)) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'macro' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('var' as const), value: fc.integer({ min: 0, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('docs' as const), description: fc.constantFrom('first', 'second'), testColumn: fc.constantFrom('v' as const, 'k' as const) }) },
);

function apply(spec: ProjectSpec, e: Edit): ProjectSpec {
  const models = { ...spec.models };
  switch (e.kind) {
    case 'model':
      if (models[e.name]) models[e.name] = { ...models[e.name]!, ...e.change };
      return { ...spec, models };
    case 'add':
      models[e.name] ??= e.spec;
      return { ...spec, models };
    case 'remove':
      delete models[e.name];
      return { ...spec, models };
    case 'macro':
      return { ...spec, macro: spec.macro === 'times' ? 'plus' : 'times' };
    case 'var':
      return { ...spec, varK: e.value };
    case 'docs':
      return { ...spec, description: e.description, testColumn: e.testColumn };
  }
}

/** The manifest as JSON without its timestamp, or the errors' messages and locations. */
function outcome(fn: () => Manifest): string {
  try {
    const { generatedAt: _, ...rest } = fn();
    return JSON.stringify(rest);
  } catch (e) {
    const errors = e instanceof ErrorList ? e.errors : [e as Error];
    return JSON.stringify(errors.map((x) => [x.constructor.name, x.message, (x as { file?: string }).file, (x as { line?: number }).line, (x as { column?: number }).column]));
  }
}

describe('partial compile (a Compiler kept between compiles) equals a full compile', () => {
  it('on random sequences of edits to models, macros, vars and property files', { timeout: 120_000 }, () => {
    let partials = 0;
    fc.assert(
      fc.property(initialProject, fc.array(edit, { minLength: 1, maxLength: 8 }), (start, edits) => {
        const compiler = new Compiler();
        let spec = start;
        for (const e of [undefined, ...edits]) {
          if (e) spec = apply(spec, e);
          const project = toProject(spec);
          const kept = outcome(() => compileProject(project, { target, dialect, env: {}, compiler }));
          if (compiler.lastCompile === 'partial') partials++;
          const fresh = outcome(() => compileProject(project, { target, dialect, env: {} }));
          expect(kept).toBe(fresh);
        }
      }),
      { numRuns: 40 },
    );
    // the property is about the partial path: most model edits must take it
    expect(partials).toBeGreaterThan(40);
  });

  it('re-renders only the edited model, and compiles in full when more than its text changed', () => {
    const compiler = new Compiler();
    const base: ProjectSpec = {
      models: {
        m0: { materialized: 'table', enabled: true, value: 1, comment: false, refs: [], useVar: true, useMacro: true, readsThis: false, alias: false, tagsFirst: false, error: 'none' },
        m1: { materialized: 'view', enabled: true, value: 2, comment: false, refs: ['m0'], useVar: false, useMacro: false, readsThis: true, alias: false, tagsFirst: false, error: 'none' },
        m2: { materialized: 'incremental', enabled: true, value: 3, comment: false, refs: ['m1'], useVar: false, useMacro: false, readsThis: false, alias: false, tagsFirst: false, error: 'none' },
      },
      macro: 'times',
      varK: 1,
      description: 'first',
      testColumn: 'v',
    };
    const compile = (spec: ProjectSpec) => compileProject(toProject(spec), { target, dialect, env: {}, compiler });
    const first = compile(base);
    expect(compiler.lastCompile).toBe('first');
    const edited = compile(apply(base, { kind: 'model', name: 'm1', change: { value: 5 } }));
    expect(compiler.lastCompile).toBe('partial');
    expect((edited.nodes['model.m1'] as { compiledSql: string }).compiledSql).toContain('select 5 as v');
    // unchanged models keep their node objects; the edited one gets a new one
    expect(edited.nodes['model.m0']).toBe(first.nodes['model.m0']);
    expect(edited.nodes['model.m2']).toBe(first.nodes['model.m2']);
    expect(edited.nodes['model.m1']).not.toBe(first.nodes['model.m1']);
    compile(apply(base, { kind: 'model', name: 'm1', change: { refs: [] } }));
    expect(compiler.lastCompile).toBe('render');
    const otherVar = apply(base, { kind: 'var', value: 2 });
    compile(otherVar);
    expect(compiler.lastCompile).toBe('inputs');
    compile(apply(otherVar, { kind: 'remove', name: 'm2' }));
    expect(compiler.lastCompile).toBe('models');
  });
});
