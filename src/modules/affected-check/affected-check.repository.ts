// The only SQL for "Were you affected?": finding which councils' copied data names a contact.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/**
 * The names of the councils whose copied data names a person found by any of `keys`, in any
 * incident that `councilId` is affected by. Empty when nobody was found.
 */
export async function councilsHoldingContact(db: Executor, councilId: string, keys: string[]): Promise<string[]> {
  const rows = await db
    .selectFrom('affected_person_keys as k')
    .innerJoin('affected_person_councils as c', 'c.person_id', 'k.person_id')
    .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
    .select('o.name')
    .distinct()
    .where('k.key', 'in', keys)
    .where('k.incident_id', 'in', (qb) =>
      qb
        .selectFrom('incident_organisations')
        .select('incident_id')
        .where('organisation_id', '=', councilId)
        .where('relationship', '=', 'affected'),
    )
    .orderBy('o.name')
    .execute();
  return rows.map((r) => r.name);
}

export async function councilName(
  db: Executor,
  councilId: string,
): Promise<{ name: string; slug: string } | undefined> {
  return db.selectFrom('organisations').select(['name', 'slug']).where('id', '=', councilId).executeTakeFirst();
}
