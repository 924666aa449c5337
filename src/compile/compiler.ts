import { createTemplateEnvironment, templateEnvironmentKey, type MacroPackage, type TemplateEnvironment, type TemplateFile } from '../template/environment.js';
import type { CompileState, FullCompileReason } from './recompile-models.js';

/**
 * The state kept between compiles of one project: the template environment (macros evaluated,
 * templates parsed) while the macro files are unchanged, and what the last compile rendered, so
 * that the next re-renders only the models whose files changed (recompile-models.ts says when that
 * is exact; otherwise it compiles in full). The caller creates and owns it; `compile()`
 * without one makes a fresh one, so two projects compiled in one process never share state, and a
 * long-lived caller (watch mode, a program that compiles on every save) passes the same one each time.
 */
export class Compiler {
  private environment: { key: string; value: TemplateEnvironment } | undefined;
  /** what the last good compile left; undefined before one, or when it cannot be started from */
  state: CompileState | undefined;
  /** how the last compile went: 'partial' (only changed models rendered), or why it rendered all */
  lastCompile: 'partial' | FullCompileReason | undefined;

  /** The template environment of these macros: the one of the last compile when they are the same. */
  templateEnvironment(macros: TemplateFile[], packages: MacroPackage[] = [], projectName?: string): TemplateEnvironment {
    const key = templateEnvironmentKey(macros, packages, projectName);
    if (this.environment?.key === key) return this.environment.value;
    const value = createTemplateEnvironment(macros, packages, projectName);
    this.environment = { key, value };
    return value;
  }
}
