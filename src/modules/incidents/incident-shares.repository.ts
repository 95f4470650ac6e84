// The only SQL for what incident managers share with other organisations (an incident's enquiries).
import type { Kysely, Transaction } from 'kysely';
import type { DB, IncidentSharesTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;
export type ShareScope = IncidentSharesTable['scope'];

export interface IncidentShare {
  incidentId: string;
  ownerOrganisationId: string;
  organisationId: string;
  organisationName: string;
  scope: ShareScope;
  sharedByLabel: string;
  createdAt: string;
}

export async function listShares(db: Executor, incidentId: string): Promise<IncidentShare[]> {
  const rows = await db
    .selectFrom('incident_shares as s')
    .innerJoin('organisations as o', 'o.id', 's.organisation_id')
    .select([
      's.incident_id',
      's.owner_organisation_id',
      's.organisation_id',
      'o.name',
      's.scope',
      's.shared_by_label',
      's.created_at',
    ])
    .where('s.incident_id', '=', incidentId)
    .orderBy('s.created_at')
    .execute();
  return rows.map((r) => ({
    incidentId: r.incident_id,
    ownerOrganisationId: r.owner_organisation_id,
    organisationId: r.organisation_id,
    organisationName: r.name,
    scope: r.scope,
    sharedByLabel: r.shared_by_label,
    createdAt: r.created_at,
  }));
}

/** Adds a share; false when it exists already. */
export async function insertShare(db: Executor, row: IncidentSharesTable): Promise<boolean> {
  const inserted = await db
    .insertInto('incident_shares')
    .values(row)
    .onConflict((oc) => oc.columns(['incident_id', 'owner_organisation_id', 'organisation_id', 'scope']).doNothing())
    .returning('incident_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function deleteShare(
  db: Executor,
  key: { incidentId: string; ownerOrganisationId: string; organisationId: string; scope: ShareScope },
): Promise<boolean> {
  const result = await db
    .deleteFrom('incident_shares')
    .where('incident_id', '=', key.incidentId)
    .where('owner_organisation_id', '=', key.ownerOrganisationId)
    .where('organisation_id', '=', key.organisationId)
    .where('scope', '=', key.scope)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** The organisations a council's records of an incident are shared with, for one scope. */
export async function sharedWith(
  db: Executor,
  incidentId: string,
  ownerOrganisationId: string,
  scope: ShareScope,
): Promise<string[]> {
  const rows = await db
    .selectFrom('incident_shares')
    .select('organisation_id')
    .where('incident_id', '=', incidentId)
    .where('owner_organisation_id', '=', ownerOrganisationId)
    .where('scope', '=', scope)
    .execute();
  return rows.map((r) => r.organisation_id);
}

/** Which councils' records of which incidents are shared with these organisations, for one scope. */
export async function sharedToward(
  db: Executor,
  organisationIds: readonly string[],
  scope: ShareScope,
): Promise<Array<{ incidentId: string; ownerOrganisationId: string }>> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('incident_shares')
    .select(['incident_id', 'owner_organisation_id'])
    .where('organisation_id', 'in', organisationIds)
    .where('scope', '=', scope)
    .distinct()
    .execute();
  return rows.map((r) => ({ incidentId: r.incident_id, ownerOrganisationId: r.owner_organisation_id }));
}
