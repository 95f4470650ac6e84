// The only SQL for bulk replies: one row per bulk reply, and what became of each case in it.
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { DB, EnquiryBulkRepliesTable, EnquiryBulkReplyCasesTable } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type BulkOutcome = EnquiryBulkReplyCasesTable['outcome'];

export interface BulkReply {
  id: string;
  organisationId: string;
  templateVersionId: string;
  statusAfter: EnquiryBulkRepliesTable['status_after'];
  baseUrl: string;
  createdByUserId: string | null;
  createdByLabel: string;
  createdAt: string;
}

export interface BulkReplyCase {
  caseId: string;
  reference: string;
  outcome: BulkOutcome;
  reason: string | null;
  entryId: string | null;
}

function toBulkReply(row: Selectable<EnquiryBulkRepliesTable>): BulkReply {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    templateVersionId: row.template_version_id,
    statusAfter: row.status_after,
    baseUrl: row.base_url,
    createdByUserId: row.created_by_user_id,
    createdByLabel: row.created_by_label,
    createdAt: row.created_at,
  };
}

/** Stores a bulk reply; false if one with this id exists (the same confirmation sent twice). */
export async function insertBulkReply(db: Executor, row: Selectable<EnquiryBulkRepliesTable>): Promise<boolean> {
  const inserted = await db
    .insertInto('enquiry_bulk_replies')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function findBulkReply(db: Executor, id: string): Promise<BulkReply | undefined> {
  const row = await db.selectFrom('enquiry_bulk_replies').selectAll().where('id', '=', id).executeTakeFirst();
  return row && toBulkReply(row);
}

export async function insertBulkReplyCases(
  db: Executor,
  rows: ReadonlyArray<Selectable<EnquiryBulkReplyCasesTable>>,
): Promise<void> {
  // 100 rows of six values a statement stays far inside every driver's limit on bound values.
  for (let i = 0; i < rows.length; i += 100) {
    await db
      .insertInto('enquiry_bulk_reply_cases')
      .values(rows.slice(i, i + 100))
      .execute();
  }
}

/** Records what became of a queued case; false if it was no longer queued. */
export async function settleBulkReplyCase(
  db: Executor,
  key: { bulkReplyId: string; caseId: string },
  outcome: { outcome: 'sent' | 'skipped'; reason: string | null; entryId: string | null; at: string },
): Promise<boolean> {
  const result = await db
    .updateTable('enquiry_bulk_reply_cases')
    .set({ outcome: outcome.outcome, reason: outcome.reason, entry_id: outcome.entryId, updated_at: outcome.at })
    .where('bulk_reply_id', '=', key.bulkReplyId)
    .where('case_id', '=', key.caseId)
    .where('outcome', '=', 'queued')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function listBulkReplyCases(db: Executor, bulkReplyId: string): Promise<BulkReplyCase[]> {
  const rows = await db
    .selectFrom('enquiry_bulk_reply_cases as b')
    .innerJoin('enquiry_cases as c', 'c.id', 'b.case_id')
    .select(['b.case_id', 'c.reference', 'b.outcome', 'b.reason', 'b.entry_id'])
    .where('b.bulk_reply_id', '=', bulkReplyId)
    .orderBy('c.reference')
    .execute();
  return rows.map((r) => ({
    caseId: r.case_id,
    reference: r.reference,
    outcome: r.outcome,
    reason: r.reason,
    entryId: r.entry_id,
  }));
}

/** The council's latest bulk replies, newest first, with the template name and counts by outcome. */
export async function listBulkReplies(
  db: Executor,
  organisationIds: readonly string[],
  limit: number,
): Promise<Array<BulkReply & { templateName: string; counts: Record<BulkOutcome, number> }>> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('enquiry_bulk_replies as r')
    .innerJoin('reply_template_versions as v', 'v.id', 'r.template_version_id')
    .selectAll('r')
    .select('v.name as template_name')
    .where('r.organisation_id', 'in', organisationIds)
    .orderBy('r.created_at', 'desc')
    .limit(limit)
    .execute();
  if (rows.length === 0) return [];
  const counts = await db
    .selectFrom('enquiry_bulk_reply_cases')
    .select(['bulk_reply_id', 'outcome', (eb) => eb.fn.countAll().as('n')])
    .where(
      'bulk_reply_id',
      'in',
      rows.map((r) => r.id),
    )
    .groupBy(['bulk_reply_id', 'outcome'])
    .execute();
  return rows.map((row) => {
    const mine: Record<BulkOutcome, number> = { queued: 0, sent: 0, skipped: 0 };
    for (const c of counts) if (c.bulk_reply_id === row.id) mine[c.outcome] = Number(c.n);
    return { ...toBulkReply(row), templateName: row.template_name, counts: mine };
  });
}
