// Empties the queue between tests that share one database, so that jobs left by one test (say, a
// retry scheduled for later) are never claimed by the workers of the next.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.ts';

export async function clearJobs(db: Kysely<DB>): Promise<void> {
  await db.deleteFrom('job_effects').execute();
  await db.deleteFrom('jobs').execute();
}
