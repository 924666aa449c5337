import { UsageError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import type { Target } from '../config/load-config.js';
import type { Dialect, Engine } from './adapter.js';
import type { EngineDefinition } from './engine-definition.js';
import { ENGINES } from './engines.js';

export interface OpenOptions {
  /**
   * For commands that only read (show, debug): the target schema is not created, and a DuckDB file
   * is opened read-only (one that does not exist yet opens as an empty database, and none is created).
   */
  readOnly?: boolean | undefined;
  /** the engines to choose from (default: the built-in ones) */
  engines?: readonly EngineDefinition[] | undefined;
}

/** The engine of a target type (or an alias of one, "cluster"), from `engines`. */
export function findEngine(type: string, engines: readonly EngineDefinition[] = ENGINES): EngineDefinition | undefined {
  const t = type.toLowerCase();
  return engines.find((e) => e.type === t || e.aliases?.includes(t));
}

function engineOf(type: string, engines: readonly EngineDefinition[] | undefined): EngineDefinition {
  const e = findEngine(type, engines);
  if (!e) throw new UsageError(`unknown engine ${type}`, { hint: didYouMean(type, (engines ?? ENGINES).map((d) => d.type)) ?? `known engines: ${(engines ?? ENGINES).map((d) => d.type).join(', ')}` });
  return e;
}

/**
 * The dialect of an engine; the target supplies settings that reach SQL (Redshift's IAM role and
 * region). Takes a target, or an engine type when there is none (unit tests).
 */
export function createDialect(target: Target | string, engines?: readonly EngineDefinition[]): Dialect {
  if (typeof target === 'string') return engineOf(target, engines).dialect(undefined);
  return engineOf(target.type, engines).dialect(target.settings);
}

export async function openEngine(target: Target, threads: number, opts: OpenOptions = {}): Promise<Engine> {
  return engineOf(target.type, opts.engines).open(target.settings, { schema: target.schema, threads, s3: target.s3, readOnly: opts.readOnly === true });
}
