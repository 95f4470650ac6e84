// The verification references of the messages the platform queues, which the public "Is this
// really from the council?" check confirms. Only the reference, the council, the channel and when:
// never the recipient or the content, so a confirmed reference tells the checker nothing about
// anyone. Recorded in the transaction that queues the message, so a message that is rolled back
// leaves no reference behind to confirm.
import type { Transaction } from 'kysely';
import { sqliteTransaction } from '../db/database.ts';
import type { DB, SentReferencesTable } from '../db/schema.ts';
import { nowIso } from '../ids.ts';
import { isVerificationReference } from './verification-reference.ts';

const SQLITE_INSERT = `insert into sent_references (reference, organisation_id, channel, queued_at) values (?, ?, ?, ?)
  on conflict (reference) do nothing`;

export async function recordSentReference(
  trx: Transaction<DB>,
  sent: { reference: string; organisationId: string | null | undefined; channel: SentReferencesTable['channel'] },
): Promise<void> {
  // Other references (a case reference, say) are not the platform's to confirm.
  if (!isVerificationReference(sent.reference)) return;
  const sqlite = sqliteTransaction(trx);
  if (sqlite) {
    // Hand-prepared on SQLite: every web-form submission's acknowledgement comes here.
    sqlite.prepare(SQLITE_INSERT).run(sent.reference, sent.organisationId ?? null, sent.channel, nowIso());
    return;
  }
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

/**
 * Records the other councils a message was sent on behalf of (a breach notice to a person in two
 * councils' data names both), so the check on either council's page confirms it.
 */
export async function recordSentReferenceCouncils(
  trx: Transaction<DB>,
  rows: ReadonlyArray<{ reference: string; organisationId: string }>,
): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('sent_reference_councils')
    .values(rows.map((r) => ({ reference: r.reference, organisation_id: r.organisationId })))
    .onConflict((oc) => oc.columns(['reference', 'organisation_id']).doNothing())
    .execute();
}

/** Whether `reference` was queued for this council, or on its behalf by another. */
export async function sentReferenceExists(
  db: Pick<Transaction<DB>, 'selectFrom'>,
  organisationId: string,
  reference: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('sent_references')
    .select('reference')
    .where('reference', '=', reference)
    .where((eb) =>
      eb.or([
        eb('organisation_id', '=', organisationId),
        eb.exists(
          eb
            .selectFrom('sent_reference_councils')
            .select('sent_reference_councils.reference')
            .whereRef('sent_reference_councils.reference', '=', 'sent_references.reference')
            .where('sent_reference_councils.organisation_id', '=', organisationId),
        ),
      ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}
