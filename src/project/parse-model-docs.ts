import { ProjectError, type SparkifyError } from '../errors.js';
import { didYouMean } from '../suggest.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import type { ColumnSpec, DataTest } from '../types.js';
import { BUILTIN_TESTS, parseDataTests } from './parse-data-tests.js';
import type { TemplateFile } from '../template/environment.js';
import { isMap, parseYamlFile, type YamlFile } from './yaml-file.js';
import { resolveDescription, type DocsBlock } from './read-docs-blocks.js';
import type { ProjectNote } from './project-settings.js';

/** the top-level keys of a property file that sparkify reads (seeds: by the seeds, sources: by parseSources) */
const TOP_KEYS = ['version', 'models', 'sources', 'seeds', 'snapshots', 'unit_tests'];
/** top-level keys dbt reads and sparkify does not: what they declare does not exist in sparkify */
const TOP_DBT_UNUSED: Record<string, string> = {
  exposures: 'sparkify has no exposures',
  metrics: 'sparkify has no semantic layer',
  semantic_models: 'sparkify has no semantic layer',
  saved_queries: 'sparkify has no semantic layer',
  groups: 'sparkify has no groups or model access',
  analyses: 'sparkify does not compile analyses',
  macros: "macro properties (descriptions, arguments) are not read; the macros themselves work",
  functions: 'sparkify does not create user-defined functions',
};
const MODEL_KEYS = ['name', 'description', 'config', 'columns', 'data_tests', 'tests', 'meta', 'tags'];
const SNAPSHOT_KEYS = ['name', 'description', 'config', 'columns', 'data_tests', 'tests', 'meta', 'tags', 'relation'];
const COLUMN_KEYS = ['name', 'description', 'data_type', 'data_tests', 'tests'];
/** keys dbt reads on a model, snapshot or column that sparkify does not use; quiet ones are documentation only */
const NODE_DBT_UNUSED: Record<string, { why: string; quiet?: boolean }> = {
  docs: { why: 'the docs site shows every node', quiet: true },
  meta: { why: 'documentation only', quiet: true },
  tags: { why: "a column's tags do not reach its tests in sparkify" },
  constraints: { why: 'sparkify does not create constraints or enforce contracts' },
  access: { why: 'sparkify has no model access or groups' },
  group: { why: 'sparkify has no model access or groups' },
  latest_version: { why: 'sparkify has no model versions' },
  versions: { why: 'sparkify has no model versions: the model is built unversioned' },
  deprecation_date: { why: 'sparkify has no model versions or deprecations' },
  time_spine: { why: 'sparkify has no semantic layer' },
  freshness: { why: "model freshness (build_after) is not used: sparkify's freshness is the sources'" },
  quote: { why: 'sparkify quotes every column name in the SQL it writes' },
  policy_tags: { why: 'BigQuery only' },
  granularity: { why: 'semantic layer only' },
  config: { why: "a column's config (meta, tags) is documentation only", quiet: true },
};

export interface ModelDoc {
  name: string;
  description?: string | undefined;
  columns: ColumnSpec[];
  /** tests declared on the model itself (not on a column) */
  tests: DataTest[];
  /** the `config:` block (dbt 1.x property files): between the project file and config() in precedence */
  config?: Record<string, unknown> | undefined;
  /** where each key of the config block is */
  configAt?: ((key: string) => { line: number; column: number }) | undefined;
  /** a snapshot defined in yml (dbt 1.9): `relation: ref('users')` and its config */
  snapshot?: { relation: string; config: Record<string, unknown>; at: (key: string) => { line: number; column: number } } | undefined;
  /** the section of the property file: models, snapshots or seeds */
  kind?: 'models' | 'snapshots' | 'seeds' | undefined;
  file: string;
  line: number;
}

/**
 * dbt-style model docs: `models: [{name, description, data_tests, columns: [{name, description, data_tests}]}]`
 * (snapshots and seeds: the same under `snapshots:` and `seeds:`). `customTests` are the project's own generic tests.
 */
