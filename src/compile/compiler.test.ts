import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import { resolveTarget } from '../config/load-config.js';
import type { Project } from '../project/load-project.js';
import { defaultSettings } from '../project/project-settings.js';
import type { ModelNode } from '../types.js';
import { compileProject } from './compile-project.js';
import { Compiler } from './compiler.js';

const target = resolveTarget({ projectDir: '/p', env: {}, readFile: () => undefined });
const dialect = createDialect('duckdb');

function project(dir: string, models: Record<string, string>, macros: Record<string, string> = {}): Project {
  return {
    dir,
    settings: defaultSettings(),
    models: Object.entries(models).map(([p, text]) => ({ name: p.split('/').pop()!.replace(/\.sql$/, ''), path: p, file: `${dir}/${p}`, text })),
    macros: Object.entries(macros).map(([p, text]) => ({ path: p, file: `${dir}/${p}`, text })),
    sourcesFiles: [],
    docFiles: [],
    problems: [],
  };
}

const sql = (m: ReturnType<typeof compileProject>, name: string) => (m.nodes[`model.${name}`] as ModelNode).compiledSql;

describe('Compiler: the state of one project\'s compiles', () => {
  it('keeps its template environment while the macros are unchanged, and makes a new one when they change', () => {
    const c = new Compiler();
    const macros = [{ path: 'macros/m.sql', file: '/a/macros/m.sql', text: '{% macro m() %}1{% endmacro %}' }];
    const first = c.templateEnvironment(macros, [], 'p');
    expect(c.templateEnvironment([{ ...macros[0]! }], [], 'p')).toBe(first);
    expect(c.templateEnvironment([{ ...macros[0]!, text: '{% macro m() %}2{% endmacro %}' }], [], 'p')).not.toBe(first);
    // another compiler never hands out the same environment, even for the same files
    expect(new Compiler().templateEnvironment(macros, [], 'p')).not.toBe(c.templateEnvironment(macros, [], 'p'));
  });

  it('two projects compiled in turn in one process, each with its own compiler, never see each other\'s macros or templates', () => {
    // the same model path and macro file in both, with different texts
    const a = project('/a', { 'models/x.sql': "select {{ m() }} as v, '{{ var('who', 'a') }}' as who" }, { 'macros/m.sql': '{% macro m() %}1{% endmacro %}' });
    const b = project('/b', { 'models/x.sql': "select {{ m() }} as v, '{{ var('who', 'b') }}' as who" }, { 'macros/m.sql': '{% macro m() %}2{% endmacro %}' });
    const ca = new Compiler();
    const cb = new Compiler();
    for (let round = 0; round < 3; round++) {
      expect(sql(compileProject(a, { target, dialect, env: {}, compiler: ca }), 'x')).toBe("select 1 as v, 'a' as who");
      expect(sql(compileProject(b, { target, dialect, env: {}, compiler: cb }), 'x')).toBe("select 2 as v, 'b' as who");
      // without a compiler, a fresh one
      expect(sql(compileProject(a, { target, dialect, env: {} }), 'x')).toBe("select 1 as v, 'a' as who");
    }
  });
});

describe('ManifestText', () => {
  it('is JSON.stringify(manifest) with the secrets masked, when nodes are kept, changed and the secrets change', async () => {
    const { ManifestText } = await import('./manifest-text.js');
    const { secretMask } = await import('../mask-secrets.js');
    const compiler = new Compiler();
    const p = (v: string) => project('/a', { 'models/x.sql': `select '${v}' as s, 'postgres://u:hunter2pw@h/db' as url`, 'models/y.sql': "select * from {{ ref('x') }}" });
    const text = new ManifestText();
    for (const [v, secrets] of [['s3cr3t-value', ['s3cr3t-value']], ['other', ['s3cr3t-value']], ['other', ['other-secret']], ['s3cr3t-value', []]] as const) {
      const m = compileProject(p(v), { target, dialect, env: {}, compiler });
      expect(text.text(m, [...secrets])).toBe(secretMask([...secrets])(JSON.stringify(m)));
    }
  });
});
