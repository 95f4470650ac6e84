// The only SQL for staff sessions and the sign-in throttle.
import type { Kysely, Transaction } from 'kysely';
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

export async function writeThrottle(db: Executor, key: string, state: ThrottleState): Promise<void> {
  await db
    .insertInto('sign_in_throttle')
    .values({ key, failures: state.failures, first_failure_at: state.firstFailureAt, locked_until: state.lockedUntil })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: state.failures,
        first_failure_at: state.firstFailureAt,
        locked_until: state.lockedUntil,
      }),
    )
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
