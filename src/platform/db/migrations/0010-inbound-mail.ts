// Frozen in time. Every message that reaches the platform (SMTP listener, IMAP poll, .eml import),
// stored as the bytes that arrived before anything tries to read them, so no message is lost to a
// parser error; the row then records what became of it.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('inbound_mail')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('smtp', 'imap', 'import')`))
    // Where the message came from, unique per message in that place: for IMAP the account, folder,
    // UIDVALIDITY and UID, so a poll that stops half-way and runs again never stores one twice.
    .addColumn('source_ref', 'text', (c) => c.unique())
    .addColumn('envelope_from', 'text')
    .addColumn('envelope_to', 'text', (c) => c.notNull()) // JSON array of addresses
    // The mailbox the message was delivered to when the channel says so (an IMAP account feeds one).
    .addColumn('mailbox', 'text')
    // PostgreSQL's byte string. SQLite keeps a Buffer as a BLOB whatever the column's declared type.
    .addColumn('raw', 'bytea', (c) => c.notNull())
    // The size of the whole message as it arrived; larger than the stored bytes when truncated.
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('truncated', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull()) // of the stored bytes
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('received', 'processed', 'rejected', 'failed')`),
    )
    .addColumn('reason', 'text')
    .addColumn('handled_by', 'text') // the mailboxes that took it, comma separated
    .addColumn('produced', 'text') // JSON array of { mailbox, kind, id }
    .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
    // A summary from the parsed message, for lists; the raw bytes remain the record.
    .addColumn('subject', 'text')
    .addColumn('header_from', 'text')
    .addColumn('message_id', 'text')
    .addColumn('retries', 'integer', (c) => c.notNull())
    .addColumn('processed_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inbound_mail_status').on('inbound_mail').columns(['status', 'id']).execute();
  await db.schema.createIndex('inbound_mail_sha256').on('inbound_mail').columns(['sha256']).execute();
  await db.schema.createIndex('inbound_mail_message_id').on('inbound_mail').columns(['message_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('inbound_mail').execute();
}
