/** sparkify's library API. The CLI is one client of it. */
export { compile, run, runCompiled, writeCompiled, writeRunPlan, writeRunResults, resolveProjectTarget, compiledPathOf } from './api.js';
export type { Compiled, ProjectOptions, RunOptions } from './api.js';
export { loadProject } from './project/load-project.js';
export { compileProject } from './compile/compile-project.js';
export { selectNodes } from './graph/select-nodes.js';
export { parseSelector, parseSelectors } from './graph/parse-selector.js';
export { planRun } from './materializations/plan-run.js';
export { executePlan } from './runner/execute-plan.js';
export type { RunEvent, RunResult, NodeResult } from './runner/execute-plan.js';
export { createDialect, openEngine } from './adapters/create-engine.js';
export type { Dialect, Engine, Connection, Step } from './adapters/adapter.js';
export { resolveTarget, describeTarget } from './config/load-config.js';
export type { Target } from './config/load-config.js';
export * from './errors.js';
export type * from './types.js';
