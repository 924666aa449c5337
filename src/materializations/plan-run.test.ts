import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import type { ExistingRelation, Step } from '../adapters/adapter.js';
import { resolveTarget } from '../config/load-config.js';
import { compileProject } from '../compile/compile-project.js';
import { ProjectError } from '../errors.js';
import { loadProject } from '../project/load-project.js';
import { planRun, type Plan } from './plan-run.js';

const repo = path.resolve(import.meta.dirname, '../..');

function compileRepo(type: 'duckdb') {
  const target = resolveTarget({ projectDir: repo, env: {}, readFile: () => undefined, targetName: type });
  target.s3 = { logData: '/data/log_data', logJsonPath: '/data/log_json_path.json', songData: '/data/song_data' };
  const dialect = createDialect(type);
  return { manifest: compileProject(loadProject(repo), { target, dialect, env: {} }), dialect };
}

function render(plan: Plan): string {
  const step = (s: Step) => (s.kind === 'transaction' ? `BEGIN;\n${s.statements.join(';\n')};\nCOMMIT;` : s.kind === 'load' ? `-- load ${s.source.id} into ${s.into.schema}.${s.into.name}` : `${s.sql};`);
  return [
    '-- setup',
    ...plan.setup.map(step),
    ...plan.nodes.flatMap((n) => [`\n-- ${n.id} (${n.materialization})`, ...n.steps.map(step)]),
  ].join('\n') + '\n';
}

describe('planRun on DuckDB', () => {
  const { manifest, dialect } = compileRepo('duckdb');
  // what `sparkify run` plans: sources and models
  const all = manifest.order.filter((id) => ['model', 'source'].includes(manifest.nodes[id]!.resourceType));

  it('a first build creates each table from a tmp relation', async () => {
    await expect(render(planRun(manifest, all, [], dialect))).toMatchFileSnapshot('./__golden__/duckdb-first-build.sql');
  });

  it('a rebuild swaps tables in one transaction and drops leftovers of a crashed run', async () => {
    const existing: ExistingRelation[] = [
      ...all.map((id) => ({ ...manifest.nodes[id]!.relation, type: 'table' as const })),
      { schema: 'main', name: 'songplays__sparkify_tmp', type: 'table' },
      { schema: 'main', name: 'users__sparkify_old', type: 'table' },
    ];
    const plan = planRun(manifest, all, existing, dialect);
    expect(plan.setup.map((s) => (s.kind === 'sql' ? s.sql : ''))).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "main"',
      'DROP TABLE IF EXISTS "main"."songplays__sparkify_tmp"',
      'DROP TABLE IF EXISTS "main"."users__sparkify_old"',
    ]);
    await expect(render(plan)).toMatchFileSnapshot('./__golden__/duckdb-rebuild.sql');
  });

  it('refuses to plan a model whose parent relation does not exist, naming the fix', () => {
    expect(() => planRun(manifest, ['model.time'], [], dialect)).toThrow(ProjectError);
    expect(() => planRun(manifest, ['model.time'], [], dialect)).toThrow(/model time depends on model songplays/);
    expect(() => planRun(manifest, ['model.time'], [{ schema: 'main', name: 'songplays', type: 'table' }], dialect)).not.toThrow();
  });
});
