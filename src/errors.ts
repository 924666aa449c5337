import { displayPath } from './display-path.js';
import type { RejectedLine } from './loaders/load-errors.js';

/**
 * One small error hierarchy. Every error can carry where it happened (file, line, column),
 * the node it belongs to and a hint that tells the user how to fix it.
 */
export interface Location {
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
}

export interface ErrorDetails extends Location {
  node?: string | undefined;
  hint?: string | undefined;
  /** Compiled SQL file that the database saw, when the error came from a database. */
  compiledPath?: string | undefined;
  compiledLine?: number | undefined;
  cause?: unknown;
}

export type ErrorKind = 'config' | 'project' | 'template' | 'selection' | 'database' | 'load' | 'usage';

export class SparkifyError extends Error {
  readonly kind: ErrorKind = 'usage';
  file?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  node?: string | undefined;
  hint?: string | undefined;
  compiledPath?: string | undefined;
  compiledLine?: number | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.file = details.file;
    this.line = details.line;
    this.column = details.column;
    this.node = details.node;
    this.hint = details.hint;
    this.compiledPath = details.compiledPath;
    this.compiledLine = details.compiledLine;
  }

  /** Adds context that the raising layer did not know; never overwrites what it did know. */
  addContext(details: ErrorDetails): this {
    // a line and column belong to their file: an error about a data file never takes the line of its entry in sources.yml
    const sameFile = this.file === undefined || this.file === details.file;
    this.file ??= details.file;
    if (sameFile) {
      this.line ??= details.line;
      this.column ??= details.column;
    }
    this.node ??= details.node;
    this.hint ??= details.hint;
    this.compiledPath ??= details.compiledPath;
    this.compiledLine ??= details.compiledLine;
    return this;
  }

  /** Exit code for the CLI: 2 for problems with the user's input, 1 for failures while running. */
  get exitCode(): number {
    return this.kind === 'database' || this.kind === 'load' ? 1 : 2;
  }

  toJSON(): Record<string, unknown> {
    return {
      kind: this.kind,
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      node: this.node,
      hint: this.hint,
      compiledPath: this.compiledPath,
      compiledLine: this.compiledLine,
    };
  }
}

export class ConfigError extends SparkifyError {
  override readonly kind = 'config';
}
export class ProjectError extends SparkifyError {
  override readonly kind = 'project';
}
export class TemplateError extends SparkifyError {
  override readonly kind = 'template';
}
export class SelectionError extends SparkifyError {
  override readonly kind = 'selection';
}
export class DatabaseError extends SparkifyError {
  override readonly kind = 'database';
  /** the statement the database rejected, and the 1-based line in it that the database pointed at */
  sql?: string | undefined;
  statementLine?: number | undefined;
  /** the session is gone (the server ended it, the network failed): what it had not committed was rolled back */
  connectionLost?: boolean | undefined;
}
/** Another run holds the target (the DuckDB file, or the PostgreSQL schema's run lock). */
export class RunLockedError extends DatabaseError {}

export class LoadError extends SparkifyError {
  override readonly kind = 'load';
  /** the bad input lines behind this error, so the runner can record them in sparkify_load_errors */
  rejected?: RejectedLine[] | undefined;
}
export class UsageError extends SparkifyError {
  override readonly kind = 'usage';
}

/** Several errors found in one pass (compile collects them all before reporting). */
export class ErrorList extends SparkifyError {
  override readonly kind: ErrorKind;
  readonly errors: SparkifyError[];
  constructor(errors: SparkifyError[]) {
    const sorted = sortErrors(errors);
    super(sorted.map((e) => formatError(e)).join('\n'));
    this.errors = sorted;
    this.kind = sorted[0]?.kind ?? 'project';
  }
}

export function sortErrors(errors: SparkifyError[]): SparkifyError[] {
  return [...errors].sort(
    (a, b) =>
      (a.file ?? '\uffff').localeCompare(b.file ?? '\uffff') ||
      (a.line ?? 0) - (b.line ?? 0) ||
      (a.column ?? 0) - (b.column ?? 0),
  );
}

/** Collects errors from each of many items, then throws them together. */
export function throwIfAny(errors: SparkifyError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ErrorList(errors);
}

export function formatLocation(loc: Location): string {
  if (!loc.file) return '';
  let s = displayPath(loc.file);
  if (loc.line !== undefined) s += `:${loc.line}`;
  if (loc.line !== undefined && loc.column !== undefined) s += `:${loc.column}`;
  return s;
}

/** One human-readable block: "file:line:col: Kind error: message" plus the compiled path and hint. */
export function formatError(err: unknown): string {
  if (err instanceof ErrorList) return err.errors.map((e) => formatError(e)).join('\n');
  if (!(err instanceof SparkifyError)) {
    const e = err instanceof Error ? err : new Error(String(err));
    return `Internal error: ${e.stack ?? e.message}`;
  }
  const where = formatLocation(err);
  const kind = err.kind[0]!.toUpperCase() + err.kind.slice(1);
  let s = `${where ? where + ': ' : ''}${kind} error${err.node ? ` in ${err.node}` : ''}: ${err.message}`;
  if (err.compiledPath) {
    s += `\n  compiled SQL: ${err.compiledPath}${err.compiledLine !== undefined ? `:${err.compiledLine}` : ''}`;
  }
  if (err.hint) s += `\n  hint: ${err.hint}`;
  return s;
}