export function parseModelDocs(
  files: TemplateFile[],
  customTests: string[] = [],
  docsBlocks?: Map<string, DocsBlock>,
): { docs: Map<string, ModelDoc>; errors: SparkifyError[]; notes: ProjectNote[] } {
  const docs = new Map<string, ModelDoc>();
  const errors: SparkifyError[] = [];
  const notes: ProjectNote[] = [];
  const known = [...BUILTIN_TESTS, ...customTests];
  for (const f of files) {
    let y;
    try {
      y = parseYamlFile(f);
    } catch (e) {
      errors.push(e as SparkifyError);
      continue;
    }
    const root = y.value;
    if (!isMap(root)) continue;
    const note = unusedKeyNotes(y, f, notes);
    for (const k of Object.keys(root)) {
      const why = TOP_DBT_UNUSED[k];
      if (why !== undefined) notes.push({ file: f.file, ...y.at([k]), message: `${k}: not used by sparkify (${why}), so it has no effect` });
      else if (!TOP_KEYS.includes(k)) note([k], k, TOP_KEYS);
    }
    const describe = (p: (string | number)[], v: unknown, what: string) => resolveDescription(v, docsBlocks, { file: f.file, ...y.at([...p, 'description']), what }, errors);
    for (const section of ['models', 'snapshots', 'seeds'] as const) {
      const list = root[section];
      if (!Array.isArray(list)) continue;
      list.forEach((m: unknown, mi: number) => {
        if (!isMap(m) || typeof m.name !== 'string') return;
        const mp = [section, mi];
        for (const k of Object.keys(m)) if (!(section === 'models' ? MODEL_KEYS : SNAPSHOT_KEYS).includes(k)) note([...mp, k], k, section === 'models' ? MODEL_KEYS : SNAPSHOT_KEYS);
        const kind = section === 'models' ? 'model' : section === 'seeds' ? 'seed' : 'snapshot';
        const columns: ColumnSpec[] = [];
        (Array.isArray(m.columns) ? m.columns : []).forEach((c: unknown, ci: number) => {
          const cp = [section, mi, 'columns', ci];
          if (!isMap(c) || typeof c.name !== 'string' || !SAFE_IDENTIFIER.test(c.name)) {
            errors.push(new ProjectError('each column needs a name of letters, digits and _', { file: f.file, ...y.at(cp) }));
            return;
          }
          for (const k of Object.keys(c)) if (!COLUMN_KEYS.includes(k)) note([...cp, k], k, COLUMN_KEYS);
          const key = c.data_tests !== undefined ? 'data_tests' : 'tests';
          const tests = parseDataTests(c.data_tests ?? c.tests, y, [...cp, key], known, errors, true);
          columns.push({
            name: c.name,
            type: c.data_type === undefined ? '' : String(c.data_type),
            description: describe(cp, c.description, `column ${c.name} of ${kind} ${m.name as string}`),
            tests: tests.length > 0 ? tests : undefined,
          });
        });
        const key = m.data_tests !== undefined ? 'data_tests' : 'tests';
        const tests = parseDataTests(m.data_tests ?? m.tests, y, [section, mi, key], known, errors, false);
        // dbt lays a model's own meta and tags under its config block's
        const config = section !== 'snapshots' ? withNodeMetaAndTags(m, isMap(m.config) ? m.config : undefined) : undefined;
        docs.set(m.name, {
          name: m.name,
          description: describe(mp, m.description, `${kind} ${m.name}`),
          columns,
          tests,
          config,
          kind: section,
          configAt: (key: string) => y.at([section, mi, 'config', key]),
          file: f.file,
          line: y.at([section, mi]).line,
          snapshot:
            section === 'snapshots' && m.relation !== undefined
              ? { relation: String(m.relation), config: isMap(m.config) ? m.config : {}, at: (key: string) => y.at([section, mi, 'config', key]) }
              : undefined,
        });
      });
    }
  }
  return { docs, errors, notes };
}

/** A key of a model, snapshot or column that sparkify does not use: a note at its line, quiet when it is documentation only. */
function unusedKeyNotes(y: YamlFile, f: TemplateFile, notes: ProjectNote[]): (p: (string | number)[], key: string, known: string[]) => void {
  return (p, key, known) => {
    const isTop = p.length === 1;
    const unused = isTop ? undefined : NODE_DBT_UNUSED[key];
    if (unused) notes.push({ file: f.file, ...y.at(p), message: `${key}: not used by sparkify (${unused.why}), so it has no effect`, ...(unused.quiet ? { quiet: true } : {}) });
    else {
      const hint = didYouMean(key, known);
      notes.push({ file: f.file, ...y.at(p), message: `unknown key '${key}' (neither dbt nor sparkify reads it), so it has no effect${hint ? ` (${hint})` : ''}` });
    }
  };
}

function withNodeMetaAndTags(m: Record<string, unknown>, config: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  const meta = isMap(m.meta) ? m.meta : undefined;
  const tags = Array.isArray(m.tags) ? m.tags.map(String) : typeof m.tags === 'string' ? [m.tags] : undefined;
  if (!meta && !tags) return config;
  const out: Record<string, unknown> = { ...(config ?? {}) };
  if (meta) out.meta = { ...meta, ...(isMap(out.meta) ? out.meta : {}) };
  if (tags) out.tags = [...new Set([...tags, ...(Array.isArray(out.tags) ? out.tags.map(String) : typeof out.tags === 'string' ? [out.tags] : [])])];
  return out;
}
