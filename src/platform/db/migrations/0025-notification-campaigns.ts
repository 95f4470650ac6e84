// Frozen in time. Notification campaigns: the message a data protection officer sends to the people
// affected by a breach (one template, a body per channel, approved before anything is sent), one row
// per person it goes to (unique per campaign and person, so nobody is sent the same campaign twice,
// with the channel, the verification reference, the status and the provider's id), the print files
// letters go out in, and the other councils a message was sent on behalf of (for the public check).
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('notification_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // The council that sends: its DPO drafts and approves, its address and Notify service are used.
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('draft', 'approved', 'queueing', 'sending', 'paused', 'done', 'cancelled')`),
    )
    .addColumn('version', 'integer', (c) => c.notNull()) // bumped by every change, for stale-form checks
    .addColumn('email_subject', 'text', (c) => c.notNull())
    .addColumn('email_body', 'text', (c) => c.notNull())
    .addColumn('sms_body', 'text', (c) => c.notNull())
    .addColumn('letter_body', 'text', (c) => c.notNull())
    .addColumn('rate_per_minute', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_by_label', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('approved_at', 'text')
    .addColumn('approved_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('approved_by_label', 'text')
    // Materialising recipients: the last person id done, in the same transaction as their rows.
    .addColumn('queue_cursor', 'text')
    .addColumn('people_total', 'integer', (c) => c.notNull())
    .addColumn('queued_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('notification_campaigns_incident')
    .on('notification_campaigns')
    .columns(['organisation_id', 'incident_id'])
    .execute();

  await db.schema
    .createTable('campaign_letter_batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('notification_campaigns.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull())
    .addColumn('letters', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('downloaded_at', 'text')
    .addUniqueConstraint('campaign_letter_batches_number', ['campaign_id', 'number'])
    .execute();

  await db.schema
    .createTable('campaign_recipients')
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('notification_campaigns.id').onDelete('cascade'))
    .addColumn('person_id', 'text', (c) => c.notNull().references('affected_people.id').onDelete('cascade'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms', 'letter', 'none')`))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`status in ('queued', 'sending', 'sent', 'delivered', 'temporary-failure', 'permanent-failure', 'unknown', 'printed', 'no-route')`,
        ),
    )
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('provider_id', 'text')
    .addColumn('last_error', 'text')
    .addColumn('letter_batch_id', 'text', (c) => c.references('campaign_letter_batches.id'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'text')
    .addPrimaryKeyConstraint('campaign_recipients_pk', ['campaign_id', 'person_id'])
    .execute();
  await db.schema
    .createIndex('campaign_recipients_status')
    .on('campaign_recipients')
    .columns(['campaign_id', 'status', 'channel'])
    .execute();

  // A message naming several councils can be checked on any of their pages.
  await db.schema
    .createTable('sent_reference_councils')
    .addColumn('reference', 'text', (c) => c.notNull().references('sent_references.reference').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addPrimaryKeyConstraint('sent_reference_councils_pk', ['reference', 'organisation_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('sent_reference_councils').execute();
  await db.schema.dropTable('campaign_recipients').execute();
  await db.schema.dropTable('campaign_letter_batches').execute();
  await db.schema.dropTable('notification_campaigns').execute();
}
