// Text messages through the durable job queue, as email is: a feature enqueues a message in its
// own transaction, and a worker sends it through Notify, at most once per idempotency key as far
// as the platform can make sure (see deliverOnce).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { deliverOnce } from '../jobs/deliver-once.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { enqueueJob, InvalidJobError } from '../jobs/job-queue.ts';
import { asJobFailure } from '../mail/mail-sender.ts';
import { recordSentReference } from '../mail/sent-references.ts';
import { parseOutboundSms, type OutboundSms } from './outbound-sms.ts';
import type { SmsSender } from './sms-sender.ts';

export const SMS_SEND_JOB = 'sms.send';
const KEY_PREFIX = `${SMS_SEND_JOB}:`;
/** The job queue's own limit on idempotency keys. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

export interface EnqueueSmsOptions {
  /** Names the message for its purpose: enqueueing again with the same key does nothing. */
  idempotencyKey: string;
  organisationId?: string | undefined;
}

/** Queues a text message and returns the job's id. Pass the caller's transaction; the message is checked now. */
export async function enqueueSms(
  executor: Kysely<DB> | Transaction<DB>,
  message: OutboundSms,
  options: EnqueueSmsOptions,
): Promise<string> {
  const maxKeyLength = MAX_IDEMPOTENCY_KEY_LENGTH - KEY_PREFIX.length;
  if (options.idempotencyKey.length === 0 || options.idempotencyKey.length > maxKeyLength) {
    throw new InvalidJobError(`A text message's idempotency key must be 1 to ${maxKeyLength} characters long`);
  }
  const payload = parseOutboundSms(message);
  // The job and its verification reference are stored together or not at all.
  if (!executor.isTransaction) {
    return (executor as Kysely<DB>).transaction().execute((trx) => enqueueSms(trx, message, options));
  }
  const trx = executor as Transaction<DB>;
  const jobId = await enqueueJob(trx, {
    kind: SMS_SEND_JOB,
    payload,
    idempotencyKey: `${KEY_PREFIX}${options.idempotencyKey}`,
    organisationId: options.organisationId,
  });
  await recordSentReference(trx, {
    reference: payload.reference,
    organisationId: options.organisationId,
    channel: 'sms',
  });
  return jobId;
}

/**
 * Registers the sender. With no sender (Notify not configured) the handler still exists, so a text
 * message queued before the configuration changed fails with a reason rather than waiting forever.
 */
export function registerSmsJobs(registry: JobHandlerRegistry, options: { sender: SmsSender | undefined }): void {
  registry.register<unknown>(SMS_SEND_JOB, async (ctx: JobContext<unknown>) => {
    let message: OutboundSms;
    try {
      message = parseOutboundSms(ctx.job.payload);
    } catch (error) {
      throw asJobFailure(error);
    }
    const sender = options.sender;
    if (!sender) {
      throw new PermanentJobError(
        'Text messages are not configured: set NOTIFY_API_KEY and NOTIFY_SMS_TEMPLATE_ID, then retry this job',
      );
    }
    await deliverOnce(ctx, async () => {
      try {
        return (await sender.send(message)).providerId;
      } catch (error) {
        throw asJobFailure(error);
      }
    });
  });
}
