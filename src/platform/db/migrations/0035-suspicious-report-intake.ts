// Frozen in time. What taking suspicious-message reports needs besides the reports themselves: the
// addresses each council's report mailbox takes (residents forward suspicious email there), and
// the public form's answers and uploads while the resident checks them before sending.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('suspicious_report_settings')
    .addColumn('organisation_id', 'text', (c) => c.primaryKey().references('organisations.id'))
    .addColumn('report_addresses', 'text', (c) => c.notNull()) // JSON array of lower-cased addresses
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  // A form filled in but not yet sent. Keyed by the SHA-256 of a random token held only in the
  // resident's cookie; the upload (an email or a screenshot, metadata already removed) waits here.
  await db.schema
    .createTable('suspicious_report_drafts')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('answers', 'text', (c) => c.notNull()) // JSON
    .addColumn('email_file', 'bytea')
    .addColumn('email_file_name', 'text')
    .addColumn('screenshot', 'bytea')
    .addColumn('screenshot_type', 'text', (c) => c.check(sql`screenshot_type in ('image/png', 'image/jpeg')`))
    .addColumn('screenshot_name', 'text')
    .addColumn('report_id', 'text', (c) => c.references('suspicious_reports.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('suspicious_report_drafts_expiry')
    .on('suspicious_report_drafts')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('suspicious_report_drafts').execute();
  await db.schema.dropTable('suspicious_report_settings').execute();
}
