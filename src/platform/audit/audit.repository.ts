// The only SQL for the audit log. It has insert and select, and deliberately no update or delete
// of events: the log is append-only.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { AuditEventRow, DB } from '../db/schema.ts';
import { toCount } from '../db/database.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/**
 * Moves the chain head one step on, under the head row's lock (PostgreSQL) or the write lock
 * (SQLite), and returns the new sequence number with the previous hash.
 */
export async function advanceHead(trx: Transaction<DB>): Promise<{ seq: number; prevHash: string }> {
  const head = await trx
    .updateTable('audit_head')
    .set({ seq: sql`seq + 1` })
    .where('id', '=', 1)
    .returning(['seq', 'hash'])
    .executeTakeFirstOrThrow();
  return { seq: Number(head.seq), prevHash: head.hash };
}

export async function insertEvent(trx: Transaction<DB>, row: AuditEventRow): Promise<void> {
  await trx.insertInto('audit_events').values(row).execute();
  await trx.updateTable('audit_head').set({ hash: row.hash }).where('id', '=', 1).execute();
}

export interface AuditFilter {
  action?: string | undefined;
  actorUserId?: string | undefined;
  organisationId?: string | undefined;
  targetType?: string | undefined;
  targetId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /**
   * Only events about these organisations: those recorded against them, and those done by or to
   * their staff. Absent means every event (for the CLI and platform operators).
   */
  visibleTo?: string[] | undefined;
}

export async function findEvents(
  db: Executor,
  filter: AuditFilter,
  page: { limit: number; offset: number },
): Promise<{ rows: AuditEventRow[]; total: number }> {
  let query = db.selectFrom('audit_events');
  if (filter.visibleTo) {
    if (filter.visibleTo.length === 0) return { rows: [], total: 0 };
    const orgs = filter.visibleTo;
    const staff = db.selectFrom('memberships').select('user_id').where('organisation_id', 'in', orgs);
    query = query.where((eb) =>
      eb.or([
        eb('organisation_id', 'in', orgs),
        eb('actor_user_id', 'in', staff),
        eb.and([eb('target_type', '=', 'user'), eb('target_id', 'in', staff)]),
      ]),
    );
  }
  if (filter.action) query = query.where('action', 'like', `${filter.action}%`);
  if (filter.actorUserId) query = query.where('actor_user_id', '=', filter.actorUserId);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.targetType) query = query.where('target_type', '=', filter.targetType);
  if (filter.targetId) query = query.where('target_id', '=', filter.targetId);
  if (filter.from) query = query.where('occurred_at', '>=', filter.from);
  if (filter.to) query = query.where('occurred_at', '<', filter.to);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('seq', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows: rows.map(normaliseRow), total: toCount(count.n) };
}

/** Reads the whole chain in order, a batch at a time, for verification. */
export async function* streamChain(db: Executor, batchSize = 1000): AsyncGenerator<AuditEventRow> {
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_events')
      .selectAll()
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    for (const row of rows) yield normaliseRow(row);
    if (rows.length < batchSize) return;
    after = Number(rows[rows.length - 1]?.seq);
  }
}

export async function readHead(db: Executor): Promise<{ seq: number; hash: string }> {
  const head = await db.selectFrom('audit_head').select(['seq', 'hash']).where('id', '=', 1).executeTakeFirstOrThrow();
  return { seq: Number(head.seq), hash: head.hash };
}

function normaliseRow(row: AuditEventRow): AuditEventRow {
  // PostgreSQL returns bigint as a string.
  return { ...row, seq: Number(row.seq) };
}
