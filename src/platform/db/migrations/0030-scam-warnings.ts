// Frozen in time. Scam warnings on a council's public incident page: what a scam looks like, how
// to spot it and what to do. Drafted by comms, an incident manager or a security analyst (from a
// campaign of reported messages), published only once an incident manager who did not write it
// approves it, and withdrawn when it no longer applies. Published text is never changed: to change
// it, withdraw it and publish a new one.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scam_warnings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // The council whose page shows it.
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // The campaign of reported messages it warns about, when it came from one.
    .addColumn('campaign_id', 'text', (c) => c.references('report_campaigns.id').onDelete('set null'))
    .addColumn('state', 'text', (c) =>
      c.notNull().check(sql`state in ('waiting', 'sent-back', 'published', 'withdrawn')`),
    )
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull()) // what the scam looks like
    .addColumn('how_to_spot', 'text', (c) => c.notNull())
    .addColumn('what_to_do', 'text', (c) => c.notNull())
    .addColumn('author_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('author_label', 'text', (c) => c.notNull())
    // JSON array of the user ids who wrote or changed it: none of them may approve it.
    .addColumn('contributor_ids', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('sent_back_at', 'text')
    .addColumn('sent_back_by_label', 'text')
    .addColumn('sent_back_reason', 'text')
    .addColumn('approved_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('approved_by_label', 'text')
    .addColumn('published_at', 'text')
    .addColumn('withdrawn_at', 'text')
    .addColumn('withdrawn_by_label', 'text')
    .addColumn('withdrawal_reason', 'text')
    .execute();
  await db.schema
    .createIndex('scam_warnings_council')
    .on('scam_warnings')
    .columns(['organisation_id', 'state', 'published_at'])
    .execute();
  await db.schema
    .createIndex('scam_warnings_incident')
    .on('scam_warnings')
    .columns(['incident_id', 'created_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('scam_warnings').execute();
}
