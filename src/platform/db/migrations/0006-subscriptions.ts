// Frozen in time. Subscriptions to a council's incident updates, by email or by text message, with
// double opt-in: a subscription is pending until its confirmation link is used. Only SHA-256 hashes of the links' tokens are stored, so a
// copy of the database cannot be used to confirm or end anyone's subscription.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms')`))
    // An email address lower-cased, or a UK mobile number as +447…: one subscription per address
    // per council whatever its spelling.
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'confirmed', 'unsubscribed')`))
    .addColumn('confirm_token_hash', 'text', (c) => c.unique())
    .addColumn('confirm_expires_at', 'text')
    .addColumn('confirm_sent_at', 'text')
    .addColumn('confirmed_at', 'text')
    .addColumn('unsubscribed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('subscriptions_council_address', ['organisation_id', 'channel', 'address'])
    .execute();
  await db.schema
    .createIndex('subscriptions_council_status')
    .on('subscriptions')
    .columns(['organisation_id', 'status', 'id'])
    .execute();

  // Each message carries its own unsubscribe token: the raw token is needed to write it into a
  // message, and only its hash is kept, so a new one is made for every message sent. `message_key`
  // names the message (such as `update:<versionId>`); being unique per subscription, it is also
  // what stops a retried fan-out from queueing the same message twice.
  await db.schema
    .createTable('subscription_unsubscribe_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('subscription_id', 'text', (c) => c.notNull().references('subscriptions.id').onDelete('cascade'))
    .addColumn('message_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('subscription_unsubscribe_tokens_message', ['subscription_id', 'message_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_unsubscribe_tokens').execute();
  await db.schema.dropTable('subscriptions').execute();
}
