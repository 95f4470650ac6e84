import assert from 'node:assert/strict';
import { before, beforeEach, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { describeEachDatabase } from '../db/test-databases.ts';
import { isoPlus, nowIso } from '../ids.ts';
import { JobHandlerRegistry, LeaseLostError, PermanentJobError, type JobHandler } from './job-handlers.ts';
import { enqueueJob } from './job-queue.ts';
import { retryDelayMs, startJobWorker, WorkerStoppingError, type JobWorkerOptions } from './job-worker.ts';
import { claimNextJob, completeJob, countJobsByStatus, findJob, type Job } from './jobs.repository.ts';
import { clearJobs } from './test-fixtures/clear-jobs.ts';
import { createEffectLog, logEffect, readEffectLog } from './test-fixtures/effect-log.ts';
import { createMemoryLogger } from './test-fixtures/memory-logger.ts';
import { openTestConnection } from './test-fixtures/open-test-connection.ts';
import { jobIn as jobInStatus, waitFor } from './test-fixtures/wait-for.ts';

test('the default back-off doubles with each attempt, varies by up to half, and stops growing at an hour', () => {
  assert.equal(
    retryDelayMs(1, () => 0),
    1000,
  );
  assert.equal(
    retryDelayMs(1, () => 1),
    2000,
  );
  assert.equal(
    retryDelayMs(3, () => 0),
    4000,
  );
  assert.equal(
    retryDelayMs(3, () => 1),
    8000,
  );
  assert.equal(
    retryDelayMs(11, () => 1),
    2048 * 1000,
  );
  assert.equal(
    retryDelayMs(12, () => 1),
    3_600_000,
  );
  assert.equal(
    retryDelayMs(40, () => 0),
    1_800_000,
  );
  for (let attempt = 1; attempt < 30; attempt += 1) assert.ok(retryDelayMs(attempt) <= 3_600_000);
});

describeEachDatabase('job worker', (database) => {
  before(() => createEffectLog(database().db));
  beforeEach(() => clearJobs(database().db));

  /** Starts a worker with test-friendly timings; it is stopped when the test ends, pass or fail. */
  function startWorker(t: TestContext, handlers: JobHandlerRegistry, options: Partial<JobWorkerOptions> = {}) {
    const logger = createMemoryLogger();
    const worker = startJobWorker({
      database: database(),
      handlers,
      logger,
      pollIntervalMs: 20,
      leaseMs: 5000,
      ...options,
    });
    t.after(() => worker.stop());
    return { worker, logger };
  }

  const jobIn = (id: string, ...statuses: Job['status'][]) => jobInStatus(database().db, id, ...statuses);

  test('two workers on one database run each of many jobs exactly once between them', async (t) => {
    const { db, connection } = database();
    const jobCount = 40;
    for (let i = 0; i < jobCount; i += 1) await enqueueJob(db, { kind: 'test.count', payload: { i } });
    // Not through once(): a job run twice would leave two rows here.
    const countingHandler =
      (workerId: string): JobHandler =>
      async (ctx) => {
        await logEffect(ctx.db, { jobId: ctx.job.id, workerId, attempt: ctx.job.attempt });
        await delay(5);
      };
    startWorker(t, new JobHandlerRegistry().register('test.count', countingHandler('first')), {
      workerId: 'first',
      concurrency: 3,
    });
    const second = openTestConnection(connection);
    const { worker: secondWorker } = startWorker(
      t,
      new JobHandlerRegistry().register('test.count', countingHandler('second')),
      { database: second, workerId: 'second', concurrency: 3 },
    );
    // Its jobs must settle before its connection closes; stopping twice is harmless.
    t.after(async () => {
      await secondWorker.stop();
      await second.close();
    });

    await waitFor('every job to succeed', async () => (await countJobsByStatus(db)).succeeded === jobCount, {
      timeoutMs: 15_000,
    });
    const effects = await readEffectLog(db);
    const runsPerJob = new Map<string, number>();
    for (const effect of effects) runsPerJob.set(effect.jobId, (runsPerJob.get(effect.jobId) ?? 0) + 1);
    assert.equal(runsPerJob.size, jobCount);
    assert.deepEqual(new Set(runsPerJob.values()), new Set([1]));
    assert.ok(effects.every((effect) => effect.attempt === 1));
    // Both workers took part, so the test really had them competing for the same jobs.
    assert.deepEqual(new Set(effects.map((effect) => effect.workerId)), new Set(['first', 'second']));
  });

  test('a failed job waits for its back-off, runs again and succeeds', async (t) => {
    const { db } = database();
    const runs: Array<{ attempt: number; at: number }> = [];
    let failedAt = 0;
    const handlers = new JobHandlerRegistry().register('test.flaky', async (ctx) => {
      runs.push({ attempt: ctx.job.attempt, at: Date.now() });
      if (ctx.job.attempt === 1) {
        failedAt = Date.now();
        throw new Error('The mail relay is not answering');
      }
    });
    const delaysAskedFor: number[] = [];
    startWorker(t, handlers, {
      retryDelayMs: (attempt) => {
        delaysAskedFor.push(attempt);
        return 300;
      },
    });
    const id = await enqueueJob(db, { kind: 'test.flaky', payload: {} });

    const job = await waitFor('the job to succeed', jobIn(id, 'succeeded'));
    assert.equal(job.attempts, 2);
    assert.equal(job.lastError, 'The mail relay is not answering');
    assert.deepEqual(
      runs.map((run) => run.attempt),
      [1, 2],
    );
    assert.deepEqual(delaysAskedFor, [1]);
    assert.ok((runs[1]?.at ?? 0) - failedAt >= 300, 'the retry waited for its back-off');
  });

  test('without a back-off given, the first retry is scheduled 1 to 2 seconds later', async (t) => {
    const { db } = database();
    const handlers = new JobHandlerRegistry().register('test.flaky', async () => {
      throw new Error('Try later');
    });
    startWorker(t, handlers);
    const id = await enqueueJob(db, { kind: 'test.flaky', payload: {} });

    const job = await waitFor('the job to be queued for a retry', async () => {
      const found = await jobIn(id, 'queued')();
      return found?.attempts === 1 ? found : undefined;
    });
    assert.equal(job.lastError, 'Try later');
    assert.equal(job.leaseOwner, null);
    const wait = Date.parse(job.runAt) - Date.parse(job.updatedAt);
    assert.ok(wait >= 1000 && wait <= 2000, `waits ${wait} ms`);
  });

  test('a job that keeps failing is dead after its last attempt, with the last error kept', async (t) => {
    const { db } = database();
    let runs = 0;
    const handlers = new JobHandlerRegistry().register('test.broken', async (ctx) => {
      runs += 1;
      throw new TypeError(`Cannot read the import file (attempt ${ctx.job.attempt})`);
    });
    const { logger } = startWorker(t, handlers, { retryDelayMs: () => 10 });
    const id = await enqueueJob(db, { kind: 'test.broken', payload: {}, maxAttempts: 3 });

    const job = await waitFor('the job to be dead', jobIn(id, 'dead'));
    assert.equal(job.attempts, 3);
    assert.equal(job.lastError, 'TypeError: Cannot read the import file (attempt 3)');
    assert.ok(job.finishedAt);
    assert.equal(runs, 3);
    await delay(100);
    assert.equal(runs, 3, 'a dead job is not run again');
    assert.ok(logger.entries.some((entry) => entry.level === 'error' && entry.details['jobId'] === id));
  });

  test('a handler that throws PermanentJobError makes the job dead at once', async (t) => {
    const { db } = database();
    const handlers = new JobHandlerRegistry().register('test.import', async () => {
      throw new PermanentJobError('The import file was deleted');
    });
    startWorker(t, handlers, { retryDelayMs: () => 10 });
    const id = await enqueueJob(db, { kind: 'test.import', payload: {}, maxAttempts: 5 });

    const job = await waitFor('the job to be dead', jobIn(id, 'dead'));
    assert.equal(job.attempts, 1);
    assert.equal(job.lastError, 'PermanentJobError: The import file was deleted');
  });

  test('a job whose last step is finishOnce() is finished by it: one success logged, nothing lost', async (t) => {
    const { db } = database();
    const handlers = new JobHandlerRegistry()
      .register('test.deliver', async (ctx) => {
        await ctx.finishOnce('sent', (trx) => logEffect(trx, { jobId: ctx.job.id, workerId: 'w', attempt: 1 }));
      })
      .register('test.deliver-then-throw', async (ctx) => {
        await ctx.finishOnce('sent', (trx) => logEffect(trx, { jobId: ctx.job.id, workerId: 'w', attempt: 1 }));
        throw new Error('a step after the last one');
      });
    const { logger } = startWorker(t, handlers, { retryDelayMs: () => 10 });
    const delivered = await enqueueJob(db, { kind: 'test.deliver', payload: {} });
    const thrown = await enqueueJob(db, { kind: 'test.deliver-then-throw', payload: {}, maxAttempts: 3 });

    for (const id of [delivered, thrown]) {
      const job = await waitFor('the job to succeed', jobIn(id, 'succeeded'));
      assert.equal(job.attempts, 1);
      assert.equal((await readEffectLog(db, id)).length, 1);
    }
    await waitFor(
      'both outcomes logged',
      () => logger.entries.filter((entry) => String(entry.details['kind']).startsWith('test.deliver')).length >= 2,
    );
    const about = (id: string) => logger.entries.filter((entry) => entry.details['jobId'] === id);
    assert.deepEqual(
      about(delivered).map((entry) => [entry.level, entry.message]),
      [['info', 'Job succeeded']],
    );
    // A handler that throws after its last step cannot undo it: the job stays succeeded, and the
    // error is logged rather than retried.
    assert.deepEqual(
      about(thrown).map((entry) => [entry.level, entry.message]),
      [['error', 'Job failed after its last step had finished it; it stays succeeded']],
    );
    assert.equal((await findJob(db, thrown))?.status, 'succeeded');
  });

  test('a job of a kind no handler is registered for is dead, with an error that names the kind', async (t) => {
    const { db } = database();
    startWorker(
      t,
      new JobHandlerRegistry().register('test.known', async () => {}),
    );
    const id = await enqueueJob(db, { kind: 'test.misspelt', payload: {} });

    const job = await waitFor('the job to be dead', jobIn(id, 'dead'));
    assert.equal(
      job.lastError,
      'No handler is registered for job kind "test.misspelt" (this worker handles: test.known)',
    );
  });

  test('progress reported by a running job is stored while it runs', async (t) => {
    const { db } = database();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const handlers = new JobHandlerRegistry().register('test.long', async (ctx) => {
      await ctx.progress(0, 3);
      await ctx.progress(2, 3);
      await finished;
      await ctx.progress(3, 3);
    });
    startWorker(t, handlers);
    const id = await enqueueJob(db, { kind: 'test.long', payload: {} });

    const midway = await waitFor('progress of 2', async () => {
      const job = await jobIn(id, 'running')();
      return job?.progressDone === 2 ? job : undefined;
    });
    assert.equal(midway.progressTotal, 3);
    finish();
    const done = await waitFor('the job to succeed', jobIn(id, 'succeeded'));
    assert.equal(done.progressDone, 3);
    assert.equal(done.progressTotal, 3);
  });

  test('the lease is renewed while a handler runs longer than the lease', async (t) => {
    const { db } = database();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const handlers = new JobHandlerRegistry().register('test.long', () => finished);
    startWorker(t, handlers, { leaseMs: 300 });
    const id = await enqueueJob(db, { kind: 'test.long', payload: {} });

    const first = await waitFor('the job to run', jobIn(id, 'running'));
    await delay(700);
    const later = await findJob(db, id);
    assert.ok((later?.leaseExpiresAt ?? '') > nowIso(), 'the lease has not expired');
    assert.ok((later?.leaseExpiresAt ?? '') > (first.leaseExpiresAt ?? ''), 'the lease was extended');
    finish();
    const done = await waitFor('the job to succeed', jobIn(id, 'succeeded'));
    assert.equal(done.attempts, 1);
  });

  test('a worker whose lease was taken over is told to stop and cannot complete the job', async (t) => {
    const { db, dialect } = database();
    let abortReason: unknown;
    const handlers = new JobHandlerRegistry().register('test.slow', async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      abortReason = ctx.signal.reason;
      // Then return as if the work were done, as a handler that ignores its signal would.
    });
    const { logger } = startWorker(t, handlers, { leaseMs: 300 });
    const id = await enqueueJob(db, { kind: 'test.slow', payload: {} });
    await waitFor('the job to run', jobIn(id, 'running'));

    // Another worker takes the job over, as it would once the lease had expired.
    const thief = await claimNextJob(db, dialect, {
      leaseOwner: 'other-worker/1',
      leaseMs: 60_000,
      now: isoPlus(nowIso(), 3_600_000),
    });
    assert.equal(thief?.id, id);

    await waitFor('the first worker to give up the job', () =>
      logger.entries.some((entry) => entry.message.startsWith('Job finished after its lease was lost')),
    );
    assert.ok(abortReason instanceof LeaseLostError);
    const job = await findJob(db, id);
    assert.equal(job?.status, 'running');
    assert.equal(job?.leaseOwner, 'other-worker/1');
    assert.equal(job?.attempts, 2);
    assert.equal(job?.finishedAt, null);
    assert.equal(await completeJob(db, { id, leaseOwner: 'other-worker/1', now: nowIso() }), true);
  });

  test('stop() waits for a running job to finish', async (t) => {
    const { db } = database();
    const handlers = new JobHandlerRegistry().register('test.short', () => delay(200));
    const { worker } = startWorker(t, handlers);
    const id = await enqueueJob(db, { kind: 'test.short', payload: {} });
    await waitFor('the job to run', jobIn(id, 'running'));

    await worker.stop();
    assert.equal((await findJob(db, id))?.status, 'succeeded');
  });

  test('stop() aborts a job that outlasts its timeout and queues it again without using up an attempt', async (t) => {
    const { db } = database();
    let abortReason: unknown;
    const handlers = new JobHandlerRegistry().register('test.hang', async (ctx) => {
      await new Promise((_, reject) =>
        ctx.signal.addEventListener('abort', () => reject((abortReason = ctx.signal.reason as Error)), {
          once: true,
        }),
      );
    });
    const { worker } = startWorker(t, handlers, { stopTimeoutMs: 100 });
    const id = await enqueueJob(db, { kind: 'test.hang', payload: {} });
    await waitFor('the job to run', jobIn(id, 'running'));

    await worker.stop();
    assert.ok(abortReason instanceof WorkerStoppingError);
    const job = await findJob(db, id);
    assert.equal(job?.status, 'queued');
    assert.equal(job?.attempts, 0);
    assert.equal(job?.leaseOwner, null);
    assert.match(job?.lastError ?? '', /interrupted because its worker was stopping/);
  });

  test('after stop() gives up on a job that ignores its abort, the worker writes nothing more', async (t) => {
    const { db } = database();
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const handlers = new JobHandlerRegistry().register('test.stubborn', () => finished);
    const { worker } = startWorker(t, handlers, { stopTimeoutMs: 50, abortGraceMs: 50, leaseMs: 300 });
    const id = await enqueueJob(db, { kind: 'test.stubborn', payload: {} });
    const running = await waitFor('the job to run', jobIn(id, 'running'));

    await worker.stop();
    finish();
    await delay(400);
    // Still running under the old lease, which was not renewed: another worker will retry it.
    const job = await findJob(db, id);
    assert.equal(job?.status, 'running');
    assert.equal(job?.leaseOwner, running.leaseOwner);
    assert.ok((job?.leaseExpiresAt ?? '') < nowIso(), 'the lease has expired');
  });
});
