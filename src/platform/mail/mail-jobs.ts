// Email through the durable job queue. A feature enqueues a message in its own transaction, so
// the email exists if and only if the change it reports is committed; a worker sends it, at most
// once per idempotency key as far as the platform can make sure (see deliverOnce).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { JobContext, JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { deliverOnce } from '../jobs/deliver-once.ts';
import { enqueuePreparedJob, InvalidJobError, MAX_JOB_PAYLOAD_BYTES, prepareJob } from '../jobs/job-queue.ts';
import type { NewJob } from '../jobs/jobs.repository.ts';
import { asJobFailure, type MailSender } from './mail-sender.ts';
import { InvalidMessageError, parseOutboundMessage, type OutboundMessage } from './outbound-message.ts';
import { recordSentReference } from './sent-references.ts';

export const MAIL_SEND_JOB = 'mail.send';
/** Idempotency keys are shared by every job kind; this keeps a mail key from meeting another's. */
const KEY_PREFIX = `${MAIL_SEND_JOB}:`;
/** The job queue's own limit on idempotency keys. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

export interface MailDelivery {
  jobId: string;
  organisationId: string | null;
  reference: string;
  providerId: string;
}

export interface MailJobOptions {
  sender: MailSender;
  /**
   * Stores a delivery (say, the Notify id, to check its status later). Runs in the same
   * transaction as the record that the message was sent: make only database writes, through
   * `trx`. If it throws, the send is not recorded and the message is sent again on retry.
   */
  onSent?: ((trx: Transaction<DB>, delivery: MailDelivery) => Promise<void>) | undefined;
}

export interface EnqueueEmailOptions {
  /**
   * Names the email for its purpose, such as `subscription-confirm:<subscriptionId>`: enqueueing
   * again with the same key does nothing, so a repeated request sends one email.
   */
  idempotencyKey: string;
  organisationId?: string | undefined;
  runAt?: Date | string | undefined;
  maxAttempts?: number | undefined;
}

/**
 * Queues an email and returns the job's id. Pass the caller's transaction. The message is checked
 * now, so a bad message fails the caller's request rather than becoming a dead job later.
 */
export async function enqueueEmail(
  executor: Kysely<DB> | Transaction<DB>,
  message: OutboundMessage,
  options: EnqueueEmailOptions,
): Promise<string> {
  const prepared = prepareEmail(message, options);
  // The job and its verification reference are stored together or not at all.
  if (!executor.isTransaction) {
    return (executor as Kysely<DB>).transaction().execute((trx) => enqueuePreparedEmail(trx, prepared));
  }
  return enqueuePreparedEmail(executor as Transaction<DB>, prepared);
}

/** An email checked and made into its job, not yet stored (see prepareEmail). */
export interface PreparedEmail {
  job: NewJob;
  reference: string;
  organisationId: string | undefined;
}

/**
 * Checks an email and makes its job without touching the database (throwing as enqueueEmail
 * would), so that a hot path can do it before it takes the write lock; enqueuePreparedEmail stores it.
 */
export function prepareEmail(message: OutboundMessage, options: EnqueueEmailOptions): PreparedEmail {
  const maxKeyLength = MAX_IDEMPOTENCY_KEY_LENGTH - KEY_PREFIX.length;
  if (options.idempotencyKey.length === 0 || options.idempotencyKey.length > maxKeyLength) {
    throw new InvalidJobError(`An email's idempotency key must be 1 to ${maxKeyLength} characters long`);
  }
  const payload = parseOutboundMessage(message);
  const payloadJson = JSON.stringify(payload);
  const bytes = Buffer.byteLength(payloadJson, 'utf8');
  if (bytes > MAX_JOB_PAYLOAD_BYTES) {
    throw new InvalidMessageError([
      `the message is ${bytes} bytes as queued; queued email is limited to ${MAX_JOB_PAYLOAD_BYTES / 1024} KiB (link to the full text on the council's website instead)`,
    ]);
  }
  const job = prepareJob(
    {
      kind: MAIL_SEND_JOB,
      payload,
      idempotencyKey: `${KEY_PREFIX}${options.idempotencyKey}`,
      organisationId: options.organisationId,
      runAt: options.runAt,
      maxAttempts: options.maxAttempts,
    },
    payloadJson,
  );
  return { job, reference: payload.reference, organisationId: options.organisationId };
}

/** Stores an email made by prepareEmail in the caller's transaction, with its verification reference. */
export async function enqueuePreparedEmail(trx: Transaction<DB>, prepared: PreparedEmail): Promise<string> {
  const jobId = await enqueuePreparedJob(trx, prepared.job);
  await recordSentReference(trx, {
    reference: prepared.reference,
    organisationId: prepared.organisationId,
    channel: 'email',
  });
  return jobId;
}

export function registerMailJobs(registry: JobHandlerRegistry, options: MailJobOptions): void {
  registry.register<unknown>(MAIL_SEND_JOB, (ctx) => sendQueuedEmail(ctx, options));
}

/** Sends one queued email, at most once per job as far as the platform can make sure (see deliverOnce). */
async function sendQueuedEmail(ctx: JobContext<unknown>, options: MailJobOptions): Promise<void> {
  let message: OutboundMessage;
  try {
    // The payload is stored JSON, so it is checked again rather than trusted.
    message = parseOutboundMessage(ctx.job.payload);
  } catch (error) {
    throw asJobFailure(error);
  }

  await deliverOnce(
    ctx,
    async () => {
      try {
        return (await options.sender.send(message)).providerId;
      } catch (error) {
        // Anything else (a temporary failure, or an unexpected error) is thrown as it is, so the
        // job is tried again with back-off until its attempts run out.
        throw asJobFailure(error);
      }
    },
    async (trx, providerId) => {
      await options.onSent?.(trx, {
        jobId: ctx.job.id,
        organisationId: ctx.job.organisationId,
        reference: message.reference,
        providerId,
      });
    },
  );
}
