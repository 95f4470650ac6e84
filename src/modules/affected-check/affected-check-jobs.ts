// The job that answers "Were you affected?": it opens the sealed contact, looks it up in the
// affected-people data, sends the answer to that contact, and in the same transaction that records
// the send, replaces its own payload so the jobs table keeps no address or number. A job that never
// gets that far (its sends kept failing) has its payload replaced by housekeeping after a day.
import type { Kysely, Transaction } from 'kysely';
import { recordAudit, SYSTEM_ACTOR } from '../../platform/audit/audit.service.ts';
import type { DB } from '../../platform/db/schema.ts';
import { deliverOnce } from '../../platform/jobs/deliver-once.ts';
import { PermanentJobError, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { replaceJobPayloads } from '../../platform/jobs/jobs.repository.ts';
import { asJobFailure, type MailSender } from '../../platform/mail/mail-sender.ts';
import type { SmsSender } from '../../platform/sms/sms-sender.ts';
import { answerEmail, answerSms } from './affected-check-messages.ts';
import { councilName, councilsHoldingContact } from './affected-check.repository.ts';
import {
  AFFECTED_CHECK_JOB,
  REDACTED_PAYLOAD,
  affectedCheckBox,
  openContact,
  type AffectedCheckPayload,
} from './affected-check.service.ts';
import { lookupKeys } from './contact-normalisation.ts';

const REDACTED_JSON = JSON.stringify(REDACTED_PAYLOAD);
const DAY = 86_400_000;

export interface AffectedCheckJobOptions {
  sessionSecret: string;
  publicBaseUrl: string;
  mailSender: MailSender;
  /** Undefined when text messages are not configured. */
  smsSender: SmsSender | undefined;
}

function payloadOf(value: unknown): AffectedCheckPayload | undefined {
  const p = (typeof value === 'object' && value !== null ? value : {}) as Partial<Record<string, unknown>>;
  return typeof p['sealed'] === 'string' && typeof p['reference'] === 'string'
    ? { sealed: p['sealed'], reference: p['reference'] }
    : undefined;
}

export function registerAffectedCheckJobs(registry: JobHandlerRegistry, options: AffectedCheckJobOptions): void {
  const box = affectedCheckBox(options.sessionSecret);
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, '');

  registry.register<unknown>(AFFECTED_CHECK_JOB, async (ctx) => {
    const payload = payloadOf(ctx.job.payload);
    // Answered already, or the contact was removed before it could be (see above): nothing to send to.
    if (!payload) return;
    const contact = openContact(box, payload.sealed);
    if (!contact) throw new PermanentJobError('The contact in this job cannot be opened (SESSION_SECRET changed?)');
    const councilId = ctx.job.organisationId;
    const council = councilId ? await councilName(ctx.db, councilId) : undefined;
    if (!councilId || !council) throw new PermanentJobError('The council this check was made at no longer exists');

    const foundIn = await councilsHoldingContact(ctx.db, councilId, lookupKeys(contact));
    const answer = {
      to: contact.address,
      councilName: council.name,
      foundIn,
      incidentUrl: `${baseUrl}/${council.slug}/cyber-incident`,
      checkUrl: `${baseUrl}/${council.slug}/is-this-really-us`,
      reference: payload.reference,
    };
    const smsSender = options.smsSender;
    if (contact.channel === 'sms' && !smsSender) {
      throw new PermanentJobError('Text messages are not configured: set NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID');
    }
    await deliverOnce(
      ctx,
      async () => {
        try {
          const sent =
            contact.channel === 'sms'
              ? await (smsSender as SmsSender).send(answerSms(answer))
              : await options.mailSender.send(answerEmail(answer));
          return sent.providerId;
        } catch (error) {
          throw asJobFailure(error);
        }
      },
      async (trx: Transaction<DB>) => {
        await replaceJobPayloads(trx, { id: ctx.job.id }, REDACTED_JSON);
        // Not what the answer was: the request's entry, under the same job, holds the asker's IP
        // address, and the two together would say that whoever was at that address is affected.
        await recordAudit(trx, SYSTEM_ACTOR, {
          action: 'affected-check.answered',
          organisationId: councilId,
          targetType: 'job',
          targetId: ctx.job.id,
          details: { channel: contact.channel },
        });
      },
    );
  });
}

/** Removes the contact from checks older than a day that never finished (run by housekeeping). */
export async function redactUnansweredChecks(db: Kysely<DB> | Transaction<DB>, now = new Date()): Promise<number> {
  const createdBefore = new Date(now.getTime() - DAY).toISOString();
  return replaceJobPayloads(db, { kind: AFFECTED_CHECK_JOB, createdBefore }, REDACTED_JSON);
}
