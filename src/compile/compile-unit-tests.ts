import { ProjectError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { Dialect } from '../adapters/adapter.js';
import type { UnitTestDoc } from '../project/parse-unit-tests.js';
import { renderModel, resolveRelations, type PreparedModel, type RenderScope } from '../template/render-model.js';
import type { GraphNode, ModelNode, Relation, TestConfig, TestNode } from '../types.js';
import { DEFAULT_TEST_CONFIG } from './compile-tests.js';

const FIXTURE_SCHEMA = '__sparkify_unit_fixture';

interface Column {
  name: string;
  type: string;
}

/** A SQL literal of a fixture value, cast to the column's type. */
function literal(v: unknown, type: string, d: Dialect): string {
  const raw = v === null || v === undefined ? 'NULL' : typeof v === 'number' && Number.isFinite(v) ? String(v) : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : d.quoteLiteral(typeof v === 'string' ? v : JSON.stringify(v));
  return `CAST(${raw} AS ${type})`;
}

function inferType(values: unknown[]): string {
  const known = values.filter((v) => v !== null && v !== undefined);
  if (known.length > 0 && known.every((v) => typeof v === 'number' && Number.isInteger(v))) return 'bigint';
  if (known.length > 0 && known.every((v) => typeof v === 'number')) return 'double precision';
  if (known.length > 0 && known.every((v) => typeof v === 'boolean')) return 'boolean';
  return 'text';
}

function sqlType(type: string, d: Dialect): string {
  try {
    return d.columnType(type);
  } catch {
    return d.columnType('text');
  }
}

/** The rows of a fixture as a query with one typed column per column of the input. */
function fixtureSql(columns: Column[], rows: Record<string, unknown>[], d: Dialect): string {
  const select = (r: Record<string, unknown> | undefined) => `SELECT ${columns.map((c) => `${literal(r?.[c.name], c.type, d)} AS ${d.quoteIdent(c.name)}`).join(', ')}`;
  if (rows.length === 0) return `${select(undefined)} WHERE 1 = 0`;
  return rows.map(select).join('\nUNION ALL\n');
}

/**
 * dbt 1.8 unit tests: the model's SQL rendered with the overrides, each input (ref or source)
 * replaced by its fixture rows, so the test runs on the target engine without building anything.
 * Every problem (an unknown model, a given the model does not use, an unknown column) is a located
 * error at compile time.
 */
export function compileUnitTests(input: {
  docs: UnitTestDoc[];
  nodes: Record<string, GraphNode>;
  prepared: Map<string, PreparedModel>;
  scope: RenderScope;
  dialect: Dialect;
  targetSchema: string;
  projectName: string;
  docColumns: (model: string) => { name: string; type: string }[];
}): { tests: TestNode[]; errors: SparkifyError[] } {
  const { nodes, dialect: d, scope } = input;
  const errors: SparkifyError[] = [];
  const tests: TestNode[] = [];
  const models = new Map(Object.values(nodes).filter((n): n is ModelNode => n.resourceType === 'model').map((n) => [n.name, n]));
  for (const u of input.docs) {
    const fail = (at: { line: number; column: number }, message: string, hint?: string) => errors.push(new ProjectError(`unit test ${u.name}: ${message}`, { file: u.file, ...at, hint }));
    const model = models.get(u.model);
    const prepared = input.prepared.get(u.model);
    if (!model || !prepared) {
      // as for a data test on a model that was deleted or disabled: reported when it runs
      const hint = didYouMean(u.model, models.keys());
      tests.push({
        id: `test.${u.name}`,
        resourceType: 'test',
        testType: 'unit',
        name: u.name,
        fqn: [input.projectName, u.model, u.name],
        path: u.file,
        file: u.file,
        line: u.at(['model']).line,
        dependsOn: [],
        compiledSql: '',
        config: { ...DEFAULT_TEST_CONFIG, ...u.config, tags: u.config.tags ?? [] },
        relation: { schema: `${input.targetSchema}_dbt_test__audit`, name: u.name },
        problem: `unit test ${u.name}: unknown model '${u.model}'${hint ? ` (${hint})` : ''}`,
        unit: { model: u.model, expect: { columns: [], rows: [] }, sql: '' },
      });
      continue;
    }
    const fixtures: { cte: string; sql: string }[] = [];
    const givenRefs = new Map<string, Relation>();
    const givenSources = new Map<string, Relation>();
    let ok = true;
    u.given.forEach((g, gi) => {
      const isRef = 'ref' in g.input;
      const key = 'ref' in g.input ? g.input.ref : g.input.source;
      const used = isRef ? model.refs.some((r) => r.name === key) : model.sources.some((s) => `${s.sourceName}.${s.name}` === key);
      if (!used) {
        const uses = [...model.refs.map((r) => `ref('${r.name}')`), ...model.sources.map((s) => `source('${s.sourceName}', '${s.name}')`)];
        fail(g.at, `given ${g.inputText}, which model ${model.name} does not use`, `${model.name} reads ${uses.join(', ') || 'no relations'}`);
        ok = false;
        return;
      }
      let columns: Column[];
      let strict: boolean;
      if (isRef) {
        const documented = input.docColumns(key);
        strict = documented.length > 0;
        const fromRows = [...new Set(g.rows.flatMap((r) => Object.keys(r)))];
        columns = (strict ? documented.map((c) => c.name) : fromRows).map((name) => {
          const doc = documented.find((c) => c.name === name);
          return { name, type: doc?.type ? sqlType(doc.type, d) : sqlType(inferType(g.rows.map((r) => r[name])), d) };
        });
      } else {
        const src = nodes[`source.${key}`];
        columns = src?.resourceType === 'source' ? src.table.columns.map((c) => ({ name: c.name, type: d.columnType(c.type) })) : [];
        strict = true;
      }
      g.rows.forEach((r, ri) => {
        for (const col of Object.keys(r)) {
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(col) || (strict && !columns.some((c) => c.name === col))) {
            fail(g.rowAt(ri, col), `fixture row ${ri + 1} of ${g.inputText} has an unknown column '${col}'`, didYouMean(col, columns.map((c) => c.name)) ?? `its columns: ${columns.map((c) => c.name).join(', ')}`);
            ok = false;
          }
        }
      });
      if (!ok) return;
      const cte = `__fixture_${gi}`;
      fixtures.push({ cte, sql: fixtureSql(columns, g.rows, d) });
      (isRef ? givenRefs : givenSources).set(key, { schema: FIXTURE_SCHEMA, name: cte });
    });
    for (const r of model.refs) {
      if (givenRefs.has(r.name) || !ok) continue;
      fail(u.at(['given']), `no rows given for ref('${r.name}'), which ${model.name} reads`, `add - input: ref('${r.name}') with rows: [] or the rows`);
      ok = false;
    }
    for (const s of model.sources) {
      if (givenSources.has(`${s.sourceName}.${s.name}`) || !ok) continue;
      fail(u.at(['given']), `no rows given for source('${s.sourceName}', '${s.name}'), which ${model.name} reads`, 'give it rows: [] or the rows');
      ok = false;
    }
    const expectColumns = [...new Set(u.expect.rows.flatMap((r) => Object.keys(r)))];
    for (const c of expectColumns) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(c)) continue;
      fail(u.expect.at, `invalid column name '${c}' in expect`);
      ok = false;
    }
    if (!ok) continue;

    const unitScope: RenderScope = { ...scope, vars: { ...scope.vars, ...u.overrides.vars }, sources: new Map([...scope.sources, ...givenSources]), models: new Map([...scope.models, ...givenRefs]) };
    const r = renderModel(prepared, unitScope, { isIncremental: u.overrides.isIncremental ?? false });
    const resolved = resolveRelations(r.compiledSql, prepared.model, r.refs, unitScope, model.relation);
    const problems = [...r.errors, ...resolved.errors];
    if (problems.length > 0) {
      errors.push(...problems);
      continue;
    }
    let body = resolved.sql.trim().replace(/;\s*$/, '');
    for (const f of fixtures) body = body.split(d.relation({ schema: FIXTURE_SCHEMA, name: f.cte })).join(d.quoteIdent(f.cte));
    const select = expectColumns.length > 0 ? expectColumns.map((c) => `dbt_unit_model.${d.quoteIdent(c)}`).join(', ') : '*';
    const sql = `WITH ${fixtures.map((f) => `${d.quoteIdent(f.cte)} AS (\n${f.sql}\n)`).join(',\n')}\nSELECT ${select}\nFROM (\n${body}\n) AS dbt_unit_model`;
    const config: TestConfig = { ...DEFAULT_TEST_CONFIG, ...u.config, tags: u.config.tags ?? [] };
    tests.push({
      id: `test.${u.name}`,
      resourceType: 'test',
      testType: 'unit',
      name: u.name,
      fqn: [input.projectName, u.model, u.name],
      path: model.path,
      file: u.file,
      line: u.line,
      attachedTo: model.id,
      dependsOn: [model.id],
      compiledSql: sql,
      config,
      relation: { schema: `${input.targetSchema}_dbt_test__audit`, name: u.name },
      unit: { model: model.name, expect: { columns: expectColumns, rows: u.expect.rows }, sql },
    });
  }
  return { tests, errors };
}
