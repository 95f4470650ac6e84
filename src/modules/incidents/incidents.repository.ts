// The only SQL for incidents, their organisations, public contacts, services and timeline.
import type { Kysely, Transaction } from 'kysely';
import { sqliteReads } from '../../platform/db/database.ts';
import type {
  DB,
  IncidentsTable,
  PublicContactsTable,
  ServicesTable,
  TimelineEntriesTable,
} from '../../platform/db/schema.ts';
import type { Selectable } from 'kysely';

type Executor = Kysely<DB> | Transaction<DB>;

export type IncidentStatus = IncidentsTable['status'];
export type Severity = IncidentsTable['severity'];
export type ServiceStatus = ServicesTable['status'];
export type Relationship = 'affected' | 'investigating' | 'provider';

export interface Incident {
  id: string;
  reference: string;
  title: string;
  status: IncidentStatus;
  severity: Severity;
  leadOrganisationId: string;
  detectedAt: string;
  declaredAt: string | null;
  summary: string;
  dataAffected: string;
  dataCategories: string[];
  advice: string;
  restorationOutlook: string;
  createdAt: string;
  updatedAt: string;
  organisations: Array<{ organisationId: string; relationship: Relationship }>;
}

export interface PublicContact {
  id: string;
  organisationId: string;
  kind: PublicContactsTable['kind'];
  label: string;
  value: string;
  hours: string | null;
}

export interface Service {
  id: string;
  incidentId: string;
  organisationId: string;
  slug: string;
  name: string;
  group: string;
  status: ServiceStatus;
  workaround: string;
  expectedRestoration: string | null;
  changedAt: string;
}

export interface TimelineEntry {
  id: string;
  incidentId: string;
  organisationId: string | null;
  kind: TimelineEntriesTable['kind'];
  occurredAt: string;
  title: string;
  body: string;
  details: Record<string, unknown>;
  authorUserId: string | null;
  authorLabel: string;
}

function toIncident(row: Selectable<IncidentsTable>, organisations: Incident['organisations']): Incident {
  return {
    id: row.id,
    reference: row.reference,
    title: row.title,
    status: row.status,
    severity: row.severity,
    leadOrganisationId: row.lead_organisation_id,
    detectedAt: row.detected_at,
    declaredAt: row.declared_at,
    summary: row.summary,
    dataAffected: row.data_affected,
    dataCategories: JSON.parse(row.data_categories) as string[],
    advice: row.advice,
    restorationOutlook: row.restoration_outlook,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    organisations,
  };
}

function toService(row: Selectable<ServicesTable>): Service {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    slug: row.slug,
    name: row.name,
    group: row.service_group,
    status: row.status,
    workaround: row.workaround,
    expectedRestoration: row.expected_restoration,
    changedAt: row.changed_at,
  };
}

function toTimelineEntry(row: Selectable<TimelineEntriesTable>): TimelineEntry {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    kind: row.kind,
    occurredAt: row.occurred_at,
    title: row.title,
    body: row.body,
    details: JSON.parse(row.details) as Record<string, unknown>,
    authorUserId: row.author_user_id,
    authorLabel: row.author_label,
  };
}

async function organisationsOf(db: Executor, incidentIds: string[]) {
  if (incidentIds.length === 0) return [];
  return db
    .selectFrom('incident_organisations')
    .select(['incident_id', 'organisation_id', 'relationship'])
    .where('incident_id', 'in', incidentIds)
    .execute();
}

async function withOrganisations(db: Executor, rows: Array<Selectable<IncidentsTable>>): Promise<Incident[]> {
  const links = await organisationsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) =>
    toIncident(
      row,
      links
        .filter((l) => l.incident_id === row.id)
        .map((l) => ({ organisationId: l.organisation_id, relationship: l.relationship })),
    ),
  );
}

export async function insertIncident(db: Executor, row: Selectable<IncidentsTable>): Promise<void> {
  await db.insertInto('incidents').values(row).execute();
}

export async function linkOrganisation(
  db: Executor,
  incidentId: string,
  organisationId: string,
  relationship: Relationship,
): Promise<void> {
  await db
    .insertInto('incident_organisations')
    .values({ incident_id: incidentId, organisation_id: organisationId, relationship })
    .onConflict((oc) => oc.columns(['incident_id', 'organisation_id', 'relationship']).doNothing())
    .execute();
}

