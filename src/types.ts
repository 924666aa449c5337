/** Plain data passed between the stages: load -> compile -> select -> plan -> execute. */

export type Materialization = 'table' | 'view' | 'incremental' | 'snapshot';

/** A column type, normalised to lower case SQL ("varchar(256)", "bigint", "double precision"). */
export interface ColumnSpec {
  name: string;
  type: string;
  description?: string | undefined;
  /** data tests declared on the column in a models/*.yml file */
  tests?: DataTest[] | undefined;
}

/**
 * A generic data test as declared in a yml file: dbt's four (unique, not_null, accepted_values,
 * relationships) or a custom `{% test name(model, column_name) %}`. It passes when its query finds
 * no failing rows.
 */
export interface DataTest {
  /** the generic test's name */
  kind: string;
  /** its arguments (values, to, field, ...), as written */
  args: Record<string, unknown>;
  /** the `name:` given in yml, instead of the generated one */
  name?: string | undefined;
  config: Partial<TestConfig>;
  where: { file: string; line: number };
}

/** A test's config, as in dbt. */
export interface TestConfig {
  materialized: 'test';
  severity: 'error' | 'warn';
  /** conditions on the number of failing rows, e.g. '!= 0', '> 10' */
  warn_if: string;
  error_if: string;
  /** a filter on the tested model */
  where?: string | undefined;
  /** at most this many failing rows */
  limit?: number | undefined;
  /** keep the failing rows in a table of <schema>_dbt_test__audit */
  store_failures: boolean;
  tags: string[];
  enabled: boolean;
}

/** A unit test (dbt 1.8): rows given for a model's inputs and the rows it must return. */
export interface UnitTestSpec {
  model: string;
  /** the columns the expected rows name (the model's other columns are not compared) */
  expect: { columns: string[]; rows: Record<string, unknown>[] };
  /** the model's SQL rendered with the overrides and every input replaced by its fixture */
  sql: string;
}

export interface TestNode {
  /** "test.unique_songplays_songplay_id" */
  id: string;
  resourceType: 'test';
  testType: 'generic' | 'singular' | 'unit';
  name: string;
  /** dbt's fqn: the project, the folders of the file that declares the test, the test's name */
  fqn: string[];
  /** generic tests: the generic test (unique, relationships, a custom test's name) */
  testName?: string | undefined;
  path: string;
  file: string;
  line: number;
  /** the model, snapshot or source the test is declared on */
  attachedTo?: string | undefined;
  column?: string | undefined;
  dependsOn: string[];
  /** the query that returns the failing rows */
  compiledSql: string;
  config: TestConfig;
  /** where store_failures keeps the failing rows */
  relation: Relation;
  /** set when the test cannot run (it refers to a model that does not exist); reported when it runs */
  problem?: string | undefined;
  unit?: UnitTestSpec | undefined;
}

/** How a source's JSON keys map to its columns, with Redshift COPY semantics. */
export type JsonMapping =
  | { kind: 'auto' }
  | { kind: 'auto_ignorecase' }
  | { kind: 'jsonpaths'; location: string };

export interface CopyOptions {
  /** the source format module (src/loaders/formats/formats.ts); JSON when unset */
  format?: string | undefined;
  /** 'auto', 'auto ignorecase' or the location of a JSONPaths file. */
  json: JsonMapping;
  maxErrors: number;
  compression: 'none' | 'gzip' | 'zstd';
  /** Redshift-only options pass through to the Redshift COPY; other engines validate and ignore them. */
  timeformat?: string | undefined;
  truncateColumns: boolean;
  blanksAsNull: boolean;
  emptyAsNull: boolean;
  acceptInvChars?: string | undefined;
  compUpdate?: boolean | undefined;
  statUpdate?: boolean | undefined;
  manifest: boolean;
  region?: string | undefined;
  /** full: every run loads every file (the staging table is replaced); incremental: each file once, recorded in sparkify_loaded_files */
  mode?: 'full' | 'incremental' | undefined;
  /** incremental: what a file in the ledger whose size, ETag or content changed does */
  onFileChange?: 'error' | 'reload' | 'ignore' | undefined;
}

export interface SourceTable {
  /** "source.sparkify.staging_events" */
  id: string;
  sourceName: string;
  name: string;
  /** relation name in the database */
  identifier: string;
  schema?: string | undefined;
  description?: string | undefined;
  /** the description of the source the table belongs to */
  sourceDescription?: string | undefined;
  /** dbt's meta: the source's, with the table's (and their config blocks') keys over it */
  meta?: Record<string, unknown> | undefined;
  /** A local path, directory, glob or s3:// prefix. Undefined for sources that are not loaded by sparkify. */
  location?: string | undefined;
  copy?: CopyOptions | undefined;
  columns: ColumnSpec[];
  file: string;
  line: number;
  tags: string[];
  /** tests declared on the table itself (not on a column) */
  tests?: DataTest[] | undefined;
  /** source freshness: the column holding each row's load time, and the limits */
  loadedAtField?: string | undefined;
  freshness?: FreshnessRule | undefined;
}

