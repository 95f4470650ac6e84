import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { isoPlus, newId, nowIso } from '../ids.ts';
import { enqueueJob } from './job-queue.ts';
import {
  claimNextJob,
  completeJob,
  countJobsByStatus,
  deadLetterAbandonedJobs,
  findJob,
  insertJob,
  listJobs,
  markJobDead,
  recordProgress,
  releaseJob,
  renewLease,
  retryDeadJob,
  scheduleRetry,
} from './jobs.repository.ts';
import { clearJobs } from './test-fixtures/clear-jobs.ts';
import { openTestConnection } from './test-fixtures/open-test-connection.ts';

const LEASE_MS = 30_000;

describeEachDatabase('jobs repository', (database) => {
  beforeEach(() => clearJobs(database().db));

  test('claims due jobs earliest first, with a lease and one more attempt, and leaves future jobs alone', async () => {
    const { db, dialect } = database();
    const now = nowIso();
    const later = await enqueueJob(db, { kind: 'test.later', payload: { n: 2 }, runAt: isoPlus(now, -1000) });
    const first = await enqueueJob(db, { kind: 'test.first', payload: { n: 1 }, runAt: isoPlus(now, -2000) });
    await enqueueJob(db, { kind: 'test.future', payload: {}, runAt: isoPlus(now, 60_000) });

    const claimed = await claimNextJob(db, dialect, { leaseOwner: 'worker-a/1', leaseMs: LEASE_MS, now });
    assert.equal(claimed?.id, first);
    assert.equal(claimed?.status, 'running');
    assert.equal(claimed?.attempts, 1);
    assert.equal(claimed?.leaseOwner, 'worker-a/1');
    assert.equal(claimed?.leaseExpiresAt, isoPlus(now, LEASE_MS));
    assert.deepEqual(claimed?.payload, { n: 1 });

    const second = await claimNextJob(db, dialect, { leaseOwner: 'worker-a/2', leaseMs: LEASE_MS, now });
    assert.equal(second?.id, later);
    assert.equal(await claimNextJob(db, dialect, { leaseOwner: 'worker-a/3', leaseMs: LEASE_MS, now }), undefined);
  });

  test('a job whose worker died is taken back before queued jobs, even ones due earlier', async () => {
    const { db, dialect } = database();
    const start = nowIso();
    const stalled = await enqueueJob(db, { kind: 'test.stalled', payload: {}, runAt: start });
    await claimNextJob(db, dialect, { leaseOwner: 'dead/1', leaseMs: LEASE_MS, now: start });
    const waiting = await enqueueJob(db, { kind: 'test.waiting', payload: {}, runAt: isoPlus(start, -60_000) });
    const afterExpiry = isoPlus(start, LEASE_MS + 1);
    const claim = (owner: string) =>
      claimNextJob(db, dialect, { leaseOwner: owner, leaseMs: LEASE_MS, now: afterExpiry });
    assert.equal((await claim('new/1'))?.id, stalled);
    assert.equal((await claim('new/2'))?.id, waiting);
    assert.equal(await claim('new/3'), undefined);
  });

  test('claiming from a long queue takes the earliest due job, in order, one by one', async () => {
    const { db, dialect } = database();
    const now = nowIso();
    const ids: string[] = [];
    // Several due in the same millisecond, as acknowledgements queued by one batch of submissions are.
    for (let i = 0; i < 30; i += 1)
      ids.push(
        await enqueueJob(db, { kind: 'test.backlog', payload: { i }, runAt: isoPlus(now, -1000 + Math.floor(i / 3)) }),
      );
    const claimed: string[] = [];
    for (let i = 0; i < 30; i += 1)
      claimed.push((await claimNextJob(db, dialect, { leaseOwner: `w/${i}`, leaseMs: LEASE_MS, now }))?.id ?? '');
    // By due time, then id (made in order): the order they were queued in.
    assert.deepEqual(claimed, ids);
  });

  test('a job whose lease expired is claimed again, and the holder of the old lease can no longer change it', async () => {
    const { db, dialect } = database();
    const id = await enqueueJob(db, { kind: 'test.stalled', payload: {} });
    const start = nowIso();
    await claimNextJob(db, dialect, { leaseOwner: 'old/1', leaseMs: LEASE_MS, now: start });

    // While the lease lasts, nobody else can take the job.
    const whileLeased = isoPlus(start, LEASE_MS - 1);
    assert.equal(
      await claimNextJob(db, dialect, { leaseOwner: 'new/1', leaseMs: LEASE_MS, now: whileLeased }),
      undefined,
    );

    const afterExpiry = isoPlus(start, LEASE_MS + 1);
    const reclaimed = await claimNextJob(db, dialect, { leaseOwner: 'new/1', leaseMs: LEASE_MS, now: afterExpiry });
    assert.equal(reclaimed?.id, id);
    assert.equal(reclaimed?.attempts, 2);

    const old = { id, leaseOwner: 'old/1', now: afterExpiry };
    assert.equal(await completeJob(db, old), false);
    assert.equal(await renewLease(db, { ...old, leaseMs: LEASE_MS }), false);
    assert.equal(await recordProgress(db, { ...old, done: 9, total: 9 }), false);
    assert.equal(await scheduleRetry(db, { ...old, runAt: afterExpiry, error: 'stale' }), false);
    assert.equal(await markJobDead(db, { ...old, error: 'stale' }), false);
    assert.equal(await releaseJob(db, { ...old, reason: 'stale' }), false);

    const untouched = await findJob(db, id);
    assert.equal(untouched?.status, 'running');
    assert.equal(untouched?.leaseOwner, 'new/1');
    assert.equal(untouched?.progressDone, 0);
    assert.equal(untouched?.lastError, null);

    assert.equal(await completeJob(db, { id, leaseOwner: 'new/1', now: afterExpiry }), true);
    const done = await findJob(db, id);
    assert.equal(done?.status, 'succeeded');
    assert.equal(done?.finishedAt, afterExpiry);
    assert.equal(done?.leaseExpiresAt, null);
  });

  test('concurrent claims from two connections never hand out the same job', async () => {
    const { db, dialect, connection } = database();
    const ids = new Set<string>();
    for (let i = 0; i < 20; i += 1) ids.add(await enqueueJob(db, { kind: 'test.race', payload: { i } }));
    const other = openTestConnection(connection);
    try {
      const now = nowIso();
      const claims = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          claimNextJob(i % 2 === 0 ? db : other.db, dialect, { leaseOwner: `racer/${i}`, leaseMs: LEASE_MS, now }),
        ),
      );
      const claimed = claims.filter((job) => job !== undefined).map((job) => job.id);
      assert.equal(claimed.length, 20);
      assert.deepEqual(new Set(claimed), ids);
    } finally {
      await other.close();
    }
  });

  test('a job whose lease expires on its last attempt is moved to dead instead of being claimed', async () => {
    const { db, dialect } = database();
    const id = await enqueueJob(db, { kind: 'test.poison', payload: {}, maxAttempts: 1 });
    const start = nowIso();
    await claimNextJob(db, dialect, { leaseOwner: 'crashing/1', leaseMs: LEASE_MS, now: start });
    const afterExpiry = isoPlus(start, LEASE_MS + 1);

    assert.equal(
      await claimNextJob(db, dialect, { leaseOwner: 'next/1', leaseMs: LEASE_MS, now: afterExpiry }),
      undefined,
    );
    assert.deepEqual(await deadLetterAbandonedJobs(db, isoPlus(start, LEASE_MS - 1)), []);
    assert.deepEqual(await deadLetterAbandonedJobs(db, afterExpiry), [id]);
    const dead = await findJob(db, id);
    assert.equal(dead?.status, 'dead');
    assert.match(dead?.lastError ?? '', /stopped responding during the last allowed attempt/);
  });

  test('a retry is scheduled for later, a released job keeps its attempts, and a dead job can be retried afresh', async () => {
    const { db, dialect } = database();
    const id = await enqueueJob(db, { kind: 'test.flaky', payload: {}, maxAttempts: 2 });
    let now = nowIso();
    await claimNextJob(db, dialect, { leaseOwner: 'w/1', leaseMs: LEASE_MS, now });
    const retryAt = isoPlus(now, 5000);
    assert.equal(await scheduleRetry(db, { id, leaseOwner: 'w/1', now, runAt: retryAt, error: 'Timed out' }), true);
    const queued = await findJob(db, id);
    assert.equal(queued?.status, 'queued');
    assert.equal(queued?.runAt, retryAt);
    assert.equal(queued?.leaseOwner, null);
    assert.equal(queued?.lastError, 'Timed out');
    assert.equal(await claimNextJob(db, dialect, { leaseOwner: 'w/2', leaseMs: LEASE_MS, now }), undefined);

    now = retryAt;
    await claimNextJob(db, dialect, { leaseOwner: 'w/2', leaseMs: LEASE_MS, now });
    assert.equal(await releaseJob(db, { id, leaseOwner: 'w/2', now, reason: 'Shutting down' }), true);
    assert.equal((await findJob(db, id))?.attempts, 1);

    await claimNextJob(db, dialect, { leaseOwner: 'w/3', leaseMs: LEASE_MS, now });
    assert.equal(await markJobDead(db, { id, leaseOwner: 'w/3', now, error: 'Timed out again' }), true);
    const dead = await findJob(db, id);
    assert.equal(dead?.status, 'dead');
    assert.equal(dead?.attempts, 2);
    assert.equal(dead?.finishedAt, now);

    const later = isoPlus(now, 1000);
    assert.equal(await retryDeadJob(db, id, later), true);
    const retried = await findJob(db, id);
    assert.equal(retried?.status, 'queued');
    assert.equal(retried?.attempts, 0);
    assert.equal(retried?.runAt, later);
    assert.equal(retried?.finishedAt, null);
    assert.equal(retried?.lastError, 'Timed out again');
    // Only a dead job can be retried: a queued one is left as it is.
    assert.equal(await retryDeadJob(db, id, later), false);
  });

  test('jobs are listed newest first with filters and pages, and counted by status', async () => {
    const { db, dialect } = database();
    const organisationId = newId();
    const mail: string[] = [];
    for (let i = 0; i < 5; i += 1)
      mail.push(await enqueueJob(db, { kind: 'test.mail', payload: { i }, organisationId }));
    await enqueueJob(db, { kind: 'test.import', payload: {} });
    await claimNextJob(db, dialect, { leaseOwner: 'w/1', leaseMs: LEASE_MS, now: nowIso() });

    const page = await listJobs(db, { kind: 'test.mail' }, { limit: 2, offset: 2 });
    assert.equal(page.total, 5);
    assert.deepEqual(
      page.jobs.map((job) => job.id),
      [mail[2], mail[1]],
    );
    const running = await listJobs(db, { status: 'running' }, { limit: 10, offset: 0 });
    assert.deepEqual(
      running.jobs.map((job) => job.id),
      [mail[0]],
    );
    assert.equal((await listJobs(db, { organisationId }, { limit: 10, offset: 0 })).total, 5);

    assert.deepEqual(await countJobsByStatus(db), { queued: 5, running: 1, succeeded: 0, dead: 0 });
    assert.deepEqual(await countJobsByStatus(db, { organisationId }), { queued: 4, running: 1, succeeded: 0, dead: 0 });
  });

  test('inserting with an idempotency key that is taken returns the existing job', async () => {
    const { db } = database();
    const now = nowIso();
    const row = (id: string) => ({
      id,
      kind: 'test.once',
      payloadJson: '{}',
      idempotencyKey: 'import-42',
      organisationId: null,
      runAt: now,
      maxAttempts: 3,
      now,
    });
    const first = newId();
    assert.deepEqual(await insertJob(db, row(first)), { id: first, created: true });
    assert.deepEqual(await insertJob(db, row(newId())), { id: first, created: false });
  });
});
