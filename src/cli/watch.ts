import { UsageError } from '../errors.js';

export async function watchProject(_opts: unknown): Promise<number> {
  throw new UsageError('--watch is not available yet');
}
