import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import { resolveTarget } from '../config/load-config.js';
import { ErrorList, ProjectError, SparkifyError, TemplateError } from '../errors.js';
import type { Project } from '../project/load-project.js';
import { defaultSettings, readProjectSettings } from '../project/project-settings.js';
import type { ModelNode } from '../types.js';
import { compileProject } from './compile-project.js';

const target = resolveTarget({ projectDir: '/p', env: {}, readFile: () => undefined });

function project(models: Record<string, string>, extra: Partial<Project> = {}): Project {
  return {
    dir: '/p',
    settings: defaultSettings(),
    models: Object.entries(models).map(([p, text]) => ({ name: p.split('/').pop()!.replace(/\.sql$/, ''), path: p, file: `/p/${p}`, text })),
    macros: [],
    sourcesFiles: [{ path: 'sources.yml', file: '/p/sources.yml', text: 'version: 2\nsources:\n  - name: raw\n    tables:\n      - name: events\n' }],
    docFiles: [],
    problems: [],
    ...extra,
  };
}

function compile(p: Project, vars?: Record<string, unknown>, env: Record<string, string> = {}) {
  return compileProject(p, { target, dialect: createDialect('duckdb'), vars, env });
}

function errorsOf(fn: () => unknown): SparkifyError[] {
  try {
    fn();
  } catch (e) {
    return e instanceof ErrorList ? e.errors : [e as SparkifyError];
  }
  throw new Error('expected errors');
}

const model = (m: ReturnType<typeof compile>, name: string) => m.nodes[`model.${name}`] as ModelNode;

describe('compileProject', () => {
  it('resolves ref and source into relations and dependencies', () => {
    const m = compile(project({ 'models/a.sql': "select * from {{ source('raw', 'events') }}", 'models/b.sql': "select * from {{ ref('a') }}" }));
    expect(model(m, 'b').compiledSql).toBe('select * from "main"."a"');
    expect(model(m, 'a').dependsOn).toEqual(['source.raw.events']);
    expect(m.order).toEqual(['source.raw.events', 'model.a', 'model.b']);
    expect(m.childMap['model.a']).toEqual(['model.b']);
  });

  it('applies folder defaults from sparkify.yml, then config() in the model', () => {
    const projectFile = { path: 'sparkify.yml', file: '/p/sparkify.yml', text: 'vars: {k: 1}\nmodels:\n  +tags: [all]\n  sparkify:\n    marts:\n      +materialized: view\n' };
    const p = project(
      { 'models/marts/a.sql': 'select 1', 'models/marts/b.sql': "{{ config(materialized='table', schema='x') }}select 1", 'models/c.sql': 'select 1' },
      { projectFile, settings: readProjectSettings({ sparkify: projectFile }, []) },
    );
    const m = compile(p);
    expect(model(m, 'a').config).toMatchObject({ materialized: 'view', tags: ['all'] });
    expect(model(m, 'b').config.materialized).toBe('table');
    expect(model(m, 'b').relation).toEqual({ schema: 'main_x', name: 'b' });
    expect(model(m, 'c').config.materialized).toBe('view');
    expect(m.vars).toEqual({ k: 1 });
  });

  it('leaves disabled models out, and a ref to one is an error', () => {
    const errs = errorsOf(() => compile(project({ 'models/a.sql': '{{ config(enabled=false) }}select 1', 'models/b.sql': "select * from\n{{ ref('a') }}" })));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ message: "ref('a') points at a disabled model", file: '/p/models/b.sql', line: 2, column: 4 });
  });

  it.each([
    ['an unknown source', "select * from {{ source('raw', 'evnts') }}", /unknown source in source\('raw', 'evnts'\)/, "did you mean 'raw.events'?"],
    ['a bad config value', "{{ config(materialized='tabel') }}", /config materialized: must be one of table, view, incremental/, undefined],
    ['an unset var', "select {{ var('missing') }}", /required var 'missing' is not set/, undefined],
    ['an unset env_var', "select '{{ env_var('NOPE_X') }}'", /environment variable 'NOPE_X' is not set/, undefined],
    ['an unknown date part', "select {{ date_part('fortnight', 'x') }}", /unknown part/, undefined],
  ])('locates %s', (_name, sql, message, hint) => {
    const errs = errorsOf(() => compile(project({ 'models/a.sql': sql })));
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message).toMatch(message);
    expect(errs[0]).toMatchObject({ file: '/p/models/a.sql', line: 1 });
    if (hint) expect(errs[0]!.hint).toBe(hint);
  });

  it('locates a call to an unknown function at its line (runtime nunjucks errors are 0-based)', () => {
    const errs = errorsOf(() => compile(project({ 'models/a.sql': 'select 1\nfrom t\nwhere {{ nope() }}' })));
    expect(errs[0]).toBeInstanceOf(TemplateError);
    expect(errs[0]).toMatchObject({ file: '/p/models/a.sql', line: 3 });
  });

  it('reports errors of different models together, sorted by file', () => {
    const errs = errorsOf(() => compile(project({ 'models/z.sql': "{{ ref('x') }}", 'models/a.sql': "{{ ref('y') }}" })));
    expect(errs.map((e) => e.file)).toEqual(['/p/models/a.sql', '/p/models/z.sql']);
    expect(errs.every((e) => e instanceof ProjectError)).toBe(true);
  });

  it('renders vars, target and the cross-engine helpers', () => {
    const m = compile(project({ 'models/a.sql': "select {{ var('n') }} as n, '{{ target.type }}' as t, {{ date_part('dow', 'x') }} as d, {{ epoch_ms_to_timestamp('ts') }} as s" }), { n: 5 });
    expect(model(m, 'a').compiledSql).toBe("select 5 as n, 'duckdb' as t, CAST(EXTRACT(DOW FROM x) AS INTEGER) as d, EPOCH_MS(CAST(ts AS BIGINT)) as s");
  });
});
