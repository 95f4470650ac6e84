// The only SQL for translations of an incident's summary and advice on a council's public page.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, IncidentTranslationsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface IncidentTranslation {
  id: string;
  incidentId: string;
  organisationId: string;
  language: string;
  summary: string;
  advice: string;
  englishDigest: string;
  createdAt: string;
  updatedAt: string;
  updatedByLabel: string;
}

function toTranslation(row: Selectable<IncidentTranslationsTable>): IncidentTranslation {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    language: row.language,
    summary: row.summary,
    advice: row.advice,
    englishDigest: row.english_digest,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedByLabel: row.updated_by_label,
  };
}

/** A council's translations for an incident, in the order of their language codes. */
export async function listTranslations(
  db: Executor,
  incidentId: string,
  organisationId: string,
): Promise<IncidentTranslation[]> {
  const rows = await db
    .selectFrom('incident_translations')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .orderBy('language')
    .execute();
  return rows.map(toTranslation);
}

export async function findTranslation(
  db: Executor,
  incidentId: string,
  organisationId: string,
  language: string,
): Promise<IncidentTranslation | undefined> {
  const row = await db
    .selectFrom('incident_translations')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .where('language', '=', language)
    .executeTakeFirst();
  return row ? toTranslation(row) : undefined;
}

/** False when the council already has a translation in that language (nothing is written). */
export async function insertTranslation(db: Executor, row: Selectable<IncidentTranslationsTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('incident_translations')
    .values(row)
    .onConflict((oc) => oc.columns(['incident_id', 'organisation_id', 'language']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function updateTranslation(
  db: Executor,
  id: string,
  changes: Pick<IncidentTranslationsTable, 'summary' | 'advice' | 'english_digest' | 'updated_at' | 'updated_by_label'>,
): Promise<void> {
  await db.updateTable('incident_translations').set(changes).where('id', '=', id).execute();
}

export async function deleteTranslation(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('incident_translations').where('id', '=', id).execute();
}
