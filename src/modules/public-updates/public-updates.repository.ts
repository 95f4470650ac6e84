// The only SQL for public updates: the update, the councils it is addressed to, and its versions.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, PublicUpdatesTable, PublicUpdateVersionsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type VersionState = PublicUpdateVersionsTable['state'];

export interface PublicUpdate {
  id: string;
  incidentId: string;
  publishedVersionId: string | null;
  firstPublishedAt: string | null;
  lastPublishedAt: string | null;
  createdAt: string;
  updatedAt: string;
  councilIds: string[];
}

export interface UpdateVersion {
  id: string;
  updateId: string;
  number: number;
  state: VersionState;
  title: string;
  body: string;
  authorUserId: string | null;
  authorLabel: string;
  contributorIds: string[];
  createdAt: string;
  updatedAt: string;
  submittedAt: string | null;
  submittedByLabel: string | null;
  rejectedAt: string | null;
  rejectedByLabel: string | null;
  rejectionReason: string | null;
  approvedByLabel: string | null;
  publishedAt: string | null;
}

/** What residents see: the latest published version of an update. Plain data, safe to cache. */
export interface PublishedUpdate {
  id: string;
  incidentId: string;
  versionId: string;
  version: number;
  title: string;
  body: string;
  firstPublishedAt: string;
  lastPublishedAt: string;
  /** True once a correction has been published: the page then says "Updated". */
  corrected: boolean;
}

function toUpdate(row: Selectable<PublicUpdatesTable>, councilIds: string[]): PublicUpdate {
  return {
    id: row.id,
    incidentId: row.incident_id,
    publishedVersionId: row.published_version_id,
    firstPublishedAt: row.first_published_at,
    lastPublishedAt: row.last_published_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    councilIds,
  };
}

function toVersion(row: Selectable<PublicUpdateVersionsTable>): UpdateVersion {
  return {
    id: row.id,
    updateId: row.update_id,
    // PostgreSQL may hand integers back as strings through some drivers; normalise here.
    number: Number(row.version_number),
    state: row.state,
    title: row.title,
    body: row.body,
    authorUserId: row.author_user_id,
    authorLabel: row.author_label,
    contributorIds: JSON.parse(row.contributor_ids) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    submittedAt: row.submitted_at,
    submittedByLabel: row.submitted_by_label,
    rejectedAt: row.rejected_at,
    rejectedByLabel: row.rejected_by_label,
    rejectionReason: row.rejection_reason,
    approvedByLabel: row.approved_by_label,
    publishedAt: row.published_at,
  };
}

async function councilsOf(db: Executor, updateIds: string[]): Promise<Map<string, string[]>> {
  const byUpdate = new Map<string, string[]>();
  if (updateIds.length === 0) return byUpdate;
  const rows = await db
    .selectFrom('public_update_councils')
    .select(['update_id', 'organisation_id'])
    .where('update_id', 'in', updateIds)
    .orderBy('organisation_id')
    .execute();
  for (const r of rows) byUpdate.set(r.update_id, [...(byUpdate.get(r.update_id) ?? []), r.organisation_id]);
  return byUpdate;
}

export async function insertUpdate(
  db: Executor,
  row: Selectable<PublicUpdatesTable>,
  councilIds: string[],
): Promise<void> {
  await db.insertInto('public_updates').values(row).execute();
  await replaceCouncils(db, row.id, councilIds);
}

export async function replaceCouncils(db: Executor, updateId: string, councilIds: string[]): Promise<void> {
  await db.deleteFrom('public_update_councils').where('update_id', '=', updateId).execute();
  if (councilIds.length) {
    await db
      .insertInto('public_update_councils')
      .values(councilIds.map((organisation_id) => ({ update_id: updateId, organisation_id })))
      .execute();
  }
}

export async function findUpdate(db: Executor, id: string): Promise<PublicUpdate | undefined> {
  const row = await db.selectFrom('public_updates').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toUpdate(row, (await councilsOf(db, [row.id])).get(row.id) ?? []) : undefined;
}

