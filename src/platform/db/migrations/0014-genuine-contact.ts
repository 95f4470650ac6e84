// Frozen in time. "Is this really from the council?": each council's register of genuine contact
// (the addresses, numbers, sender names, domains and reference formats it uses, with the dates
// they are in use) and what it will never ask for; the verification reference of every message
// the platform queues (never its recipient or content); and one-time call codes, kept as hashes.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('genuine_contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('channel', 'text', (c) =>
      c.notNull().check(sql`channel in ('email', 'sms', 'phone', 'letter', 'website')`),
    )
    // What kind of value: an email address or mail domain, a text message sender ID, a phone
    // number, a link domain, or the format of a reference.
    .addColumn('kind', 'text', (c) =>
      c
        .notNull()
        .check(sql`kind in ('email-address', 'email-domain', 'sms-sender', 'phone', 'domain', 'reference-format')`),
    )
    // As staff typed it, for display, and in the form checks compare against.
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('value_key', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('active_from', 'text', (c) => c.notNull()) // YYYY-MM-DD
    .addColumn('active_to', 'text') // YYYY-MM-DD, or null while in use
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by_label', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('genuine_contacts_lookup')
    .on('genuine_contacts')
    .columns(['organisation_id', 'kind', 'value_key'])
    .execute();

  await db.schema
    .createTable('genuine_contact_settings')
    .addColumn('organisation_id', 'text', (c) => c.primaryKey().references('organisations.id'))
    // JSON array of short sentences: "We will never ask for your bank details".
    .addColumn('never_ask', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by_label', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('sent_references')
    .addColumn('reference', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'sms', 'letter')`))
    .addColumn('queued_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('call_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // sha256 of the salt and the code: the code itself is shown once and never stored.
    .addColumn('code_salt', 'text', (c) => c.notNull())
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('issued_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('issued_by_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('call_codes_live').on('call_codes').columns(['organisation_id', 'expires_at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('call_codes').execute();
  await db.schema.dropTable('sent_references').execute();
  await db.schema.dropTable('genuine_contact_settings').execute();
  await db.schema.dropTable('genuine_contacts').execute();
}
