// Frozen in time. Two changes to sign-in. The authenticator key offered during enrolment belongs to the sign-in attempt
// (the session), not the account, so a second attempt never sees the key the first was shown.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sessions').addColumn('pending_totp_box', 'text').execute();
  // Back-off doubles with each lock in a streak, counted apart from the attempts themselves.
  await db.schema
    .alterTable('sign_in_throttle')
    .addColumn('locks', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('sign_in_throttle').dropColumn('locks').execute();
  await db.schema.alterTable('sessions').dropColumn('pending_totp_box').execute();
}
