import type { Dialect, Step } from '../adapters/adapter.js';
import { ledgerLoadStatements } from './copy.js';
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
    case 'ledger-load': {
      const { first, perFile, manifest } = ledgerLoadStatements(s, d);
      return [
        `-- incremental load: the files of ${s.source.location ?? '(no location)'} not in ${s.ledgerSchema}.sparkify_loaded_files (a changed file: on_file_change ${s.source.copy?.onFileChange ?? 'error'})`,
        `-- ${s.fullRefresh ? 'full refresh' : 'when the staging table is new or the ledger has no file of it'}: the staging table is made again and the ledger forgets the source`,
        `BEGIN;\n${first.map((x) => `${x};`).join('\n')}\nCOMMIT;`,
        manifest === undefined
          ? `-- then each new file is loaded into ${s.tmp.schema}.${s.tmp.name} and appended in the transaction that records it`
          : `-- then the new files, listed in the manifest ${manifest} (written before the transaction; one per run and source), are loaded by one COPY and appended in the transaction that records them; a file of the manifest that the committed files do not list fails the load and rolls it back`,
        `BEGIN;\n${perFile.map((x) => `${x};`).join('\n')}\nCOMMIT;`,
        ...(s.analyze?.length
          ? [`-- after the loads, when the staging table is new, a file was reloaded or the source's loaded bytes grew past another tenth:`, ...s.analyze.map((x) => `${x};`)]
          : []),
      ].join('\n');
    }
    case 'seed-load':
      try {
        d.seedLoad(s.into, [], s.seed);
      } catch (err) {
        const hint = (err as { hint?: string }).hint;
        return `-- seed ${s.seed.name}: cannot be loaded on ${d.label}: ${err instanceof Error ? err.message : String(err)}${hint ? ` (${hint})` : ''}`;
      }
      return [
        `-- seed: ${s.seed.path} is read and checked, ${s.into.schema}.${s.into.name} is created with its columns (column_types, else the types inferred from the values), then loaded by the engine's CSV reader:`,
        `${d.seedLoad(s.into, [{ name: 'each_column', type: 'text', declared: false }], s.seed).sql.replace('"each_column"', '<columns of the CSV header>')};`,
      ].join('\n');
    case 'choose':
      return [
        `-- when this returns 1 (${s.why}):`,
        `${s.sql};`,
        `-- then:`,
        ...s.then.map((x) => renderStep(x, d)),
        `-- otherwise:`,
        ...s.else.map((x) => renderStep(x, d)),
        `-- end`,
      ].join('\n');
  }
}

/** Every SQL statement a step can send (both branches of a choice; a ledger load's statements for one file), for checks over a plan. */
export function stepStatements(s: Step, d: Dialect): string[] {
  switch (s.kind) {
    case 'transaction':
      return s.statements;
    case 'load':
      return d.loadStatements?.(s) ?? [];
    case 'ledger-load': {
      const { first, perFile } = ledgerLoadStatements(s, d);
      return [...first, ...perFile, ...(s.analyze ?? [])];
    }
    case 'seed-load':
      return [d.seedLoad(s.into, [{ name: 'each_column', type: 'text', declared: false }], s.seed).sql];
    case 'choose':
      return [s.sql, ...s.then.flatMap((x) => stepStatements(x, d)), ...s.else.flatMap((x) => stepStatements(x, d))];
    default:
      return [s.sql];
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
