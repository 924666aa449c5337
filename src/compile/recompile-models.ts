import type { Project } from '../project/load-project.js';
import type { TemplateEnvironment, TemplateFile } from '../template/environment.js';
import { prepareModel, renderModel, resolveRelations, type RenderScope, type RenderedModel } from '../template/render-model.js';
import type { Manifest, ModelConfig, ModelNode } from '../types.js';
import type { CompileOptions } from './compile-project.js';

/**
 * What a full compile leaves for the next one to start from: every model's text and first render
 * (its config(), refs and sources), the scopes it rendered in and the manifest it made.
 */
export interface CompileState {
  /** every input of the compile but the models' texts (compileInputs()) */
  inputs: string;
  manifest: Manifest;
  /** the models, in the project's order */
  models: { name: string; path: string; file: string; text: string }[];
  /** by model name: the first render (before relations were known) */
  firsts: Map<string, Pick<RenderedModel, 'config' | 'refs' | 'sources'>>;
  configs: Map<string, ModelConfig>;
  /** the scope of the first renders (relations guessed) and of the final ones, without the per-compile parts */
  baseScope: RenderScope;
  scope: RenderScope;
  templates: TemplateEnvironment;
  /** models that unit tests render: a change to one compiles the project in full */
  unitTested: Set<string>;
}

/** Every input of a compile except the models' texts, as one string: equal strings, equal inputs. */
export function compileInputs(project: Project, opts: CompileOptions): string {
  const files = (fs: TemplateFile[] | undefined) => (fs ?? []).map((f) => [f.path, f.file, f.text]);
  return JSON.stringify([
    project.dir,
    files(project.projectFile ? [project.projectFile] : []),
    project.settings,
    files(project.macros),
    (project.packages ?? []).map((p) => [p.name, files(p.macros)]),
    files(project.sourcesFiles),
    files(project.docFiles),
    files(project.tests),
    files(project.snapshots),
    project.notes ?? [],
    opts.target,
    opts.dialect.type,
    opts.vars ?? null,
    opts.env,
  ]);
}

/** Why a compile had to render everything; undefined when it re-rendered only what changed. */
export type FullCompileReason = 'first' | 'inputs' | 'models' | 'render';

/**
 * Compiles the project again by re-rendering only the models whose text changed since `last`, when
 * that gives exactly what a full compile would: nothing but models' texts changed (macros, project
 * file, property files, sources, tests, snapshots, vars, env and target are the same), no model was
 * added, removed or renamed, the last compile sent no query and logged nothing, and each changed
 * model renders without errors, queries or logs to the same config(), refs, sources and
 * newly_loaded() as before. Anything else returns the reason, and the caller compiles in full. The
 * nodes of unchanged models are the previous manifest's own objects.
 */
export function recompileModels(project: Project, opts: CompileOptions, last: CompileState, inputs: string): { manifest: Manifest; state: CompileState } | { full: FullCompileReason } {
  if (last.inputs !== inputs || project.problems.length > 0) return { full: 'inputs' };
  const models = project.models;
  if (models.length !== last.models.length) return { full: 'models' };
  const changed: number[] = [];
  for (let i = 0; i < models.length; i++) {
    const m = models[i]!;
    const was = last.models[i]!;
    if (m.name !== was.name || m.path !== was.path || m.file !== was.file) return { full: 'models' };
    if (m.text !== was.text) changed.push(i);
  }
  const manifest = { ...last.manifest, generatedAt: new Date().toISOString() };
  if (changed.length === 0) return { manifest, state: { ...last, manifest } };

  const logs: string[] = [];
  const perCompile = { queries: opts.queries, onLog: (message: string) => logs.push(message), onQuery: undefined, onClock: undefined };
  const baseScope: RenderScope = { ...last.baseScope, ...perCompile };
  const scope: RenderScope = { ...last.scope, ...perCompile };
  const clean = (r: RenderedModel) => r.errors.length === 0 && !r.pendingQueries && !r.queried && !r.readsClock && logs.length === 0;
  const nodes = { ...last.manifest.nodes };
  const firsts = new Map(last.firsts);
  for (const i of changed) {
    const model = models[i]!;
    const name = model.name;
    if (last.unitTested.has(name)) return { full: 'render' };
    const prepared = prepareModel(model, last.templates);
    if (!('marked' in prepared)) return { full: 'render' };
    const first = renderModel(prepared, baseScope, { isIncremental: false });
    const before = last.firsts.get(name)!;
    if (!clean(first) || !sameOutline(first, before)) return { full: 'render' };
    firsts.set(name, { config: first.config, refs: first.refs, sources: first.sources });
    const config = last.configs.get(name)!;
    if (config.enabled === false) continue;
    const old = nodes[`model.${name}`] as ModelNode;
    const r = first.usesRelations ? renderModel(prepared, scope, { isIncremental: false }) : first;
    if (!clean(r)) return { full: 'render' };
    const resolved = resolveRelations(r.compiledSql, model, r.refs, scope, old.relation);
    if (resolved.errors.length > 0) return { full: 'render' };
    const incrementalRender = config.materialized === 'incremental' ? renderModel(prepared, scope, { isIncremental: true }) : undefined;
    // a full compile does not report the errors of the incremental render, but its queries make it answer them
    if (incrementalRender && (incrementalRender.pendingQueries || incrementalRender.queried || incrementalRender.readsClock || logs.length > 0)) return { full: 'render' };
    if (incrementalRender && !sameList(incrementalRender.newlyLoaded, old.newlyLoaded ?? [])) return { full: 'render' };
    const incremental = incrementalRender && resolveRelations(incrementalRender.compiledSql, model, incrementalRender.refs, scope, old.relation);
    const node: ModelNode = {
      ...old,
      rawSql: model.text,
      compiledSql: resolved.sql,
      lineMap: r.lineMap,
      refs: r.refs,
      sources: r.sources,
      compiledIncrementalSql: incremental?.sql,
      incrementalLineMap: incrementalRender?.lineMap,
    };
    nodes[node.id] = node;
  }
  const next: Manifest = { ...manifest, nodes };
  const modelsNow = last.models.slice();
  for (const i of changed) modelsNow[i] = { ...modelsNow[i]!, text: models[i]!.text };
  return { manifest: next, state: { ...last, manifest: next, models: modelsNow, firsts } };
}

/** The same config() (keys in the same order: the merged config keeps it), refs and sources (by name, in order) as the render before. */
function sameOutline(r: RenderedModel, before: Pick<RenderedModel, 'config' | 'refs' | 'sources'>): boolean {
  return (
    JSON.stringify(r.config) === JSON.stringify(before.config) &&
    sameList(
      r.refs.map((x) => x.name),
      before.refs.map((x) => x.name),
    ) &&
    sameList(
      r.sources.map((s) => `${s.sourceName}.${s.name}`),
      before.sources.map((s) => `${s.sourceName}.${s.name}`),
    )
  );
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
