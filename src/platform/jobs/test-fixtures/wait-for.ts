// Polling with a deadline, for tests that wait on another worker or process: a test that waits
// for something that never happens fails with what it was waiting for, instead of hanging.
import { setTimeout as delay } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { findJob, type Job } from '../jobs.repository.ts';

export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${options.timeoutMs ?? 5000} ms waiting for ${what}`);
    await delay(options.intervalMs ?? 20);
  }
}

/** A check for waitFor(): the job, once it is in one of `statuses`. */
export function jobIn(db: Kysely<DB>, id: string, ...statuses: Job['status'][]) {
  return async (): Promise<Job | undefined> => {
    const job = await findJob(db, id);
    return job && statuses.includes(job.status) ? job : undefined;
  };
}
