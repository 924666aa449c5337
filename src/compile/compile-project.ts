import path from 'node:path';
import { ProjectError, throwIfAny, type SparkifyError } from '../errors.js';
import { identifierTooLong } from '../adapters/base-dialect.js';
import { HELPER_RELATION } from '../materializations/plan-run.js';
import type { Dialect } from '../adapters/adapter.js';
import type { Target } from '../config/load-config.js';
import { buildDag } from '../graph/dag.js';
import type { Project } from '../project/load-project.js';
import { parseModelDocs } from '../project/parse-model-docs.js';
import { parseSources } from '../project/parse-sources.js';
import { DEFAULT_PROJECT_NAME, foldersUnder, mergeConfigs, treeConfig, unusedConfigPaths, type ProjectNote } from '../project/project-settings.js';
import { checkConfigBlock, checkTreeConfigs } from './check-tree-configs.js';
import { isMap } from '../project/yaml-file.js';
import { createTemplateEnvironment } from '../template/environment.js';
import { Compiler } from './compiler.js';
import { compileInputs, recompileModels, type CompileState } from './recompile-models.js';
import { customTestNames } from '../template/test-blocks.js';
import { compileTests } from './compile-tests.js';
import { compileUnitTests } from './compile-unit-tests.js';
import { parseUnitTests } from '../project/parse-unit-tests.js';
import { SNAPSHOT_CONFIG, checkSnapshotColumns, checkSnapshotConfig, queryColumns, snapshotFiles, ymlSnapshotConfig, type SnapshotFile } from './compile-snapshots.js';
import { prepareModel, renderModel, resolveRelations, type PreparedModel, type RenderScope, type RenderedModel } from '../template/render-model.js';
import type { QueryCache } from '../template/dbt-context.js';
import type { GraphNode, Manifest, ModelConfig, ModelNode, Relation, SeedNode, SourceNode, TestConfig } from '../types.js';
import { compileSeeds } from './compile-seeds.js';

export interface CompileOptions {
  target: Target;
  dialect: Dialect;
  /** --vars, merged over the project's vars */
  vars?: Record<string, unknown>;
  env: Record<string, string | undefined>;
  /**
   * The warehouse's answers to the queries templates send (run_query(), statement blocks,
   * adapter.get_relation(), ...). Without it a query is a located error; with it, a compile that
   * sends a query not answered yet throws QueriesNeeded (compileWithDatabase answers and compiles again).
   */
  queries?: QueryCache | undefined;
  /** told of log(), print() and exceptions.warn() in templates, once the compile is done */
  onLog?: ((message: string, level: 'info' | 'debug' | 'warn') => void) | undefined;
  /** the state kept from the compiles before (the template environment); a fresh one when not given */
  compiler?: Compiler | undefined;
}

/** A compile needs the warehouse to answer these queries first. */
export class QueriesNeeded extends Error {
  constructor(readonly queries: string[]) {
    super(`the templates sent ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'} to the warehouse`);
  }
}

export { DEFAULT_PROJECT_NAME };

/** dbt's fqn: the project, the folders under the resource path (model-paths), then the node's own name parts. */
function fqnOf(projectName: string, roots: string[], filePath: string, own: string[]): string[] {
  return [projectName, ...foldersUnder(roots, filePath), ...own];
}

/** dbt's default materialization; a project sets its own in the project file (+materialized: table). */
export const DEFAULT_MATERIALIZATION = 'view';
const DEFAULT_CONFIG: ModelConfig = { materialized: DEFAULT_MATERIALIZATION, tags: [], enabled: true };

/**
 * The vars a project's models see: the top-level ones, with those under the project's own name
 * (dbt's per-package vars: `vars: {my_project: {x: 1}}`) over them. Vars under a package's name
 * belong to that package's models.
 */
export function projectVars(raw: Record<string, unknown>, projectName: string, packageNames: string[]): Record<string, unknown> {
  const scoped = new Set([projectName, ...packageNames]);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) if (!(scoped.has(k) && isMap(v))) out[k] = v;
  const own = raw[projectName];
  if (isMap(own)) Object.assign(out, own);
  return out;
}

