// The job that sends one case's reply in a bulk reply. Each case has its own job (idempotency key:
// the bulk reply and the case), and its reply is recorded with ctx.once, so a job that runs twice
// records one reply and queues one email. The case is looked at again when the job runs: one
// closed, merged or left without an email address since the confirmation is skipped, with the
// reason, and so is every case once the template is withdrawn.
import { findOrganisationById } from '../../platform/accounts/accounts.repository.ts';
import { isId, newId, nowIso } from '../../platform/ids.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import * as cases from './enquiries.repository.ts';
import * as bulk from './enquiry-replies.repository.ts';
import { BULK_REPLY_JOB, recordReply, SKIP_REASONS, skipReason } from './enquiry-replies.service.ts';
import * as templates from './reply-templates.repository.ts';

interface BulkReplyPayload {
  bulkReplyId: string;
  caseId: string;
}

export function registerEnquiryReplyJobs(registry: JobHandlerRegistry): void {
  registry.register<unknown>(BULK_REPLY_JOB, sendBulkReplyToCase);
}

function parsePayload(input: unknown): BulkReplyPayload {
  const p = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<string, unknown>>;
  if (
    typeof p['bulkReplyId'] !== 'string' ||
    !isId(p['bulkReplyId']) ||
    typeof p['caseId'] !== 'string' ||
    !isId(p['caseId'])
  ) {
    throw new PermanentJobError('The payload does not name a bulk reply and a case');
  }
  return { bulkReplyId: p['bulkReplyId'], caseId: p['caseId'] };
}

export async function sendBulkReplyToCase(ctx: JobContext<unknown>): Promise<void> {
  const { bulkReplyId, caseId } = parsePayload(ctx.job.payload);
  const found = await bulk.findBulkReply(ctx.db, bulkReplyId);
  // Removed with its cases (retention): nothing is left to send.
  if (!found) return;
  const version = await templates.findVersion(ctx.db, found.templateVersionId);
  const template = version && (await templates.findTemplate(ctx.db, version.templateId));
  const council = await findOrganisationById(ctx.db, found.organisationId);
  if (!version || !template || !council) throw new PermanentJobError('The bulk reply’s template or council is missing');

  await ctx.once('reply', async (trx) => {
    const enquiry = await cases.findCase(trx, caseId);
    const at = nowIso();
    const key = { bulkReplyId, caseId };
    const reason =
      !enquiry || enquiry.organisationId !== found.organisationId
        ? SKIP_REASONS.gone
        : template.withdrawnAt
          ? SKIP_REASONS.withdrawn
          : skipReason(enquiry);
    if (reason || !enquiry) {
      await bulk.settleBulkReplyCase(trx, key, {
        outcome: 'skipped',
        reason: reason ?? SKIP_REASONS.gone,
        entryId: null,
        at,
      });
      return;
    }
    const entryId = newId();
    await recordReply(trx, {
      enquiry,
      council,
      version,
      personal: '',
      statusAfter: found.statusAfter,
      actor: { userId: found.createdByUserId, label: found.createdByLabel },
      entryId,
      baseUrl: found.baseUrl,
      idempotencyKey: `enquiry-bulk-reply:${bulkReplyId}:${caseId}`,
      bulkReplyId,
    });
    await bulk.settleBulkReplyCase(trx, key, { outcome: 'sent', reason: null, entryId, at });
  });
}
