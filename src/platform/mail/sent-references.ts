// The verification references of the messages the platform queues, which the public "Is this
// really from the council?" check confirms. Only the reference, the council, the channel and when:
// never the recipient or the content, so a confirmed reference tells the checker nothing about
// anyone. Recorded in the transaction that queues the message, so a message that is rolled back
// leaves no reference behind to confirm.
import type { Transaction } from 'kysely';
import type { DB, SentReferencesTable } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { isVerificationReference } from './verification-reference.ts';

export async function recordSentReference(
  trx: Transaction<DB>,
  sent: { reference: string; organisationId: string | null | undefined; channel: SentReferencesTable['channel'] },
): Promise<void> {
  // Other references (a case reference, say) are not the platform's to confirm.
  if (!isVerificationReference(sent.reference)) return;
  await trx
    .insertInto('sent_references')
    .values({
      reference: sent.reference,
      organisation_id: sent.organisationId ?? null,
      channel: sent.channel,
      queued_at: nowIso(),
    })
    .onConflict((oc) => oc.column('reference').doNothing())
    .execute();
}

/** Whether `reference` was queued for this council. */
export async function sentReferenceExists(
  db: Pick<Transaction<DB>, 'selectFrom'>,
  organisationId: string,
  reference: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('sent_references')
    .select('reference')
    .where('reference', '=', reference)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return row !== undefined;
}
