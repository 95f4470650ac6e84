// Test support: puts a person into the affected-people tables as the import would leave them (a
// finished import per council, the person, their keys and the councils whose data names them), so
// the check can be tested without the import itself.
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';

export async function insertAffectedPerson(
  db: Kysely<DB>,
  person: { incidentId: string; councilIds: string[]; email?: string; phone?: string; fullName?: string },
): Promise<string> {
  const at = nowIso();
  const personId = newId();
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('affected_people')
      .values({
        id: personId,
        incident_id: person.incidentId,
        full_name: person.fullName ?? '',
        email: person.email ?? null,
        phone_e164: person.phone ?? null,
        address_lines: '[]',
        postcode: null,
        created_at: at,
        updated_at: at,
      })
      .execute();
    const keys = [
      ...(person.email ? [`email:${person.email}`] : []),
      ...(person.phone ? [`phone:${person.phone}`] : []),
    ];
    for (const key of keys) {
      await trx
        .insertInto('affected_person_keys')
        .values({ incident_id: person.incidentId, key, person_id: personId })
        .execute();
    }
    for (const organisationId of person.councilIds) {
      const importId = newId();
      await trx
        .insertInto('affected_imports')
        .values({
          id: importId,
          incident_id: person.incidentId,
          organisation_id: organisationId,
          file_name: 'people.csv',
          stored_path: `imports/${importId}.csv`,
          byte_size: 100,
          sha256: '0'.repeat(64),
          encoding: 'utf-8',
          column_map: null,
          has_header: 1,
          data_categories: '["contact"]',
          status: 'done',
          bytes_done: 100,
          lines_done: 2,
          rows_accepted: 1,
          rows_rejected: 0,
          people_added: 1,
          failure: null,
          created_at: at,
          created_by_user_id: null,
          created_by_label: 'test',
          started_at: at,
          finished_at: at,
        })
        .execute();
      await trx
        .insertInto('affected_person_councils')
        .values({
          person_id: personId,
          organisation_id: organisationId,
          data_categories: '["contact"]',
          first_import_id: importId,
        })
        .execute();
    }
  });
  return personId;
}
