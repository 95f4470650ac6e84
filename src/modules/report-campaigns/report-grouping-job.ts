// The job intake queues for each new report (`suspicious-report.group`, payload `{ reportId }`):
// puts the report in its campaign. One transaction; a second run finds the report already grouped
// and changes nothing. And the backlog (`suspicious-report.group-backlog`): every report in no
// campaign, a batch to a transaction, through the same groupReports, with progress; resumable.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { isId } from '../../platform/ids.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { countUngroupedReports, ungroupedReportIds } from './report-campaigns.repository.ts';
import { assignReportToCampaign, groupReports, type OnOutcome } from './report-grouping.ts';

export const GROUP_REPORT_JOB = 'suspicious-report.group';

export interface GroupReportPayload {
  reportId: string;
}

export async function enqueueReportGrouping(
  executor: Kysely<DB> | Transaction<DB>,
  reportId: string,
  organisationId: string,
): Promise<string> {
  return enqueueJob(executor, {
    kind: GROUP_REPORT_JOB,
    payload: { reportId } satisfies GroupReportPayload,
    idempotencyKey: `${GROUP_REPORT_JOB}:${reportId}`,
    organisationId,
  });
}

export function registerReportGroupingJob(registry: JobHandlerRegistry, options: { onOutcome?: OnOutcome }): void {
  registry.register<unknown>(GROUP_REPORT_JOB, (ctx) => groupReport(ctx, options.onOutcome));
  registry.register<unknown>(GROUP_BACKLOG_JOB, async (ctx) => {
    const p = (typeof ctx.job.payload === 'object' && ctx.job.payload !== null ? ctx.job.payload : {}) as Record<
      string,
      unknown
    >;
    const organisationId = p['organisationId'];
    if (organisationId !== undefined && (typeof organisationId !== 'string' || !isId(organisationId)))
      throw new PermanentJobError('The payload names no council');
    await groupReportBacklog(ctx.db, {
      organisationId,
      onOutcome: options.onOutcome,
      progress: (done, total) => ctx.progress(done, total),
    });
  });
}

async function groupReport(ctx: JobContext<unknown>, onOutcome: OnOutcome | undefined): Promise<void> {
  const p = (typeof ctx.job.payload === 'object' && ctx.job.payload !== null ? ctx.job.payload : {}) as Record<
    string,
    unknown
  >;
  const reportId = p['reportId'];
  if (typeof reportId !== 'string' || !isId(reportId))
    throw new PermanentJobError('The payload does not name a report');
  const grouped = await ctx.db.transaction().execute((trx) => assignReportToCampaign(trx, reportId, { onOutcome }));
  if (!grouped) throw new PermanentJobError('The report no longer exists');
}

/** Groups every report not yet in a campaign, a batch to a transaction (for a backlog: after an import, or a restore). */
export const GROUP_BACKLOG_JOB = 'suspicious-report.group-backlog';

export interface BacklogOptions {
  organisationId?: string | undefined;
  /** Reports to a transaction. */
  batchSize?: number | undefined;
  onOutcome?: OnOutcome | undefined;
  /** After each batch is committed: how many grouped so far, and how many there were to group. */
  progress?: ((done: number, total: number) => Promise<void> | void) | undefined;
}

/**
 * Groups the reports in no campaign, oldest first, with the same code as the job for one report;
 * each batch is committed on its own, so after a crash a second run carries on where the first
 * stopped and groups nothing twice. Returns how many reports it grouped.
 */
export async function groupReportBacklog(db: Kysely<DB>, options: BacklogOptions = {}): Promise<number> {
  const batchSize = options.batchSize ?? 2500;
  const total = await countUngroupedReports(db, options.organisationId);
  let done = 0;
  await options.progress?.(done, total);
  for (;;) {
    const ids = await ungroupedReportIds(db, { organisationId: options.organisationId, limit: batchSize });
    if (ids.length === 0) break;
    const grouped = await db.transaction().execute((trx) => groupReports(trx, ids, { onOutcome: options.onOutcome }));
    done += [...grouped.values()].filter((g) => g.by !== 'already').length;
    await options.progress?.(done, Math.max(total, done));
  }
  return done;
}

export async function enqueueReportBacklog(
  executor: Kysely<DB> | Transaction<DB>,
  organisationId: string | undefined,
): Promise<string> {
  return enqueueJob(executor, {
    kind: GROUP_BACKLOG_JOB,
    payload: organisationId ? { organisationId } : {},
    idempotencyKey: `${GROUP_BACKLOG_JOB}:${organisationId ?? 'all'}:${new Date().toISOString().slice(0, 16)}`,
    organisationId,
  });
}
