import { createHash } from 'node:crypto';
import { cpSync, existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProjectTarget, run } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import type { RunResult } from '../../src/runner/execute-plan.js';
import { REPO_ROOT, removeDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/**
 * dbt-utils 1.4.1, unmodified, installed in a project's dbt_packages/: its macros and generic tests
 * give the results dbt_utils documents, on DuckDB and PostgreSQL.
 */
const DBT_UTILS = path.resolve(REPO_ROOT, '../shared/dbt-projects/packages/dbt_utils');
const HAS_DBT_UTILS = existsSync(path.join(DBT_UTILS, 'dbt_project.yml'));
if (!HAS_DBT_UTILS) console.warn(`skipping the dbt_utils tests: dbt-utils is not at ${DBT_UTILS} (the shared dbt projects are absent)`);

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

/** Built in a first run: the macros that read a relation's columns need it to exist. */
const BASE = {
  'models/people.sql': `{{ config(materialized='table') }}
select 1 as id, 'ann' as first_name, cast(null as varchar(10)) as nickname, 10 as amount
union all select 2, 'bob', 'bobby', 20
union all select 3, 'cy', null, 30
`,
  'models/others.sql': `{{ config(materialized='table') }}
select 4 as id, 'dee' as first_name, 'x' as extra
union all select 5, 'ed', 'y'
`,
  'models/keyed.sql': `{{ config(materialized='table') }}
select id, {{ dbt_utils.generate_surrogate_key(['id', 'first_name']) }} as sk, {{ dbt_utils.generate_surrogate_key(['nickname']) }} as sk_nickname
from {{ ref('people') }}
`,
  'models/pivoted.sql': `{{ config(materialized='table') }}
select size, {{ dbt_utils.pivot('color', ['red', 'blue']) }}
from (select 'S' as size, 'red' as color union all select 'S', 'blue' union all select 'S', 'red' union all select 'M', 'red') as t
group by size
`,
  'models/spine.sql': `{{ config(materialized='table') }}
{{ dbt_utils.date_spine(datepart="day", start_date="cast('2024-01-30' as date)", end_date="cast('2024-02-03' as date)") }}
`,
  // safe_add and safe_subtract write a multi-line string ('...\\\n...'.format()) for their warning
  'models/sums.sql': `{{ config(materialized='table') }}
select id, {{ dbt_utils.safe_add(['amount', 'id']) }} as total, {{ dbt_utils.safe_subtract(['amount', 'id']) }} as diff
from {{ ref('people') }}
`,
  'models/schema.yml': `version: 2
models:
  - name: people
    data_tests:
      - dbt_utils.expression_is_true:
          expression: "amount >= 10"
      - dbt_utils.expression_is_true:
          expression: "amount > 15"
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [id, first_name]
      - dbt_utils.unique_combination_of_columns:
          combination_of_columns: [nickname]
    columns:
      - name: amount
        data_tests:
          - dbt_utils.accepted_range:
              min_value: 0
              max_value: 100
          - dbt_utils.accepted_range:
              min_value: 0
              max_value: 20
              inclusive: false
`,
};

/** Built in a second run, once people and others exist. */
const INTROSPECTING = {
  'models/starred.sql': `{{ config(materialized='table') }}
select {{ dbt_utils.star(from=ref('people'), except=['amount']) }} from {{ ref('people') }}
`,
  'models/unioned.sql': `{{ config(materialized='table') }}
{{ dbt_utils.union_relations(relations=[ref('people'), ref('others')]) }}
`,
};

const cases = (['duckdb', 'postgres'] as const).map((type) => [type] as const);

describe.skipIf(!HAS_DBT_UTILS).each(cases)('dbt_utils on %s', (type) => {
  const schema = freshSchema('dbtutils');
  let dir: string;
  let tests: RunResult;
  let readRows: (sql: string) => Promise<Record<string, unknown>[]>;
  let closeEngine: () => Promise<void>;

  beforeAll(async () => {
    dir = writeProject({ ...BASE, 'dwh.cfg': `[DUCKDB]\nPATH = w.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}` });
    cpSync(DBT_UTILS, path.join(dir, 'dbt_packages', 'dbt_utils'), { recursive: true });
    const opts = { projectDir: dir, targetName: type, env: {} };
    const first = await run(opts);
    expect(first.result.results.filter((r) => r.status !== 'success')).toEqual([]);
    for (const [f, text] of Object.entries(INTROSPECTING)) {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(path.join(dir, f), text);
    }
    const second = await run({ ...opts, select: ['starred', 'unioned'] });
    expect(second.result.results.filter((r) => r.status !== 'success')).toEqual([]);
    tests = (await run({ ...opts, resourceTypes: ['test'] })).result;
    const engine = await openEngine(resolveProjectTarget(opts), 1);
    readRows = (sql) => engine.withConnection((c) => c.query(sql.replace(/\bS\./g, `"${schema}".`)));
    closeEngine = () => engine.close();
  });

  afterAll(async () => {
    await closeEngine?.();
    if (type === 'postgres') await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('generate_surrogate_key: md5 of the fields joined by -, nulls as _dbt_utils_surrogate_key_null_', async () => {
    const rows = await readRows('select id, sk, sk_nickname from S.keyed order by id');
    expect(rows.map((r) => [Number(r.id), r.sk, r.sk_nickname])).toEqual([
      [1, md5('1-ann'), md5('_dbt_utils_surrogate_key_null_')],
      [2, md5('2-bob'), md5('bobby')],
      [3, md5('3-cy'), md5('_dbt_utils_surrogate_key_null_')],
    ]);
  });

  it('star: every column but the excepted ones, quoted, in order', async () => {
    const rows = await readRows('select * from S.starred order by id');
    expect(Object.keys(rows[0]!)).toEqual(['id', 'first_name', 'nickname']);
    expect(rows.map((r) => r.first_name)).toEqual(['ann', 'bob', 'cy']);
  });

  it('pivot: one column per value, the sum of 1 when it matches', async () => {
    const rows = await readRows('select size, red, blue from S.pivoted order by size');
    expect(rows.map((r) => [r.size, Number(r.red), Number(r.blue)])).toEqual([
      ['M', 1, 0],
      ['S', 2, 1],
    ]);
  });

  it('safe_add and safe_subtract: the sum and the difference of the fields, nulls as 0', async () => {
    const rows = await readRows('select id, total, diff from S.sums order by id');
    expect(rows.map((r) => [Number(r.id), Number(r.total), Number(r.diff)])).toEqual([
      [1, 11, 9],
      [2, 22, 18],
      [3, 33, 27],
    ]);
  });

  it('date_spine: every day from the start date to before the end date', async () => {
    const rows = await readRows('select cast(cast(date_day as date) as varchar) as d from S.spine order by 1');
    expect(rows.map((r) => r.d)).toEqual(['2024-01-30', '2024-01-31', '2024-02-01', '2024-02-02']);
  });

  it('union_relations: the columns of all, null where a relation lacks one, and the source relation', async () => {
    const rows = await readRows('select * from S.unioned order by id');
    expect(Object.keys(rows[0]!)).toEqual(['_dbt_source_relation', 'id', 'first_name', 'nickname', 'amount', 'extra']);
    expect(rows.map((r) => [r._dbt_source_relation, Number(r.id), r.first_name, r.extra])).toEqual([
      [`"${schema}"."people"`, 1, 'ann', null],
      [`"${schema}"."people"`, 2, 'bob', null],
      [`"${schema}"."people"`, 3, 'cy', null],
      [`"${schema}"."others"`, 4, 'dee', 'x'],
      [`"${schema}"."others"`, 5, 'ed', 'y'],
    ]);
  });

  it('the generic tests count the failing rows dbt_utils documents', () => {
    const byName = Object.fromEntries(tests.results.map((r) => [r.name, [r.status, r.failures]]));
    expect(byName).toEqual({
      dbt_utils_expression_is_true_people_amount____10: ['pass', 0],
      dbt_utils_expression_is_true_people_amount___15: ['fail', 1],
      dbt_utils_unique_combination_of_columns_people_id_first_name: ['pass', 0],
      dbt_utils_accepted_range_people_amount_0_100: ['pass', 0],
      dbt_utils_accepted_range_people_amount_0_20_false: ['fail', 2],
      // the two rows without a nickname
      dbt_utils_unique_combination_of_columns_people_nickname: ['fail', 1],
    });
  });
});

describe.skipIf(!HAS_DBT_UTILS)('dbt_utils.star of a model not built yet', () => {
  it('is a compile error naming the model and what to do, not a model without columns', async () => {
    const dir = writeProject({ ...INTROSPECTING, 'models/people.sql': BASE['models/people.sql'], 'models/others.sql': BASE['models/others.sql'], 'dwh.cfg': '[DUCKDB]\nPATH = w.duckdb\nSCHEMA = main\n' });
    try {
      cpSync(DBT_UTILS, path.join(dir, 'dbt_packages', 'dbt_utils'), { recursive: true });
      const e = await run({ projectDir: dir, env: {} }).then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(e?.message).toContain('the columns of people are read (adapter.get_columns_in_relation, as dbt_utils.star and union_relations do) before people exists in the warehouse');
      expect(e?.message).toContain('sparkify run -s people');
      expect(e?.message).toContain(path.join('dbt_packages', 'dbt_utils', 'macros', 'sql', 'get_filtered_columns_in_relation.sql'));
    } finally {
      removeDir(dir);
    }
  });
});
