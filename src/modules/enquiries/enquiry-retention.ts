// Retention: each council keeps finished enquiries (resolved or closed) for its retention period,
// then a scheduled job removes the personal data from them (name, contact details, support needs,
// everything written on the case, and the stored emails it came from), keeping only what statistics
// need. It works 200 cases per transaction, so a crash loses nothing done and repeats nothing: the
// next run picks up the cases that still hold personal data. Each batch is audited.
import type { Kysely } from 'kysely';
import { recordAudit, SYSTEM_ACTOR } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { nowIso } from '../../platform/ids.ts';
import type { JobContext, JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { deleteInboundMail } from '../../platform/mail-in/inbound-mail.repository.ts';
import * as repo from './enquiries.repository.ts';

export const RETENTION_JOB = 'enquiries.retention';
const BATCH = 200;
const DAY = 86_400_000;

export interface RetentionResult {
  anonymised: number;
  emailsDeleted: number;
}

/** Applies every council's retention period at `now`. */
export async function applyRetention(
  db: Kysely<DB>,
  now = new Date(),
  ctx?: Pick<JobContext<unknown>, 'progress' | 'signal'>,
): Promise<RetentionResult> {
  const periods = await repo.retentionPeriods(db);
  const cutoffs = periods.map((p) => ({
    ...p,
    closedBefore: new Date(now.getTime() - p.retentionDays * DAY).toISOString(),
  }));
  let total = 0;
  for (const c of cutoffs) total += await repo.countCasesPastRetention(db, c.organisationId, c.closedBefore);
  const result: RetentionResult = { anonymised: 0, emailsDeleted: 0 };
  await ctx?.progress(0, total);
  for (const c of cutoffs) {
    for (;;) {
      ctx?.signal.throwIfAborted();
      const done = await db.transaction().execute(async (trx) => {
        const batch = await repo.casesPastRetention(trx, c.organisationId, c.closedBefore, BATCH);
        if (batch.length === 0) return 0;
        const at = nowIso();
        const mailIds = await repo.anonymiseCases(
          trx,
          batch.map((b) => b.id),
          at,
        );
        result.emailsDeleted += await deleteInboundMail(trx, mailIds);
        await recordAudit(trx, SYSTEM_ACTOR, {
          action: 'enquiry.retention-applied',
          organisationId: c.organisationId,
          details: { cases: batch.length, retentionDays: c.retentionDays, references: batch.map((b) => b.reference) },
        });
        return batch.length;
      });
      if (done === 0) break;
      result.anonymised += done;
      await ctx?.progress(result.anonymised, Math.max(total, result.anonymised));
    }
  }
  return result;
}

export function registerEnquiryRetention(registry: JobHandlerRegistry): void {
  registry.register(RETENTION_JOB, async (ctx) => {
    await applyRetention(ctx.db, new Date(), ctx);
  });
}

/** Asks for today's retention run; the idempotency key makes every instance's request one job a day. */
export async function requestRetention(db: Kysely<DB>, at = nowIso()): Promise<string> {
  return enqueueJob(db, { kind: RETENTION_JOB, payload: {}, idempotencyKey: `${RETENTION_JOB}:${at.slice(0, 10)}` });
}
