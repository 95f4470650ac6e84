// The only SQL for a council's questions and answers about an incident.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, IncidentFaqEntriesTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface FaqEntry {
  id: string;
  incidentId: string;
  organisationId: string;
  position: number;
  question: string;
  answer: string;
  createdAt: string;
  updatedAt: string;
  updatedByLabel: string;
}

function toEntry(row: Selectable<IncidentFaqEntriesTable>): FaqEntry {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    position: Number(row.position),
    question: row.question,
    answer: row.answer,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    updatedByLabel: row.updated_by_label,
  };
}

/** A council's entries for an incident, in page order (ties, which a move repairs, by age). */
export async function listFaqEntries(db: Executor, incidentId: string, organisationId: string): Promise<FaqEntry[]> {
  const rows = await db
    .selectFrom('incident_faq_entries')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .orderBy('position')
    .orderBy('id')
    .execute();
  return rows.map(toEntry);
}

export async function findFaqEntry(db: Executor, id: string): Promise<FaqEntry | undefined> {
  const row = await db.selectFrom('incident_faq_entries').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toEntry(row) : undefined;
}

export async function insertFaqEntry(db: Executor, row: Selectable<IncidentFaqEntriesTable>): Promise<void> {
  await db.insertInto('incident_faq_entries').values(row).execute();
}

export async function updateFaqEntry(
  db: Executor,
  id: string,
  changes: Pick<IncidentFaqEntriesTable, 'question' | 'answer' | 'updated_at' | 'updated_by_label'>,
): Promise<void> {
  await db.updateTable('incident_faq_entries').set(changes).where('id', '=', id).execute();
}

/** Numbers the entries 0, 1, 2… in the order given. */
export async function setFaqOrder(db: Executor, idsInOrder: string[]): Promise<void> {
  for (const [position, id] of idsInOrder.entries()) {
    await db.updateTable('incident_faq_entries').set({ position }).where('id', '=', id).execute();
  }
}

export async function deleteFaqEntry(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('incident_faq_entries').where('id', '=', id).execute();
}
