import { selectForRun, type Compiled } from '../../api.js';
import type { Reporter } from '../reporter.js';
import { runCommand } from '../run-command.js';

/** sparkify snapshot: runs the selected snapshots (their upstream relations must exist). */
export async function snapshotCommand(c: Compiled, reporter: Reporter, a: { select?: string[] | undefined; exclude?: string[] | undefined; threads?: number | undefined; waitForLock?: boolean | undefined }): Promise<number> {
  const ids = selectForRun(c.manifest, { select: a.select, exclude: a.exclude, resourceTypes: ['snapshot'] });
  if (ids.length === 0) {
    reporter.info('No snapshots in the selection: write {% snapshot name %} ... {% endsnapshot %} blocks in snapshots/*.sql');
    return 0;
  }
  reporter.info(`Found ${ids.length} snapshot${ids.length === 1 ? '' : 's'} on ${c.target.type} (target ${c.target.name})`);
  return runCommand(c, reporter, {
    command: 'snapshot',
    select: a.select,
    exclude: a.exclude,
    threads: a.threads,
    waitForLock: a.waitForLock,
    resourceTypes: ['snapshot'],
    args: { command: 'snapshot', select: a.select, exclude: a.exclude },
  });
}
