import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { startJobWorker } from '../../platform/jobs/job-worker.ts';
import { createMemoryLogger } from '../../platform/jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { createNotifyClient } from '../../platform/mail/notify-client.ts';
import {
  GENERIC_EMAIL_TEMPLATE_ID,
  GENERIC_SMS_TEMPLATE_ID,
  startFakeNotify,
  type FakeNotify,
} from '../../platform/mail/test-fixtures/fake-notify.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { registerCampaignJobs } from './campaign-jobs.ts';
import { createNotifyCampaignSender } from './campaign-senders.ts';
import * as repo from './campaigns.repository.ts';
import { bearerMatches, NOTIFY_CALLBACK_PATH } from './notify-callbacks.routes.ts';
import { insertAffectedPeople, PASSING_TEMPLATE, withoutDemoPeople } from './test-support.ts';

const TOKEN = 'callback-token-callback-token-0123456789';

test('the bearer token is compared whole', () => {
  assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
  assert.equal(bearerMatches(`Bearer ${TOKEN}x`, TOKEN), false);
  assert.equal(bearerMatches(TOKEN, TOKEN), false);
  assert.equal(bearerMatches(undefined, TOKEN), false);
  assert.equal(bearerMatches(`Bearer ${TOKEN}`, undefined), false);
});

let notify: FakeNotify;
before(async () => {
  notify = await startFakeNotify();
});
after(async () => {
  await notify.close();
});

describeEachDatabase('GOV.UK Notify delivery-status callbacks', (database) => {
  let t: DemoApp;
  before(async () => {
    t = await createDemoApp(database(), { env: { NOTIFY_CALLBACK_TOKEN: TOKEN } });
    await withoutDemoPeople(database().db);
  });
  after(async () => {
    await t.close();
  });

  /** What Notify POSTs for a notification it holds. */
  const callback = (n: { id: string; reference: string | null; to: string }, status: string) => ({
    id: n.id,
    reference: n.reference,
    to: n.to,
    status,
    created_at: nowIso(),
    completed_at: nowIso(),
    sent_at: nowIso(),
    notification_type: 'email',
    template_id: GENERIC_EMAIL_TEMPLATE_ID,
    template_version: 1,
  });
  const post = (payload: unknown, token: string | null = TOKEN) =>
    t.app.inject({
      method: 'POST',
      url: NOTIFY_CALLBACK_PATH,
      payload: payload as Record<string, unknown>,
      headers: token === null ? {} : { authorization: `Bearer ${token}` },
    });

  test('a campaign sent through Notify: each callback sets its person’s status, once, and only with the token', async () => {
    const { db } = database();
    const westminster = t.organisationId('westminster');
    const [ann, bo] = await insertAffectedPeople(db, t.incidentId, [
      {
        name: 'Ann',
        email: 'ann.cb@example.org.uk',
        councils: [{ organisationId: westminster, categories: ['contact'] }],
      },
      {
        name: 'Bo',
        email: 'bo.cb@example.org.uk',
        councils: [{ organisationId: westminster, categories: ['contact'] }],
      },
    ]);
    // An approved, queued campaign (the approval rules are tested with the service).
    const id = newId();
    const now = nowIso();
    await repo.insertCampaign(db, {
      id,
      incident_id: t.incidentId,
      organisation_id: westminster,
      title: 'Callbacks',
      status: 'queueing',
      version: 1,
      email_subject: PASSING_TEMPLATE.emailSubject,
      email_body: PASSING_TEMPLATE.emailBody,
      sms_body: PASSING_TEMPLATE.smsBody,
      letter_body: PASSING_TEMPLATE.letterBody,
      rate_per_minute: 3000,
      created_at: now,
      created_by_user_id: null,
      created_by_label: 'test',
      updated_at: now,
      approved_at: now,
      approved_by_user_id: null,
      approved_by_label: 'test',
      queue_cursor: null,
      people_total: 0,
      queued_at: null,
      finished_at: null,
    });
    await db
      .transaction()
      .execute((trx) =>
        enqueueJob(trx, { kind: 'campaign.queue', payload: { campaignId: id }, organisationId: westminster }),
      );
    const client = createNotifyClient({ apiKey: notify.apiKey, baseUrl: notify.baseUrl });
    const registry = new JobHandlerRegistry();
    registerCampaignJobs(registry, {
      senders: {
        email: createNotifyCampaignSender(client, { channel: 'email', templateId: GENERIC_EMAIL_TEMPLATE_ID }),
        sms: createNotifyCampaignSender(client, { channel: 'sms', templateId: GENERIC_SMS_TEMPLATE_ID }),
      },
    });
    const worker = startJobWorker({
      database: database(),
      handlers: registry,
      logger: createMemoryLogger(),
      pollIntervalMs: 20,
    });
    try {
      await waitFor('the campaign to finish', async () => (await repo.findCampaign(db, id))?.status === 'done', {
        timeoutMs: 20_000,
      });
    } finally {
      await worker.stop();
    }
    const annRow = (await repo.findRecipient(db, id, ann!))!;
    const boRow = (await repo.findRecipient(db, id, bo!))!;
    assert.equal(annRow.status, 'sent');
    const toAnn = notify.sent().find((n) => n.reference === annRow.reference)!;
    const toBo = notify.sent().find((n) => n.reference === boRow.reference)!;

    // No token, a wrong one: refused, nothing changes.
    assert.equal((await post(callback(toAnn, 'delivered'), null)).statusCode, 401);
    assert.equal((await post(callback(toAnn, 'delivered'), `${TOKEN}-wrong`)).statusCode, 401);
    assert.equal((await repo.findRecipient(db, id, ann!))?.status, 'sent');
    // No CSRF token needed; a malformed callback is a 400.
    assert.equal((await post({ status: 'delivered' })).statusCode, 400);
    assert.equal((await post({ ...callback(toAnn, 'delivered'), status: 'exploded' })).statusCode, 400);

    assert.equal((await post(callback(toAnn, 'delivered'))).statusCode, 204);
    assert.equal((await post(callback(toAnn, 'delivered'))).statusCode, 204); // repeated: idempotent
    assert.equal((await repo.findRecipient(db, id, ann!))?.status, 'delivered');
    // Found by Notify's id when the reference is missing.
    assert.equal((await post({ ...callback(toBo, 'permanent-failure'), reference: null })).statusCode, 204);
    const bounced = (await repo.findRecipient(db, id, bo!))!;
    assert.equal(bounced.status, 'permanent-failure');
    assert.match(bounced.last_error ?? '', /permanent-failure/);
    // A late temporary failure does not undo a delivery.
    assert.equal((await post(callback(toAnn, 'temporary-failure'))).statusCode, 204);
    assert.equal((await repo.findRecipient(db, id, ann!))?.status, 'delivered');
    // A message that is not a campaign's is accepted and ignored.
    assert.equal(
      (await post(callback({ id: newId(), reference: 'WR-AAAAAAAA', to: 'x' }, 'delivered'))).statusCode,
      204,
    );
  });

  test('callbacks are refused while no token is configured', async () => {
    const plain = await createDemoApp(database());
    try {
      const response = await plain.app.inject({
        method: 'POST',
        url: NOTIFY_CALLBACK_PATH,
        payload: { id: newId(), reference: 'WR-AAAAAAAA', status: 'delivered' },
        headers: { authorization: 'Bearer ' },
      });
      assert.equal(response.statusCode, 401);
    } finally {
      await plain.close();
    }
  });
});
