import { createHash } from 'node:crypto';
import { ProjectError, type SparkifyError } from '../errors.js';
import type { Dialect } from '../adapters/adapter.js';
import { TEST_CONFIG_KEYS, parseRelationArg, parseTestConfig } from '../project/parse-data-tests.js';
import type { TemplateFile } from '../template/environment.js';
import { prepareModel, renderModel, resolveRelations, type ConfigRules, type RenderScope } from '../template/render-model.js';
import type { DataTest, GraphNode, ModelNode, Relation, SeedNode, SourceNode, TestConfig, TestNode } from '../types.js';

/** dbt's schema for stored failures: <target schema>_dbt_test__audit */
export function auditSchema(targetSchema: string): string {
  return `${targetSchema}_dbt_test__audit`;
}

// PostgreSQL cuts names at 63 bytes (Redshift at 127): longer test names get a short hash instead of being cut
const MAX_RELATION_NAME = 63;

function auditRelation(name: string, targetSchema: string): Relation {
  const rel = name.length <= MAX_RELATION_NAME ? name : `${name.slice(0, 50)}_${createHash('md5').update(name).digest('hex').slice(0, 12)}`;
  return { schema: auditSchema(targetSchema), name: rel };
}

export const DEFAULT_TEST_CONFIG: TestConfig = { materialized: 'test', severity: 'error', warn_if: '!= 0', error_if: '!= 0', store_failures: false, tags: [], enabled: true };

const TEST_CONFIG_RULES: ConfigRules = {
  keys: TEST_CONFIG_KEYS,
  check: (k, v) => {
    let problem: string | undefined;
    parseTestConfig({ [k]: v }, (_k, message) => (problem = message));
    return problem;
  },
};

interface TestsInput {
  nodes: Record<string, GraphNode>;
  /** model docs, by model or snapshot name */
  docs: Map<string, { columns: { name: string; tests?: DataTest[] | undefined }[]; tests: DataTest[] }>;
  singular: TemplateFile[];
  scope: RenderScope;
  dialect: Dialect;
  targetSchema: string;
  projectName: string;
  /** `tests:` configs from the project file, for a test's fqn (dbt's resource path) */
  defaults?: ((fqn: string[]) => Partial<TestConfig>) | undefined;
}

/**
 * Turns the data tests of the project into test nodes: the generic tests declared in yml (on
 * models, snapshots, their columns and source tables) and the singular tests of tests/. Each node's
 * SQL returns the failing rows. Pure.
 */
