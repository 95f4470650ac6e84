import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { isoPlus, nowIso } from '../ids.ts';
import { DEFAULT_MAX_ATTEMPTS, enqueueJob, InvalidJobError, MAX_JOB_PAYLOAD_BYTES } from './job-queue.ts';
import { countJobsByStatus, findJob, listJobs } from './jobs.repository.ts';
import { clearJobs } from './test-fixtures/clear-jobs.ts';

describeEachDatabase('job queue', (database) => {
  beforeEach(() => clearJobs(database().db));

  test('a job enqueued in a transaction that rolls back does not exist', async () => {
    const { db } = database();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await enqueueJob(trx, { kind: 'test.notify', payload: { to: 'resident@example.org' } });
        throw new Error('the change that wanted the job failed');
      }),
      /the change that wanted the job failed/,
    );
    assert.equal((await listJobs(db, {}, { limit: 10, offset: 0 })).total, 0);
  });

  test('a job enqueued in a transaction that commits is stored queued, with its payload and defaults', async () => {
    const { db } = database();
    const before = nowIso();
    const id = await db
      .transaction()
      .execute((trx) => enqueueJob(trx, { kind: 'test.notify', payload: { to: 'resident@example.org', ids: [1, 2] } }));
    const job = await findJob(db, id);
    assert.equal(job?.status, 'queued');
    assert.deepEqual(job?.payload, { to: 'resident@example.org', ids: [1, 2] });
    assert.equal(job?.attempts, 0);
    assert.equal(job?.maxAttempts, DEFAULT_MAX_ATTEMPTS);
    assert.equal(job?.organisationId, null);
    assert.ok(job && job.runAt >= before && job.runAt <= nowIso(), 'runs now by default');
  });

  test('enqueueing again with the same idempotency key returns the first job and adds none', async () => {
    const { db } = database();
    const first = await enqueueJob(db, { kind: 'test.import', payload: { file: 'a.csv' }, idempotencyKey: 'import:7' });
    const again = await enqueueJob(db, { kind: 'test.import', payload: { file: 'b.csv' }, idempotencyKey: 'import:7' });
    const racing = await Promise.all(
      Array.from({ length: 5 }, () => enqueueJob(db, { kind: 'test.import', payload: {}, idempotencyKey: 'import:8' })),
    );
    assert.equal(again, first);
    assert.equal(new Set(racing).size, 1);
    assert.deepEqual((await findJob(db, first))?.payload, { file: 'a.csv' });
    assert.equal((await countJobsByStatus(db)).queued, 2);
  });

  test('runAt, maxAttempts and organisationId are stored as given', async () => {
    const { db } = database();
    const runAt = isoPlus(nowIso(), 3_600_000);
    const id = await enqueueJob(db, {
      kind: 'test.reminder',
      payload: null,
      runAt: new Date(runAt),
      maxAttempts: 2,
      organisationId: 'org-1',
    });
    const job = await findJob(db, id);
    assert.equal(job?.runAt, runAt);
    assert.equal(job?.maxAttempts, 2);
    assert.equal(job?.organisationId, 'org-1');
    assert.equal(job?.payload, null);
  });

  test('a payload over 64 KiB is refused with a message that says what to do', async () => {
    const { db } = database();
    const payload = { rows: 'x'.repeat(MAX_JOB_PAYLOAD_BYTES) };
    await assert.rejects(enqueueJob(db, { kind: 'test.import', payload }), (error: unknown) => {
      assert.ok(error instanceof InvalidJobError);
      assert.match(error.message, /test\.import/);
      assert.match(error.message, /is 65547 bytes of JSON; the limit is 65536 bytes \(64 KiB\)/);
      assert.match(error.message, /Store large data in its own table/);
      return true;
    });
    // Right at the limit is allowed: 11 bytes of {"rows":""} plus the string.
    await enqueueJob(db, { kind: 'test.import', payload: { rows: 'x'.repeat(MAX_JOB_PAYLOAD_BYTES - 11) } });
    assert.equal((await countJobsByStatus(db)).queued, 1);
  });

  test('a kind, payload, attempt limit or run time that cannot work is refused before anything is stored', async () => {
    const { db } = database();
    await assert.rejects(enqueueJob(db, { kind: 'Send Email', payload: {} }), /Job kind "Send Email" is not valid/);
    await assert.rejects(enqueueJob(db, { kind: 'test.x', payload: undefined }), /cannot be stored as JSON/);
    await assert.rejects(enqueueJob(db, { kind: 'test.x', payload: { n: 1n } }), /cannot be stored as JSON/);
    await assert.rejects(enqueueJob(db, { kind: 'test.x', payload: {}, maxAttempts: 0 }), /maxAttempts must be/);
    await assert.rejects(
      enqueueJob(db, { kind: 'test.x', payload: {}, runAt: 'next tuesday' }),
      /runAt is not a valid date and time/,
    );
    await assert.rejects(enqueueJob(db, { kind: 'test.x', payload: {}, idempotencyKey: '' }), /idempotency key/);
    assert.equal((await listJobs(db, {}, { limit: 10, offset: 0 })).total, 0);
  });
});