export interface FreshnessRule {
  warnAfter?: { count: number; period: 'minute' | 'hour' | 'day' } | undefined;
  errorAfter?: { count: number; period: 'minute' | 'hour' | 'day' } | undefined;
  /** SQL filter applied when computing freshness */
  filter?: string | undefined;
}

export interface ModelConfig {
  materialized: Materialization;
  tags: string[];
  schema?: string | undefined;
  alias?: string | undefined;
  dist?: string | undefined;
  sort?: string[] | undefined;
  sort_type?: 'compound' | 'interleaved' | undefined;
  unique_key?: string | string[] | undefined;
  enabled: boolean;
  /** Redshift views: late binding (WITH NO SCHEMA BINDING). */
  bind?: boolean | undefined;
  full_refresh?: boolean | undefined;
  on_schema_change?: string | undefined;
  incremental_strategy?: string | undefined;
  /** snapshots */
  strategy?: 'timestamp' | 'check' | undefined;
  updated_at?: string | undefined;
  check_cols?: string[] | 'all' | undefined;
  hard_deletes?: 'ignore' | 'invalidate' | 'new_record' | undefined;
}

/** A seed's config, as in dbt. */
export interface SeedConfig {
  materialized: 'seed';
  tags: string[];
  enabled: boolean;
  schema?: string | undefined;
  alias?: string | undefined;
  /** column name -> SQL type, instead of the type inferred from the values */
  column_types: Record<string, string>;
  /** quote the column names in the table (dbt's default: no) */
  quote_columns: boolean;
  delimiter: string;
  full_refresh?: boolean | undefined;
  meta?: Record<string, unknown> | undefined;
}

/** A CSV file under a seed path, loaded into a table of the same name by `sparkify seed`. */
export interface SeedNode {
  /** "seed.raw_customers" */
  id: string;
  resourceType: 'seed';
  name: string;
  fqn: string[];
  path: string;
  file: string;
  config: SeedConfig;
  columns: ColumnSpec[];
  description?: string | undefined;
  patchPath?: string | undefined;
  relation: Relation;
  dependsOn: string[];
}

export interface ModelNode {
  /** "model.songplays", "snapshot.users_history" */
  id: string;
  /** a snapshot is a model whose materialization keeps history */
  resourceType: 'model' | 'snapshot';
  name: string;
  /** dbt's fully qualified name: [project, ...folders under the model path, name] */
  fqn: string[];
  /** path relative to the project dir, with forward slashes */
  path: string;
  /** absolute path */
  file: string;
  rawSql: string;
  compiledSql: string;
  /** for each line of compiledSql, the 1-based line of the template it came from */
  lineMap: number[];
  config: ModelConfig;
  dependsOn: string[];
  refs: { name: string; line: number; column?: number | undefined }[];
  sources: { sourceName: string; name: string; line: number }[];
  columns: ColumnSpec[];
  description?: string | undefined;
  /** the property file (*.yml) that describes the model, relative to the project dir */
  patchPath?: string | undefined;
  relation: Relation;
  /** compiled with is_incremental() true (only when the relation exists and config is incremental) */
  compiledIncrementalSql?: string | undefined;
  /** for each line of compiledIncrementalSql, the template line it came from */
  incrementalLineMap?: number[] | undefined;
  /** incremental models: the sources whose newly loaded rows the is_incremental() branch reads (newly_loaded()) */
  newlyLoaded?: string[] | undefined;
}

export interface SourceNode {
  id: string;
  resourceType: 'source';
  name: string;
  sourceName: string;
  /** dbt's fully qualified name: [project, ...folders of the declaring file under the model path, source, table] */
  fqn: string[];
  path: string;
  file: string;
  table: SourceTable;
  relation: Relation;
  dependsOn: string[];
  config: { tags: string[]; materialized: 'copy' | 'external'; meta?: Record<string, unknown> | undefined };
}

export type GraphNode = ModelNode | SourceNode | TestNode;

export interface Relation {
  schema: string;
  name: string;
}

export interface TargetInfo {
  name: string;
  type: string;
  schema: string;
}

export interface Manifest {
  projectDir: string;
  /** the project's name (`name:` in sparkify.yml or dbt_project.yml); the first part of every fqn and the package of every node */
  projectName: string;
  /** where the artifacts go (manifest.json, run_results.json, compiled/, docs/), relative to projectDir: the project file's target-path, default target */
  targetPath?: string | undefined;
  generatedAt: string;
  target: TargetInfo;
  vars: Record<string, unknown>;
  nodes: Record<string, GraphNode>;
  /** node ids in a deterministic topological order */
  order: string[];
  /** child ids for each node id */
  childMap: Record<string, string[]>;
  parentMap: Record<string, string[]>;
  /** files and keys of the project that sparkify read and does not use, each with its place */
  notes?: { message: string; file: string; line?: number | undefined; column?: number | undefined; quiet?: boolean | undefined }[] | undefined;
}
