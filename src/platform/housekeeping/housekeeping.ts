// Hourly housekeeping, run through the job queue so that with several instances it runs once per
// hour, not once per instance: expired sessions, old sign-in failures, spent set-up links, old
// finished jobs, lapsed subscriptions (the addresses of people who left or never confirmed) and
// contact-form answers never sent are deleted, and "Were you affected?" contacts never answered
// are removed from their jobs. The audit log is never touched.
import type { Kysely } from 'kysely';
import { deleteSpentTokens } from '../accounts/accounts.repository.ts';
import { deleteExpiredSessions, deleteStaleThrottles } from '../auth/auth.repository.ts';
import type { DB } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { enqueueJob } from '../jobs/job-queue.ts';
import type { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { deleteSucceededJobs } from '../jobs/jobs.repository.ts';
import { deleteLapsedSubscriptions } from '../../modules/subscriptions/subscriptions.repository.ts';
import { deleteExpiredDrafts } from '../../modules/enquiries/enquiries.repository.ts';
import { deleteExpiredDrafts as deleteExpiredReportDrafts } from '../../modules/suspicious-reports/suspicious-reports.repository.ts';
import { redactUnansweredChecks } from '../../modules/affected-check/affected-check-jobs.ts';

export const HOUSEKEEPING_JOB = 'platform.housekeeping';
const DAY = 86_400_000;

export interface HousekeepingResult {
  sessions: number;
  throttles: number;
  tokens: number;
  jobs: number;
  subscriptions: number;
  enquiryDrafts: number;
  affectedChecks: number;
}

export async function runHousekeeping(db: Kysely<DB>, now = new Date()): Promise<HousekeepingResult> {
  const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
  return db.transaction().execute(async (trx) => ({
    // A day's grace keeps a just-expired session visible to an administrator investigating it.
    sessions: await deleteExpiredSessions(trx, ago(DAY)),
    throttles: await deleteStaleThrottles(trx, ago(DAY)),
    tokens: await deleteSpentTokens(trx, ago(30 * DAY)),
    jobs: await deleteSucceededJobs(trx, ago(30 * DAY)),
    // 30 days keeps an unsubscribe link answering "You've unsubscribed" for a while after.
    subscriptions: await deleteLapsedSubscriptions(trx, ago(30 * DAY)),
    // Web-form answers never sent: they expire after two hours and are gone at the next run.
    enquiryDrafts: await deleteExpiredDrafts(trx, now.toISOString()),
    // Suspicious-message reports never sent, with their uploads: the same.
    reportDrafts: await deleteExpiredReportDrafts(trx, now.toISOString()),
    // "Were you affected?" contacts in checks that were never answered (answered ones are removed at once).
    affectedChecks: await redactUnansweredChecks(trx, now),
  }));
}

export function registerHousekeeping(registry: JobHandlerRegistry): void {
  registry.register(HOUSEKEEPING_JOB, async (ctx) => {
    await runHousekeeping(ctx.db);
  });
}

/** Asks for this hour's housekeeping; the idempotency key makes every instance's request one job. */
export async function requestHousekeeping(db: Kysely<DB>, at = nowIso()): Promise<string> {
  return enqueueJob(db, {
    kind: HOUSEKEEPING_JOB,
    payload: {},
    idempotencyKey: `${HOUSEKEEPING_JOB}:${at.slice(0, 13)}`,
  });
}

/**
 * Requests housekeeping now and every ten minutes (one job per hour results), and with it any other
 * recurring job a capability asks for (`alsoRequest`: each makes its own idempotent request, such as
 * one retention run a day).
 */
export function scheduleHousekeeping(
  db: Kysely<DB>,
  onError: (err: unknown) => void,
  alsoRequest: ReadonlyArray<(db: Kysely<DB>) => Promise<unknown>> = [],
): { stop(): void } {
  const tick = () => {
    requestHousekeeping(db).catch(onError);
    for (const request of alsoRequest) request(db).catch(onError);
  };
  tick();
  const timer = setInterval(tick, 10 * 60_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