/** target.* in templates, as dbt's profiles give it (no password). */
function templateTargetOf(target: Target): Record<string, unknown> {
  // the engine's own settings: a server's connection (PostgreSQL, Redshift) or a DuckDB file
  const st = (target.settings ?? {}) as { host?: string; port?: number; database?: string; user?: string; path?: string };
  const conn = st.host !== undefined ? { host: st.host, port: st.port, database: st.database, user: st.user } : undefined;
  const file = st.path;
  const database = conn?.database ?? (file === undefined || file === ':memory:' ? 'memory' : path.basename(file).replace(/\.[^.]*$/, ''));
  return { database, threads: target.threads ?? 4, target_name: target.name, profile_name: 'sparkify', ...(conn ? { host: conn.host, port: conn.port, user: conn.user, dbname: conn.database } : { path: file }) };
}


function modelRelation(name: string, cfg: Partial<ModelConfig>, targetSchema: string): Relation {
  // dbt's default: a custom schema is appended to the target schema
  return { schema: cfg.schema ? `${targetSchema}_${cfg.schema}` : targetSchema, name: cfg.alias ?? name };
}

/**
 * Renders every model, resolves refs and sources, and builds the DAG. Collects every error in the
 * project and throws them together, sorted by file.
 */
export function compileProject(project: Project, opts: CompileOptions): Manifest {
  // a compiler kept by the caller: start from the last compile when only models' texts changed
  const compiler = opts.compiler ?? new Compiler();
  const inputs = opts.compiler ? compileInputs(project, opts) : undefined;
  if (inputs !== undefined) {
    const again = compiler.state ? recompileModels(project, opts, compiler.state, inputs) : { full: 'first' as const };
    if ('manifest' in again) {
      compiler.state = again.state;
      compiler.lastCompile = 'partial';
      return again.manifest;
    }
    compiler.lastCompile = again.full;
  }
  const errors: SparkifyError[] = [...project.problems];
  const { target, dialect } = opts;
  const settings = project.settings;
  const notes: ProjectNote[] = [...(project.notes ?? [])];
  const packages = project.packages ?? [];
  const vars = { ...projectVars(settings.vars, settings.name, packages.map((p) => p.name)), ...(opts.vars ?? {}) };
  checkTreeConfigs(settings, errors, notes);
  const targetInfo = { name: target.name, type: target.type, schema: target.schema };
  const templateTarget = { ...targetInfo, ...templateTargetOf(target) };

  // a package's generic tests are named with its namespace: dbt_utils.expression_is_true
  const customTests = [...customTestNames(project.macros), ...(project.packages ?? []).flatMap((p) => customTestNames(p.macros).map((n) => `${p.name}.${n}`))];
  const { docs, errors: docErrors, notes: docNotes } = parseModelDocs(project.docFiles, customTests, project.docsBlocks);
  errors.push(...docErrors);
  notes.push(...docNotes);
  // sources.yml (sparkify's) and the sources: of every property file, as dbt reads them
  const {
    tables,
    errors: sourceErrors,
    notes: sourceNotes,
    disabled: disabledSources,
  } = parseSources(
    project.sourcesFiles,
    project.dir,
    { target: { ...templateTarget, s3: { log_data: target.s3.logData, log_jsonpath: target.s3.logJsonPath, song_data: target.s3.songData } }, vars, env: opts.env },
    target.schema,
    { customTests, propertyFiles: project.docFiles, docsBlocks: project.docsBlocks },
  );
  notes.push(...sourceNotes);
  const snapshots = snapshotFiles(project.snapshots ?? [], docs, project.dir, errors);
  const snapshotNames = new Set(snapshots.map((s) => s.name));
  errors.push(...sourceErrors);
  const sourceRelations = new Map<string, Relation>(tables.map((t) => [`${t.sourceName}.${t.name}`, { schema: t.schema ?? target.schema, name: t.identifier }]));

  const templates = compiler.templateEnvironment(project.macros, packages, settings.name);
  errors.push(...templates.errors);
  const prepared: PreparedModel[] = [];
  for (const m of project.models) {
    if (snapshotNames.has(m.name)) {
      errors.push(new ProjectError(`a model and a snapshot are both named '${m.name}'`, { file: m.file, line: 1, hint: 'names are shared by models and snapshots (ref() finds both); rename one' }));
      continue;
    }
    const p = prepareModel(m, templates);
    if ('marked' in p) prepared.push(p);
    else errors.push(p);
  }
  const snapshotByName = new Map<string, SnapshotFile>();
  for (const s of snapshots) {
    if (snapshotByName.has(s.name)) {
      errors.push(new ProjectError(`two snapshots are named '${s.name}': ${snapshotByName.get(s.name)!.path} and ${s.path}`, { file: s.file, line: s.line, hint: 'rename one of them' }));
      continue;
    }
    snapshotByName.set(s.name, s);
    const p = prepareModel({ name: s.name, path: s.path, file: s.file, text: s.text }, templates);
    if ('marked' in p) prepared.push(p);
    else errors.push(p);
  }

  // One render per model: ref() and `this` leave tokens, resolved below once every model's config()
  // (which decides its relation and whether it is enabled) is known.
  const incrementalSources = new Map<string, unknown>(tables.filter((t) => t.location && t.copy?.mode === 'incremental').map((t) => [`${t.sourceName}.${t.name}`, t]));
  const logs: { message: string; level: 'info' | 'debug' | 'warn' }[] = [];
  let queried = false;
  let readsClock = false;
  const baseScope: RenderScope = {
    templates,
    dialect,
    target: templateTarget,
    vars,
    env: opts.env,
    models: new Map(),
    sources: sourceRelations,
    disabled: new Set(),
    disabledSources: new Set(disabledSources),
    projectName: settings.name,
    packages: packages.map((p) => p.name),
    queries: opts.queries,
    guessesRelations: true,
    onLog: (message, level) => logs.push({ message, level }),
    onQuery: () => (queried = true),
    onClock: () => (readsClock = true),
    incrementalSources,
  };
  const configs = new Map<string, ModelConfig>();
  const renders = new Map<string, RenderedModel>();
  const firsts: CompileState['firsts'] = new Map();
  for (const p of prepared) {
    const snap = snapshotByName.get(p.model.name);
    const r = renderModel(p, baseScope, { isIncremental: false, config: snap ? SNAPSHOT_CONFIG : undefined });
    renders.set(p.model.name, r);
    firsts.set(p.model.name, { config: r.config, refs: r.refs, sources: r.sources });
    if (snap) {
      const fromProject = treeConfig(settings.snapshots, fqnOf(settings.name, [...settings.snapshotPaths, ...settings.modelPaths], p.model.path, [p.model.name]));
      const cfg = mergeConfigs([DEFAULT_CONFIG, fromProject, ymlSnapshotConfig(snap, errors), r.config]) as unknown as ModelConfig & { invalidate_hard_deletes?: boolean; target_schema?: string };
      cfg.hard_deletes = checkSnapshotConfig(snap, cfg, errors);
      cfg.materialized = 'snapshot';
      if (cfg.target_schema) cfg.schema ??= cfg.target_schema;
      delete cfg.invalidate_hard_deletes;
      delete cfg.target_schema;
      configs.set(p.model.name, cfg);
      continue;
    }
    const fromProject = treeConfig(settings.models, fqnOf(settings.name, settings.modelPaths, p.model.path, [p.model.name]));
    const doc = docs.get(p.model.name);
    const fromYml = doc?.config ? checkConfigBlock('models', doc.config, doc.configAt ?? (() => ({ line: doc.line, column: 1 })), doc.file, `model ${p.model.name}`, errors, notes) : {};
    configs.set(p.model.name, mergeConfigs([DEFAULT_CONFIG, fromProject, fromYml, r.config]) as unknown as ModelConfig);
  }
  const enabled = prepared.filter((p) => configs.get(p.model.name)!.enabled !== false);
  const seeds = compileSeeds(project, docs, new Set(prepared.map((p) => p.model.name)), target.schema, dialect, errors, notes);
  const seedByName = new Map<string, SeedNode>(seeds.map((s) => [s.name, s]));
  const disabled = new Set(prepared.filter((p) => configs.get(p.model.name)!.enabled === false).map((p) => p.model.name));
  const relations = new Map(enabled.map((p) => [p.model.name, modelRelation(p.model.name, configs.get(p.model.name)!, target.schema)]));
  // ref('raw_customers') finds a seed as it finds a model
  for (const s of seeds) relations.set(s.name, s.relation);
  const nodeId = (name: string) => (seedByName.has(name) ? `seed.${name}` : snapshotByName.has(name) ? `snapshot.${name}` : `model.${name}`);
  const scope: RenderScope = { ...baseScope, models: relations, disabled, guessesRelations: false, nodeIdOf: nodeId };
  // a model that read a relation's name (ref('x').identifier, this.schema, a query about it) is
  // rendered again now that every relation is known; its config came from the first render
  for (const p of enabled) {
    const first = renders.get(p.model.name)!;
    if (!first.usesRelations) continue;
    const again = renderModel(p, scope, { isIncremental: false, config: snapshotByName.has(p.model.name) ? SNAPSHOT_CONFIG : undefined });
    renders.set(p.model.name, { ...again, config: first.config });
  }

  errors.push(...checkRelationNames(project, enabled, configs, relations, tables, dialect, target.schema, snapshotByName));

  const nodes: Record<string, GraphNode> = {};
  for (const s of seeds) nodes[s.id] = s;
  for (const t of tables) {
    const sourcePath = [...project.sourcesFiles, ...project.docFiles].find((f) => f.file === t.file)?.path ?? 'sources.yml';
    const node: SourceNode = {
      id: t.id,
      resourceType: 'source',
      name: t.name,
      sourceName: t.sourceName,
      // dbt: [project, ...folders of the declaring file, source, table]
      fqn: fqnOf(settings.name, [...settings.modelPaths, ...settings.snapshotPaths], sourcePath, [t.sourceName, t.name]),
      path: sourcePath,
      file: t.file,
      table: t,
      relation: sourceRelations.get(`${t.sourceName}.${t.name}`)!,
      dependsOn: [],
      config: { tags: t.tags, materialized: t.location ? 'copy' : 'external', ...(t.meta ? { meta: t.meta } : {}) },
    };
    nodes[node.id] = node;
  }
  for (const p of enabled) {
    const name = p.model.name;
    const config = configs.get(name)!;
    const relation = relations.get(name)!;
    const r = renders.get(name)!;
    errors.push(...r.errors);
    const resolved = resolveRelations(r.compiledSql, p.model, r.refs, scope, relation);
    errors.push(...resolved.errors);
    const incrementalRender = config.materialized === 'incremental' ? renderModel(p, scope, { isIncremental: true }) : undefined;
    const incremental = incrementalRender && resolveRelations(incrementalRender.compiledSql, p.model, incrementalRender.refs, scope, relation);
    const dependsOn = [...r.refs.filter((x) => relations.has(x.name)).map((x) => nodeId(x.name)), ...r.sources.map((s) => `source.${s.sourceName}.${s.name}`).filter((id) => id in nodes || tables.some((t) => t.id === id))];
    const snap = snapshotByName.get(name);
    if (snap) {
      const columnsOf = (rel: string): string[] | undefined => {
        const table = tables.find((t) => dialect.relation(sourceRelations.get(`${t.sourceName}.${t.name}`)!) === rel);
        if (table) return table.columns.map((c) => c.name);
        const model = [...relations].find(([, r]) => dialect.relation(r) === rel)?.[0];
        const documented = model === undefined ? [] : (docs.get(model)?.columns.map((c) => c.name) ?? []);
        return documented.length > 0 ? documented : undefined;
      };
      checkSnapshotColumns(snap, config, queryColumns(resolved.sql, columnsOf), errors);
    }
    const doc = docs.get(name);
    const node: ModelNode = {
      id: nodeId(name),
      resourceType: snapshotByName.has(name) ? 'snapshot' : 'model',
      name,
      fqn: fqnOf(settings.name, snapshotByName.has(name) ? [...settings.snapshotPaths, ...settings.modelPaths] : settings.modelPaths, p.model.path, [name]),
      path: p.model.path,
      file: p.model.file,
      rawSql: p.model.text,
      compiledSql: resolved.sql,
      lineMap: r.lineMap,
      config,
      dependsOn: [...new Set(dependsOn)],
      refs: r.refs,
      sources: r.sources,
      columns: doc?.columns ?? [],
      description: doc?.description,
      patchPath: doc ? path.relative(project.dir, doc.file).split(path.sep).join('/') : undefined,
      relation,
      compiledIncrementalSql: incremental?.sql,
      incrementalLineMap: incrementalRender?.lineMap,
      ...(incrementalRender && incrementalRender.newlyLoaded.length > 0 ? { newlyLoaded: incrementalRender.newlyLoaded } : {}),
    };
    nodes[node.id] = node;
  }
  const { tests, errors: testErrors } = compileTests({ nodes, docs, singular: project.tests ?? [], scope, dialect, targetSchema: target.schema, projectName: settings.name, defaults: (fqn) => treeConfig(settings.tests, fqn) as Partial<TestConfig> });
  errors.push(...testErrors);
  for (const t of tests) nodes[t.id] = t;
  const { tests: unitDocs, errors: unitParseErrors } = parseUnitTests(project.docFiles);
  errors.push(...unitParseErrors);
  const units = compileUnitTests({
    docs: unitDocs,
    nodes,
    prepared: new Map(prepared.map((p) => [p.model.name, p])),
    scope,
    dialect,
    targetSchema: target.schema,
    projectName: settings.name,
    docColumns: (name) => (docs.get(name)?.columns ?? []).map((c) => ({ name: c.name, type: c.type })),
  });
  errors.push(...units.errors);
  for (const t of units.tests) {
    if (nodes[t.id]) errors.push(new ProjectError(`two tests are named '${t.name}'`, { file: t.file, line: t.line, hint: 'rename the unit test' }));
    else nodes[t.id] = t;
  }
  let dag: ReturnType<typeof buildDag> | undefined;
  try {
    dag = buildDag(
      Object.values(nodes).map((n) => ({
        id: n.id,
        dependsOn: n.dependsOn,
        path: n.path,
        file: n.file,
        refs: n.resourceType === 'model' || n.resourceType === 'snapshot' ? n.refs.map((r) => ({ id: nodeId(r.name), line: r.line, column: r.column })) : undefined,
      })),
    );
  } catch (e) {
    errors.push(e as SparkifyError);
  }
  // renders that sent queries not answered yet may be wrong, and their errors too: answer, compile again
  // (the first render of a model that reads relations guessed their names: its queries are not sent)
  const pending = opts.queries?.pending;
  if (pending && pending.size > 0) throw new QueriesNeeded([...pending]);
  throwIfAny(errors);
  if (!dag) throw new ProjectError('cannot order the project');
  const all = Object.values(nodes);
  for (const [tree, fqns] of [
    [settings.models, all.filter((n) => n.resourceType === 'model').map((n) => n.fqn)],
    [settings.snapshots, all.filter((n) => n.resourceType === 'snapshot').map((n) => n.fqn)],
    [settings.seeds, all.filter((n) => n.resourceType === 'seed').map((n) => n.fqn)],
    [settings.tests, all.filter((n) => n.resourceType === 'test').map((n) => n.fqn)],
  ] as const) {
    for (const level of unusedConfigPaths(tree, fqns)) {
      notes.push({ file: tree.file ?? '', line: level.line, message: `${[tree.kind, ...level.path].join('.')}: this config path matches no ${tree.kind.replace(/s$/, '')} (paths start with the project name, ${settings.name})` });
    }
  }
  // macro files of packages that nunjucks cannot read: the project builds without their macros
  for (const w of templates.warnings) notes.push({ file: w.file ?? project.dir, line: w.line, message: w.message });
  const told = new Set<string>();
  for (const l of logs) {
    const key = `${l.level}\u0000${l.message}`;
    if (!told.has(key)) opts.onLog?.(l.message, l.level);
    told.add(key);
  }
  const manifest: Manifest = {
    projectDir: project.dir,
    projectName: settings.name,
    targetPath: settings.targetPath,
    generatedAt: new Date().toISOString(),
    target: targetInfo,
    vars,
    nodes,
    order: dag.order,
    childMap: dag.childMap,
    parentMap: dag.parentMap,
    notes,
  };
  if (inputs !== undefined) {
    // the next compile may start from this one unless a render's output depends on more than the files
    const repeatable = !queried && !readsClock && logs.length === 0 && (opts.queries?.answers.size ?? 0) === 0;
    compiler.state = repeatable
      ? {
          inputs,
          manifest,
          models: project.models.map((m) => ({ name: m.name, path: m.path, file: m.file, text: m.text })),
          firsts,
          configs,
          baseScope,
          scope,
          templates,
          unitTested: new Set(unitDocs.map((u) => u.model)),
        }
      : undefined;
  }
  return manifest;
}