export async function listUpdatesForIncident(db: Executor, incidentId: string): Promise<PublicUpdate[]> {
  const rows = await db
    .selectFrom('public_updates')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  const councils = await councilsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toUpdate(r, councils.get(r.id) ?? []));
}

export async function touchUpdate(db: Executor, id: string, at: string): Promise<void> {
  await db.updateTable('public_updates').set({ updated_at: at }).where('id', '=', id).execute();
}

export async function markPublished(db: Executor, updateId: string, versionId: string, at: string): Promise<void> {
  const current = await db
    .selectFrom('public_updates')
    .select('first_published_at')
    .where('id', '=', updateId)
    .executeTakeFirstOrThrow();
  await db
    .updateTable('public_updates')
    .set({
      published_version_id: versionId,
      first_published_at: current.first_published_at ?? at,
      last_published_at: at,
      updated_at: at,
    })
    .where('id', '=', updateId)
    .execute();
}

export async function insertVersion(db: Executor, row: Selectable<PublicUpdateVersionsTable>): Promise<void> {
  await db.insertInto('public_update_versions').values(row).execute();
}

/** Every version of each update, oldest first. */
export async function listVersions(db: Executor, updateIds: string[]): Promise<UpdateVersion[]> {
  if (updateIds.length === 0) return [];
  const rows = await db
    .selectFrom('public_update_versions')
    .selectAll()
    .where('update_id', 'in', updateIds)
    .orderBy('update_id')
    .orderBy('version_number')
    .execute();
  return rows.map(toVersion);
}

export type VersionChanges = Partial<
  Omit<Selectable<PublicUpdateVersionsTable>, 'id' | 'update_id' | 'version_number' | 'created_at'>
>;

/**
 * Changes a version only if it is still in the state (and, if given, at the last-changed time) the
 * caller saw: two people acting at once cannot both approve, or approve text they did not see.
 */
export async function changeVersion(
  db: Executor,
  versionId: string,
  expected: { state: VersionState; updatedAt?: string },
  changes: VersionChanges,
): Promise<boolean> {
  let query = db
    .updateTable('public_update_versions')
    .set(changes)
    .where('id', '=', versionId)
    .where('state', '=', expected.state);
  if (expected.updatedAt) query = query.where('updated_at', '=', expected.updatedAt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Published updates addressed to a council, newest publication first. */
export async function listPublished(
  db: Executor,
  filter: { councilId: string; incidentId?: string; updateId?: string; limit?: number },
): Promise<PublishedUpdate[]> {
  let query = db
    .selectFrom('public_updates as u')
    .innerJoin('public_update_councils as c', 'c.update_id', 'u.id')
    .innerJoin('public_update_versions as v', 'v.id', 'u.published_version_id')
    .select([
      'u.id as id',
      'u.incident_id as incident_id',
      'v.id as version_id',
      'v.version_number as version_number',
      'v.title as title',
      'v.body as body',
      'u.first_published_at as first_published_at',
      'u.last_published_at as last_published_at',
    ])
    .where('c.organisation_id', '=', filter.councilId);
  if (filter.incidentId) query = query.where('u.incident_id', '=', filter.incidentId);
  if (filter.updateId) query = query.where('u.id', '=', filter.updateId);
  query = query.orderBy('u.first_published_at', 'desc').orderBy('u.id', 'desc');
  if (filter.limit !== undefined) query = query.limit(filter.limit);
  const rows = await query.execute();
  return rows.map((r) => ({
    id: r.id,
    incidentId: r.incident_id,
    versionId: r.version_id,
    version: Number(r.version_number),
    title: r.title,
    body: r.body,
    firstPublishedAt: r.first_published_at ?? '',
    lastPublishedAt: r.last_published_at ?? '',
    // Only a correction makes a second version (a rejection sends the same version back to draft).
    corrected: Number(r.version_number) > 1,
  }));
}
