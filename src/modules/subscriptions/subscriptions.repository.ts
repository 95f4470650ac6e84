// The only SQL for subscriptions (email and text message): the subscriptions themselves and the
// hashed unsubscribe tokens written into each message.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, SubscriptionsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type SubscriptionStatus = SubscriptionsTable['status'];
export type Channel = SubscriptionsTable['channel'];

/** Where one subscription's messages go: an email address, or a UK mobile number as +447…. */
export interface Recipient {
  channel: Channel;
  address: string;
}

export interface Subscription {
  id: string;
  organisationId: string;
  channel: Channel;
  address: string;
  status: SubscriptionStatus;
  confirmExpiresAt: string | null;
  confirmSentAt: string | null;
  confirmedAt: string | null;
  unsubscribedAt: string | null;
}

function toSubscription(row: Selectable<SubscriptionsTable>): Subscription {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    channel: row.channel,
    address: row.address,
    status: row.status,
    confirmExpiresAt: row.confirm_expires_at,
    confirmSentAt: row.confirm_sent_at,
    confirmedAt: row.confirmed_at,
    unsubscribedAt: row.unsubscribed_at,
  };
}

export async function findSubscriptionByRecipient(
  db: Executor,
  organisationId: string,
  recipient: Recipient,
): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('channel', '=', recipient.channel)
    .where('address', '=', recipient.address)
    .executeTakeFirst();
  return row && toSubscription(row);
}

export async function findSubscriptionByConfirmHash(
  db: Executor,
  organisationId: string,
  tokenHash: string,
): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('subscriptions')
    .selectAll()
    .where('organisation_id', '=', organisationId)
    .where('confirm_token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && toSubscription(row);
}

export async function findSubscriptionByUnsubscribeHash(
  db: Executor,
  organisationId: string,
  tokenHash: string,
): Promise<Subscription | undefined> {
  const row = await db
    .selectFrom('subscription_unsubscribe_tokens as t')
    .innerJoin('subscriptions as s', 's.id', 't.subscription_id')
    .selectAll('s')
    .where('t.token_hash', '=', tokenHash)
    .where('s.organisation_id', '=', organisationId)
    .executeTakeFirst();
  return row && toSubscription(row);
}

/** Inserts a pending subscription; false when the council already has one for the recipient. */
export async function insertPendingSubscription(
  db: Executor,
  row: {
    id: string;
    organisationId: string;
    recipient: Recipient;
    confirmTokenHash: string;
    confirmExpiresAt: string;
    now: string;
  },
): Promise<boolean> {
  const inserted = await db
    .insertInto('subscriptions')
    .values({
      id: row.id,
      organisation_id: row.organisationId,
      channel: row.recipient.channel,
      address: row.recipient.address,
      status: 'pending',
      confirm_token_hash: row.confirmTokenHash,
      confirm_expires_at: row.confirmExpiresAt,
      confirm_sent_at: row.now,
      confirmed_at: null,
      unsubscribed_at: null,
      created_at: row.now,
      updated_at: row.now,
    })
    .onConflict((oc) => oc.columns(['organisation_id', 'channel', 'address']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** A new confirmation link for a subscription that is not confirmed; the old link stops working. */
export async function renewConfirmation(
  db: Executor,
  id: string,
  change: { confirmTokenHash: string; confirmExpiresAt: string; now: string },
): Promise<boolean> {
  const result = await db
    .updateTable('subscriptions')
    .set({
      status: 'pending',
      confirm_token_hash: change.confirmTokenHash,
      confirm_expires_at: change.confirmExpiresAt,
      confirm_sent_at: change.now,
      updated_at: change.now,
    })
    .where('id', '=', id)
    .where('status', '!=', 'confirmed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Confirms a pending subscription whose link has not expired; false if it was not in that state. */
export async function confirmSubscription(db: Executor, id: string, now: string): Promise<boolean> {
  const result = await db
    .updateTable('subscriptions')
    .set({ status: 'confirmed', confirmed_at: now, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('confirm_expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Ends a subscription; the confirmation link stops working too, so it cannot be restarted by it. */
export async function unsubscribe(db: Executor, id: string, now: string): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ status: 'unsubscribed', unsubscribed_at: now, confirm_token_hash: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '!=', 'unsubscribed')
    .execute();
}

/**
 * Stores the hash of the unsubscribe token for one message to one subscription. False when that
 * message already has one, which means it was queued already (the two happen in one transaction).
 */
export async function insertUnsubscribeToken(
  db: Executor,
  row: { tokenHash: string; subscriptionId: string; messageKey: string; now: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto('subscription_unsubscribe_tokens')
    .values({
      token_hash: row.tokenHash,
      subscription_id: row.subscriptionId,
      message_key: row.messageKey,
      created_at: row.now,
    })
    .onConflict((oc) => oc.columns(['subscription_id', 'message_key']).doNothing())
    .returning('token_hash')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Confirmed subscribers of a council, by id, a page at a time (ids are time-ordered UUIDv7). */
export async function listConfirmedSubscribers(
  db: Executor,
  organisationId: string,
  options: { channels: readonly Channel[]; afterId?: string | undefined; limit: number },
): Promise<Array<{ id: string } & Recipient>> {
  if (options.channels.length === 0) return [];
  let query = db
    .selectFrom('subscriptions')
    .select(['id', 'channel', 'address'])
    .where('organisation_id', '=', organisationId)
    .where('channel', 'in', options.channels)
    .where('status', '=', 'confirmed');
  if (options.afterId !== undefined) query = query.where('id', '>', options.afterId);
  return query.orderBy('id').limit(options.limit).execute();
}

/** Confirmed subscribers per channel, for each council given (councils with none are left out). */
export async function countConfirmedSubscribers(
  db: Executor,
  organisationIds: readonly string[],
): Promise<Array<{ organisationId: string; channel: Channel; count: number }>> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('subscriptions')
    .select((eb) => ['organisation_id', 'channel', eb.fn.countAll().as('n')])
    .where('organisation_id', 'in', organisationIds)
    .where('status', '=', 'confirmed')
    .groupBy(['organisation_id', 'channel'])
    .execute();
  // PostgreSQL returns count(*) as a string.
  return rows.map((r) => ({ organisationId: r.organisation_id, channel: r.channel, count: Number(r.n) }));
}

/**
 * Forgets addresses that are no longer used, so the list holds only people who want updates:
 * subscriptions ended before `endedBefore`, and sign-ups whose confirmation link expired before
 * it. Their unsubscribe tokens go with them. Returns how many were deleted.
 */
export async function deleteLapsedSubscriptions(db: Executor, endedBefore: string): Promise<number> {
  const result = await db
    .deleteFrom('subscriptions')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'unsubscribed'), eb('unsubscribed_at', '<', endedBefore)]),
        eb.and([eb('status', '=', 'pending'), eb('confirm_expires_at', '<', endedBefore)]),
      ]),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
