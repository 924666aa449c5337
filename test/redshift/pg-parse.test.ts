import { parse } from 'libpg-query';
import { afterAll, describe, expect, it } from 'vitest';
import type { Step } from '../../src/adapters/adapter.js';
import type { RedshiftDialect } from '../../src/adapters/redshift/redshift-dialect.js';
import { DATE_PARTS } from '../../src/adapters/adapter.js';
import { stepStatements } from '../../src/materializations/render-plan.js';
import { removeDir } from '../helpers/project.js';
import { connect } from '../postgres/pg.js';
import { buildPlanOf, compileRedshift, planOf, warehouseProject, variantsProject } from './redshift-project.js';

/**
 * Redshift is not reachable from here, so every statement the Redshift dialect emits goes through
 * PostgreSQL's own parser (libpg-query: the server's grammar compiled to WebAssembly). Redshift-only
 * clauses are cut off first, and only where the rest must still be valid PostgreSQL; the COPY is
 * checked clause by clause instead. The parse trees are then searched for PostgreSQL-only
 * constructs that Redshift rejects.
 */

const dirs = [warehouseProject(), variantsProject()];
afterAll(() => dirs.forEach(removeDir));
const compiled = dirs.map((d) => compileRedshift(d));
const dialect = compiled[0]!.dialect as RedshiftDialect;

const statementsOf = (s: Step): string[] => (s.kind === 'transaction' ? s.statements : s.kind === 'load' ? dialect.loadStatements(s) : stepStatements(s, dialect));
const all: string[] = [];
for (const c of compiled) {
  for (const existing of ['none', 'all'] as const) {
    for (const plan of [planOf(c, existing), buildPlanOf(c, existing)]) all.push(...plan.setup.flatMap(statementsOf), ...plan.nodes.flatMap((n) => [...n.steps, ...n.onFailure].flatMap(statementsOf)));
  }
}
all.push(
  ...dialect.sessionSetup(),
  dialect.lastCopyIdQuery(),
  dialect.loadErrorQuery('stl', 42),
  dialect.loadErrorQuery('sys', 42),
  dialect.loadErrorQuery('sys'),
  dialect.loadedFilesQuery(42),
  dialect.cancelBackends([7, 8]),
  dialect.catalogColumns(['public', 'sparkify']),
);
all.push(
  ...dialect.insertLoadErrors('public', [
    {
      runId: 'r1',
      source: 'sparkify.staging_events',
      file: 's3://udacity-dend/log_data/a.json',
      line: 3,
      column: 'ts',
      reason: "Invalid digit, Value 'a'",
      raw: '{"ts": "a\\u00e9\\"b"}',
      recordedAt: '2026-01-01T00:00:00.000Z',
    },
  ]),
);
all.push(
  ...DATE_PARTS.map((p) => `SELECT ${dialect.datePart(p, 'start_time')} FROM t`),
  `SELECT ${dialect.epochMsToTimestamp('ts')}, ${dialect.surrogateKey(['a', 'b'])} FROM t`,
);
const statements = [...new Set(all)];
const copies = statements.filter((s) => /^COPY /.test(s));

/**
 * The statement without its Redshift-only clauses (table attributes, WITH NO SCHEMA BINDING), and
 * with VARCHAR(MAX) spelled as the 65535 bytes it stands for (AWS docs, Character types).
 */
function asPostgres(sql: string): string {
  return sql
    .replace(/VARCHAR\(MAX\)/g, 'VARCHAR(65535)')
    .split('\n')
    .filter((l) => !/^(DISTSTYLE (ALL|EVEN|AUTO|KEY)|DISTKEY \("[a-z_0-9]+"\)|(COMPOUND |INTERLEAVED )?SORTKEY \("[a-z_0-9]+"(, "[a-z_0-9]+")*\))$/.test(l))
    .filter((l, i, lines) => !(l === 'WITH NO SCHEMA BINDING' && i === lines.length - 1))
    .join('\n')
    // redshift: MERGE's simplified mode (AWS docs, MERGE); PostgreSQL's MERGE needs a WHEN clause in its place
    .replace(/^(MERGE INTO [^\n]+) REMOVE DUPLICATES$/, '$1 WHEN MATCHED THEN DO NOTHING');
}

