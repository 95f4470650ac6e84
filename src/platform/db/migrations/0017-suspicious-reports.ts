// Frozen in time. Suspicious messages residents report to a council (by the public form, by
// forwarding to the report mailbox, or through the API), each with the analyser's suggested
// verdict and its reasons; and the campaigns reports are grouped into, where an analyst's verdict
// applies to every report in the campaign.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

const VERDICTS = sql`('likely-scam', 'suspicious', 'likely-genuine', 'cannot-tell')`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('report_campaigns')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('title', 'text', (c) => c.notNull()) // the analyst's name for it, or made from the first report
    // The analyser's verdict for the campaign (that of most of its reports) until an analyst gives one.
    .addColumn('suggested_verdict', 'text', (c) => c.notNull().check(sql`suggested_verdict in ${VERDICTS}`))
    .addColumn('analyst_verdict', 'text', (c) =>
      c.check(sql`analyst_verdict in ('scam', 'not-scam', 'genuine', 'undetermined')`),
    )
    .addColumn('analyst_note', 'text', (c) => c.notNull())
    .addColumn('verdict_at', 'text')
    .addColumn('verdict_by_label', 'text')
    .addColumn('representative_report_id', 'text') // the report shown as the campaign's message
    .addColumn('report_count', 'integer', (c) => c.notNull())
    .addColumn('first_reported_at', 'text', (c) => c.notNull())
    .addColumn('last_reported_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('report_campaigns_council')
    .on('report_campaigns')
    .columns(['organisation_id', 'last_reported_at'])
    .execute();

  await db.schema
    .createTable('suspicious_reports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Given to the reporter to quote: `SR-` and 8 characters with no look-alikes.
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // How the report reached us.
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('web', 'email', 'api')`))
    // What the resident received.
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('email', 'text', 'phone-call', 'letter', 'website', 'other')`),
    )
    .addColumn('claimed_sender', 'text', (c) => c.notNull()) // who it said it was from, as the resident put it
    .addColumn('received_on', 'text') // YYYY-MM-DD, when the resident got it, if they said
    // The suspicious message: the sender (address, number or sender ID), its subject and its text,
    // capped, always as plain text.
    .addColumn('sender', 'text', (c) => c.notNull())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    // The original email when there is one (uploaded .eml, forwarded as an attachment, or as
    // recovered from an inline forward), capped; sent on to the NCSC as it was.
    .addColumn('original_message', 'bytea')
    .addColumn('inbound_mail_id', 'text', (c) => c.references('inbound_mail.id')) // the forward, when mailed in
    // A screenshot, re-encoded without its metadata.
    .addColumn('screenshot', 'bytea')
    .addColumn('screenshot_type', 'text')
    // The reporter's address, only when they want an acknowledgement or the outcome.
    .addColumn('reporter_email', 'text')
    .addColumn('wants_outcome', 'integer', (c) => c.notNull())
    .addColumn('acknowledged_at', 'text')
    .addColumn('outcome_sent_at', 'text')
    // The analyser's result.
    .addColumn('suggested_verdict', 'text', (c) => c.notNull().check(sql`suggested_verdict in ${VERDICTS}`))
    .addColumn('score', 'integer', (c) => c.notNull())
    .addColumn('reasons', 'text', (c) => c.notNull()) // JSON array of { code, text, evidence }
    .addColumn('indicators', 'text', (c) => c.notNull()) // JSON: domains, links, senders, numbers, hashes
    // The exact keys and the near-duplicate signature the report is grouped by.
    .addColumn('campaign_keys', 'text', (c) => c.notNull()) // JSON array of strings
    .addColumn('text_signature', 'bytea') // MinHash signature of the normalised text, when long enough
    .addColumn('campaign_id', 'text', (c) => c.references('report_campaigns.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('new', 'triaged', 'closed')`))
    .addColumn('analyst_note', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('suspicious_reports_council')
    .on('suspicious_reports')
    .columns(['organisation_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('suspicious_reports_campaign')
    .on('suspicious_reports')
    .columns(['campaign_id', 'created_at'])
    .execute();

  // The exact keys of every report, so a new report finds its campaign by any of them.
  await db.schema
    .createTable('report_campaign_keys')
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('report_campaigns.id'))
    .addPrimaryKeyConstraint('report_campaign_keys_pk', ['organisation_id', 'key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('report_campaign_keys').execute();
  await db.schema.dropTable('suspicious_reports').execute();
  await db.schema.dropTable('report_campaigns').execute();
}
