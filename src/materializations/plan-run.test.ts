import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import type { ExistingRelation, Step } from '../adapters/adapter.js';
import { resolveTarget } from '../config/load-config.js';
import { compileProject } from '../compile/compile-project.js';
import { ProjectError } from '../errors.js';
import { loadProject } from '../project/load-project.js';
import { HELPER_RELATION, helperRelationName, planRun, type Plan } from './plan-run.js';
import { stepStatements } from './render-plan.js';

// the fixture warehouse (a frozen copy of the Sparkify project): a model added to models/ changes nothing here
const fixture = path.resolve(import.meta.dirname, '../../test/fixtures/warehouse');

function compileRepo(type: 'duckdb') {
  const target = resolveTarget({ projectDir: fixture, env: {}, readFile: () => undefined, targetName: type });
  target.s3 = { logData: '/data/log_data', logJsonPath: '/data/log_json_path.json', songData: '/data/song_data' };
  const dialect = createDialect(type);
  return { manifest: compileProject(loadProject(fixture), { target, dialect, env: {} }), dialect };
}

function render(plan: Plan): string {
  const step = (s: Step) => (s.kind === 'transaction' ? `BEGIN;\n${s.statements.join(';\n')};\nCOMMIT;` : s.kind === 'load' ? `-- load ${s.source.id} into ${s.into.schema}.${s.into.name}` : s.kind === 'sql' || s.kind === 'count' ? `${s.sql};` : stepStatements(s, createDialect('duckdb')).map((x) => `${x};`).join('\n'));
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
    expect(plan.setup.map((s) => (s.kind === 'sql' ? s.sql.split('\n')[0] : ''))).toEqual([
      'CREATE SCHEMA IF NOT EXISTS "main"',
      // the project loads its sources incrementally: the load ledger and the models' watermarks
      'CREATE TABLE IF NOT EXISTS "main"."sparkify_loaded_files" (',
      'CREATE TABLE IF NOT EXISTS "main"."sparkify_incremental_state" (',
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

describe('helper relation names (tmp, old)', () => {
  const name = (n: number, fill = 'a') => `m${fill.repeat(n - 1)}`;
  // lengths around PostgreSQL's 63-byte limit, and each dialect's maximum
  for (const [engine, max] of [['PostgreSQL', 63], ['Redshift', 127], ['DuckDB', undefined]] as const) {
    for (const len of new Set([1, 52, 62, 63, max ?? 200])) {
      it(`${engine}: a ${len}-character name gets helpers that fit, differ from it and from each other`, () => {
        const n = name(len);
        const tmp = helperRelationName(n, 'tmp', max);
        const old = helperRelationName(n, 'old', max);
        if (max !== undefined) {
          expect(Buffer.byteLength(tmp)).toBeLessThanOrEqual(max);
          expect(Buffer.byteLength(old)).toBeLessThanOrEqual(max);
        }
        expect(new Set([n, tmp, old]).size).toBe(3);
        expect(HELPER_RELATION.test(tmp) && HELPER_RELATION.test(old)).toBe(true);
        expect(HELPER_RELATION.test(n)).toBe(false);
        // deterministic: a crashed run's leftovers carry the same names
        expect(helperRelationName(n, 'tmp', max)).toBe(tmp);
      });
    }
  }

  it('keeps the readable form where it fits: <name>__sparkify_tmp', () => {
    expect(helperRelationName('songplays', 'tmp', 63)).toBe('songplays__sparkify_tmp');
    expect(helperRelationName('songplays', 'old', 63)).toBe('songplays__sparkify_old');
    expect(helperRelationName(name(49), 'tmp', 63)).toBe(`${name(49)}__sparkify_tmp`);
    expect(helperRelationName(name(50), 'tmp', 63)).toMatch(/^ma{39}__sparkify_tmp_[0-9a-f]{8}$/);
  });

  it('two long names with the same first 63 characters, and every name of 1 to 127 characters, get distinct helpers', () => {
    const a = name(63) + 'xy';
    const b = name(63) + 'xz';
    expect(helperRelationName(a, 'tmp', 63)).not.toBe(helperRelationName(b, 'tmp', 63));
    for (const max of [63, 127]) {
      const seen = new Map<string, string>();
      for (let len = 1; len <= max; len++) {
        for (const n of new Set([name(len, 'a'), name(len, 'b')])) {
          for (const kind of ['tmp', 'old'] as const) {
            const h = helperRelationName(n, kind, max);
            expect(seen.get(h), `${n} ${kind} meets ${seen.get(h)}`).toBeUndefined();
            seen.set(h, `${n} ${kind}`);
          }
        }
      }
      // a user name never equals a helper name: names shaped like helpers are compile errors
      for (const h of seen.keys()) expect(HELPER_RELATION.test(h)).toBe(true);
    }
  });
});
