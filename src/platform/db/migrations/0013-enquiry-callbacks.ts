// Frozen in time. A helpline call can end with a promise to call back: when it is due is kept on
// the case, so the queue can show callbacks that are due.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('enquiry_cases').addColumn('callback_due_at', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('enquiry_cases').dropColumn('callback_due_at').execute();
}
