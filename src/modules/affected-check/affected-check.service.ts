// "Were you affected?": a resident gives an email address or mobile number and the answer is sent
// there, never shown on screen, so only someone who can read that inbox or phone learns it. The
// request does the same work whatever the answer will be: it checks what was typed, counts it
// against the per-address limit, and queues one job holding the contact sealed (AES-GCM), in one
// transaction with the message's verification reference and an audit event. Looking the contact
// up happens only in the job (affected-check-jobs.ts), which then removes the contact from the job.
// No HTTP and no SQL here; nothing here logs an address or a number.
import { createHmac, hkdfSync } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit, type AuditActor } from '../../platform/audit/audit.service.ts';
import { createSecretBox, type SecretBox } from '../../platform/auth/secret-box.ts';
import type { DB } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { createRateLimiter, type RateLimitPolicy } from '../../platform/http/rate-limit.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { recordSentReference } from '../../platform/mail/sent-references.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import { checkableEmail, normaliseUkMobile, type Contact } from './contact-normalisation.ts';

export const AFFECTED_CHECK_JOB = 'affected-check.answer';

/** Three answers an hour to one address: enough for a person, too few to fill their inbox. */
export const DEFAULT_PER_ADDRESS_LIMIT: RateLimitPolicy = { max: 3, windowMs: 60 * 60_000 };

export interface CheckRequest {
  /** `email` or `sms`, as the form's radios give it. */
  channel: string;
  email: string;
  phone: string;
}

/** What the job's payload holds: the contact only sealed, and the reference the answer carries. */
export interface AffectedCheckPayload {
  sealed: string;
  reference: string;
}

/** What a finished job's payload is replaced with. */
export const REDACTED_PAYLOAD = { redacted: true } as const;

export type CheckResult = { ok: true; channel: Contact['channel'] } | { ok: false; errors: FieldError[] };

export function validateCheckRequest(
  input: CheckRequest,
  smsAvailable: boolean,
): { contact: Contact; errors: [] } | { contact: undefined; errors: FieldError[] } {
  // With text messages off, the form has no choice to make: email it is.
  const channel = smsAvailable ? input.channel : 'email';
  if (channel === 'email') {
    if (input.email.trim() === '') {
      return { contact: undefined, errors: [{ text: 'Enter your email address', href: '#email' }] };
    }
    const email = checkableEmail(input.email);
    if (!email) {
      return {
        contact: undefined,
        errors: [{ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' }],
      };
    }
    return { contact: { channel: 'email', address: email }, errors: [] };
  }
  if (channel === 'sms') {
    if (input.phone.trim() === '') {
      return { contact: undefined, errors: [{ text: 'Enter your mobile number', href: '#phone' }] };
    }
    const phone = normaliseUkMobile(input.phone.trim());
    if (!phone) {
      return {
        contact: undefined,
        errors: [{ text: 'Enter a UK mobile number, like 07700 900 982 or +44 7700 900 982', href: '#phone' }],
      };
    }
    return { contact: { channel: 'sms', address: phone }, errors: [] };
  }
  return {
    contact: undefined,
    errors: [{ text: 'Select how you want to get the answer', href: '#channel' }],
  };
}

/** The box the contact travels in, from the request to its job. */
export function affectedCheckBox(sessionSecret: string): SecretBox {
  return createSecretBox(sessionSecret, 'affected-check');
}

export function sealContact(box: SecretBox, contact: Contact): string {
  return box.seal(JSON.stringify(contact));
}

export function openContact(box: SecretBox, sealed: string): Contact | undefined {
  const opened = box.open(sealed);
  if (opened === null) return undefined;
  try {
    const value = JSON.parse(opened) as Partial<Contact>;
    if ((value.channel === 'email' || value.channel === 'sms') && typeof value.address === 'string') {
      return { channel: value.channel, address: value.address };
    }
  } catch {
    // Not JSON: treated as unreadable below.
  }
  return undefined;
}

export interface AffectedCheckServiceOptions {
  sessionSecret: string;
  smsAvailable: boolean;
  perAddressLimit?: RateLimitPolicy | undefined;
}

export function createAffectedCheckService(db: Kysely<DB>, options: AffectedCheckServiceOptions) {
  const box = affectedCheckBox(options.sessionSecret);
  // A keyed hash, so the limiter's keys cannot be turned back into addresses by trying likely ones.
  const hashKey = Buffer.from(hkdfSync('sha256', options.sessionSecret, 'wardroom', 'affected-check:limit', 32));
  const perAddress = createRateLimiter(options.perAddressLimit ?? DEFAULT_PER_ADDRESS_LIMIT);
  const sweep = setInterval(() => perAddress.sweep(), 60_000);
  sweep.unref();

  const addressHash = (contact: Contact) =>
    createHmac('sha256', hashKey).update(`${contact.channel}:${contact.address.toLowerCase()}`).digest('base64url');

  /**
   * Queues the answer, unless this address has had its answers for the hour. The caller shows the
   * same page either way, which says nothing about the answer.
   */
  async function requestAnswer(council: { id: string }, input: CheckRequest, actor: AuditActor): Promise<CheckResult> {
    const { contact, errors } = validateCheckRequest(input, options.smsAvailable);
    if (!contact) return { ok: false, errors };
    const allowed = perAddress.take(addressHash(contact)).allowed;
    const sealed = sealContact(box, contact);
    const reference = newVerificationReference();
    await db.transaction().execute(async (trx) => {
      if (!allowed) {
        await recordAudit(trx, actor, {
          action: 'affected-check.refused',
          organisationId: council.id,
          details: { channel: contact.channel, reason: 'too many requests for this address in an hour' },
        });
        return;
      }
      const payload: AffectedCheckPayload = { sealed, reference };
      const jobId = await enqueueJob(trx, { kind: AFFECTED_CHECK_JOB, payload, organisationId: council.id });
      await recordSentReference(trx, { reference, organisationId: council.id, channel: contact.channel });
      await recordAudit(trx, actor, {
        action: 'affected-check.requested',
        organisationId: council.id,
        targetType: 'job',
        targetId: jobId,
        details: { channel: contact.channel },
      });
    });
    return { ok: true, channel: contact.channel };
  }

  return { requestAnswer, close: () => clearInterval(sweep) };
}

export type AffectedCheckService = ReturnType<typeof createAffectedCheckService>;
