import assert from 'node:assert/strict';
import { before, beforeEach, test } from 'node:test';
import type { Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { describeEachDatabase } from '../db/test-databases.ts';
import { isoPlus, nowIso } from '../ids.ts';
import { createJobContext, JobHandlerRegistry, LeaseLostError, type JobContext } from './job-handlers.ts';
import { enqueueJob } from './job-queue.ts';
import { claimNextJob, countJobEffects, findJob } from './jobs.repository.ts';
import { clearJobs } from './test-fixtures/clear-jobs.ts';
import { createEffectLog, logEffect, readEffectLog } from './test-fixtures/effect-log.ts';

const LEASE_MS = 30_000;

test('a handler registry refuses a second handler for the same kind', () => {
  const registry = new JobHandlerRegistry();
  const send = async (): Promise<void> => {};
  registry.register('test.send', send).register('test.import', async () => {});
  assert.throws(
    () => registry.register('test.send', async () => {}),
    /handler for job kind "test.send" is already registered/,
  );
  assert.equal(registry.get('test.send'), send);
  assert.equal(registry.get('test.unknown'), undefined);
  assert.deepEqual(registry.kinds(), ['test.import', 'test.send']);
});

describeEachDatabase('job handler context', (database) => {
  before(() => createEffectLog(database().db));
  beforeEach(() => clearJobs(database().db));

  /** Enqueues and claims a job, and returns a context bound to that claim, as a worker would. */
  async function claimWithContext(
    leaseOwner: string,
    signal = new AbortController().signal,
    onFinished?: () => void,
  ): Promise<JobContext> {
    const { db, dialect } = database();
    await enqueueJob(db, { kind: 'test.effects', payload: { campaign: 3 }, organisationId: 'org-9' });
    const job = await claimNextJob(db, dialect, { leaseOwner, leaseMs: LEASE_MS, now: nowIso() });
    assert.ok(job);
    return createJobContext({ db, job, leaseOwner, signal, onFinished });
  }

  /** Another worker claims the job once its lease has run out, as after a stall. */
  async function takeOver(ctx: JobContext, leaseOwner: string): Promise<void> {
    const { db, dialect } = database();
    const later = isoPlus(nowIso(), LEASE_MS + 1000);
    const takenOver = await claimNextJob(db, dialect, { leaseOwner, leaseMs: LEASE_MS, now: later });
    assert.equal(takenOver?.id, ctx.job.id);
  }

  const record = (ctx: JobContext) => (trx: Transaction<DB>) =>
    logEffect(trx, { jobId: ctx.job.id, workerId: 'w', attempt: ctx.job.attempt });

  test('the context describes the job as claimed', async () => {
    const ctx = await claimWithContext('w/1');
    assert.equal(ctx.job.kind, 'test.effects');
    assert.deepEqual(ctx.job.payload, { campaign: 3 });
    assert.equal(ctx.job.attempt, 1);
    assert.equal(ctx.job.organisationId, 'org-9');
  });

  test('once() applies an effect the first time and skips it when the same job asks again', async () => {
    const ctx = await claimWithContext('w/1');
    assert.equal(await ctx.once('send:resident-1', record(ctx)), true);
    assert.equal(await ctx.once('send:resident-1', record(ctx)), false);
    assert.equal(await ctx.once('send:resident-2', record(ctx)), true);
    assert.equal((await readEffectLog(database().db, ctx.job.id)).length, 2);
    assert.equal(await countJobEffects(database().db, ctx.job.id), 2);

    // Keys belong to a job: another job's "send:resident-1" is a different effect.
    const other = await claimWithContext('w/2');
    assert.equal(await other.once('send:resident-1', record(other)), true);
  });

  test('an effect that fails leaves nothing behind, so the retry applies it', async () => {
    const ctx = await claimWithContext('w/1');
    await assert.rejects(
      ctx.once('send:resident-1', async (trx) => {
        await record(ctx)(trx);
        throw new Error('the mail relay refused the message');
      }),
      /the mail relay refused the message/,
    );
    assert.equal((await readEffectLog(database().db, ctx.job.id)).length, 0);
    assert.equal(await countJobEffects(database().db, ctx.job.id), 0);
    assert.equal(await ctx.once('send:resident-1', record(ctx)), true);
    assert.equal((await readEffectLog(database().db, ctx.job.id)).length, 1);
  });

  test('once() and progress() refuse to act for a worker whose lease was taken over', async () => {
    const { db } = database();
    const ctx = await claimWithContext('stalled/1');
    await takeOver(ctx, 'fresh/1');

    await assert.rejects(ctx.once('send:resident-1', record(ctx)), LeaseLostError);
    await assert.rejects(ctx.progress(5, 10), LeaseLostError);
    assert.equal((await readEffectLog(db, ctx.job.id)).length, 0);
    assert.equal(await countJobEffects(db, ctx.job.id), 0);
    assert.equal((await findJob(db, ctx.job.id))?.progressDone, 0);
  });

  test('progress() stores done and total, and refuses numbers that are not counts', async () => {
    const ctx = await claimWithContext('w/1');
    await ctx.progress(40, 200);
    let job = await findJob(database().db, ctx.job.id);
    assert.equal(job?.progressDone, 40);
    assert.equal(job?.progressTotal, 200);
    await ctx.progress(41);
    job = await findJob(database().db, ctx.job.id);
    assert.equal(job?.progressDone, 41);
    assert.equal(job?.progressTotal, null);
    await assert.rejects(ctx.progress(-1), /whole number/);
    await assert.rejects(ctx.progress(1.5, 3), /whole number/);
  });

  test('once() does not start an effect after the run was aborted', async () => {
    const controller = new AbortController();
    const ctx = await claimWithContext('w/1', controller.signal);
    controller.abort(new Error('the worker is stopping'));
    await assert.rejects(ctx.once('send:resident-1', record(ctx)), /the worker is stopping/);
    assert.equal(await countJobEffects(database().db, ctx.job.id), 0);
  });

  test('finishOnce() applies the effect, records it and marks the job succeeded in one step, and says so', async () => {
    let finished = 0;
    const ctx = await claimWithContext('w/1', undefined, () => (finished += 1));
    assert.equal(await ctx.finishOnce('sent', record(ctx)), true);
    assert.equal(finished, 1);
    const job = await findJob(database().db, ctx.job.id);
    assert.equal(job?.status, 'succeeded');
    assert.ok(job?.finishedAt);
    assert.equal(job?.leaseExpiresAt, null);
    assert.equal((await readEffectLog(database().db, ctx.job.id)).length, 1);
    assert.equal(await countJobEffects(database().db, ctx.job.id), 1);
    // Nothing may follow it: the job is no longer this run's to change.
    await assert.rejects(ctx.once('more', record(ctx)), LeaseLostError);
  });

  test('finishOnce() of an effect an earlier run recorded skips it and still finishes the job', async () => {
    let finished = false;
    const ctx = await claimWithContext('w/1', undefined, () => (finished = true));
    assert.equal(await ctx.once('sent', record(ctx)), true);
    assert.equal(await ctx.finishOnce('sent', record(ctx)), false);
    assert.equal(finished, true);
    assert.equal((await findJob(database().db, ctx.job.id))?.status, 'succeeded');
    assert.equal((await readEffectLog(database().db, ctx.job.id)).length, 1);
  });

  test('finishOnce() whose effect fails, or whose lease was taken over, changes nothing', async () => {
    const { db } = database();
    let finished = false;
    const ctx = await claimWithContext('w/1', undefined, () => (finished = true));
    await assert.rejects(
      ctx.finishOnce('sent', async (trx) => {
        await record(ctx)(trx);
        throw new Error('the reference could not be stored');
      }),
      /the reference could not be stored/,
    );
    assert.equal(finished, false);
    assert.equal((await findJob(db, ctx.job.id))?.status, 'running');
    assert.equal(await countJobEffects(db, ctx.job.id), 0);

    await takeOver(ctx, 'fresh/1');
    await assert.rejects(ctx.finishOnce('sent', record(ctx)), LeaseLostError);
    assert.equal(finished, false);
    const job = await findJob(db, ctx.job.id);
    assert.equal(job?.status, 'running');
    assert.equal(job?.leaseOwner, 'fresh/1');
    assert.equal((await readEffectLog(db, ctx.job.id)).length, 0);
  });
});
