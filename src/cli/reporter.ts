import { formatError, maskSecrets } from '../errors.js';
import type { NodeResult, RunEvent, RunResult } from '../runner/execute-plan.js';

export type LogFormat = 'text' | 'json';

/** The only place that prints. Every line goes through the secret mask. */
export class Reporter {
  constructor(
    private readonly format: LogFormat,
    private secrets: string[] = [],
    private readonly out: (s: string) => void = (s) => process.stdout.write(s),
    private readonly err: (s: string) => void = (s) => process.stderr.write(s),
  ) {}

  setSecrets(secrets: string[]): void {
    this.secrets = secrets;
  }

  private stamp(): string {
    return new Date().toISOString().slice(11, 19);
  }

  /** a plain line of output (data, listings); never timestamped */
  print(text: string): void {
    this.out(maskSecrets(text, this.secrets) + '\n');
  }

  info(message: string, data: Record<string, unknown> = {}): void {
    if (this.format === 'json') this.json({ level: 'info', event: 'log', message, ...data });
    else this.out(maskSecrets(`${this.stamp()}  ${message}`, this.secrets) + '\n');
  }

  error(err: unknown): void {
    if (this.format === 'json') {
      const e = err as { toJSON?: () => unknown; message?: string };
      this.json({ level: 'error', event: 'error', error: typeof e?.toJSON === 'function' ? e.toJSON() : { message: String(e?.message ?? err) } });
    } else this.err(maskSecrets(formatError(err), this.secrets) + '\n');
  }

  json(obj: Record<string, unknown>): void {
    this.out(maskSecrets(JSON.stringify({ ts: new Date().toISOString(), ...obj }), this.secrets) + '\n');
  }

  event(e: RunEvent): void {
    if (this.format === 'json') {
      this.json({ level: e.type === 'node_end' && e.result.status === 'error' ? 'error' : 'info', event: e.type, ...eventData(e) });
      return;
    }
    switch (e.type) {
      case 'run_start':
        this.info(`Concurrency: ${e.threads} threads`);
        break;
      case 'node_start':
        this.info(dots(`${e.index} of ${e.total} START ${what(e.materialization, e.resourceType)} ${e.name}`, '[RUN]'));
        break;
      case 'node_end':
        this.info(dots(`${e.index} of ${e.total} ${statusWord(e.result)} ${what(e.result.materialization, e.result.resourceType)} ${e.result.name}`, detail(e.result)));
        break;
      case 'run_end':
        this.summary(e.result);
        break;
    }
  }

  private summary(r: RunResult): void {
    const count = (s: string) => r.results.filter((x) => x.status === s).length;
    this.info('');
    this.info(`Finished running ${r.results.length} nodes in ${r.elapsed.toFixed(2)}s.${r.interrupted ? ' (interrupted)' : ''}`);
    const failed = r.results.filter((x) => x.status === 'error');
    if (failed.length === 0 && !r.interrupted) this.info('Completed successfully');
    else {
      this.info(`Completed with ${failed.length} error${failed.length === 1 ? '' : 's'}:`);
      for (const f of failed) for (const line of (f.message ?? '').split('\n')) this.info(`  ${line}`);
    }
    this.info(`Done. PASS=${count('success')} ERROR=${count('error')} SKIP=${count('skipped')} TOTAL=${r.results.length}`);
  }
}

function eventData(e: RunEvent): Record<string, unknown> {
  const { type: _, ...rest } = e;
  return rest;
}

function what(materialization: string, resourceType: string): string {
  return resourceType === 'source' ? 'copy source' : `${materialization} model`;
}

function statusWord(r: NodeResult): string {
  return r.status === 'success' ? 'OK' : r.status === 'error' ? 'ERROR' : 'SKIP';
}

function detail(r: NodeResult): string {
  if (r.status === 'skipped') return '[SKIP]';
  if (r.status === 'error') return `[ERROR in ${r.duration.toFixed(2)}s]`;
  const rows = r.rows === undefined ? 'OK' : `${r.rows} rows`;
  const files = r.files === undefined ? '' : ` from ${r.files} files`;
  return `[${rows}${files} in ${r.duration.toFixed(2)}s]`;
}

function dots(left: string, right: string): string {
  const width = 80;
  const n = Math.max(3, width - left.length - right.length - 2);
  return `${left} ${'.'.repeat(n)} ${right}`;
}
