// The only SQL for the job queue: the `jobs` table and the `job_effects` ledger. Every write made
// on behalf of a running job names the lease it holds (`lease_owner`), so a worker that lost its
// lease (it stalled, and another worker took the job over) can no longer change the job.
import {
  sql,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type Transaction,
  type UpdateQueryBuilder,
} from 'kysely';
import { sqliteTransaction, toCount, type Dialect } from '../db/database.ts';
import type { DB, JobRow, JobsTable } from '../db/schema.ts';
import { isoPlus } from '../ids.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type JobStatus = JobsTable['status'];

export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'succeeded', 'dead'];

export interface Job {
  id: string;
  kind: string;
  payload: unknown;
  idempotencyKey: string | null;
  organisationId: string | null;
  status: JobStatus;
  /** How many times a worker has claimed the job, the current run included. */
  attempts: number;
  maxAttempts: number;
  runAt: string;
  /** The lease of the worker running the job; on a finished job, the one that last ran it. */
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  lastError: string | null;
  progressDone: number;
  progressTotal: number | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

export interface NewJob {
  id: string;
  kind: string;
  /** Already serialised: the caller checks its size before it reaches the database. */
  payloadJson: string;
  idempotencyKey: string | null;
  organisationId: string | null;
  runAt: string;
  maxAttempts: number;
  now: string;
}

/** A write on behalf of a running job: only the holder of the lease may make it. */
export interface LeaseHolder {
  id: string;
  leaseOwner: string;
  now: string;
}

// Hand-prepared on SQLite, where every web-form submission queues its acknowledgement through it
// (see sqliteTransaction).
const SQLITE_INSERT_JOB = `insert into jobs (id, kind, payload, idempotency_key, organisation_id, status, attempts,
  max_attempts, run_at, lease_owner, lease_expires_at, last_error, progress_done, progress_total, created_at, updated_at,
  finished_at)
  values (?, ?, ?, ?, ?, 'queued', 0, ?, ?, null, null, null, 0, null, ?, ?, null)
  on conflict (idempotency_key) do nothing`;

/**
 * Inserts a job unless one with the same idempotency key exists, and returns the id of the job
 * that now holds the key. `created` is false when the job already existed.
 */
export async function insertJob(db: Executor, job: NewJob): Promise<{ id: string; created: boolean }> {
  const sqlite = sqliteTransaction(db);
  const created = sqlite
    ? sqlite
        .prepare(SQLITE_INSERT_JOB)
        .run(
          job.id,
          job.kind,
          job.payloadJson,
          job.idempotencyKey,
          job.organisationId,
          job.maxAttempts,
          job.runAt,
          job.now,
          job.now,
        ).changes > 0
    : (await db
        .insertInto('jobs')
        .values({
          id: job.id,
          kind: job.kind,
          payload: job.payloadJson,
          idempotency_key: job.idempotencyKey,
          organisation_id: job.organisationId,
          status: 'queued',
          attempts: 0,
          max_attempts: job.maxAttempts,
          run_at: job.runAt,
          lease_owner: null,
          lease_expires_at: null,
          last_error: null,
          progress_done: 0,
          progress_total: null,
          created_at: job.now,
          updated_at: job.now,
          finished_at: null,
        })
        .onConflict((conflict) => conflict.column('idempotency_key').doNothing())
        .returning('id')
        .executeTakeFirst()) !== undefined;
  if (created) return { id: job.id, created: true };

  // Only an idempotency key can conflict (ids are fresh UUIDv7s), so the key is set here.
  const existing = await db
    .selectFrom('jobs')
    .select('id')
    .where('idempotency_key', '=', job.idempotencyKey)
    .executeTakeFirst();
  if (!existing) {
    // Possible only when the caller's transaction runs at REPEATABLE READ or stricter and the
    // other job was committed after its snapshot was taken.
    throw new Error(`A job with idempotency key "${job.idempotencyKey}" exists but is not visible to this transaction`);
  }
  return { id: existing.id, created: false };
}

/**
 * PostgreSQL lets concurrent workers skip rows that another worker is claiming right now;
 * SQLite has no row locks and needs none, because it runs one writing statement at a time.
 */
function lockForClaim<O>(
  query: SelectQueryBuilder<DB, 'jobs', O>,
  dialect: Dialect,
): SelectQueryBuilder<DB, 'jobs', O> {
  return dialect === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/**
 * A job is ready when it is queued and due, or when it is marked running but its lease has
 * expired: the worker that held it died or stalled. A job whose lease expired on its last allowed
 * attempt is not ready; `deadLetterAbandonedJobs` moves it to dead instead, so a job that kills
 * its worker every time cannot take workers down for ever.
 */
function isReady(now: string) {
  return (eb: ExpressionBuilder<DB, 'jobs'>) => eb.or([isDue(now)(eb), isAbandoned(now)(eb)]);
}

function isDue(now: string) {
  return (eb: ExpressionBuilder<DB, 'jobs'>) => eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]);
}

