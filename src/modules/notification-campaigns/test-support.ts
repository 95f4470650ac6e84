// Test and bench support: people put straight into the affected-people tables (one import row per
// council to satisfy the foreign key), without the CSV import, which is built elsewhere.
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';

export interface TestPerson {
  name: string;
  email?: string | undefined;
  phone?: string | undefined;
  addressLines?: string[] | undefined;
  postcode?: string | undefined;
  councils: Array<{ organisationId: string; categories: string[] }>;
}

async function importFor(db: Kysely<DB>, incidentId: string, organisationId: string): Promise<string> {
  const found = await db
    .selectFrom('affected_imports')
    .select('id')
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (found) return found.id;
  const id = newId();
  const now = nowIso();
  await db
    .insertInto('affected_imports')
    .values({
      id,
      incident_id: incidentId,
      organisation_id: organisationId,
      file_name: 'test.csv',
      stored_path: 'test.csv',
      byte_size: 0,
      sha256: '0'.repeat(64),
      encoding: 'utf-8',
      column_map: null,
      has_header: 1,
      data_categories: '[]',
      status: 'done',
      bytes_done: 0,
      lines_done: 0,
      rows_accepted: 0,
      rows_rejected: 0,
      people_added: 0,
      failure: null,
      created_at: now,
      created_by_user_id: null,
      created_by_label: 'test',
      started_at: now,
      finished_at: now,
    } as never)
    .execute();
  return id;
}

/** Adds people with their councils; returns their ids in the order given. */
export async function insertAffectedPeople(
  db: Kysely<DB>,
  incidentId: string,
  people: TestPerson[],
): Promise<string[]> {
  const imports = new Map<string, string>();
  for (const org of new Set(people.flatMap((p) => p.councils.map((c) => c.organisationId)))) {
    imports.set(org, await importFor(db, incidentId, org));
  }
  const ids: string[] = [];
  const now = nowIso();
  for (let i = 0; i < people.length; i += 1000) {
    const slice = people.slice(i, i + 1000).map((p) => ({ ...p, id: newId() }));
    ids.push(...slice.map((p) => p.id));
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('affected_people')
        .values(
          slice.map((p) => ({
            id: p.id,
            incident_id: incidentId,
            full_name: p.name,
            email: p.email ?? null,
            phone_e164: p.phone ?? null,
            address_lines: JSON.stringify(p.addressLines ?? []),
            postcode: p.postcode ?? null,
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
      const councils = slice.flatMap((p) =>
        p.councils.map((c) => ({
          person_id: p.id,
          organisation_id: c.organisationId,
          data_categories: JSON.stringify(c.categories),
          first_import_id: imports.get(c.organisationId) as string,
        })),
      );
      for (let j = 0; j < councils.length; j += 1000) {
        await trx
          .insertInto('affected_person_councils')
          .values(councils.slice(j, j + 1000))
          .execute();
      }
    });
  }
  return ids;
}

/** `count` people with an email address each (person-<n>@example.org.uk), in one council's data. */
export async function insertEmailPeople(
  db: Kysely<DB>,
  incidentId: string,
  organisationId: string,
  count: number,
): Promise<void> {
  const people: TestPerson[] = [];
  for (let n = 0; n < count; n += 1) {
    people.push({
      name: `Person ${n}`,
      email: `person-${n}@example.org.uk`,
      councils: [{ organisationId, categories: ['contact'] }],
    });
  }
  await insertAffectedPeople(db, incidentId, people);
}

/** A template that passes every check, for tests that are about sending. */
export const PASSING_TEMPLATE = {
  emailSubject: 'Your personal data and the cyber attack',
  emailBody:
    'Dear ((name))\n\nWhat happened: criminals copied data from ((councils)) in a cyber attack. Your data involved: ((data categories)).\n\nWhat could happen: criminals could use it to make scam messages look genuine.\n\nWhat we have done: we have secured our systems and are working with the police.\n\nWhat you should do: be wary of unexpected calls and messages. We will never ask for your password.\n\nContact our data protection officer on 020 7641 1919.\n\nReference: ((reference)). Check it at https://www.westminster.gov.uk/check',
  smsBody:
    '((name)): a cyber attack at ((councils)) affected your data. We have written to you. Contact our data protection officer on 020 7641 1919. Ref ((reference))',
  letterBody:
    'Dear ((name))\n\nWhat happened: criminals copied data from ((councils)) in a cyber attack. Your data involved: ((data categories)).\n\nWhat could happen: criminals could use it to make scam messages look genuine.\n\nWhat we have done: we have secured our systems and are working with the police.\n\nWhat you should do: be wary of unexpected calls and messages.\n\nContact our data protection officer on 020 7641 1919.\n\nReference: ((reference)).',
};

/** Removes the demo's affected people (seeded from its sample files), so a test starts from the people it adds. */
export async function withoutDemoPeople(db: Kysely<DB>): Promise<void> {
  await db.deleteFrom('affected_person_councils').execute();
  await db.deleteFrom('affected_person_keys').execute();
  await db.deleteFrom('affected_people').execute();
  await db.deleteFrom('affected_import_rejections').execute();
  await db.deleteFrom('affected_imports').execute();
}
