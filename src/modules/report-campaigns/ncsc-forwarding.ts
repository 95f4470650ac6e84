// "Send to the NCSC": the original message goes, as it was, to the NCSC's Suspicious Email
// Reporting Service (report@phishing.gov.uk unless NCSC_REPORT_ADDRESS says otherwise), attached
// as message/rfc822. Once per report: the request is recorded on the report in the transaction that
// queues the job (a second request finds it recorded and queues nothing), and the job sends through
// deliverOnce. It needs SMTP: GOV.UK Notify sends no attachments.
//
// The attachment is base64-encoded, though RFC 2046 expects 7bit or 8bit for message/rfc822: only
// base64 carries the original byte for byte through relays that rewrite line ends and long lines,
// and its DKIM signature can be checked only on the bytes as they were signed.
import nodemailer from 'nodemailer';
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import type { SmtpConfig } from '../../platform/config.ts';
import type { DB } from '../../platform/db/schema.ts';
import { isId, nowIso } from '../../platform/ids.ts';
import { deliverOnce } from '../../platform/jobs/deliver-once.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { classifySmtpError } from '../../platform/mail/smtp-sender.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import * as repo from './report-campaigns.repository.ts';
import type { ReportConsole } from './report-console.service.ts';

export const NCSC_FORWARD_JOB = 'suspicious-report.ncsc-forward';
export const DEFAULT_NCSC_REPORT_ADDRESS = 'report@phishing.gov.uk';

export interface NcscForwarding {
  smtp: SmtpConfig;
  address: string;
}

/** Records the request and queues the forward; false when the report was already sent on. */
export async function requestNcscForward(
  db: Kysely<DB>,
  reports: ReportConsole,
  principal: Principal,
  actor: AuditActor,
  reportId: string,
): Promise<{ queued: boolean; hasOriginal: boolean }> {
  const report = await reports.loadReport(principal, reportId, 'report.triage');
  return db.transaction().execute(async (trx) => {
    const now = nowIso();
    if (!(await repo.markForwardedToNcsc(trx, report.id, { now, byLabel: actor.label })))
      return { queued: false, hasOriginal: report.originalMessage !== null };
    await enqueueJob(trx, {
      kind: NCSC_FORWARD_JOB,
      payload: { reportId: report.id },
      idempotencyKey: `${NCSC_FORWARD_JOB}:${report.id}`,
      organisationId: report.organisationId,
    });
    await recordAudit(trx, actor, {
      action: 'report.sent-to-ncsc',
      organisationId: report.organisationId,
      targetType: 'suspicious-report',
      targetId: report.id,
      details: { original: report.originalMessage !== null },
    });
    return { queued: true, hasOriginal: report.originalMessage !== null };
  });
}

export function registerNcscForwardJob(registry: JobHandlerRegistry, forwarding: NcscForwarding | undefined): void {
  registry.register<unknown>(NCSC_FORWARD_JOB, (ctx) => forwardToNcsc(ctx, forwarding));
}

async function forwardToNcsc(ctx: JobContext<unknown>, forwarding: NcscForwarding | undefined): Promise<void> {
  if (!forwarding)
    throw new PermanentJobError('Sending to the NCSC needs SMTP (SMTP_HOST): GOV.UK Notify sends no attachments');
  const payload = (ctx.job.payload ?? {}) as Record<string, unknown>;
  const reportId = payload['reportId'];
  if (typeof reportId !== 'string' || !isId(reportId))
    throw new PermanentJobError('The payload does not name a report');
  const report = await repo.originalOf(ctx.db, reportId);
  if (!report) throw new PermanentJobError('The report no longer exists');
  const transport = nodemailer.createTransport({
    host: forwarding.smtp.host,
    port: forwarding.smtp.port,
    secure: forwarding.smtp.secure,
    auth:
      forwarding.smtp.user === undefined
        ? undefined
        : { user: forwarding.smtp.user, pass: forwarding.smtp.password ?? '' },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
    maxRecipients: 1,
  });
  await deliverOnce(ctx, async () => {
    try {
      const info = await transport.sendMail({
        from: forwarding.smtp.from,
        to: forwarding.address,
        subject: `Suspicious message reported to us: ${report.subject || report.reference}`.slice(0, 200),
        text: report.original
          ? `A resident reported the attached message as suspicious (our reference ${report.reference}). It is attached as received.\n`
          : `A resident reported this message as suspicious (our reference ${report.reference}). We do not have the original email, only its text, which follows.\n\n${report.bodyText}`,
        attachments: report.original
          ? [
              {
                filename: `${report.reference}.eml`,
                content: report.original,
                contentType: 'message/rfc822',
                contentTransferEncoding: 'base64',
              },
            ]
          : [],
      });
      return info.messageId;
    } catch (error) {
      throw classifySmtpError(error);
    } finally {
      transport.close();
    }
  });
}
