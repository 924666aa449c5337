import { loadModule } from 'libpg-query';
import { beforeAll, describe, expect, it } from 'vitest';
import { traceModel } from './column-lineage.js';
import type { RelationIndex } from './trace-columns.js';

beforeAll(() => loadModule());

const index: RelationIndex = new Map();
const add = (node: string, schema: string, name: string, columns: string[] | undefined) => {
  const r = { node, label: name, columns };
  index.set(`${schema}.${name}`, r);
  index.set(name, r);
};
add('source.raw.events', 'raw', 'events', ['id', 'user_id', 'ts', 'kind', 'amount']);
add('source.raw.users', 'raw', 'users', ['id', 'name', 'country']);
add('model.legacy', 'main', 'legacy', ['id', 'amount']);
add('model.opaque', 'main', 'opaque', undefined);

const E = 'source.raw.events';
const U = 'source.raw.users';
type Row = [string, string, string[]] | [string, string, string[], RegExp];
const summary = (sql: string, known?: string[]) => {
  const r = traceModel(sql, index, known);
  return r.columns.map((c): Row => {
    const up = c.upstream.map((u) => `${u.node}:${u.column}`);
    return c.reason === undefined ? [c.column, c.kind, up] : [c.column, c.kind, up, new RegExp('.')];
  });
};
const reasons = (sql: string, known?: string[]) => Object.fromEntries(traceModel(sql, index, known).columns.map((c) => [c.column, c.reason]));

