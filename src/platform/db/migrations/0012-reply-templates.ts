// Frozen in time. Approved reply wording for resident enquiries: each council's reply templates,
// every version of their wording (a version is approved by someone other than its author before
// agents may send it, and a sent reply names the version it used), and bulk replies, with what
// became of each case in them.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('reply_templates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // The latest version's name, and its lower-cased form, which is unique in the council.
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull())
    .addColumn('latest_version', 'integer', (c) => c.notNull())
    // The version agents send; null until a version is approved. (No foreign key: the version
    // table refers back to this one.)
    .addColumn('approved_version_id', 'text')
    // Withdrawn templates are not offered to agents, and queued bulk replies with them are skipped.
    .addColumn('withdrawn_at', 'text')
    .addColumn('withdrawn_by_label', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('reply_templates_name', ['organisation_id', 'name_key'])
    .execute();

  await db.schema
    .createTable('reply_template_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('template_id', 'text', (c) => c.notNull().references('reply_templates.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    // JSON array of the enquiry topics the template suits; empty for any.
    .addColumn('topics', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('subject', 'text', (c) => c.notNull())
    // Plain text with ((placeholders)), GOV.UK Notify style.
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('drafted_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('drafted_by_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('approved_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('approved_by_label', 'text')
    .addColumn('approved_at', 'text')
    .addUniqueConstraint('reply_template_versions_number', ['template_id', 'version'])
    .execute();

  await db.schema
    .createTable('enquiry_bulk_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('template_version_id', 'text', (c) => c.notNull().references('reply_template_versions.id'))
    // The status each case is given when its reply is sent.
    .addColumn('status_after', 'text', (c) =>
      c.notNull().check(sql`status_after in ('in-progress', 'waiting', 'resolved')`),
    )
    // The public address when it was sent, for the links in the emails.
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_by_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('enquiry_bulk_replies_council')
    .on('enquiry_bulk_replies')
    .columns(['organisation_id', 'created_at'])
    .execute();

  await db.schema
    .createTable('enquiry_bulk_reply_cases')
    .addColumn('bulk_reply_id', 'text', (c) => c.notNull().references('enquiry_bulk_replies.id').onDelete('cascade'))
    .addColumn('case_id', 'text', (c) => c.notNull().references('enquiry_cases.id').onDelete('cascade'))
    .addColumn('outcome', 'text', (c) => c.notNull().check(sql`outcome in ('queued', 'sent', 'skipped')`))
    // Why a case was skipped, as staff read it.
    .addColumn('reason', 'text')
    // The reply entry on the case, once sent.
    .addColumn('entry_id', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('enquiry_bulk_reply_cases_pk', ['bulk_reply_id', 'case_id'])
    .execute();
  await db.schema
    .createIndex('enquiry_bulk_reply_cases_case')
    .on('enquiry_bulk_reply_cases')
    .column('case_id')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('enquiry_bulk_reply_cases').execute();
  await db.schema.dropTable('enquiry_bulk_replies').execute();
  await db.schema.dropTable('reply_template_versions').execute();
  await db.schema.dropTable('reply_templates').execute();
}