function isAbandoned(now: string) {
  return (eb: ExpressionBuilder<DB, 'jobs'>) =>
    eb.and([
      eb('status', '=', 'running'),
      eb('lease_expires_at', '<', now),
      eb('attempts', '<', eb.ref('max_attempts')),
    ]);
}

/**
 * Claims the next ready job for `leaseOwner` in one statement: it becomes running, with a lease
 * until `now + leaseMs` and one more attempt. Returns undefined when no job is ready.
 *
 * A job whose worker died is taken back first (there are at most as many running jobs as worker
 * slots), then the queued job that has been due longest. Each is found by its own walk of the
 * jobs_ready index, which stops at the first row: asking for both at once made the database sort
 * every ready job on every claim, so a backlog of acknowledgements after a surge slowed each claim
 * in proportion to its size.
 */
export async function claimNextJob(
  db: Kysely<DB>,
  dialect: Dialect,
  claim: { leaseOwner: string; leaseMs: number; now: string },
): Promise<Job | undefined> {
  const first = (ready: ReturnType<typeof isDue>) =>
    lockForClaim(db.selectFrom('jobs').select('id').where(ready).orderBy('run_at').orderBy('id').limit(1), dialect);
  const row = await db
    .updateTable('jobs')
    .set({
      status: 'running',
      lease_owner: claim.leaseOwner,
      lease_expires_at: isoPlus(claim.now, claim.leaseMs),
      attempts: sql<number>`attempts + 1`,
      updated_at: claim.now,
    })
    .where('id', '=', (eb) => eb.fn.coalesce(first(isAbandoned(claim.now)), first(isDue(claim.now))))
    // Checked again on the row itself, so the claim stays correct even where the subselect is not
    // locked.
    .where(isReady(claim.now))
    .returningAll()
    .executeTakeFirst();
  return row ? toJob(row) : undefined;
}

/** Moves jobs whose lease expired on their last allowed attempt to dead, and returns their ids. */
export async function deadLetterAbandonedJobs(db: Executor, now: string): Promise<string[]> {
  const rows = await db
    .updateTable('jobs')
    .set({
      status: 'dead',
      lease_expires_at: null,
      last_error: 'Its worker stopped responding during the last allowed attempt (the lease expired)',
      updated_at: now,
      finished_at: now,
    })
    .where('status', '=', 'running')
    .where('lease_expires_at', '<', now)
    .where((eb) => eb('attempts', '>=', eb.ref('max_attempts')))
    .returning('id')
    .execute();
  return rows.map((row) => row.id);
}

function heldBy<O>(
  query: UpdateQueryBuilder<DB, 'jobs', 'jobs', O>,
  holder: LeaseHolder,
): UpdateQueryBuilder<DB, 'jobs', 'jobs', O> {
  return query.where('id', '=', holder.id).where('status', '=', 'running').where('lease_owner', '=', holder.leaseOwner);
}

