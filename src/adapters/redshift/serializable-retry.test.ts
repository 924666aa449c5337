import { describe, expect, it } from 'vitest';
import { DatabaseError } from '../../errors.js';
import { isSerializableConflict, retrySerializable } from './serializable-retry.js';

/** What pg raises for a Redshift error: the message, the DETAIL, the SQLSTATE. */
const pgError = (message: string, detail?: string, code = 'XX000') => Object.assign(new Error(message), { detail, code, severity: 'ERROR' });
const wrapped = (e: Error) =>
  new DatabaseError(`${e.message}${(e as { detail?: string }).detail ? `\n  detail: ${(e as { detail?: string }).detail}` : ''}`, { cause: e });

const CONFLICT_1023 = pgError('1023', 'Serializable isolation violation on table - 156233, transactions forming the cycle are: 10536, 10537 (pid:8523)');
const CONFLICT_1018 = pgError('1018', 'Relation does not exist.');

describe('isSerializableConflict', () => {
  it.each([
    ['1023 as pg raises it', CONFLICT_1023, true],
    ['1023 wrapped in a DatabaseError', wrapped(CONFLICT_1023), true],
    ['1018', CONFLICT_1018, true],
    ['"ERROR: 1023" in the message', pgError('ERROR: 1023 DETAIL: Serializable isolation violation on a table in Redshift'), true],
    ['a plain missing relation', pgError('relation "public.users" does not exist', undefined, '42P01'), false],
    ['a syntax error', pgError('syntax error at or near "SELEC"', undefined, '42601'), false],
    ['a number elsewhere in the message', pgError('value 1023 is out of range for type smallint'), false],
    ['not an error object', 'boom', false],
  ])('%s: %s', (_, err, expected) => {
    expect(isSerializableConflict(err)).toBe(expected);
  });
});

describe('retrySerializable', () => {
  const noSleep = { sleep: async () => undefined };

  it('runs the whole transaction again after a conflict, waiting the given delays', async () => {
    const waits: number[] = [];
    let calls = 0;
    const result = await retrySerializable(
      async () => {
        calls++;
        if (calls < 3) throw wrapped(calls === 1 ? CONFLICT_1023 : CONFLICT_1018);
        return 'committed';
      },
      { delaysMs: [10, 20], sleep: async (ms) => void waits.push(ms) },
    );
    expect(result).toBe('committed');
    expect(calls).toBe(3);
    expect(waits).toEqual([10, 20]);
  });

  it('gives up after the last attempt and says so', async () => {
    let calls = 0;
    const err = await retrySerializable(
      async () => {
        calls++;
        throw wrapped(CONFLICT_1023);
      },
      { attempts: 3, ...noSleep },
    ).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/after 3 tries: concurrent transactions kept conflicting/);
  });

  it('never retries other errors', async () => {
    let calls = 0;
    const e = wrapped(pgError('permission denied for relation users', undefined, '42501'));
    await expect(
      retrySerializable(async () => {
        calls++;
        throw e;
      }, noSleep),
    ).rejects.toBe(e);
    expect(calls).toBe(1);
    expect(e.message).not.toMatch(/tries/);
  });
});
