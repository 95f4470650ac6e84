// The timeline queries the incidents repository lacks: filtering by kind and time, reading one
// entry, and changing an action's details when it is marked done. Only the timeline_entries table.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, TimelineEntriesTable } from '../../platform/db/schema.ts';
import type { TimelineEntry } from '../incidents/incidents.repository.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type TimelineKind = TimelineEntriesTable['kind'];

export interface TimelineFilter {
  kinds?: readonly TimelineKind[];
  /** Entries that happened at or after this instant (UTC ISO-8601). */
  from?: string;
  /** Entries that happened before this instant (UTC ISO-8601). */
  before?: string;
  order: 'newest-first' | 'oldest-first';
}

function toTimelineEntry(row: Selectable<TimelineEntriesTable>): TimelineEntry {
  const details: unknown = JSON.parse(row.details);
  return {
    id: row.id,
    incidentId: row.incident_id,
    organisationId: row.organisation_id,
    kind: row.kind,
    occurredAt: row.occurred_at,
    title: row.title,
    body: row.body,
    details: details && typeof details === 'object' ? (details as Record<string, unknown>) : {},
    authorUserId: row.author_user_id,
    authorLabel: row.author_label,
  };
}

export async function findTimelineEntries(
  db: Executor,
  incidentId: string,
  filter: TimelineFilter,
): Promise<TimelineEntry[]> {
  let query = db.selectFrom('timeline_entries').selectAll().where('incident_id', '=', incidentId);
  if (filter.kinds?.length) query = query.where('kind', 'in', [...filter.kinds]);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.before) query = query.where('occurred_at', '<', filter.before);
  const direction = filter.order === 'newest-first' ? 'desc' : 'asc';
  // The id breaks ties between entries recorded at the same instant; UUIDv7 ids sort by creation.
  const rows = await query.orderBy('occurred_at', direction).orderBy('id', direction).execute();
  return rows.map(toTimelineEntry);
}

export async function findTimelineEntry(
  db: Executor,
  incidentId: string,
  entryId: string,
): Promise<TimelineEntry | undefined> {
  const row = await db
    .selectFrom('timeline_entries')
    .selectAll()
    .where('incident_id', '=', incidentId)
    .where('id', '=', entryId)
    .executeTakeFirst();
  return row ? toTimelineEntry(row) : undefined;
}

/**
 * Replaces an entry's details only if they are still what the caller read, so two people marking
 * the same action done at once record it once. Returns whether this call made the change. Details
 * are always written with JSON.stringify, so the stored text of what was read is its stringify.
 */
export async function replaceTimelineDetails(
  db: Executor,
  entryId: string,
  expected: Record<string, unknown>,
  details: Record<string, unknown>,
): Promise<boolean> {
  const result = await db
    .updateTable('timeline_entries')
    .set({ details: JSON.stringify(details) })
    .where('id', '=', entryId)
    .where('details', '=', JSON.stringify(expected))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
