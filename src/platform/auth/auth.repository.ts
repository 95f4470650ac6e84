// The only SQL for staff sessions and the sign-in throttle.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, SessionRow } from '../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export async function insertSession(db: Executor, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findLiveSession(db: Executor, id: string, at: string): Promise<SessionRow | undefined> {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('idle_expires_at', '>', at)
    .where('absolute_expires_at', '>', at)
    .executeTakeFirst();
}

export async function touchSession(db: Executor, id: string, at: string, idleExpiresAt: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: at, idle_expires_at: idleExpiresAt })
    .where('id', '=', id)
    .execute();
}

export async function revokeSession(db: Executor, id: string, at: string): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .execute();
}

export async function revokeSessionsOfUser(db: Executor, userId: string, at: string): Promise<number> {
  const result = await db
    .updateTable('sessions')
    .set({ revoked_at: at })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countLiveSessionsOfUser(db: Executor, userId: string, at: string): Promise<number> {
  const rows = await db
    .selectFrom('sessions')
    .select('id')
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('stage', '=', 'active')
    .where('idle_expires_at', '>', at)
    .where('absolute_expires_at', '>', at)
    .execute();
  return rows.length;
}

export async function deleteExpiredSessions(db: Executor, before: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('absolute_expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export interface ThrottleState {
  failures: number;
  firstFailureAt: string;
  lockedUntil: string | null;
}

export async function readThrottle(db: Executor, key: string): Promise<ThrottleState | undefined> {
  const row = await db.selectFrom('sign_in_throttle').selectAll().where('key', '=', key).executeTakeFirst();
  return row
    ? { failures: row.failures, firstFailureAt: row.first_failure_at, lockedUntil: row.locked_until }
    : undefined;
}

export async function setPendingTotp(db: Executor, sessionId: string, box: string): Promise<void> {
  await db.updateTable('sessions').set({ pending_totp_box: box }).where('id', '=', sessionId).execute();
}

/**
 * Counts one attempt against `key` in a single statement (safe under concurrent requests on both
 * databases). A count older than `freshAfter` with no lock starts again from one; once a lock has
 * expired the count stands at `limit`, so one more try is allowed before the next lock.
 */
export async function countAttempt(
  db: Executor,
  key: string,
  o: { at: string; freshAfter: string; limit: number },
): Promise<ThrottleState & { locks: number }> {
  const fresh = sql<boolean>`sign_in_throttle.locked_until is null and sign_in_throttle.first_failure_at < ${o.freshAfter}`;
  const expired = sql<boolean>`sign_in_throttle.locked_until is not null and sign_in_throttle.locked_until <= ${o.at}`;
  const row = await db
    .insertInto('sign_in_throttle')
    .values({ key, failures: 1, first_failure_at: o.at, locked_until: null, locks: 0 })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql<number>`case when ${fresh} then 1 when ${expired} then ${o.limit} else sign_in_throttle.failures + 1 end`,
        first_failure_at: sql<string>`case when ${fresh} then ${o.at} else sign_in_throttle.first_failure_at end`,
        locks: sql<number>`case when ${fresh} then 0 else sign_in_throttle.locks end`,
        locked_until: sql<string | null>`case when ${expired} then null else sign_in_throttle.locked_until end`,
      }),
    )
    .returning(['failures', 'first_failure_at', 'locked_until', 'locks'])
    .executeTakeFirstOrThrow();
  return {
    failures: Number(row.failures),
    firstFailureAt: row.first_failure_at,
    lockedUntil: row.locked_until,
    locks: Number(row.locks),
  };
}

/** A counted attempt turned out right: it does not count against the limit. */
export async function refundAttempt(db: Executor, key: string): Promise<void> {
  await db
    .updateTable('sign_in_throttle')
    .set({ failures: sql<number>`failures - 1` })
    .where('key', '=', key)
    .where('failures', '>', 0)
    .execute();
}

export async function lockThrottle(db: Executor, key: string, until: string): Promise<void> {
  await db
    .updateTable('sign_in_throttle')
    .set({ locked_until: until, locks: sql<number>`locks + 1` })
    .where('key', '=', key)
    .execute();
}

export async function clearThrottle(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('sign_in_throttle').where('key', '=', key).execute();
}

/** Forgets failures that have neither led to a lock still in force nor happened recently. */
export async function deleteStaleThrottles(db: Executor, before: string): Promise<number> {
  const result = await db
    .deleteFrom('sign_in_throttle')
    .where('first_failure_at', '<', before)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', before)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
