import { describe, expect, it } from 'vitest';
import { createDialect } from '../adapters/create-engine.js';
import type { Step } from '../adapters/adapter.js';
import type { Manifest, ModelNode } from '../types.js';
import { incremental } from './incremental.js';
import { MATERIALIZATIONS, MODEL_CONFIG_SCHEMA } from './index.js';

function model(config: Partial<ModelNode['config']>): ModelNode {
  return {
    id: 'model.m',
    resourceType: 'model',
    name: 'm',
    fqn: ['p', 'm'],
    path: 'models/m.sql',
    file: '/p/models/m.sql',
    rawSql: '',
    compiledSql: 'select 1 as id',
    compiledIncrementalSql: 'select 2 as id',
    lineMap: [],
    config: { materialized: 'incremental', tags: [], enabled: true, ...config },
    dependsOn: [],
    refs: [],
    sources: [],
    columns: [],
    relation: { schema: 's', name: 'm' },
  };
}

const ctx = { existing: 'table' as const, fullRefresh: false, manifest: { target: { schema: 's' }, nodes: {}, parentMap: {} } as unknown as Manifest };
const transaction = (steps: Step[]) => steps.find((s): s is Extract<Step, { kind: 'transaction' }> => s.kind === 'transaction')!.statements;

describe('the incremental materialization', () => {
  it.each([
    ['duckdb', {}, ['DELETE FROM "s"."m" USING "s"."m__sparkify_tmp" WHERE "s"."m"."id" = "m__sparkify_tmp"."id"', 'INSERT INTO "s"."m" SELECT * FROM "s"."m__sparkify_tmp"']],
    ['duckdb', { incremental_strategy: 'merge' }, ['MERGE INTO "s"."m" USING "s"."m__sparkify_tmp" ON ("s"."m"."id" = "m__sparkify_tmp"."id")\nWHEN MATCHED THEN UPDATE\nWHEN NOT MATCHED THEN INSERT']],
    ['postgres', {}, ['DELETE FROM "s"."m" USING "s"."m__sparkify_tmp" WHERE "s"."m"."id" = "m__sparkify_tmp"."id"', 'INSERT INTO "s"."m" SELECT * FROM "s"."m__sparkify_tmp"']],
    ['redshift', {}, ['MERGE INTO "s"."m" USING "s"."m__sparkify_tmp" ON "s"."m"."id" = "m__sparkify_tmp"."id" REMOVE DUPLICATES']],
    ['redshift', { incremental_strategy: 'delete+insert' }, ['DELETE FROM "s"."m" USING "s"."m__sparkify_tmp" WHERE "s"."m"."id" = "m__sparkify_tmp"."id"', 'INSERT INTO "s"."m" SELECT * FROM "s"."m__sparkify_tmp"']],
    ['postgres', { incremental_strategy: 'append' }, ['INSERT INTO "s"."m" SELECT * FROM "s"."m__sparkify_tmp"']],
  ] as const)('%s %j upserts with the dialect statements', (engine, config, statements) => {
    const plan = incremental.plan(model({ unique_key: 'id', ...config }), createDialect(engine), ctx)!;
    expect(transaction(plan.steps)).toEqual(statements);
    expect(plan.steps.some((s) => s.kind === 'sql' && s.sql.includes('select 2 as id'))).toBe(true);
  });

  it('builds the whole table on the first build and on a full refresh', () => {
    const d = createDialect('postgres');
    for (const c of [{ ...ctx, existing: undefined }, { ...ctx, fullRefresh: true }]) {
      const sql = incremental.plan(model({ unique_key: 'id' }), d, c)!.steps.map((s) => ('sql' in s ? s.sql : ''));
      expect(sql.some((s) => s.includes('select 1 as id'))).toBe(true);
      expect(sql.some((s) => s.includes('select 2 as id'))).toBe(false);
    }
  });

  it('refuses a strategy the engine cannot spell, or an upsert without a unique_key, naming the model', () => {
    expect(() => incremental.plan(model({ unique_key: 'id', incremental_strategy: 'merge' }), createDialect('postgres'), ctx)).toThrow(/PostgreSQL has no incremental_strategy 'merge'/);
    expect(() => incremental.plan(model({ incremental_strategy: 'delete+insert' }), createDialect('duckdb'), ctx)).toThrow(/'delete\+insert' needs a unique_key/);
  });

  it('is one file among the registered materializations, whose config keys make up a model config()', () => {
    expect(Object.keys(MATERIALIZATIONS).sort()).toEqual(['copy', 'incremental', 'seed', 'snapshot', 'table', 'test', 'view']);
    for (const k of ['unique_key', 'incremental_strategy', 'bind', 'dist', 'sort', 'materialized']) expect(MODEL_CONFIG_SCHEMA.keys).toContain(k);
    expect(MODEL_CONFIG_SCHEMA.check('incremental_strategy', 'upsert')).toMatch(/must be one of 'delete\+insert', 'merge', 'append'/);
    expect(MODEL_CONFIG_SCHEMA.check('sort', ['a', 'b'])).toBeUndefined();
    expect(MODEL_CONFIG_SCHEMA.check('bind', 'yes')).toBe('must be true or false');
  });
});
