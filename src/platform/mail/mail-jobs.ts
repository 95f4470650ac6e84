// Email through the durable job queue. A feature enqueues a message in its own transaction, so
// the email exists if and only if the change it reports is committed; a worker sends it, at most
// once per idempotency key as far as the platform can make sure (see the handler).
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { enqueueJob, InvalidJobError, MAX_JOB_PAYLOAD_BYTES } from '../jobs/job-queue.ts';
import { PermanentDeliveryError, type MailSender } from './mail-sender.ts';
import { InvalidMessageError, parseOutboundMessage, type OutboundMessage } from './outbound-message.ts';

export const MAIL_SEND_JOB = 'mail.send';
/** Idempotency keys are shared by every job kind; this keeps a mail key from meeting another's. */
const KEY_PREFIX = `${MAIL_SEND_JOB}:`;
/** The job queue's own limit on idempotency keys. */
const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
/** The job's only effect. The handler relies on there being no other (see alreadySent). */
const SENT = 'sent';

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
  const maxKeyLength = MAX_IDEMPOTENCY_KEY_LENGTH - KEY_PREFIX.length;
  if (options.idempotencyKey.length === 0 || options.idempotencyKey.length > maxKeyLength) {
    throw new InvalidJobError(`An email's idempotency key must be 1 to ${maxKeyLength} characters long`);
  }
  const payload = parseOutboundMessage(message);
  const bytes = Buffer.byteLength(JSON.stringify(payload), 'utf8');
  if (bytes > MAX_JOB_PAYLOAD_BYTES) {
    throw new InvalidMessageError([
      `the message is ${bytes} bytes as queued; queued email is limited to ${MAX_JOB_PAYLOAD_BYTES / 1024} KiB (link to the full text on the council's website instead)`,
    ]);
  }
  return enqueueJob(executor, {
    kind: MAIL_SEND_JOB,
    payload,
    idempotencyKey: `${KEY_PREFIX}${options.idempotencyKey}`,
    organisationId: options.organisationId,
    runAt: options.runAt,
    maxAttempts: options.maxAttempts,
  });
}

export function registerMailJobs(registry: JobHandlerRegistry, options: MailJobOptions): void {
  registry.register<unknown>(MAIL_SEND_JOB, (ctx) => sendQueuedEmail(ctx, options));
}

/*
 * How "send once" is made as sure as the platform can make it:
 *
 * 1. If an earlier run recorded the send, stop. This covers a worker that died after recording
 *    the send but before the job was marked done: the job runs again and sends nothing.
 * 2. Send, outside any transaction. The SQLite driver has one connection, so a transaction held
 *    open across a network call would stall every other query in the app for as long as the mail
 *    server or Notify takes (up to the timeout); on PostgreSQL it would hold a pooled connection
 *    and the job's row lock just as long.
 * 3. Record the send with ctx.once('sent'), which also checks this run still holds the job.
 *
 * What remains is an at-least-once window between 2 and 3: if the provider accepted the message
 * and then the process dies, the database cannot be written, onSent throws, or this run is
 * stopped (ctx.once refuses to record once the run is aborted or its lease is lost), the job runs
 * again and the resident gets the message twice. Nothing on our side can close it: SMTP has no
 * idempotency, and Notify has no idempotency key (its `reference` is not unique), so there is
 * nothing to ask the provider "did you already take this one?". The window is one short
 * database write after each send. The alternatives are worse: holding a transaction across the
 * send (above), or recording first and sending after, which turns the same crash into an email
 * that is never sent; a missing breach notice is worse than a duplicate one.
 */
async function sendQueuedEmail(ctx: JobContext<unknown>, options: MailJobOptions): Promise<void> {
  let message: OutboundMessage;
  try {
    // The payload is stored JSON, so it is checked again rather than trusted.
    message = parseOutboundMessage(ctx.job.payload);
  } catch (error) {
    throw permanent(error);
  }

  if (await alreadySent(ctx)) return;
  // The worker is stopping or lost the job: better not to start a send now. An abort is not passed
  // into the send itself: cutting a send short cannot unsend it, and only makes the outcome unknown.
  ctx.signal.throwIfAborted();

  let providerId: string;
  try {
    ({ providerId } = await options.sender.send(message));
  } catch (error) {
    // Anything else (a temporary failure, or an unexpected error) is thrown as it is, so the
    // job is tried again with back-off until its attempts run out.
    throw permanent(error);
  }

  await ctx.once(SENT, async (trx) => {
    await options.onSent?.(trx, {
      jobId: ctx.job.id,
      organisationId: ctx.job.organisationId,
      reference: message.reference,
      providerId,
    });
  });
}

/**
 * Whether a run of this job has recorded the send. ctx.once() checks and records in one step,
 * which would put the send inside its transaction, so the check comes first on its own.
 */
async function alreadySent(ctx: JobContext<unknown>): Promise<boolean> {
  return ctx.wasRecorded(SENT);
}

/** Turns a failure that retrying cannot fix into one that makes the job dead with the reason. */
function permanent(error: unknown): unknown {
  if (error instanceof PermanentDeliveryError) return new PermanentJobError(error.message, { cause: error });
  if (error instanceof InvalidMessageError) return new PermanentJobError(error.message, { cause: error });
  return error;
}
