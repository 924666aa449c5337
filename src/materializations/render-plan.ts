import type { Dialect, Step } from '../adapters/adapter.js';
import type { Plan } from './plan-run.js';

export interface RenderPlanOptions {
  /** comment lines put first */
  header?: string[];
}

function renderStep(s: Step, d: Dialect): string {
  switch (s.kind) {
    case 'sql':
    case 'count':
    case 'test':
      return `${s.sql};`;
    case 'unit':
      return `-- unit test: these rows must equal the ${s.expected.length} expected rows\n${s.sql};`;
    case 'check':
      return `-- check: the query reads the columns its config names\n${s.sql};`;
    case 'transaction':
      return `BEGIN;\n${s.statements.map((x) => `${x};`).join('\n')}\nCOMMIT;`;
    case 'load':
      if (d.loadStatements)
        return d
          .loadStatements(s)
          .map((x) => `${x};`)
          .join('\n');
      return (
        `-- load: sparkify reads ${s.source.location ?? '(no location)'} itself and bulk-loads it into ` +
        `${s.into.schema}.${s.into.name} with the engine's own loader`
      );
  }
}

/**
 * Every statement a run of the plan sends, in order, as one SQL script: the session setup, the
 * setup steps, then each node's steps, with what runs if the node fails. Pure; `sparkify compile`
 * writes it to target/compiled/run_plan.sql.
 */
export function renderPlan(plan: Plan, dialect: Dialect, opts: RenderPlanOptions = {}): string {
  const out: string[] = [...(opts.header ?? []).map((h) => `-- ${h}`)];
  const session = dialect.sessionSetup?.() ?? [];
  if (session.length > 0) out.push('', '-- every session, after connecting', ...session.map((s) => `${s};`));
  out.push('', '-- setup', ...plan.setup.map((s) => renderStep(s, dialect)));
  for (const n of plan.nodes) {
    out.push('', `-- ${n.id} (${n.materialization})`, ...n.steps.map((s) => renderStep(s, dialect)));
    if (n.onFailure.length > 0) out.push(...n.onFailure.map((s) => `-- if it fails: ${renderStep(s, dialect).replace(/\n/g, ' ')}`));
  }
  return out.join('\n').replace(/^\n+/, '') + '\n';
}
