/** sparkify's library API. The CLI is one client of it. */
export { compile, compileWithDatabase, run, retry, runLocked, runCompiled, artifactsDir, writeCompiled, writeRunPlan, writeRunResults, resolveProjectTarget, compiledPathOf } from './api.js';
export type { Compiled, ProjectOptions, RunOptions, RetryResult, LockedRunOptions, LockedRunResult } from './api.js';
export { Compiler } from './compile/compiler.js';
export { watch, WatchSession } from './watch/watch-session.js';
export type { WatchOptions } from './watch/watch-session.js';
export type { WatchEvent, RebuildReason, RebuildStatus } from './watch/watch-event.js';
export { readLastRun } from './runner/last-run.js';
export type { LastRun } from './runner/last-run.js';
export { loadProject } from './project/load-project.js';
export { writeFreshnessResults, selectForRun, BUILD_RESOURCE_TYPES, RUN_RESOURCE_TYPES } from './api.js';
export { checkFreshness, freshnessQuery, freshnessSources, freshnessStatus } from './freshness/source-freshness.js';
export type { FreshnessResult } from './freshness/source-freshness.js';
export { addIndirectTests, INDIRECT_SELECTION_MODES } from './graph/select-tests.js';
export type { IndirectSelection } from './graph/select-tests.js';
export { compileProject } from './compile/compile-project.js';
export { selectNodes } from './graph/select-nodes.js';
export { parseSelector, parseSelectors } from './graph/parse-selector.js';
export { planRun } from './materializations/plan-run.js';
export { executePlan } from './runner/execute-plan.js';
export type { RunEvent, RunResult, NodeResult } from './runner/execute-plan.js';
export type { RunProgress } from './runner/run-results-progress.js';
export { createDialect, findEngine, openEngine } from './adapters/create-engine.js';
export { ENGINES } from './adapters/engines.js';
export { defineEngine } from './adapters/engine-definition.js';
export type { EngineDefinition, OpenEngineContext, ResolveEngineConfigContext, ResolvedEngineConfig } from './adapters/engine-definition.js';
export { ConfigReader } from './config/config-reader.js';
export type { RawSetting } from './config/config-reader.js';
export type { Dialect, Engine, Connection, Step } from './adapters/adapter.js';
export { resolveTarget, describeTarget, PLACEHOLDER_IAM_ROLE } from './config/load-config.js';
export type { Target } from './config/load-config.js';
export * from './errors.js';
export type * from './types.js';
export { showQuery } from './show/show-query.js';
export type { ShowOptions, ShowResult } from './show/show-query.js';
export { checkConnection } from './debug/check-connection.js';
export type { ConnectionCheck } from './debug/check-connection.js';
export { readSourceFilesStatus, sourceFilesStatus } from './debug/source-files-status.js';
export type { SourceFilesStatus } from './debug/source-files-status.js';
export { listNodes } from './graph/list-nodes.js';
export type { ListedNode } from './graph/list-nodes.js';
export { generateData } from './generate/generate-data.js';
export type { GenerateOptions, GenerateProgress, GenerateResult } from './generate/generate-data.js';
export { prepareOutDir } from './generate/prepare-out-dir.js';
export { writeCompiledInBackground } from './api.js';
export type { LoadProgress } from './adapters/adapter.js';
export { secretMask } from './mask-secrets.js';
export type { GenerateDocsResult } from './docs/generate-docs.js';
export type { DocsServer } from './docs/serve-docs.js';
export { buildCatalog } from './docs/build-catalog.js';
export type { Catalog } from './docs/build-catalog.js';
export type { ColumnLineageDoc, NodeColumnLineage, ColumnLineage, UpstreamColumn } from './lineage/column-lineage.js';
export { renderGraph } from './graph/render-graph.js';
export { listSelected, describeSelection } from './graph/list-nodes.js';
export { withSourceFiles } from './debug/source-files-status.js';
export { inspectProject } from './debug/inspect-project.js';
export type { ProjectInspection } from './debug/inspect-project.js';
export { sourceFreshness } from './freshness/source-freshness.js';
export type { SourceFreshnessOptions, SourceFreshnessRun } from './freshness/source-freshness.js';
export { formatRows } from './show/format-rows.js';
export { RESOURCE_TYPES } from './graph/parse-selector.js';
export { projectSettings } from './project/load-project.js';
export { describeNote } from './project/project-settings.js';
export type { ProjectNote } from './project/project-settings.js';
export { installPackages } from './project/install-packages.js';
export { cleanProject } from './project/clean-project.js';
export { displayPath } from './display-path.js';
export { suggest, didYouMean } from './suggest.js';
export { VERSION } from './version.js';

// Loaded on their first call, so that a program (the CLI among them) that makes no docs never loads
// the SQL parser (libpg-query) and the graph layout (dagre).
type GenerateDocs = (typeof import('./docs/generate-docs.js'))['generateDocs'];
type ServeDocs = (typeof import('./docs/serve-docs.js'))['serveDocs'];
type ColumnLineageFn = (typeof import('./lineage/column-lineage.js'))['columnLineage'];
export async function generateDocs(...args: Parameters<GenerateDocs>): ReturnType<GenerateDocs> {
  return (await import('./docs/generate-docs.js')).generateDocs(...args);
}
export async function serveDocs(...args: Parameters<ServeDocs>): ReturnType<ServeDocs> {
  return (await import('./docs/serve-docs.js')).serveDocs(...args);
}
export async function columnLineage(...args: Parameters<ColumnLineageFn>): ReturnType<ColumnLineageFn> {
  return (await import('./lineage/column-lineage.js')).columnLineage(...args);
}
