// Frozen in time. Resident enquiries: one case per resident matter, with a reference that is easy
// to read aloud; everything that happens on a case (the resident's messages, replies, calls, notes,
// changes) as its entries; each council's enquiry settings; and web-form answers waiting to be
// checked and sent.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('enquiry_settings')
    .addColumn('organisation_id', 'text', (c) => c.primaryKey().references('organisations.id'))
    // Letters before every reference, such as WCC in WCC-7K2F-9QXD.
    .addColumn('reference_prefix', 'text', (c) => c.notNull().unique())
    // JSON array of lower-cased addresses whose mail opens or joins this council's cases.
    .addColumn('enquiry_addresses', 'text', (c) => c.notNull().defaultTo('[]'))
    // Closed cases are anonymised this many days after closing.
    .addColumn('retention_days', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('enquiry_cases')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('topic', 'text', (c) =>
      c.notNull().check(sql`topic in ('affected', 'suspicious-contact', 'service', 'data-worry', 'other')`),
    )
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('new', 'in-progress', 'waiting', 'resolved', 'closed')`),
    )
    .addColumn('priority', 'text', (c) => c.notNull().check(sql`priority in ('urgent', 'standard')`))
    // JSON array of the reasons a case is urgent, as staff read them.
    .addColumn('priority_reasons', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('opened_via', 'text', (c) => c.notNull().check(sql`opened_via in ('web', 'email', 'phone')`))
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('resident_name', 'text')
    // Lower-cased, for search and for matching mail to a case.
    .addColumn('resident_email', 'text')
    // Digits only, with a leading 0 for UK numbers, for search.
    .addColumn('resident_phone', 'text')
    .addColumn('resident_address', 'text')
    .addColumn('reply_by', 'text', (c) => c.check(sql`reply_by in ('email', 'phone', 'post')`))
    .addColumn('support_needs', 'text')
    .addColumn('aged_75_or_over', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('social_care', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('assigned_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('due_at', 'text', (c) => c.notNull())
    .addColumn('first_response_at', 'text')
    .addColumn('merged_into_case_id', 'text', (c) => c.references('enquiry_cases.id'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('closed_at', 'text')
    .addColumn('anonymised_at', 'text')
    .execute();
  await db.schema
    .createIndex('enquiry_cases_queue')
    .on('enquiry_cases')
    .columns(['organisation_id', 'status', 'priority', 'due_at'])
    .execute();
  await db.schema
    .createIndex('enquiry_cases_email')
    .on('enquiry_cases')
    .columns(['organisation_id', 'resident_email'])
    .execute();
  await db.schema
    .createIndex('enquiry_cases_phone')
    .on('enquiry_cases')
    .columns(['organisation_id', 'resident_phone'])
    .execute();
  await db.schema.createIndex('enquiry_cases_closed').on('enquiry_cases').columns(['status', 'closed_at']).execute();

  await db.schema
    .createTable('enquiry_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('case_id', 'text', (c) => c.notNull().references('enquiry_cases.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('message', 'reply', 'call', 'note', 'event')`))
    .addColumn('channel', 'text', (c) => c.check(sql`channel in ('web', 'email', 'phone', 'post')`))
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    // The Message-ID of an email in or out, so replies to it find this case.
    .addColumn('email_message_id', 'text')
    .addColumn('author_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('author_label', 'text', (c) => c.notNull())
    // JSON: what else the entry needs (a call's outcome, a status change's from and to, …).
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enquiry_entries_case')
    .on('enquiry_entries')
    .columns(['case_id', 'created_at'])
    .execute();
  await db.schema.createIndex('enquiry_entries_message_id').on('enquiry_entries').column('email_message_id').execute();

  // A web form filled in but not yet sent: the check-your-answers page reads it. Keyed by the
  // SHA-256 of a random token held in the resident's cookie; deleted when sent or when it expires.
  await db.schema
    .createTable('enquiry_drafts')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('answers', 'text', (c) => c.notNull())
    .addColumn('case_id', 'text', (c) => c.references('enquiry_cases.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('enquiry_drafts_expiry').on('enquiry_drafts').column('expires_at').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('enquiry_drafts').execute();
  await db.schema.dropTable('enquiry_entries').execute();
  await db.schema.dropTable('enquiry_cases').execute();
  await db.schema.dropTable('enquiry_settings').execute();
}
