// Frozen in time. What persisted campaign grouping needs beyond 0017: the LSH bands of each
// campaign's text signatures (a new report finds near-duplicate campaigns by any band it shares,
// then its signature is compared with the one recorded for that band), the analyser's verdicts
// counted per campaign (so the suggested verdict is that of most reports without counting them
// again), and the record that a report was sent on to the NCSC (never twice).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('report_signature_bands')
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('band_key', 'text', (c) => c.notNull()) // band number and its rows of the MinHash signature
    .addColumn('campaign_id', 'text', (c) => c.notNull().references('report_campaigns.id'))
    .addColumn('report_id', 'text', (c) => c.notNull().references('suspicious_reports.id')) // whose signature to compare
    .addPrimaryKeyConstraint('report_signature_bands_pk', ['organisation_id', 'band_key', 'campaign_id'])
    .execute();
  await db.schema
    .createIndex('report_signature_bands_campaign')
    .on('report_signature_bands')
    .columns(['campaign_id'])
    .execute();
  // JSON object: the analyser's suggested verdict → how many of the campaign's reports have it.
  await db.schema
    .alterTable('report_campaigns')
    .addColumn('verdict_counts', 'text', (c) => c.notNull().defaultTo('{}'))
    .execute();
  await db.schema.alterTable('suspicious_reports').addColumn('ncsc_forwarded_at', 'text').execute();
  await db.schema.alterTable('suspicious_reports').addColumn('ncsc_forwarded_by_label', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('suspicious_reports').dropColumn('ncsc_forwarded_by_label').execute();
  await db.schema.alterTable('suspicious_reports').dropColumn('ncsc_forwarded_at').execute();
  await db.schema.alterTable('report_campaigns').dropColumn('verdict_counts').execute();
  await db.schema.dropTable('report_signature_bands').execute();
}
