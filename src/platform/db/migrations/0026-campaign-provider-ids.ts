// Frozen in time. GOV.UK Notify's delivery-status callbacks find a campaign message by its
// reference (unique already), else by Notify's id: this index keeps that second look-up cheap.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('campaign_recipients_provider_id')
    .on('campaign_recipients')
    .column('provider_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('campaign_recipients_provider_id').execute();
}
