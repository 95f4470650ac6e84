// Handing one message to an outside provider (a mail server, GOV.UK Notify) from a job, as nearly
// once as the platform can make it. Every delivery job (email, text message) sends this way.
//
// 1. If an earlier run recorded the send, stop. This covers a worker that died after recording
//    the send but before the job was marked done: the job runs again and sends nothing.
// 2. Send, outside any transaction. The SQLite driver has one connection, so a transaction held
//    open across a network call would stall every other query in the app for as long as the
//    provider takes (up to the timeout); on PostgreSQL it would hold a pooled connection and the
//    job's row lock just as long.
// 3. Record the send with ctx.finishOnce('sent'), which also checks this run still holds the job
//    and marks it succeeded, in one transaction.
//
// What remains is an at-least-once window between 2 and 3: if the provider accepted the message
// and then the process dies, the database cannot be written, `record` throws, or this run is
// stopped (ctx.finishOnce refuses to record once the run is aborted or its lease is lost), the job runs
// again and the resident gets the message twice. Nothing on our side can close it: SMTP has no
// idempotency, and Notify has no idempotency key (its `reference` is not unique), so there is
// nothing to ask the provider "did you already take this one?". The window is one short database
// write after each send. The alternatives are worse: holding a transaction across the send
// (above), or recording first and sending after, which turns the same crash into a message that
// is never sent; a missing breach notice is worse than a duplicate one.
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import type { JobContext } from './job-handlers.ts';

/** The job's only effect. The check in step 1 relies on there being no other. */
const SENT = 'sent';

/**
 * Sends with `send` (which resolves to the provider's id for the message) unless an earlier run
 * of this job already did, then records the send. `record` stores what the caller wants kept about
 * the delivery, in the same transaction as the record of the send: database writes through `trx`
 * only. If it throws, the send is not recorded and the message is sent again on retry.
 */
export async function deliverOnce(
  ctx: JobContext<unknown>,
  send: () => Promise<string>,
  record?: (trx: Transaction<DB>, providerId: string) => Promise<void>,
): Promise<void> {
  // ctx.once() checks and records in one step, which would put the send inside its transaction,
  // so the check comes first on its own.
  if (await ctx.wasRecorded(SENT)) return;
  // The worker is stopping or lost the job: better not to start a send now. An abort is not passed
  // into the send itself: cutting a send short cannot unsend it, and only makes the outcome unknown.
  ctx.signal.throwIfAborted();
  const providerId = await send();
  await ctx.finishOnce(SENT, async (trx) => {
    await record?.(trx, providerId);
  });
}