/**
 * Every relation name must fit the dialect's identifier limit (PostgreSQL would cut a longer one,
 * and the cut name can be another relation), and must not look like a helper relation, which runs
 * drop as leftovers. Checked before any SQL runs, each error at the line that gave the name.
 */
function checkRelationNames(
  project: Project,
  models: PreparedModel[],
  configs: Map<string, ModelConfig>,
  relations: Map<string, Relation>,
  tables: SourceNode['table'][],
  dialect: Dialect,
  targetSchema: string,
  snapshots: Map<string, { line: number }>,
): SparkifyError[] {
  const errors: SparkifyError[] = [];
  const check = (what: string, name: string, where: { file: string; line?: number | undefined }, hint: string) => {
    const tooLong = identifierTooLong(name, dialect);
    if (tooLong) errors.push(new ProjectError(`${what} ${name} ${tooLong}`, { ...where, hint }));
    else if (HELPER_RELATION.test(name)) errors.push(new ProjectError(`${what} ${name} ends like the helper relations sparkify builds and drops (__sparkify_tmp, __sparkify_old)`, { ...where, hint: 'choose another name' }));
  };
  const lineOf = (text: string, re: RegExp) => {
    const at = text.search(re);
    return at < 0 ? undefined : text.slice(0, at).split('\n').length;
  };
  // the target schema is checked once, by the config; a custom schema adds to it
  const targetTooLong = identifierTooLong(targetSchema, dialect) !== undefined;
  for (const p of models) {
    const { name, file, text } = p.model;
    const config = configs.get(name)!;
    const rel = relations.get(name)!;
    const snap = snapshots.get(name);
    const kind = snap ? 'snapshot' : 'model';
    if (config.alias === undefined) check(`the ${kind} name`, name, { file, line: snap?.line ?? 1 }, snap ? 'choose a shorter name, or a shorter alias' : 'rename the file, or give the model a shorter alias: {{ config(alias=...) }}');
    else check(`the alias of ${kind} ${name},`, rel.name, { file, line: lineOf(text, /\balias\s*=/) ?? snap?.line ?? 1 }, 'choose a shorter alias');
    if (config.schema !== undefined && !targetTooLong) {
      const inModel = lineOf(text, /\bschema\s*=/);
      const yml = project.projectFile;
      const where = inModel !== undefined || !yml ? { file, line: inModel ?? 1 } : { file: yml.file, line: lineOf(yml.text, /\+schema\s*:/) };
      check(`the schema of ${kind} ${name} (the target schema ${targetSchema} + "_" + ${config.schema}),`, rel.schema, where, 'choose a shorter custom schema');
    }
  }
  for (const t of tables) {
    const where = { file: t.file, line: t.line };
    check(`the table of source ${t.sourceName}.${t.name}`, t.identifier, where, 'give it a shorter identifier: in sources.yml');
    if (t.schema !== undefined) check(`the schema of source ${t.sourceName}`, t.schema, where, 'choose a shorter schema: in sources.yml');
    for (const c of t.columns) {
      const tooLong = identifierTooLong(c.name, dialect);
      if (tooLong) errors.push(new ProjectError(`column ${c.name} of source ${t.sourceName}.${t.name} ${tooLong}`, { ...where, hint: 'use a shorter column name' }));
    }
  }
  return errors;
}

/** Renders ad hoc SQL (sparkify show --inline) against a compiled project: ref() and source() work. */
export function compileInline(project: Project, manifest: Manifest, opts: CompileOptions, sql: string): string {
  const templates = createTemplateEnvironment(project.macros);
  const models = new Map<string, Relation>();
  const sources = new Map<string, Relation>();
  for (const n of Object.values(manifest.nodes)) {
    if (n.resourceType === 'model' || n.resourceType === 'snapshot' || n.resourceType === 'seed') models.set(n.name, n.relation);
    else if (n.resourceType === 'source') sources.set(`${n.sourceName}.${n.name}`, n.relation);
  }
  const file = { name: 'inline', path: '<inline>', file: '<inline>', text: sql };
  const p = prepareModel(file, templates);
  if (!('marked' in p)) throw p;
  const scope: RenderScope = { templates, dialect: opts.dialect, target: manifest.target, vars: manifest.vars, env: opts.env, models, sources, disabled: new Set() };
  const r = renderModel(p, scope, { isIncremental: false });
  const resolved = resolveRelations(r.compiledSql, file, r.refs, scope, { schema: opts.target.schema, name: 'inline' });
  throwIfAny([...r.errors, ...resolved.errors]);
  return resolved.sql;
}