/** Every node of a parse tree, with its type name. */
function* nodes(tree: unknown, type = 'root'): Generator<[string, Record<string, unknown>]> {
  if (Array.isArray(tree)) {
    for (const t of tree) yield* nodes(t, type);
    return;
  }
  if (tree === null || typeof tree !== 'object') return;
  const obj = tree as Record<string, unknown>;
  yield [type, obj];
  for (const [k, v] of Object.entries(obj)) yield* nodes(v, k);
}

const FORBIDDEN: [string, (type: string, n: Record<string, unknown>) => boolean][] = [
  ['ON CONFLICT', (t) => t === 'OnConflictClause' || t === 'onConflictClause'],
  ['RETURNING', (t) => t === 'returningList' || t === 'returningClause'],
  // INSERT ... VALUES (...), (...) is fine on Redshift; a VALUES list as a table in FROM is not
  ['VALUES lists', (t, n) => t === 'RangeSubselect' && JSON.stringify(n).includes('"valuesLists"')],
  ['IS [NOT] DISTINCT FROM', (t, n) => t === 'A_Expr' && (n.kind === 'AEXPR_DISTINCT' || n.kind === 'AEXPR_NOT_DISTINCT')],
  [
    'STRING_AGG / ARRAY_AGG / UNNEST / GENERATE_SERIES',
    (t, n) => t === 'FuncCall' && JSON.stringify(n.funcname).match(/"(string_agg|array_agg|unnest|generate_series)"/i) !== null,
  ],
  ['COLLATE', (t) => t === 'CollateClause' || t === 'collClause'],
  ['arrays', (t) => t === 'A_ArrayExpr' || t === 'arrayBounds'],
  ['TRUNCATE', (t) => t === 'TruncateStmt'],
  ['LATERAL', (t, n) => t === 'RangeSubselect' && n.lateral === true],
];

function forbiddenIn(tree: unknown): string[] {
  const found = new Set<string>();
  for (const [type, node] of nodes(tree)) for (const [what, test] of FORBIDDEN) if (test(type, node)) found.add(what);
  return [...found];
}

