// The job intake queues for each new report (`suspicious-report.group`, payload `{ reportId }`):
// puts the report in its campaign. One transaction; a second run finds the report already grouped
// and changes nothing.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { isId } from '../../platform/ids.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { assignReportToCampaign, type OnOutcome } from './report-grouping.ts';

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
