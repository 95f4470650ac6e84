// The verification references of the messages the platform queues, which the public "Is this
// really from the council?" check confirms. Only the reference, the council, the channel and when:
// never the recipient or the content, so a confirmed reference tells the checker nothing about
// anyone. Recorded in the transaction that queues the message, so a message that is rolled back
// leaves no reference behind to confirm.
import type { Transaction } from 'kysely';
import { insertMany } from '../db/bulk-statements.ts';
import { dialectOf, sqliteTransaction } from '../db/database.ts';
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
 * Records many references at once (a campaign queues thousands in one transaction), in multi-row
 * statements of a few fixed shapes; a reference already recorded is left as it is.
 */
export async function recordSentReferences(
  trx: Transaction<DB>,
  rows: ReadonlyArray<{ reference: string; organisationId: string; channel: SentReferencesTable['channel'] }>,
  queuedAt: string,
): Promise<void> {
  await insertMany(
    trx,
    dialectOf(trx),
    'insert into sent_references (reference, organisation_id, channel, queued_at) values',
    'on conflict (reference) do nothing',
    4,
    rows,
    (r, out) => out.push(r.reference, r.organisationId, r.channel, queuedAt),
  );
}

/**
 * Records the other councils a message was sent on behalf of (a breach notice to a person in two
 * councils' data names both), so the check on either council's page confirms it.
 */
export async function recordSentReferenceCouncils(
  trx: Transaction<DB>,
  rows: ReadonlyArray<{ reference: string; organisationId: string }>,
): Promise<void> {
  await insertMany(
    trx,
    dialectOf(trx),
    'insert into sent_reference_councils (reference, organisation_id) values',
    'on conflict (reference, organisation_id) do nothing',
    2,
    rows,
    (r, out) => out.push(r.reference, r.organisationId),
  );
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
