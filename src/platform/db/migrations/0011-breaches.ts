// Frozen in time. Personal data breach records: one per incident and affected council, kept by
// that council's data protection officer, and the reports made to the ICO about each. A report as
// recorded keeps a copy of what was sent (`report_snapshot`), which later changes to the record
// never alter.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('breach_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    // Goes up by one with every change: a form says which version it was filled in from, and a save
    // over someone else's change is refused.
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    // When the council became aware: the start of the 72-hour clock (Article 33(1)).
    .addColumn('aware_at', 'text', (c) => c.notNull())
    .addColumn('discovery', 'text', (c) => c.notNull())
    .addColumn('data_categories', 'text', (c) => c.notNull()) // JSON array of category keys
    .addColumn('data_categories_other', 'text', (c) => c.notNull())
    .addColumn('systems_affected', 'text', (c) => c.notNull()) // JSON array of strings
    .addColumn('people_basis', 'text', (c) =>
      c.notNull().check(sql`people_basis in ('exact', 'approximate', 'range', 'unknown')`),
    )
    .addColumn('people_low', 'integer')
    .addColumn('people_high', 'integer')
    .addColumn('records_basis', 'text', (c) =>
      c.notNull().check(sql`records_basis in ('exact', 'approximate', 'range', 'unknown')`),
    )
    .addColumn('records_low', 'integer')
    .addColumn('records_high', 'integer')
    .addColumn('data_exfiltrated', 'text', (c) => c.notNull().check(sql`data_exfiltrated in ('yes', 'no', 'unknown')`))
    .addColumn('data_encrypted', 'text', (c) => c.notNull().check(sql`data_encrypted in ('yes', 'no', 'unknown')`))
    .addColumn('consequences', 'text', (c) => c.notNull())
    .addColumn('measures_taken', 'text', (c) => c.notNull())
    .addColumn('measures_proposed', 'text', (c) => c.notNull())
    .addColumn('bodies_informed', 'text', (c) => c.notNull()) // JSON array of keys
    .addColumn('bodies_informed_other', 'text', (c) => c.notNull())
    .addColumn('tell_people', 'text', (c) =>
      c.notNull().check(sql`tell_people in ('told', 'planned', 'no', 'undecided')`),
    )
    .addColumn('tell_people_on', 'text') // YYYY-MM-DD
    .addColumn('tell_people_reason', 'text', (c) => c.notNull())
    .addColumn('dpo_name', 'text', (c) => c.notNull())
    .addColumn('dpo_email', 'text', (c) => c.notNull())
    .addColumn('dpo_phone', 'text', (c) => c.notNull())
    .addColumn('risk_likelihood', 'text', (c) => c.check(sql`risk_likelihood in ('remote', 'possible', 'likely')`))
    .addColumn('risk_severity', 'text', (c) => c.check(sql`risk_severity in ('minimal', 'significant', 'severe')`))
    .addColumn('risk_reasoning', 'text', (c) => c.notNull())
    .addColumn('risk_assessed_at', 'text')
    .addColumn('risk_assessed_by_label', 'text')
    .addColumn('not_reporting_reason', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by_label', 'text', (c) => c.notNull())
    .addUniqueConstraint('breach_records_incident_council', ['incident_id', 'organisation_id'])
    .execute();
  await db.schema.createIndex('breach_records_council').on('breach_records').column('organisation_id').execute();

  await db.schema
    .createTable('breach_submissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('breach_id', 'text', (c) => c.notNull().references('breach_records.id').onDelete('cascade'))
    // 1 is the initial report; later numbers are follow-ups. Unique, so two people recording the
    // initial report at once cannot both succeed.
    .addColumn('sequence', 'integer', (c) => c.notNull())
    .addColumn('submitted_at', 'text', (c) => c.notNull())
    .addColumn('ico_reference', 'text', (c) => c.notNull())
    .addColumn('delay_reason', 'text', (c) => c.notNull())
    .addColumn('notes', 'text', (c) => c.notNull())
    .addColumn('record_version', 'integer', (c) => c.notNull())
    .addColumn('report_snapshot', 'text', (c) => c.notNull()) // JSON: the report as it was sent
    .addColumn('recorded_at', 'text', (c) => c.notNull())
    .addColumn('recorded_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('recorded_by_label', 'text', (c) => c.notNull())
    .addUniqueConstraint('breach_submissions_sequence', ['breach_id', 'sequence'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('breach_submissions').execute();
  await db.schema.dropTable('breach_records').execute();
}