export function compileTests(input: TestsInput): { tests: TestNode[]; errors: SparkifyError[] } {
  const { nodes, docs, dialect, scope } = input;
  const errors: SparkifyError[] = [];
  const tests: TestNode[] = [];
  const byName = new Map<string, TestNode>();
  const add = (t: TestNode) => {
    const other = byName.get(t.name);
    if (other) {
      errors.push(new ProjectError(`two tests are named '${t.name}' (the other is at ${other.path}:${other.line})`, { file: t.file, line: t.line, hint: 'give one of them its own name: with name: in yml, or by renaming the file' }));
      return;
    }
    byName.set(t.name, t);
    if (t.config.enabled) tests.push(t);
  };
  const config = (c: Partial<TestConfig>, fqn: string[]): TestConfig => {
    const defaults = input.defaults?.(fqn) ?? {};
    return { ...DEFAULT_TEST_CONFIG, ...defaults, ...c, tags: [...new Set([...(defaults.tags ?? []), ...(c.tags ?? [])])] };
  };

  const generic = (owner: ModelNode | SourceNode | SeedNode, t: DataTest, column: string | undefined) => {
    const col = column ?? (typeof t.args.column_name === 'string' ? t.args.column_name : undefined);
    // dbt's names: unique_songplays_songplay_id, source_not_null_sparkify_staging_events_ts
    const prefix = owner.resourceType === 'source' ? 'source_' : '';
    const ownerLabel = owner.resourceType === 'source' ? `${owner.sourceName}_${owner.name}` : owner.name;
    let name = t.name ?? (t.kind.includes('.') ? packageTestName(t, prefix + ownerLabel, col) : prefix + [t.kind, ownerLabel, col].filter(Boolean).join('_'));
    const base = { resourceType: 'test' as const, testType: 'generic' as const, testName: t.kind, path: relPath(owner, t.where.file), file: t.where.file, line: t.where.line, attachedTo: owner.id, column: col, config: config(t.config, testFqn(input.projectName, relPath(owner, t.where.file), name)) };
    const dependsOn = [owner.id];
    let problem: string | undefined;
    const where = base.config.where;
    const rel = dialect.relation(owner.relation);
    const model = where ? `(SELECT * FROM ${rel} WHERE ${where}) AS dbt_subquery` : rel;
    let sql = '';
    try {
      const q = col === undefined ? undefined : dialect.quoteIdent(col);
      switch (t.kind) {
        case 'unique':
          sql = `SELECT ${q} AS unique_field, COUNT(*) AS n_records\nFROM ${model}\nWHERE ${q} IS NOT NULL\nGROUP BY ${q}\nHAVING COUNT(*) > 1`;
          break;
        case 'not_null':
          sql = `SELECT *\nFROM ${model}\nWHERE ${q} IS NULL`;
          break;
        case 'accepted_values': {
          const values = (t.args.values as (string | number | boolean)[]).map((v) => dialect.castText(typeof v === 'number' && Number.isFinite(v) ? String(v) : dialect.quoteLiteral(String(v))));
          sql = `SELECT ${q} AS value_field, COUNT(*) AS n_records\nFROM ${model}\nWHERE ${q} IS NOT NULL AND ${dialect.castText(q!)} NOT IN (${values.join(', ')})\nGROUP BY ${q}`;
          break;
        }
        case 'relationships': {
          const to = parseRelationArg(t.args.to)!;
          const field = String(t.args.field);
          const toLabel = 'ref' in to ? to.ref : to.source.replace('.', '_');
          if (!t.name) name = `${prefix}relationships_${ownerLabel}_${col}__${toLabel}_${field}`;
          const parentId = 'ref' in to ? refId(to.ref, nodes) : `source.${to.source}`;
          const parent = nodes[parentId];
          if (!parent) {
            // as in dbt, a test on a model that was deleted or disabled is reported when it runs, not a compile error
            problem = `unknown ${'ref' in to ? 'model' : 'source'} '${'ref' in to ? to.ref : to.source}' in relationships test`;
            break;
          }
          dependsOn.push(parent.id);
          const f = dialect.quoteIdent(field);
          sql = `SELECT child.${q} AS from_field\nFROM ${model} AS child\nLEFT JOIN ${dialect.relation(parent.relation)} AS parent ON child.${q} = parent.${f}\nWHERE child.${q} IS NOT NULL AND parent.${f} IS NULL`;
          break;
        }
        default: {
          const r = renderCustomTest(t, owner, col, scope, name);
          errors.push(...r.errors);
          sql = r.sql;
          for (const d of r.dependsOn) if (!dependsOn.includes(d)) dependsOn.push(d);
        }
      }
    } catch (e) {
      errors.push(e instanceof ProjectError ? e.addContext({ file: t.where.file, line: t.where.line }) : new ProjectError(String(e), { file: t.where.file, line: t.where.line }));
      return;
    }
    add({ ...base, id: `test.${name}`, name, fqn: testFqn(input.projectName, base.path, name), dependsOn, compiledSql: sql, relation: auditRelation(name, input.targetSchema), problem });
  };

  for (const n of Object.values(nodes)) {
    if (n.resourceType === 'test') continue;
    if (n.resourceType === 'source') {
      for (const c of n.table.columns) for (const t of c.tests ?? []) generic(n, t, c.name);
      for (const t of n.table.tests ?? []) generic(n, t, undefined);
      continue;
    }
    const doc = docs.get(n.name);
    if (!doc) continue;
    for (const c of doc.columns) for (const t of c.tests ?? []) generic(n, t, c.name);
    for (const t of doc.tests) generic(n, t, undefined);
  }

  for (const f of input.singular) {
    const name = f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.sql$/, '');
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.push(new ProjectError(`test name ${JSON.stringify(name)} is not a safe identifier`, { file: f.file, hint: 'rename the file to letters, digits and underscores' }));
      continue;
    }
    const file = { ...f, name };
    const p = prepareModel(file, scope.templates);
    if (!('marked' in p)) {
      errors.push(p);
      continue;
    }
    const r = renderModel(p, scope, { isIncremental: false, config: TEST_CONFIG_RULES });
    errors.push(...r.errors);
    const relation = auditRelation(name, input.targetSchema);
    const resolved = resolveRelations(r.compiledSql, file, r.refs, scope, relation);
    errors.push(...resolved.errors);
    const dependsOn = [...r.refs.map((x) => refId(x.name, nodes)), ...r.sources.map((s) => `source.${s.sourceName}.${s.name}`)].filter((id) => id in nodes);
    let cfg: Partial<TestConfig> = {};
    cfg = parseTestConfig(r.config as Record<string, unknown>, (_k, message) => errors.push(new ProjectError(message, { file: f.file })));
    add({
      id: `test.${name}`,
      resourceType: 'test',
      testType: 'singular',
      name,
      fqn: testFqn(input.projectName, f.path, name),
      path: f.path,
      file: f.file,
      line: 1,
      attachedTo: dependsOn.length === 1 ? dependsOn[0] : undefined,
      dependsOn: [...new Set(dependsOn)],
      compiledSql: resolved.sql.trim().replace(/;\s*$/, ''),
      config: config(cfg, testFqn(input.projectName, f.path, name)),
      relation,
    });
  }
  return { tests, errors };
}

