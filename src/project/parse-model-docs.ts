import { ProjectError, didYouMean, type SparkifyError } from '../errors.js';
import { SAFE_IDENTIFIER } from '../adapters/base-dialect.js';
import type { ColumnSpec, DataTest } from '../types.js';
import type { TemplateFile } from '../template/environment.js';
import { isMap, parseYamlFile } from './yaml-file.js';

export interface ModelDoc {
  name: string;
  description?: string | undefined;
  columns: ColumnSpec[];
  file: string;
  line: number;
}

const TESTS = ['unique', 'not_null', 'accepted_values', 'relationships'];
const REF_RE = /^\s*ref\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*$/;

/** dbt-style model docs: `models: [{name, description, columns: [{name, description, tests}]}]`. */
export function parseModelDocs(files: TemplateFile[]): { docs: Map<string, ModelDoc>; errors: SparkifyError[] } {
  const docs = new Map<string, ModelDoc>();
  const errors: SparkifyError[] = [];
  for (const f of files) {
    let y;
    try {
      y = parseYamlFile(f);
    } catch (e) {
      errors.push(e as SparkifyError);
      continue;
    }
    const root = y.value;
    if (!isMap(root) || !Array.isArray(root.models)) continue;
    root.models.forEach((m: unknown, mi: number) => {
      if (!isMap(m) || typeof m.name !== 'string') return;
      const columns: ColumnSpec[] = [];
      (Array.isArray(m.columns) ? m.columns : []).forEach((c: unknown, ci: number) => {
        const cp = ['models', mi, 'columns', ci];
        if (!isMap(c) || typeof c.name !== 'string' || !SAFE_IDENTIFIER.test(c.name)) {
          errors.push(new ProjectError('each column needs a name of letters, digits and _', { file: f.file, ...y.at(cp) }));
          return;
        }
        const tests: DataTest[] = [];
        const raw = c.data_tests ?? c.tests;
        const key = c.data_tests !== undefined ? 'data_tests' : 'tests';
        (Array.isArray(raw) ? raw : []).forEach((t: unknown, ti: number) => {
          const tp = [...cp, key, ti];
          const where = { file: f.file, line: y.at(tp).line };
          const fail = (message: string, hint?: string) => errors.push(new ProjectError(message, { file: f.file, ...y.at(tp), hint }));
          const name = typeof t === 'string' ? t : isMap(t) && Object.keys(t).length === 1 ? Object.keys(t)[0]! : undefined;
          const args = isMap(t) && name !== undefined ? t[name] : undefined;
          if (name === undefined || !TESTS.includes(name)) {
            fail(`unknown data test ${JSON.stringify(name ?? t)}`, didYouMean(String(name ?? ''), TESTS) ?? `use one of ${TESTS.join(', ')}`);
            return;
          }
          if (name === 'unique' || name === 'not_null') tests.push({ kind: name, where });
          else if (name === 'accepted_values') {
            const values = isMap(args) ? args.values : undefined;
            if (!Array.isArray(values) || values.length === 0 || !values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
              fail('accepted_values needs values: [a list of strings or numbers]');
              return;
            }
            tests.push({ kind: 'accepted_values', values: values as (string | number | boolean)[], where });
          } else {
            const to = isMap(args) && typeof args.to === 'string' ? REF_RE.exec(args.to)?.[1] : undefined;
            const field = isMap(args) ? args.field : undefined;
            if (!to || typeof field !== 'string' || !SAFE_IDENTIFIER.test(field)) {
              fail("relationships needs to: ref('model') and field: column");
              return;
            }
            tests.push({ kind: 'relationships', to, field, where });
          }
        });
        columns.push({
          name: c.name,
          type: c.data_type === undefined ? '' : String(c.data_type),
          description: typeof c.description === 'string' ? c.description : undefined,
          tests: tests.length > 0 ? tests : undefined,
        });
      });
      docs.set(m.name, { name: m.name, description: typeof m.description === 'string' ? m.description : undefined, columns, file: f.file, line: y.at(['models', mi]).line });
    });
  }
  return { docs, errors };
}
