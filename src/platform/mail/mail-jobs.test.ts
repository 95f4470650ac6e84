import assert from 'node:assert/strict';
import { after, before, beforeEach, test, type TestContext } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { describeEachDatabase } from '../db/test-databases.ts';
import { nowIso } from '../ids.ts';
import { createJobContext, JobHandlerRegistry, type JobContext } from '../jobs/job-handlers.ts';
import { InvalidJobError } from '../jobs/job-queue.ts';
import { startJobWorker } from '../jobs/job-worker.ts';
import { claimNextJob, countJobsByStatus, findJob, type Job } from '../jobs/jobs.repository.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { createMemoryLogger } from '../jobs/test-fixtures/memory-logger.ts';
import { jobIn as jobInStatus, waitFor } from '../jobs/test-fixtures/wait-for.ts';
import { enqueueEmail, MAIL_SEND_JOB, registerMailJobs, type MailDelivery } from './mail-jobs.ts';
import { TemporaryDeliveryError } from './mail-sender.ts';
import { InvalidMessageError, type OutboundMessage } from './outbound-message.ts';
import { createSmtpSender } from './smtp-sender.ts';
import { startSmtpTestServer, type SmtpTestServer } from './test-fixtures/smtp-test-server.ts';

let smtp: SmtpTestServer;
before(async () => {
  smtp = await startSmtpTestServer();
});
after(() => smtp.close());

function email(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    to: 'resident@example.org.uk',
    subject: 'Cyber incident update',
    text: 'We have published an update at https://www.westminster.gov.uk/cyber-incident\n',
    reference: 'WCC-7K2F-9QXD',
    ...overrides,
  };
}

