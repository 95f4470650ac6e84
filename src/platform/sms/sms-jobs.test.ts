import assert from 'node:assert/strict';
import { after, before, beforeEach, test, type TestContext } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { startTestWorker } from '../jobs/test-fixtures/test-worker.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { jobIn, waitFor } from '../jobs/test-fixtures/wait-for.ts';
import { GENERIC_SMS_TEMPLATE_ID, startFakeNotify, type FakeNotify } from '../mail/test-fixtures/fake-notify.ts';
import { enqueueSms, registerSmsJobs } from './sms-jobs.ts';
import { createSmsSender, smsConfigured, type SmsSender } from './sms-sender.ts';

let notify: FakeNotify;
before(async () => {
  notify = await startFakeNotify();
});
after(() => notify.close());

const text = {
  to: '+447700900982',
  body: 'Westminster City Council: libraries are open again.',
  reference: 'WR-ABCDEFGH',
};

test('text messages are offered only with a Notify key and a text message template', () => {
  const key = 'wardroom-00000000-0000-0000-0000-000000000000-00000000-0000-0000-0000-000000000000';
  assert.equal(smsConfigured({ notifyApiKey: undefined, notifySmsTemplateId: GENERIC_SMS_TEMPLATE_ID }), false);
  assert.equal(smsConfigured({ notifyApiKey: key, notifySmsTemplateId: undefined }), false);
  assert.equal(smsConfigured({ notifyApiKey: key, notifySmsTemplateId: GENERIC_SMS_TEMPLATE_ID }), true);
  assert.equal(
    createSmsSender({
      notifyApiKey: key,
      notifySmsTemplateId: undefined,
      notifySmsSenderId: undefined,
      notifyBaseUrl: undefined,
    }),
    undefined,
  );
});

describeEachDatabase('text message jobs', (database) => {
  beforeEach(async () => {
    await clearJobs(database().db);
    notify.reset();
  });

  const sender = (): SmsSender => {
    const configured = createSmsSender({
      notifyApiKey: notify.apiKey,
      notifySmsTemplateId: GENERIC_SMS_TEMPLATE_ID,
      notifySmsSenderId: undefined,
      notifyBaseUrl: notify.baseUrl,
    });
    assert.ok(configured);
    return configured;
  };

  function startWorker(t: TestContext, smsSender: SmsSender | undefined) {
    const handlers = new JobHandlerRegistry();
    registerSmsJobs(handlers, { sender: smsSender });
    const worker = startTestWorker(database(), handlers);
    t.after(() => worker.stop());
  }

  const sent = () => notify.requests.filter((r) => r.path === '/v2/notifications/sms' && r.status === 201);

  test('a queued text is sent once through Notify, and queueing it again with the same key does nothing', async (t) => {
    const { db } = database();
    const first = await enqueueSms(db, text, { idempotencyKey: 'libraries:1' });
    const again = await enqueueSms(db, text, { idempotencyKey: 'libraries:1' });
    assert.equal(again, first);
    startWorker(t, sender());
    const job = await waitFor('the text job to finish', jobIn(db, first, 'succeeded', 'dead'));
    assert.equal(job.status, 'succeeded');
    assert.equal(sent().length, 1);
    assert.deepEqual(sent()[0]?.body, {
      template_id: GENERIC_SMS_TEMPLATE_ID,
      phone_number: '+447700900982',
      personalisation: { body: text.body },
      reference: 'WR-ABCDEFGH',
    });
  });

  test('a bad text is refused when queued, and nothing is queued', async () => {
    const { db } = database();
    await assert.rejects(enqueueSms(db, { ...text, to: '020 7641 6000' }, { idempotencyKey: 'bad' }), /UK mobile/);
    await assert.rejects(enqueueSms(db, text, { idempotencyKey: '' }), /idempotency key/);
    assert.equal(await db.selectFrom('jobs').select('id').executeTakeFirst(), undefined);
  });

  test('with text messages not configured, a queued text fails with what to set; Notify refusing it fails it for good', async (t) => {
    const { db } = database();
    const orphan = await enqueueSms(db, text, { idempotencyKey: 'orphan' });
    startWorker(t, undefined);
    const dead = await waitFor('the job to fail', jobIn(db, orphan, 'succeeded', 'dead'));
    assert.equal(dead.status, 'dead');
    assert.match(dead.lastError ?? '', /NOTIFY_SMS_TEMPLATE_ID/);

    await clearJobs(db);
    notify.answerNext(400, {
      status_code: 400,
      errors: [{ error: 'BadRequestError', message: "Can't send to this recipient using a team-only API key" }],
    });
    const refused = await enqueueSms(db, text, { idempotencyKey: 'refused' });
    startWorker(t, sender());
    const job = await waitFor('the refused job to fail', jobIn(db, refused, 'succeeded', 'dead'));
    assert.equal(job.status, 'dead');
    assert.equal(job.attempts, 1, 'a refusal is not tried again');
  });
});
