// Frozen in time. What each council adds to its public incident page: translations of the summary
// ("what happened") and the advice ("what you should do"), one per language, and its questions and
// answers, in the order comms puts them.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incident_translations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('advice', 'text', (c) => c.notNull())
    // A digest of the English summary and advice the translation was made from, so a change to the
    // English shows the translation may be out of date.
    .addColumn('english_digest', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by_label', 'text', (c) => c.notNull())
    .addUniqueConstraint('incident_translations_language', ['incident_id', 'organisation_id', 'language'])
    .execute();

  await db.schema
    .createTable('incident_faq_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('question', 'text', (c) => c.notNull())
    .addColumn('answer', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by_label', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('incident_faq_entries_council')
    .on('incident_faq_entries')
    .columns(['incident_id', 'organisation_id', 'position'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['incident_faq_entries', 'incident_translations']) {
    await db.schema.dropTable(table).execute();
  }
}