describe('traceModel', () => {
  const cases: { name: string; sql: string; known?: string[]; want: Row[] }[] = [
    {
      name: 'CTEs, renamed on the way',
      sql: `with a as (select id as event_id, ts from raw.events), b as (select event_id as eid, ts + 1 as t1 from a) select eid, t1 from b`,
      want: [
        ['eid', 'direct', [`${E}:id`]],
        ['t1', 'derived', [`${E}:ts`]],
      ],
    },
    {
      name: 'joins: aliases, qualified and unqualified names, USING',
      sql: `select e.id, u.name, country, user_id, e.amount * 2 as double_amount from raw.events as e left join raw.users u on u.id = e.user_id`,
      want: [
        ['id', 'direct', [`${E}:id`]],
        ['name', 'direct', [`${U}:name`]],
        ['country', 'direct', [`${U}:country`]],
        ['user_id', 'direct', [`${E}:user_id`]],
        ['double_amount', 'derived', [`${E}:amount`]],
      ],
    },
    {
      name: 'a USING column belongs to both sides',
      sql: `select id, kind, name from raw.events join raw.users using (id)`,
      want: [
        ['id', 'derived', [`${E}:id`, `${U}:id`]],
        ['kind', 'direct', [`${E}:kind`]],
        ['name', 'direct', [`${U}:name`]],
      ],
    },
    {
      name: 'window functions read their partition and order columns',
      sql: `select id, row_number() over (partition by user_id order by ts desc) as rn, sum(amount) over (partition by kind) as total from raw.events`,
      want: [
        ['id', 'direct', [`${E}:id`]],
        ['rn', 'derived', [`${E}:ts`, `${E}:user_id`]],
        ['total', 'derived', [`${E}:amount`, `${E}:kind`]],
      ],
    },
    {
      name: 'select * over a known relation, through a CTE',
      sql: `with x as (select * from raw.users) select * from x`,
      want: [
        ['id', 'direct', [`${U}:id`]],
        ['name', 'direct', [`${U}:name`]],
        ['country', 'direct', [`${U}:country`]],
      ],
    },
    {
      name: 'qualified star in a join',
      sql: `select u.*, e.ts from raw.users u join raw.events e on e.user_id = u.id`,
      want: [
        ['id', 'direct', [`${U}:id`]],
        ['name', 'direct', [`${U}:name`]],
        ['country', 'direct', [`${U}:country`]],
        ['ts', 'direct', [`${E}:ts`]],
      ],
    },
    {
      name: 'unions: each column from every branch',
      sql: `select id, amount from raw.events union all select id, amount from main.legacy union all select 0, null`,
      want: [
        ['id', 'derived', ['model.legacy:id', `${E}:id`]],
        ['amount', 'derived', ['model.legacy:amount', `${E}:amount`]],
      ],
    },
    {
      name: 'subqueries: in FROM, scalar and correlated, IN and EXISTS',
      sql: `select s.user_id, (select max(u.name) from raw.users u where u.id = s.user_id) as user_name, s.n
            from (select user_id, count(*) as n from raw.events where kind in (select kind from raw.events) group by user_id) as s
            where exists (select 1 from raw.users where raw.users.id = s.user_id)`,
      want: [
        ['user_id', 'direct', [`${E}:user_id`]],
        // the value is max(u.name); the correlated WHERE filters rows and is no input of the value
        ['user_name', 'derived', [`${U}:name`]],
        ['n', 'constant', []],
      ],
    },
    {
      name: 'constants and casts',
      sql: `select 1 as one, 'x' as label, cast(ts as varchar) as ts_text, coalesce(amount, 0) from raw.events`,
      want: [
        ['one', 'constant', []],
        ['label', 'constant', []],
        ['ts_text', 'derived', [`${E}:ts`]],
        ['coalesce', 'derived', [`${E}:amount`]],
      ],
    },
    {
      name: 'the warehouse names what PostgreSQL would not',
      sql: `select id, amount + 1 from raw.events`,
      known: ['id', '(amount + 1)'],
      want: [
        ['id', 'direct', [`${E}:id`]],
        ['(amount + 1)', 'derived', [`${E}:amount`]],
      ],
    },
  ];
  for (const c of cases) it(c.name, () => expect(summary(c.sql, c.known)).toEqual(c.want));

  it('select * over a relation whose columns are unknown: said so, without a catalog and per column with one', () => {
    const sql = `select o.*, e.kind from main.opaque o join raw.events e on e.id = o.id`;
    expect(summary(sql)).toEqual([
      ['kind', 'direct', [`${E}:kind`]],
      ['*', 'untraceable', [], /./],
    ]);
    expect(reasons(sql)['*']).toBe('* over opaque, whose columns are not known (it is not in the warehouse and declares none)');
    const withCatalog = summary(sql, ['id', 'secret', 'kind']);
    expect(withCatalog).toEqual([
      ['id', 'untraceable', [], /./],
      ['secret', 'untraceable', [], /./],
      ['kind', 'direct', [`${E}:kind`]],
    ]);
    expect(reasons(sql, ['id', 'secret', 'kind']).secret).toBe(
      'it comes from * over opaque, whose columns are not known (it is not in the warehouse and declares none)',
    );
  });

  it('an unqualified column next to a relation of unknown columns is untraceable, not guessed', () => {
    const r = reasons(`select ts, mystery from raw.events, main.opaque`);
    expect(r.ts).toMatch(/^ts may come from \* over opaque, whose columns are not known/);
    expect(r.mystery).toMatch(/^mystery may come from \* over opaque/);
  });

  it('relations outside the project, table functions, unknown qualifiers and ambiguous names are untraceable', () => {
    expect(reasons(`select a from elsewhere.thing`).a).toBe('a may come from * over elsewhere.thing, which is not a source or model of this project');
    expect(reasons(`select g from generate_series(1, 3) as g`).g).toBe('g may come from * over a table function in FROM, whose columns are not traced');
    expect(reasons(`select zz.id from raw.events`).id).toMatch(/zz is not in the FROM clause/);
    expect(reasons(`select id from raw.events join raw.users on true`).id).toMatch(/more than one relation/);
    expect(reasons(`select nope from raw.events`).nope).toMatch(/no relation in the FROM clause has a column nope/);
  });

  it('SQL that does not parse makes every known column untraceable, with the parser error and its line', () => {
    const r = traceModel(`select id,\n  from raw.events where`, index, ['id']);
    expect(r.error).toMatch(/does not parse as PostgreSQL SQL: syntax error .* \(compiled SQL line 2\)/);
    expect(r.columns).toEqual([{ column: 'id', kind: 'untraceable', upstream: [], reason: r.error }]);
  });
});