describe('the Redshift SQL, checked with the PostgreSQL parser', () => {
  it('covers the whole Sparkify project and every variant', () => {
    expect(statements.length).toBeGreaterThan(150);
    expect(copies.length).toBe(12);
  });

  it.each(statements.filter((s) => !/^COPY /.test(s)).map((s) => [s.split('\n')[0]!.slice(0, 90), s]))('parses: %s', async (_, sql) => {
    const tree = await parse(asPostgres(sql));
    expect(tree.stmts).toHaveLength(1);
    expect(forbiddenIn(tree)).toEqual([]);
  });

  it.each([
    ['ON CONFLICT', 'INSERT INTO t (a) SELECT 1 ON CONFLICT DO NOTHING'],
    ['RETURNING', 'DELETE FROM t WHERE a = 1 RETURNING a'],
    ['VALUES lists', 'SELECT * FROM (VALUES (1), (2)) AS v (a)'],
    ['VALUES lists', 'SELECT * FROM t JOIN (VALUES (1)) AS v (a) ON t.a = v.a'],
    ['IS [NOT] DISTINCT FROM', 'SELECT a IS DISTINCT FROM b FROM t'],
    ['STRING_AGG / ARRAY_AGG / UNNEST / GENERATE_SERIES', "SELECT string_agg(a, ',') FROM t"],
    ['COLLATE', 'CREATE TABLE t (a text COLLATE "C")'],
    ['arrays', 'SELECT ARRAY[1, 2]'],
    ['TRUNCATE', 'TRUNCATE t'],
  ])('would catch %s', async (what, sql) => {
    expect(forbiddenIn(await parse(sql))).toContain(what);
  });

  it('only cuts clauses that exist in Redshift and nowhere else in the statement', () => {
    const cut = statements.filter((s) => !/^COPY /.test(s) && asPostgres(s) !== s.replace(/VARCHAR\(MAX\)/g, 'VARCHAR(65535)'));
    expect(cut.length).toBeGreaterThan(10);
    for (const s of cut) {
      // what was cut is table attributes (which PostgreSQL rejects) or the late-binding clause
      const pg = asPostgres(s).split('\n');
      const removed = s
        .replace(/VARCHAR\(MAX\)/g, 'VARCHAR(65535)')
        .split('\n')
        .filter((l) => !pg.includes(l));
      for (const l of removed) expect(l).toMatch(/^(DISTSTYLE|DISTKEY|COMPOUND SORTKEY|INTERLEAVED SORTKEY|SORTKEY|WITH NO SCHEMA BINDING)|^MERGE INTO .* REMOVE DUPLICATES$/);
    }
  });

  it('spells every COPY with documented clauses only, each value a quoted literal', async () => {
    const clause = [
      /^COPY "[a-z_0-9]+"\."[a-z_0-9]+__sparkify_tmp" \("[a-z_0-9]+"(, "[a-z_0-9]+")*\)$/,
      /^FROM 's3:\/\/[a-z0-9.-]+\/[A-Za-z0-9/!_.*()=+,@~-]*'$/,
      /^IAM_ROLE 'arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+'$/,
      /^FORMAT AS JSON '(auto|auto ignorecase|s3:\/\/[a-z0-9.-]+\/[A-Za-z0-9/!_.*()=+,@~-]+)'$/,
      /^REGION '[a-z]{2}(-[a-z]+)+-\d'$/,
      /^(MANIFEST|GZIP|ZSTD|TRUNCATECOLUMNS|BLANKSASNULL|EMPTYASNULL)$/,
      /^TIMEFORMAT AS '[A-Za-z0-9 :./-]+'$/,
      /^ACCEPTINVCHARS AS '[^'\\]'$/,
      /^MAXERROR \d+$/,
      /^(COMPUPDATE|STATUPDATE) (ON|OFF)$/,
    ];
    for (const copy of copies) {
      const lines = copy.split('\n');
      expect(lines.slice(0, 5).map((l, i) => clause[i]!.test(l))).toEqual([true, true, true, true, true]);
      for (const l of lines.slice(5))
        expect(
          clause.slice(5).some((re) => re.test(l)),
          l,
        ).toBe(true);
      expect(copy).not.toContain(';');
      // the COPY's column list is the table's: PostgreSQL parses it once the Redshift clauses are gone
      await parse(`${lines[0]} FROM STDIN`);
    }
  });
});

describe('Redshift date parts, evaluated on PostgreSQL', () => {
  // TO_CHAR's IW and ID come from PostgreSQL, which Redshift descends from; this checks that the
  // format strings mean ISO week and ISO day of week for 30 years of days, against EXTRACT.
  let client: Awaited<ReturnType<typeof connect>>;
  afterAll(async () => client?.end());

  it('week is the ISO 8601 week, isodow Monday 1 to Sunday 7, dow Sunday 0', async () => {
    client = await connect();
    const d = dialect;
    const r = await client.query(
      `SELECT count(*) AS days,
         count(*) FILTER (WHERE ${d.datePart('week', 'ts')} <> EXTRACT(WEEK FROM ts)) AS bad_week,
         count(*) FILTER (WHERE ${d.datePart('isodow', 'ts')} <> EXTRACT(ISODOW FROM ts)) AS bad_isodow,
         count(*) FILTER (WHERE ${d.datePart('dow', 'ts')} <> EXTRACT(DOW FROM ts)) AS bad_dow
       FROM generate_series(TIMESTAMP '2000-01-01 12:34:56.789', TIMESTAMP '2030-12-31', INTERVAL '1 day') AS g(ts)`,
    );
    expect(r.rows[0]).toEqual({ days: '11322', bad_week: '0', bad_isodow: '0', bad_dow: '0' });
  });
});
