import type { ConfigReader, RawSetting } from '../config/config-reader.js';
import type { S3Settings } from '../loaders/s3-client.js';
import type { Dialect, Engine } from './adapter.js';

/** What an engine's config resolution returns: its settings and the schema it builds in. */
export interface ResolvedEngineConfig<S> {
  settings: S;
  schema: string;
  /** where the schema came from, so a name too long for the dialect is reported there */
  schemaSetting?: RawSetting | undefined;
  /** settings that were missing and stand as placeholders (offline: compile needs no cluster), e.g. "[CLUSTER] HOST" */
  placeholders?: string[] | undefined;
}

export interface ResolveEngineConfigContext {
  /** whether this engine is the selected target (the environment only counts for the selected engine) */
  selected: boolean;
  /** missing credentials are placeholders instead of errors (compile) */
  offline: boolean;
  projectDir: string;
  /** the config file, or where it would be */
  configFile: string;
  /** [S3] REGION, when set */
  s3Region?: string | undefined;
}

export interface OpenEngineContext {
  schema: string;
  threads: number;
  s3: S3Settings;
  /** show, debug: create nothing (no schema; a DuckDB file is opened read-only) */
  readOnly: boolean;
}

/**
 * One engine, as its folder (src/adapters/<engine>/index.ts) exports it: its name, its config
 * section and how that resolves from dwh.cfg and the environment, its dialect and how to open it.
 * The registry (src/adapters/engines.ts) lists them; adding an engine is a folder plus one line there.
 */
export interface EngineDefinition<S = unknown> {
  /** the target type: "duckdb" */
  readonly type: string;
  /** the engine's name in messages: "DuckDB" */
  readonly label: string;
  /** other names --target and [SPARKIFY] TARGET accept for it ("cluster") */
  readonly aliases?: readonly string[] | undefined;
  /** config sections this engine owns whose keys are checked (a misspelt key is an error), with their keys */
  readonly configKeys?: Readonly<Record<string, readonly string[]>> | undefined;
  /**
   * Reads the engine's settings; problems go to reader.errors. Called for every engine, selected or
   * not, so a bad value in any section is reported; only the selected engine's result is used.
   */
  resolveConfig(reader: ConfigReader, ctx: ResolveEngineConfigContext): ResolvedEngineConfig<S>;
  /** the secrets among its settings, with where they come from ("[POSTGRES] DB_PASSWORD"), for masking */
  secrets?(reader: ConfigReader): [label: string, value: string | undefined][];
  /** its settings as `sparkify debug` prints them, with every password replaced by **** */
  describe?(settings: S): Record<string, unknown>;
  /** the dialect; settings are undefined where no target is resolved (unit tests) */
  dialect(settings: S | undefined): Dialect;
  /** opens a pool of `threads` connections; the driver is imported here, so offline commands never load it */
  open(settings: S, ctx: OpenEngineContext): Promise<Engine>;
}

/** Declares an engine with its settings' type checked, and stores it as an EngineDefinition. */
export function defineEngine<S>(def: EngineDefinition<S>): EngineDefinition {
  return def as unknown as EngineDefinition;
}