export async function findIncident(db: Executor, id: string): Promise<Incident | undefined> {
  const row = await db.selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? (await withOrganisations(db, [row]))[0] : undefined;
}

/** Incidents linked to any of the organisations, newest first. */
export async function listIncidentsFor(db: Executor, organisationIds: string[]): Promise<Incident[]> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('incidents')
    .selectAll()
    .where('id', 'in', (qb) =>
      qb.selectFrom('incident_organisations').select('incident_id').where('organisation_id', 'in', organisationIds),
    )
    .orderBy('detected_at', 'desc')
    .execute();
  return withOrganisations(db, rows);
}

/** The newest incident that affects a council, as a query to choose columns of. */
function incidentsAffecting(db: Executor, councilId: string) {
  return db
    .selectFrom('incidents')
    .where('id', 'in', (qb) =>
      qb
        .selectFrom('incident_organisations')
        .select('incident_id')
        .where('organisation_id', '=', councilId)
        .where('relationship', '=', 'affected'),
    )
    .orderBy('detected_at', 'desc')
    .limit(1);
}

/** The incident a council's public page shows: the newest one that affects it. */
export async function findCurrentIncidentForCouncil(db: Executor, councilId: string): Promise<Incident | undefined> {
  const row = await incidentsAffecting(db, councilId).selectAll().executeTakeFirst();
  return row ? (await withOrganisations(db, [row]))[0] : undefined;
}

const SQLITE_CURRENT_INCIDENT_ID = `select id from incidents where id in (select incident_id from incident_organisations
  where organisation_id = ? and relationship = 'affected') order by detected_at desc limit 1`;

/** The id of the council's current incident (as findCurrentIncidentForCouncil), for a hot path. */
export async function findCurrentIncidentIdForCouncil(db: Executor, councilId: string): Promise<string | undefined> {
  const reads = sqliteReads(db);
  if (reads) return reads.get<{ id: string }>(SQLITE_CURRENT_INCIDENT_ID, councilId)?.id;
  return (await incidentsAffecting(db, councilId).select('id').executeTakeFirst())?.id;
}

export type IncidentRecordChanges = Pick<
  IncidentsTable,
  'title' | 'status' | 'severity' | 'summary' | 'data_affected' | 'advice' | 'restoration_outlook'
>;

export async function updateIncidentRecord(
  db: Executor,
  id: string,
  changes: IncidentRecordChanges,
  at: string,
): Promise<void> {
  await db
    .updateTable('incidents')
    .set({ ...changes, updated_at: at })
    .where('id', '=', id)
    .execute();
}

export async function insertContacts(db: Executor, rows: Array<Selectable<PublicContactsTable>>): Promise<void> {
  if (rows.length) await db.insertInto('public_contacts').values(rows).execute();
}

export async function listContacts(db: Executor, incidentId: string, organisationId: string): Promise<PublicContact[]> {
  const rows = await db
    .selectFrom('public_contacts')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', '=', organisationId)
    .orderBy('position')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    organisationId: r.organisation_id,
    kind: r.kind,
    label: r.label,
    value: r.value,
    hours: r.hours,
  }));
}

export async function insertServices(db: Executor, rows: Array<Selectable<ServicesTable>>): Promise<void> {
  if (rows.length) await db.insertInto('services').values(rows).execute();
}

export async function listServices(db: Executor, incidentId: string, organisationId?: string): Promise<Service[]> {
  let query = db.selectFrom('services').selectAll().where('incident_id', '=', incidentId);
  if (organisationId) query = query.where('organisation_id', '=', organisationId);
  return (await query.orderBy('service_group').orderBy('name').execute()).map(toService);
}

export async function findService(db: Executor, id: string): Promise<Service | undefined> {
  const row = await db.selectFrom('services').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toService(row) : undefined;
}

export async function updateServiceStatus(
  db: Executor,
  id: string,
  changes: Pick<ServicesTable, 'status' | 'workaround' | 'expected_restoration'>,
  at: string,
): Promise<void> {
  await db
    .updateTable('services')
    .set({ ...changes, changed_at: at })
    .where('id', '=', id)
    .execute();
}

export async function insertTimelineEntry(db: Executor, row: Selectable<TimelineEntriesTable>): Promise<void> {
  await db.insertInto('timeline_entries').values(row).execute();
}

export async function listTimeline(db: Executor, incidentId: string): Promise<TimelineEntry[]> {
  const rows = await db
    .selectFrom('timeline_entries')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('occurred_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toTimelineEntry);
}
