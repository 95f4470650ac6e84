// The only SQL for the public content version: the counter every public change moves on.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

/** Call inside the transaction that changes anything a public page shows. */
export async function bumpPublicContentVersion(trx: Transaction<DB>): Promise<void> {
  await trx
    .updateTable('public_content_version')
    .set({ version: sql`version + 1` })
    .where('id', '=', 1)
    .execute();
}

export async function readPublicContentVersion(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('public_content_version')
    .select('version')
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  return Number(row.version);
}
