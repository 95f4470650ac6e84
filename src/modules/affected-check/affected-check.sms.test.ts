import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { startFakeNotify, type FakeNotify } from '../../platform/mail/test-fixtures/fake-notify.ts';
import { notifyEnv, notifySenders } from '../../platform/mail/test-fixtures/notify-platform.ts';
import { MAX_SMS_LENGTH } from '../../platform/sms/outbound-sms.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TEST_SESSION_SECRET, TestClient } from '../../platform/testing/test-app.ts';
import { registerAffectedCheckJobs } from './affected-check-jobs.ts';
import { insertAffectedPerson } from './affected-people.test-support.ts';

const FORM = '/kensington-chelsea/cyber-incident/were-you-affected';

// With GOV.UK Notify configured (a local server that speaks its API), the answer may go by text.
describeEachDatabase('were you affected? by text message', (database) => {
  let t: DemoApp;
  let notify: FakeNotify;
  let worker: JobWorker;

  before(async () => {
    notify = await startFakeNotify();
    t = await createDemoApp(database(), { env: notifyEnv(notify) });
    const handlers = new JobHandlerRegistry();
    registerAffectedCheckJobs(handlers, {
      sessionSecret: TEST_SESSION_SECRET,
      publicBaseUrl: 'http://localhost:3000',
      ...notifySenders(t.config, notify),
    });
    worker = startTestWorker(database(), handlers);
    await insertAffectedPerson(database().db, {
      incidentId: t.incidentId,
      councilIds: [t.organisationId('kensington-chelsea')],
      phone: '+447700900123',
    });
  });
  after(async () => {
    await worker.stop();
    await t.close();
    await notify.close();
  });

  const textTo = (phone: string) =>
    waitFor(`a text message to ${phone}`, () => {
      const sent = notify.requests.find(
        (r) => r.path === '/v2/notifications/sms' && r.status === 201 && r.body?.['phone_number'] === phone,
      );
      return sent ? String((sent.body?.['personalisation'] as { body: string }).body) : undefined;
    });

  test('the form offers a text message; a listed and an unlisted number get the same page and different texts', async () => {
    const pages = [];
    for (const phone of ['07700 900123', '+44 7700 900456']) {
      const client = new TestClient(t.app);
      const form = await client.get(FORM);
      assert.match(form.body, /name="channel" type="radio" value="sms"/);
      const posted = await client.post(FORM, { channel: 'sms', phone });
      assert.equal(posted.statusCode, 303);
      assert.equal(posted.headers.location, `${FORM}/check-your-phone`);
      pages.push((await client.get(String(posted.headers.location))).body);
    }
    assert.equal(pages[0], pages[1]);
    assert.match(pages[0]!, /Check your phone/);

    const found = await textTo('+447700900123');
    const notFound = await textTo('+447700900456');
    assert.match(found, /We found it in the data copied from Royal Borough of Kensington and Chelsea\./);
    assert.match(notFound, /We did not find it in the data we hold/);
    for (const text of [found, notFound]) {
      assert.ok(text.length <= MAX_SMS_LENGTH);
      assert.match(text, /Ref WR-[A-Z2-7]{8}$/);
    }
  });

  test('choosing nothing is an error on the radios', async () => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    const posted = await client.post(FORM, { email: 'someone@example.org' });
    assert.equal(posted.statusCode, 400);
    assert.match(posted.body, /<a href="#channel">Select how you want to get the answer<\/a>/);
  });
});