describeEachDatabase('mail jobs', (database) => {
  beforeEach(async () => {
    await clearJobs(database().db);
    smtp.reset();
  });

  /** The platform's mail handler on a real SMTP sender, and what it recorded as delivered. */
  function mailHandlers(): { handlers: JobHandlerRegistry; deliveries: MailDelivery[] } {
    const handlers = new JobHandlerRegistry();
    const deliveries: MailDelivery[] = [];
    registerMailJobs(handlers, {
      sender: createSmtpSender(smtp.config),
      onSent: async (_trx, delivery) => {
        deliveries.push(delivery);
      },
    });
    return { handlers, deliveries };
  }

  /** A worker with test-friendly timings, stopped when the test ends, pass or fail. */
  function startWorker(t: TestContext, handlers: JobHandlerRegistry) {
    const logger = createMemoryLogger();
    const worker = startJobWorker({
      database: database(),
      handlers,
      logger,
      pollIntervalMs: 20,
      leaseMs: 5000,
      retryDelayMs: () => 50,
    });
    t.after(() => worker.stop());
    return { worker, logger };
  }

  const jobIn = (id: string, ...statuses: Job['status'][]) => jobInStatus(database().db, id, ...statuses);

  test('an email enqueued in a transaction that rolls back is never sent; a committed one is sent once', async (t) => {
    const { db } = database();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await enqueueEmail(trx, email({ subject: 'Rolled back' }), { idempotencyKey: 'rolled-back' });
        throw new Error('the change this email reports failed');
      }),
      /the change this email reports failed/,
    );
    const jobId = await db
      .transaction()
      .execute((trx) => enqueueEmail(trx, email({ subject: 'Committed' }), { idempotencyKey: 'committed' }));

    const { handlers, deliveries } = mailHandlers();
    startWorker(t, handlers);
    const job = await waitFor('the committed email job to succeed', jobIn(jobId, 'succeeded', 'dead'));

    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 1);
    // The worker ran and sent what was committed, and only that.
    assert.deepEqual(
      smtp.received.map((mail) => mail.header('Subject')),
      ['Committed'],
    );
    assert.deepEqual(await countJobsByStatus(db), { queued: 0, running: 0, succeeded: 1, dead: 0 });
    assert.equal(smtp.received[0]!.header('X-Wardroom-Reference'), 'WCC-7K2F-9QXD');
    assert.deepEqual(deliveries, [
      {
        jobId,
        organisationId: null,
        reference: 'WCC-7K2F-9QXD',
        providerId: smtp.received[0]!.header('Message-ID'),
      },
    ]);
  });

  test('enqueueing twice with one idempotency key sends one email', async (t) => {
    const { db } = database();
    const first = await enqueueEmail(db, email(), { idempotencyKey: 'subscription-confirm:0196f1c2' });
    const second = await enqueueEmail(db, email({ subject: 'Asked again' }), {
      idempotencyKey: 'subscription-confirm:0196f1c2',
    });
    assert.equal(second, first);

    const { handlers } = mailHandlers();
    startWorker(t, handlers);
    await waitFor('the email job to succeed', jobIn(first, 'succeeded'));
    // Give a second send, were there one, time to arrive.
    await delay(100);
    assert.equal(smtp.received.length, 1);
    assert.equal(smtp.received[0]!.header('Subject'), 'Cyber incident update');
  });

  /** A worker claims the job with a short lease, as a context for its handler; the test then lets it "die". */
  async function claimAsDoomedWorker(jobId: string): Promise<JobContext> {
    const { db, dialect } = database();
    const leaseOwner = 'doomed-worker/1';
    const claimed = await claimNextJob(db, dialect, { leaseOwner, leaseMs: 150, now: nowIso() });
    assert.equal(claimed?.id, jobId);
    return createJobContext({ db, job: claimed!, leaseOwner, signal: new AbortController().signal });
  }

  test('recording the send finishes the job in the same transaction: a worker that dies then leaves nothing to rerun', async () => {
    const { db } = database();
    const jobId = await enqueueEmail(db, email(), { idempotencyKey: 'breach-notice:1', organisationId: undefined });
    const { handlers, deliveries } = mailHandlers();

    // A worker claims the job, sends and records the email, and dies at once: the job is already done.
    await handlers.get(MAIL_SEND_JOB)!(await claimAsDoomedWorker(jobId));
    assert.equal(smtp.received.length, 1);
    assert.equal(deliveries.length, 1);
    const job = await findJob(db, jobId);
    assert.equal(job?.status, 'succeeded');
    assert.equal(job?.attempts, 1);
  });

  test('a send an earlier run recorded without finishing the job is not sent again when the job is rerun', async (t) => {
    const { db } = database();
    const jobId = await enqueueEmail(db, email(), { idempotencyKey: 'breach-notice:2', organisationId: undefined });
    const { handlers, deliveries } = mailHandlers();

    // A run recorded the send and died before the job was marked done (as runs did before the
    // record and the finish were one transaction).
    const ctx = await claimAsDoomedWorker(jobId);
    assert.equal(await ctx.once('sent', async () => {}), true);
    assert.equal((await findJob(db, jobId))?.status, 'running');

    // Once the lease runs out another worker takes the job over, sends nothing and finishes it.
    await delay(200);
    startWorker(t, handlers);
    const job = await waitFor('the rerun job to succeed', jobIn(jobId, 'succeeded', 'dead'));
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 2);
    assert.equal(smtp.received.length, 0);
    assert.equal(deliveries.length, 0);
  });

  test('a permanent refusal makes the job dead at once, with the reason', async (t) => {
    smtp.refuseRecipient('gone@example.org.uk', 550, 10);
    const jobId = await enqueueEmail(database().db, email({ to: 'gone@example.org.uk' }), { idempotencyKey: 'gone' });
    const { handlers, deliveries } = mailHandlers();
    startWorker(t, handlers);

    const job = await waitFor('the email job to die', jobIn(jobId, 'dead', 'succeeded'));
    assert.equal(job.status, 'dead');
    assert.equal(job.attempts, 1);
    assert.match(
      job.lastError ?? '',
      /^PermanentJobError: The mail server refused the message: .*550 Mailbox unavailable/,
    );
    assert.equal(smtp.received.length, 0);
    assert.equal(deliveries.length, 0);
  });

  test('a temporary refusal is tried again, and the email is sent once when the server takes it', async (t) => {
    smtp.refuseRecipient('busy@example.org.uk', 451, 1);
    const jobId = await enqueueEmail(database().db, email({ to: 'busy@example.org.uk' }), { idempotencyKey: 'busy' });
    const { handlers, deliveries } = mailHandlers();
    const { logger } = startWorker(t, handlers);

    const job = await waitFor('the email job to succeed', jobIn(jobId, 'succeeded', 'dead'));
    assert.equal(job.status, 'succeeded');
    assert.equal(job.attempts, 2);
    assert.equal(smtp.received.length, 1);
    assert.deepEqual(smtp.received[0]!.envelopeTo, ['busy@example.org.uk']);
    assert.equal(deliveries.length, 1);
    const retried = logger.entries.find((entry) => entry.message === 'Job failed; it will be tried again');
    assert.ok(retried?.details['err'] instanceof TemporaryDeliveryError);
  });

  test('a message that is not valid is refused when it is enqueued, not when it is sent', async () => {
    const { db } = database();
    await assert.rejects(
      enqueueEmail(db, email({ subject: 'Update\r\nBcc: everyone@example.org.uk' }), { idempotencyKey: 'bad' }),
      InvalidMessageError,
    );
    await assert.rejects(
      enqueueEmail(db, email({ text: `${'x'.repeat(70 * 1024)}\n` }), { idempotencyKey: 'long' }),
      /queued email is limited to 64 KiB/,
    );
    await assert.rejects(enqueueEmail(db, email(), { idempotencyKey: 'k'.repeat(191) }), InvalidJobError);
    assert.deepEqual(await countJobsByStatus(db), { queued: 0, running: 0, succeeded: 0, dead: 0 });
  });

  test('a queued payload that is not a valid message makes the job dead without sending', async (t) => {
    const { db } = database();
    // As if the stored payload had been changed or written by an older version.
    const jobId = await enqueueEmail(db, email(), { idempotencyKey: 'tampered' });
    await db
      .updateTable('jobs')
      .set({ payload: JSON.stringify({ ...email(), to: 'a@example.org.uk, b@example.org.uk' }) })
      .where('id', '=', jobId)
      .execute();
    const { handlers } = mailHandlers();
    startWorker(t, handlers);

    const job = await waitFor('the email job to die', jobIn(jobId, 'dead', 'succeeded'));
    assert.match(job.lastError ?? '', /^PermanentJobError: The message cannot be sent: to must be one email address/);
    assert.equal(smtp.received.length, 0);
  });
});
