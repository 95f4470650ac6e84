// A scratch table, created only in test databases, where test handlers record each time they
// change something. Counting its rows shows whether a change was made once, twice or not at all,
// independently of the job_effects ledger that the queue itself keeps.
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../db/schema.ts';
import { newId, nowIso } from '../../ids.ts';

interface EffectLogTable {
  id: string;
  job_id: string;
  worker_id: string;
  attempt: number;
  applied_at: string;
}

type WithEffectLog = { test_job_effect_log: EffectLogTable };

export interface LoggedEffect {
  jobId: string;
  workerId: string;
  attempt: number;
  appliedAt: string;
}

export async function createEffectLog(db: Kysely<DB>): Promise<void> {
  await db.schema
    .createTable('test_job_effect_log')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .addColumn('worker_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('applied_at', 'text', (c) => c.notNull())
    .execute();
}

export async function logEffect(
  executor: Kysely<DB> | Transaction<DB>,
  effect: { jobId: string; workerId: string; attempt: number },
): Promise<void> {
  await executor
    .withTables<WithEffectLog>()
    .insertInto('test_job_effect_log')
    .values({
      id: newId(),
      job_id: effect.jobId,
      worker_id: effect.workerId,
      attempt: effect.attempt,
      applied_at: nowIso(),
    })
    .execute();
}

export async function readEffectLog(db: Kysely<DB>, jobId?: string): Promise<LoggedEffect[]> {
  let query = db.withTables<WithEffectLog>().selectFrom('test_job_effect_log').selectAll();
  if (jobId !== undefined) query = query.where('job_id', '=', jobId);
  const rows = await query.orderBy('applied_at').orderBy('id').execute();
  return rows.map((row) => ({
    jobId: row.job_id,
    workerId: row.worker_id,
    attempt: Number(row.attempt),
    appliedAt: row.applied_at,
  }));
}
