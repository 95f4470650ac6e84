// The only SQL for scam warnings. Every change names the state (and, for sign-off, the last change)
// the caller saw, so two people acting at once cannot both succeed.
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { DB, ScamWarningsTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type ScamWarningState = ScamWarningsTable['state'];

export interface ScamWarning {
  id: string;
  incidentId: string;
  organisationId: string;
  campaignId: string | null;
  state: ScamWarningState;
  title: string;
  summary: string;
  howToSpot: string;
  whatToDo: string;
  authorUserId: string | null;
  authorLabel: string;
  contributorIds: string[];
  createdAt: string;
  updatedAt: string;
  sentBackAt: string | null;
  sentBackByLabel: string | null;
  sentBackReason: string | null;
  approvedByLabel: string | null;
  publishedAt: string | null;
  withdrawnAt: string | null;
  withdrawnByLabel: string | null;
  withdrawalReason: string | null;
}

/** What residents see: a published warning, as plain data. */
export interface PublishedScamWarning {
  id: string;
  title: string;
  summary: string;
  howToSpot: string;
  whatToDo: string;
  publishedAt: string;
}

function toWarning(row: ScamWarningsTable): ScamWarning {
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    campaignId: row.campaign_id,
    state: row.state,
    title: row.title,
    summary: row.summary,
    howToSpot: row.how_to_spot,
    whatToDo: row.what_to_do,
    authorUserId: row.author_user_id,
    authorLabel: row.author_label,
    contributorIds: JSON.parse(row.contributor_ids) as string[],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    sentBackAt: row.sent_back_at,
    sentBackByLabel: row.sent_back_by_label,
    sentBackReason: row.sent_back_reason,
    approvedByLabel: row.approved_by_label,
    publishedAt: row.published_at,
    withdrawnAt: row.withdrawn_at,
    withdrawnByLabel: row.withdrawn_by_label,
    withdrawalReason: row.withdrawal_reason,
  };
}

export async function insertWarning(db: Executor, row: ScamWarningsTable): Promise<void> {
  await db.insertInto('scam_warnings').values(row).execute();
}

export async function findWarning(db: Executor, id: string): Promise<ScamWarning | undefined> {
  const row = await db.selectFrom('scam_warnings').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toWarning(row) : undefined;
}

export async function listWarningsForIncident(
  db: Executor,
  incidentId: string,
  councilIds: string[],
): Promise<ScamWarning[]> {
  if (councilIds.length === 0) return [];
  const rows = await db
    .selectFrom('scam_warnings')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('organisation_id', 'in', councilIds)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(toWarning);
}

/**
 * Changes a warning if it is still in one of `from` states (and, when given, last changed at
 * `updatedAt`). Returns whether it changed.
 */
export async function changeWarning(
  db: Executor,
  id: string,
  expected: { from: ScamWarningState[]; updatedAt?: string },
  changes: Updateable<ScamWarningsTable>,
): Promise<boolean> {
  let query = db.updateTable('scam_warnings').set(changes).where('id', '=', id).where('state', 'in', expected.from);
  if (expected.updatedAt !== undefined) query = query.where('updated_at', '=', expected.updatedAt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The council's published warnings for an incident, newest first. */
export async function listPublishedWarnings(
  db: Executor,
  councilId: string,
  incidentId: string,
): Promise<PublishedScamWarning[]> {
  const rows = await db
    .selectFrom('scam_warnings')
    .select(['id', 'title', 'summary', 'how_to_spot', 'what_to_do', 'published_at'])
    .where('organisation_id', '=', councilId)
    .where('incident_id', '=', incidentId)
    .where('state', '=', 'published')
    .orderBy('published_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    title: r.title,
    summary: r.summary,
    howToSpot: r.how_to_spot,
    whatToDo: r.what_to_do,
    publishedAt: r.published_at as string,
  }));
}

export async function campaignBelongsTo(db: Executor, campaignId: string, councilId: string): Promise<boolean> {
  const row = await db
    .selectFrom('report_campaigns')
    .select('id')
    .where('id', '=', campaignId)
    .where('organisation_id', '=', councilId)
    .executeTakeFirst();
  return row !== undefined;
}
