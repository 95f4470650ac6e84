// The only SQL for setting an incident up: adding, renaming and removing a council's services, its
// public contacts, the categories of data affected, and the organisations on the incident.
// Reading incidents, services and contacts stays in incidents.repository.ts.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, PublicContactsTable, ServicesTable } from '../../platform/db/schema.ts';
import type { PublicContact, Relationship } from './incidents.repository.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** A unique constraint refused the row (SQLite and PostgreSQL say so differently). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

export async function insertService(db: Executor, row: Selectable<ServicesTable>): Promise<void> {
  await db.insertInto('services').values(row).execute();
}

/** The slugs a council's services already use on an incident (a new one must differ). */
export async function serviceSlugs(db: Executor, incidentId: string, organisationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('services')
    .select('slug')
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .execute();
  return rows.map((r) => r.slug);
}

/**
 * Renames a service or moves it to another group, only if it still has the name and group the
 * caller read: two people changing it at once cannot overwrite each other unseen.
 */
export async function renameService(
  db: Executor,
  id: string,
  expected: { name: string; group: string },
  changes: { name: string; group: string },
  at: string,
): Promise<boolean> {
  const result = await db
    .updateTable('services')
    .set({ name: changes.name, service_group: changes.group, changed_at: at })
    .where('id', '=', id)
    .where('name', '=', expected.name)
    .where('service_group', '=', expected.group)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteService(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('services').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export interface StoredContact extends PublicContact {
  incidentId: string;
  position: number;
}

function toContact(row: Selectable<PublicContactsTable>): StoredContact {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    kind: row.kind,
    label: row.label,
    value: row.value,
    hours: row.hours,
    position: Number(row.position),
  };
}

export async function findContact(db: Executor, id: string): Promise<StoredContact | undefined> {
  const row = await db.selectFrom('public_contacts').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toContact(row) : undefined;
}

/** Every public contact on the incident, council by council, in the order residents see them. */
export async function listIncidentContacts(db: Executor, incidentId: string): Promise<StoredContact[]> {
  const rows = await db
    .selectFrom('public_contacts')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('organisation_id')
    .orderBy('position')
    .execute();
  return rows.map(toContact);
}

/** A new contact goes last in its council's list. */
export async function insertContactLast(
  db: Executor,
  row: Omit<Selectable<PublicContactsTable>, 'position'>,
): Promise<void> {
  const last = await db
    .selectFrom('public_contacts')
    .select((eb) => eb.fn.max('position').as('position'))
    .where('incident_id', '=', row.incident_id)
    .where('organisation_id', '=', row.organisation_id)
    .executeTakeFirst();
  const position = last?.position === null || last?.position === undefined ? 0 : Number(last.position) + 1;
  await db
    .insertInto('public_contacts')
    .values({ ...row, position })
    .execute();
}

type ContactFields = Pick<PublicContactsTable, 'kind' | 'label' | 'value' | 'hours'>;

/** Changes a contact only if it still reads as the caller saw it. */
export async function updateContact(
  db: Executor,
  id: string,
  expected: ContactFields,
  changes: ContactFields,
): Promise<boolean> {
  let query = db
    .updateTable('public_contacts')
    .set(changes)
    .where('id', '=', id)
    .where('kind', '=', expected.kind)
    .where('label', '=', expected.label)
    .where('value', '=', expected.value);
  query = expected.hours === null ? query.where('hours', 'is', null) : query.where('hours', '=', expected.hours);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteContact(db: Executor, id: string): Promise<boolean> {
  const result = await db.deleteFrom('public_contacts').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Replaces the categories of data affected only if they are still the list the caller saw. */
export async function replaceDataCategories(
  db: Executor,
  incidentId: string,
  expected: string[],
  categories: string[],
): Promise<boolean> {
  const result = await db
    .updateTable('incidents')
    .set({ data_categories: JSON.stringify(categories) })
    .where('id', '=', incidentId)
    .where('data_categories', '=', JSON.stringify(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Links an organisation; false if it was already linked that way. */
export async function addIncidentOrganisation(
  db: Executor,
  incidentId: string,
  organisationId: string,
  relationship: Relationship,
): Promise<boolean> {
  const inserted = await db
    .insertInto('incident_organisations')
    .values({ incident_id: incidentId, organisation_id: organisationId, relationship })
    .onConflict((oc) => oc.columns(['incident_id', 'organisation_id', 'relationship']).doNothing())
    .returning('organisation_id')
    .execute();
  return inserted.length === 1;
}

/** Unlinks an organisation from the incident in every role it had; returns how many links went. */
export async function removeIncidentOrganisation(
  db: Executor,
  incidentId: string,
  organisationId: string,
): Promise<number> {
  const result = await db
    .deleteFrom('incident_organisations')
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Takes the incident's row lock (PostgreSQL) or the write lock (SQLite) with an update that changes
 * nothing, so changes to who is on an incident happen one at a time and each sees the one before:
 * two people removing different councils at once cannot leave the incident with none.
 */
export async function lockIncident(db: Transaction<DB>, incidentId: string): Promise<boolean> {
  const result = await db
    .updateTable('incidents')
    .set((eb) => ({ lead_organisation_id: eb.ref('lead_organisation_id') }))
    .where('id', '=', incidentId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The organisations on the incident as stored now (call after lockIncident). */
export async function incidentLinks(
  db: Executor,
  incidentId: string,
): Promise<Array<{ organisationId: string; relationship: Relationship }>> {
  const rows = await db
    .selectFrom('incident_organisations')
    .select(['organisation_id', 'relationship'])
    .where('incident_id', '=', incidentId)
    .execute();
  return rows.map((r) => ({ organisationId: r.organisation_id, relationship: r.relationship }));
}

/** Hands the lead to another organisation, only if the lead is still the one the caller saw. */
export async function changeLead(db: Executor, incidentId: string, from: string, to: string): Promise<boolean> {
  const result = await db
    .updateTable('incidents')
    .set({ lead_organisation_id: to })
    .where('id', '=', incidentId)
    .where('lead_organisation_id', '=', from)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The lead organisation as stored now (inside a transaction, after other changes may have landed). */
export async function currentLead(db: Executor, incidentId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('incidents')
    .select('lead_organisation_id')
    .where('id', '=', incidentId)
    .executeTakeFirst();
  return row?.lead_organisation_id;
}
