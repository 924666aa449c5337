import { DatabaseError } from '../../errors.js';

/** The fields of a server error that tell a conflict apart. */
export interface ServerErrorFields {
  message?: string | undefined;
  detail?: string | undefined;
}

function fieldsOf(err: unknown): ServerErrorFields {
  // a DatabaseError keeps the pg error as its cause; the raw fields are clearer than its message
  const raw = err instanceof DatabaseError && err.cause !== undefined ? err.cause : err;
  const e = raw as { message?: unknown; detail?: unknown } | null | undefined;
  return { message: typeof e?.message === 'string' ? e.message : undefined, detail: typeof e?.detail === 'string' ? e.detail : undefined };
}

/**
 * Whether Redshift cancelled a transaction because of a concurrent one, so that running the whole
 * transaction again can succeed (AWS docs, "Troubleshooting serializable isolation errors"):
 * `ERROR: 1023 DETAIL: Serializable isolation violation on table ...` and
 * `ERROR: 1018 DETAIL: Relation does not exist` (a concurrent transaction dropped or renamed a
 * relation this one uses). A plain `relation "x" does not exist` is a real error and is not retried.
 */
export function isSerializableConflict(err: unknown): boolean {
  const { message = '', detail = '' } = fieldsOf(err);
  if (/serializable isolation violation/i.test(`${message}\n${detail}`)) return true;
  return /^\s*(?:ERROR:\s*)?(?:1023|1018)\b/i.test(message);
}

export interface RetryOptions {
  /** tries in all, the first included */
  attempts?: number;
  /** the wait before try n+1 is delays[n-1] (the last one repeats) */
  delaysMs?: number[];
  sleep?: (ms: number) => Promise<void>;
  /** called before each retry */
  onRetry?: (attempt: number, err: unknown) => void;
  isRetryable?: (err: unknown) => boolean;
}

export const DEFAULT_RETRY_DELAYS_MS = [500, 2000, 5000];

/** Runs fn; when it fails with a serializable conflict, waits and runs the whole of it again. */
export async function retrySerializable<T>(fn: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 4);
  const delays = opts.delaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retryable = opts.isRetryable ?? isSerializableConflict;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) {
        if (attempt > 1 && retryable(err) && err instanceof DatabaseError)
          err.message += `\n  (after ${attempt} tries: concurrent transactions kept conflicting)`;
        throw err;
      }
      opts.onRetry?.(attempt, err);
      await sleep(delays[Math.min(attempt - 1, delays.length - 1)] ?? 0);
    }
  }
}
