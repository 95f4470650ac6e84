// Frozen in time. The data protection officer finds affected people by postcode as well as by
// email and mobile number (those go through affected_person_keys): an index so a search does not
// read every person of an incident.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('affected_people_postcode')
    .on('affected_people')
    .columns(['incident_id', 'postcode'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('affected_people_postcode').execute();
}