/** Extends the lease. False when the lease was lost. */
export async function renewLease(db: Executor, holder: LeaseHolder & { leaseMs: number }): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({ lease_expires_at: isoPlus(holder.now, holder.leaseMs), updated_at: holder.now }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Confirms the lease is still held, inside the caller's transaction. On PostgreSQL this also locks
 * the job row until the transaction ends, so no other worker can claim the job in between.
 */
export async function confirmLease(trx: Transaction<DB>, holder: LeaseHolder): Promise<boolean> {
  const row = await heldBy(trx.updateTable('jobs').set({ updated_at: holder.now }), holder)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function recordProgress(
  db: Executor,
  holder: LeaseHolder & { done: number; total: number | null },
): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({ progress_done: holder.done, progress_total: holder.total, updated_at: holder.now }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function completeJob(db: Executor, holder: LeaseHolder): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({
      status: 'succeeded',
      lease_expires_at: null,
      updated_at: holder.now,
      finished_at: holder.now,
    }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Puts a failed job back in the queue to run again at `runAt`. */
export async function scheduleRetry(
  db: Executor,
  holder: LeaseHolder & { runAt: string; error: string },
): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({
      status: 'queued',
      run_at: holder.runAt,
      lease_owner: null,
      lease_expires_at: null,
      last_error: holder.error,
      updated_at: holder.now,
    }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Gives a job back because its worker is shutting down, not because it failed: the attempt is
 * not counted, so restarts cannot use up a job's attempts.
 */
export async function releaseJob(db: Executor, holder: LeaseHolder & { reason: string }): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({
      status: 'queued',
      run_at: holder.now,
      attempts: sql<number>`attempts - 1`,
      lease_owner: null,
      lease_expires_at: null,
      last_error: holder.reason,
      updated_at: holder.now,
    }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/** Moves a running job to dead (the dead-letter state) with the reason. */
export async function markJobDead(db: Executor, holder: LeaseHolder & { error: string }): Promise<boolean> {
  const row = await heldBy(
    db.updateTable('jobs').set({
      status: 'dead',
      lease_expires_at: null,
      last_error: holder.error,
      updated_at: holder.now,
      finished_at: holder.now,
    }),
    holder,
  )
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Queues a dead job again with a fresh set of attempts. The last error is kept until the job runs
 * again, so whoever retried it can still see why it died. False unless the job was dead.
 */
export async function retryDeadJob(db: Executor, id: string, now: string): Promise<boolean> {
  const row = await db
    .updateTable('jobs')
    .set({
      status: 'queued',
      attempts: 0,
      run_at: now,
      lease_owner: null,
      lease_expires_at: null,
      updated_at: now,
      finished_at: null,
    })
    .where('id', '=', id)
    .where('status', '=', 'dead')
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export async function findJob(db: Executor, id: string): Promise<Job | undefined> {
  const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toJob(row) : undefined;
}

export interface JobFilter {
  status?: JobStatus | undefined;
  kind?: string | undefined;
  organisationId?: string | undefined;
  /** Only jobs of these organisations, and the platform's own (no organisation). */
  visibleTo?: string[] | undefined;
}

/** Jobs matching the filter, newest first, one page at a time, with the total that match. */
export async function listJobs(
  db: Executor,
  filter: JobFilter,
  page: { limit: number; offset: number },
): Promise<{ jobs: Job[]; total: number }> {
  let query = db.selectFrom('jobs');
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.kind) query = query.where('kind', '=', filter.kind);
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.visibleTo) query = query.where((eb) => visibleTo(eb, filter.visibleTo ?? []));
  const [rows, count] = await Promise.all([
    query
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(page.limit)
      .offset(page.offset)
      .execute(),
    query.select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow(),
  ]);
  return { jobs: rows.map(toJob), total: toCount(count.n) };
}

/** How many jobs are in each status; every status is present, with 0 when it has none. */
export async function countJobsByStatus(
  db: Executor,
  filter: { organisationId?: string | undefined; visibleTo?: string[] | undefined } = {},
): Promise<Record<JobStatus, number>> {
  let query = db.selectFrom('jobs');
  if (filter.organisationId) query = query.where('organisation_id', '=', filter.organisationId);
  if (filter.visibleTo) query = query.where((eb) => visibleTo(eb, filter.visibleTo ?? []));
  const rows = await query
    .select(['status', sql<number>`count(*)`.as('n')])
    .groupBy('status')
    .execute();
  const counts: Record<JobStatus, number> = { queued: 0, running: 0, succeeded: 0, dead: 0 };
  for (const row of rows) counts[row.status] = toCount(row.n);
  return counts;
}

/**
 * Records that the effect `key` of a job is being applied, in the caller's transaction. False when
 * it was recorded before: the effect has already been applied and must be skipped.
 */
export async function recordJobEffect(
  trx: Transaction<DB>,
  effect: { key: string; jobId: string; now: string },
): Promise<boolean> {
  const row = await trx
    .insertInto('job_effects')
    .values({ key: effect.key, job_id: effect.jobId, created_at: effect.now })
    .onConflict((conflict) => conflict.column('key').doNothing())
    .returning('key')
    .executeTakeFirst();
  return row !== undefined;
}

export async function hasJobEffect(db: Executor, key: string): Promise<boolean> {
  const row = await db.selectFrom('job_effects').select('key').where('key', '=', key).executeTakeFirst();
  return row !== undefined;
}

export async function countJobEffects(db: Executor, jobId: string): Promise<number> {
  const row = await db
    .selectFrom('job_effects')
    .select(sql<number>`count(*)`.as('n'))
    .where('job_id', '=', jobId)
    .executeTakeFirstOrThrow();
  return toCount(row.n);
}

/** Jobs of these organisations, and the platform's own (no organisation). */
function visibleTo(eb: ExpressionBuilder<DB, 'jobs'>, organisationIds: string[]) {
  return organisationIds.length
    ? eb.or([eb('organisation_id', 'is', null), eb('organisation_id', 'in', organisationIds)])
    : eb('organisation_id', 'is', null);
}

function toJob(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    payload: JSON.parse(row.payload) as unknown,
    idempotencyKey: row.idempotency_key,
    organisationId: row.organisation_id,
    status: row.status,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: row.run_at,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    lastError: row.last_error,
    progressDone: Number(row.progress_done),
    progressTotal: row.progress_total === null ? null : Number(row.progress_total),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
  };
}

/** Removes jobs that succeeded before `before`, with their effect ledger (nothing can retry them). */
export async function deleteSucceededJobs(trx: Transaction<DB>, before: string): Promise<number> {
  const old = trx.selectFrom('jobs').select('id').where('status', '=', 'succeeded').where('finished_at', '<', before);
  await trx.deleteFrom('job_effects').where('job_id', 'in', old).execute();
  const result = await trx
    .deleteFrom('jobs')
    .where('status', '=', 'succeeded')
    .where('finished_at', '<', before)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Replaces the payload of jobs (by id, or every job of a kind created before a time) with
 * `payloadJson`: for jobs whose payload holds personal data that is no longer needed once the job
 * has done its work. Returns how many jobs were changed.
 */
export async function replaceJobPayloads(
  db: Executor,
  which: { id: string } | { kind: string; createdBefore: string },
  payloadJson: string,
): Promise<number> {
  let query = db.updateTable('jobs').set({ payload: payloadJson }).where('payload', '!=', payloadJson);
  query =
    'id' in which
      ? query.where('id', '=', which.id)
      : query.where('kind', '=', which.kind).where('created_at', '<', which.createdBefore);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows);
}
