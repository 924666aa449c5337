import { ProjectError, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import type { ColumnSpec, DataTest } from '../types.js';
import { BUILTIN_TESTS, parseDataTests } from './parse-data-tests.js';
import type { TemplateFile } from '../template/environment.js';
import { isMap, parseYamlFile } from './yaml-file.js';

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
export function parseModelDocs(files: TemplateFile[], customTests: string[] = []): { docs: Map<string, ModelDoc>; errors: SparkifyError[] } {
  const docs = new Map<string, ModelDoc>();
  const errors: SparkifyError[] = [];
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
    for (const section of ['models', 'snapshots', 'seeds'] as const) {
      const list = root[section];
      if (!Array.isArray(list)) continue;
      list.forEach((m: unknown, mi: number) => {
        if (!isMap(m) || typeof m.name !== 'string') return;
        const columns: ColumnSpec[] = [];
        (Array.isArray(m.columns) ? m.columns : []).forEach((c: unknown, ci: number) => {
          const cp = [section, mi, 'columns', ci];
          if (!isMap(c) || typeof c.name !== 'string' || !SAFE_IDENTIFIER.test(c.name)) {
            errors.push(new ProjectError('each column needs a name of letters, digits and _', { file: f.file, ...y.at(cp) }));
            return;
          }
          const key = c.data_tests !== undefined ? 'data_tests' : 'tests';
          const tests = parseDataTests(c.data_tests ?? c.tests, y, [...cp, key], known, errors, true);
          columns.push({
            name: c.name,
            type: c.data_type === undefined ? '' : String(c.data_type),
            description: typeof c.description === 'string' ? c.description : undefined,
            tests: tests.length > 0 ? tests : undefined,
          });
        });
        const key = m.data_tests !== undefined ? 'data_tests' : 'tests';
        const tests = parseDataTests(m.data_tests ?? m.tests, y, [section, mi, key], known, errors, false);
        docs.set(m.name, {
          name: m.name,
          description: typeof m.description === 'string' ? m.description : undefined,
          columns,
          tests,
          config: section !== 'snapshots' && isMap(m.config) ? m.config : undefined,
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
  return { docs, errors };
}
