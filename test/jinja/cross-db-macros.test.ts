import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveProjectTarget, run } from '../../src/api.js';
import { openEngine } from '../../src/adapters/create-engine.js';
import { removeDir, writeProject } from '../helpers/project.js';
import { dropSchema, freshSchema, pgCfg } from '../postgres/pg.js';

/**
 * dbt's cross-database macros and the compile-time warehouse calls (run_query, statement blocks,
 * adapter.get_relation, get_columns_in_relation) give the same values on DuckDB and PostgreSQL.
 */
const MODELS: Record<string, string> = {
  'models/scalars.sql': `{{ config(materialized='table') }}
select
  cast(cast({{ dbt.dateadd('day', 3, "cast('2024-01-30' as date)") }} as date) as varchar) as date_added,
  cast(cast({{ dbt.dateadd('month', -1, "cast('2024-03-31' as date)") }} as date) as varchar) as month_back,
  {{ dbt.datediff("cast('2024-01-01' as date)", "cast('2024-03-01' as date)", 'day') }} as diff_days,
  {{ dbt.datediff("cast('2024-01-31' as date)", "cast('2024-03-01' as date)", 'month') }} as diff_months,
  {{ dbt.datediff("cast('2023-12-31' as date)", "cast('2024-01-01' as date)", 'year') }} as diff_years,
  {{ dbt.datediff("cast('2024-01-01 10:00:00' as timestamp)", "cast('2024-01-02 12:30:00' as timestamp)", 'hour') }} as diff_hours,
  cast(cast({{ dbt.date_trunc('month', "cast('2024-02-17' as date)") }} as date) as varchar) as month_start,
  cast({{ dbt.last_day("cast('2024-02-10' as date)", 'month') }} as varchar) as month_end,
  {{ dbt.concat(["'a'", "'-'", "'b'"]) }} as joined,
  {{ dbt.safe_cast("'42'", dbt.type_int()) }} + 1 as cast_int,
  {{ dbt.hash("'abc'") }} as md5_abc,
  {{ dbt.split_part("'a,b,c'", "','", 2) }} as second_part,
  {{ dbt.split_part("'a,b,c'", "','", -1) }} as last_part,
  {{ dbt.length("'abcd'") }} as len,
  {{ dbt.position("'c'", "'abc'") }} as pos,
  {{ dbt.right("'abcdef'", 2) }} as right_two,
  {{ dbt.replace("'aXbX'", "'X'", "'-'") }} as replaced,
  cast({{ dbt.string_literal("it's") }} as {{ dbt.type_string() }}) as literal,
  {{ dbt.cast_bool_to_text('1 = 1') }} as bool_text,
  cast(1.5 as {{ dbt.type_numeric() }}) * 2 as num
`,
  'models/aggregates.sql': `{{ config(materialized='table') }}
select
  {{ dbt.listagg('v', "','", 'order by v') }} as listed,
  {{ dbt.any_value('v') }} in ('a', 'b', 'c') as any_ok,
  {{ dbt.bool_or("v = 'b'") }} as has_b,
  count(*) as n
from (select 'b' as v union all select 'a' union all select 'c') as t
`,
  'models/introspect.sql': `{{ config(materialized='table') }}
{%- set answer = run_query('select 40 + 2 as answer') -%}
{%- call statement('seven', fetch_result=True) -%} select 7 as n {%- endcall -%}
{%- set found = adapter.get_relation(database=target.database, schema=target.schema, identifier='existing') -%}
{%- set missing = adapter.get_relation(target.database, target.schema, 'not_there') -%}
{%- set cols = adapter.get_columns_in_relation(found) -%}
select
  {{ answer.columns[0].values()[0] }} as answer,
  {{ load_result('seven')['data'][0][0] }} as seven,
  '{{ found.identifier }}' as found,
  {{ 'true' if missing is none else 'false' }} as missing_is_none,
  '{{ cols | map(attribute='name') | join(',') }}' as existing_columns
`,
};

const cases = (['duckdb', 'postgres'] as const).map((type) => [type] as const);

describe.each(cases)('cross-database macros on %s', (type) => {
  const schema = freshSchema('crossdb');
  let dir: string;
  const rows: Record<string, Record<string, unknown>> = {};

  beforeAll(async () => {
    dir = writeProject({ ...MODELS, 'dwh.cfg': `[DUCKDB]\nPATH = w.duckdb\nSCHEMA = ${schema}\n${pgCfg(schema)}` });
    const opts = { projectDir: dir, targetName: type, env: {} };
    const target = resolveProjectTarget(opts);
    // a relation that exists before the compile, for adapter.get_relation()
    const setup = await openEngine(target, 1);
    await setup.withConnection(async (c) => {
      await c.execute(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await c.execute(`CREATE TABLE "${schema}"."existing" (id integer, label varchar(10))`);
    });
    await setup.close();
    const { result } = await run(opts);
    expect(result.results.filter((r) => r.status !== 'success')).toEqual([]);
    const engine = await openEngine(target, 1);
    try {
      for (const m of ['scalars', 'aggregates', 'introspect']) {
        const [row] = await engine.withConnection((c) => c.query(`select * from "${schema}"."${m}"`));
        rows[m] = Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, typeof v === 'boolean' ? v : String(v)]));
      }
    } finally {
      await engine.close();
    }
  });

  afterAll(async () => {
    if (type === 'postgres') await dropSchema(schema);
    if (dir) removeDir(dir);
  });

  it('gives dbt’s values for the scalar macros', () => {
    expect(rows.scalars).toEqual({
      date_added: '2024-02-02',
      month_back: '2024-02-29',
      diff_days: '60',
      diff_months: '2',
      diff_years: '1',
      diff_hours: '26',
      month_start: '2024-02-01',
      month_end: '2024-02-29',
      joined: 'a-b',
      cast_int: '43',
      md5_abc: '900150983cd24fb0d6963f7d28e17f72',
      second_part: 'b',
      last_part: 'c',
      len: '4',
      pos: '3',
      right_two: 'ef',
      replaced: 'a-b-',
      literal: "it's",
      bool_text: 'true',
      num: '3.000000',
    });
  });

  it('gives dbt’s values for the aggregate macros', () => {
    expect(rows.aggregates).toEqual({ listed: 'a,b,c', any_ok: true, has_b: true, n: '3' });
  });

  it('answers run_query, statement blocks and adapter.get_relation from the warehouse at compile time', () => {
    expect(rows.introspect).toEqual({ answer: '42', seven: '7', found: 'existing', missing_is_none: true, existing_columns: 'id,label' });
  });
});
