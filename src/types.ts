/** Plain data passed between the stages: load -> compile -> select -> plan -> execute. */

export type Materialization = 'table' | 'view' | 'incremental';

/** A column type, normalised to lower case SQL ("varchar(256)", "bigint", "double precision"). */
export interface ColumnSpec {
  name: string;
  type: string;
  description?: string | undefined;
  /** data tests declared on the column in a models/*.yml file */
  tests?: DataTest[] | undefined;
}

/** dbt's generic data tests. Each passes when its query finds no failing rows. */
export type DataTest = { where: { file: string; line: number } } & (
  | { kind: 'unique' }
  | { kind: 'not_null' }
  | { kind: 'accepted_values'; values: (string | number | boolean)[] }
  | { kind: 'relationships'; to: string; field: string }
);

/** How a source's JSON keys map to its columns, with Redshift COPY semantics. */
export type JsonMapping =
  | { kind: 'auto' }
  | { kind: 'auto_ignorecase' }
  | { kind: 'jsonpaths'; location: string };

export interface CopyOptions {
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
  /** A local path, directory, glob or s3:// prefix. Undefined for sources that are not loaded by sparkify. */
  location?: string | undefined;
  copy?: CopyOptions | undefined;
  columns: ColumnSpec[];
  file: string;
  line: number;
  tags: string[];
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
}

export interface ModelNode {
  /** "model.songplays" */
  id: string;
  resourceType: 'model';
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
  config: { tags: string[]; materialized: 'copy' | 'external' };
}

export type GraphNode = ModelNode | SourceNode;

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
  generatedAt: string;
  target: TargetInfo;
  vars: Record<string, unknown>;
  nodes: Record<string, GraphNode>;
  /** node ids in a deterministic topological order */
  order: string[];
  /** child ids for each node id */
  childMap: Record<string, string[]>;
  parentMap: Record<string, string[]>;
}