/**
 * dbt's name for a package's generic test: the namespace and test, the tested node and column, then
 * its arguments' values with every other character as _ (`dbt_utils_expression_is_true_orders_amount_0`),
 * or an MD5 of all that after the test's name when it would be longer than 63 characters.
 */
function packageTestName(t: DataTest, owner: string, column: string | undefined): string {
  const test = t.kind.replace('.', '_');
  const flat = (v: unknown): string[] => (Array.isArray(v) ? v.flatMap(flat) : v !== null && typeof v === 'object' ? Object.values(v).flatMap(flat) : [String(v)]);
  const args = Object.entries(t.args)
    .filter(([k]) => k !== 'column_name')
    .flatMap(([, v]) => flat(v))
    .map((v) => v.replace(/[^0-9A-Za-z_]/g, '_'));
  const label = [owner, column, ...args].filter((x) => x !== undefined && x !== '').join('_');
  const name = `${test}_${label}`;
  return name.length > 63 ? `${test}_${createHash('md5').update(label).digest('hex')}` : name;
}

function testFqn(projectName: string, filePath: string, name: string): string[] {
  const folders = filePath.split('/').slice(1, -1);
  return [projectName, ...folders, name];
}

function refId(name: string, nodes: Record<string, GraphNode>): string {
  for (const kind of ['model', 'seed']) if (nodes[`${kind}.${name}`]) return `${kind}.${name}`;
  return `snapshot.${name}`;
}

function relPath(owner: GraphNode, file: string): string {
  // the yml file, relative like the owner's path
  const at = file.replace(/\\/g, '/').lastIndexOf(`/${owner.path.split('/')[0]}/`);
  return at >= 0 ? file.replace(/\\/g, '/').slice(at + 1) : owner.path;
}

/** A literal in template syntax (nunjucks reads JSON's strings, numbers, lists and maps; null is none). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') {
    const rel = parseRelationArg(v);
    if (rel) return v.trim();
    if (/[\u0000-\u001f]/.test(v)) throw new ProjectError('a test argument cannot hold control characters');
    return JSON.stringify(v);
  }
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(literal).join(', ')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${JSON.stringify(k)}: ${literal(x)}`)
    .join(', ')}}`;
}

/** Renders `test_<kind>(model=..., column_name=..., args...)`: a custom {% test %} block from macros/ or tests/generic/. */
function renderCustomTest(t: DataTest, owner: ModelNode | SourceNode | SeedNode, column: string | undefined, scope: RenderScope, name: string): { sql: string; errors: SparkifyError[]; dependsOn: string[] } {
  const ownerCall = owner.resourceType === 'source' ? `source(${JSON.stringify(owner.sourceName)}, ${JSON.stringify(owner.name)})` : `ref(${JSON.stringify(owner.name)})`;
  const where = t.config.where;
  const model = where ? `"(SELECT * FROM " ~ ${ownerCall} ~ " WHERE " ~ ${JSON.stringify(where)} ~ ") AS dbt_subquery"` : ownerCall;
  const args = [`model=${model}`];
  if (column !== undefined) args.push(`column_name=${JSON.stringify(column)}`);
  for (const [k, v] of Object.entries(t.args)) if (k !== 'column_name') args.push(`${k}=${literal(v)}`);
  // a package's test is a macro in its namespace: dbt_utils.expression_is_true is dbt_utils.test_expression_is_true
  const dot = t.kind.lastIndexOf('.');
  const macro = dot < 0 ? `test_${t.kind}` : `${t.kind.slice(0, dot)}.test_${t.kind.slice(dot + 1)}`;
  const text = `{{ ${macro}(${args.join(', ')}) }}`;
  const file = { name, path: `${t.where.file}#${name}`, file: t.where.file, text };
  const p = prepareModel(file, scope.templates);
  if (!('marked' in p)) return { sql: '', errors: [p.addContext({ line: t.where.line })], dependsOn: [] };
  const r = renderModel(p, scope, { isIncremental: false, config: TEST_CONFIG_RULES });
  const errors = r.errors.map((e) => {
    // the call is generated: point at the test in yml unless the error is inside the macro
    if (e.file === t.where.file) e.line = t.where.line;
    return e;
  });
  const resolved = resolveRelations(r.compiledSql, file, r.refs, scope, owner.relation);
  errors.push(...resolved.errors.map((e) => ((e.line = t.where.line), e)));
  const dependsOn = [...r.refs.map((x) => scope.nodeIdOf?.(x.name) ?? (scope.models.has(x.name) ? `model.${x.name}` : `snapshot.${x.name}`)), ...r.sources.map((s) => `source.${s.sourceName}.${s.name}`)];
  return { sql: resolved.sql.trim().replace(/;\s*$/, ''), errors, dependsOn };
}
