import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { registerMailJobs } from '../../platform/mail/mail-jobs.ts';
import { startFakeNotify, type FakeNotify } from '../../platform/mail/test-fixtures/fake-notify.ts';
import { notifyEnv, notifySenders } from '../../platform/mail/test-fixtures/notify-platform.ts';
import { MAX_SMS_LENGTH } from '../../platform/sms/outbound-sms.ts';
import { registerSmsJobs } from '../../platform/sms/sms-jobs.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TestClient } from '../../platform/testing/test-app.ts';
import { registerSubscriptionJobs } from './subscription-jobs.ts';

const BASE = 'http://localhost:3000';
const FORM = '/westminster/cyber-incident/get-updates';

// With GOV.UK Notify configured (a local server that speaks its API), residents may choose text
// messages; email then goes through Notify too.
describeEachDatabase('subscriptions by text message', (database) => {
  let t: DemoApp;
  let notify: FakeNotify;
  let worker: JobWorker;
  let wcc: string;
  let incidentId: string;
  let comms: TestClient;
  let manager: TestClient;

  before(async () => {
    notify = await startFakeNotify();
    t = await createDemoApp(database(), { env: notifyEnv(notify) });
    wcc = t.organisationId('westminster');
    incidentId = t.incidentId;
    [comms, manager] = await Promise.all([t.staffClient('comms'), t.staffClient('incident-manager')]);
    const handlers = new JobHandlerRegistry();
    const { mailSender, smsSender } = notifySenders(t.config, notify);
    registerMailJobs(handlers, { sender: mailSender });
    registerSmsJobs(handlers, { sender: smsSender });
    registerSubscriptionJobs(handlers, { smsAvailable: true });
    worker = startTestWorker(database(), handlers);
  });
  after(async () => {
    await worker.stop();
    await t.close();
    await notify.close();
  });

  const textsTo = (phone: string) =>
    notify.requests
      .filter((r) => r.path === '/v2/notifications/sms' && r.status === 201 && r.body?.['phone_number'] === phone)
      .map((r) => String((r.body?.['personalisation'] as { body: string }).body));
  const textTo = (phone: string, containing: string) =>
    waitFor(`a text message to ${phone} containing "${containing}"`, () =>
      textsTo(phone).find((body) => body.includes(containing)),
    );
  const emailTo = (address: string, subject: string) =>
    waitFor(`an email to ${address} with subject "${subject}"`, () =>
      notify.requests.find(
        (r) =>
          r.path === '/v2/notifications/email' &&
          r.status === 201 &&
          r.body?.['email_address'] === address &&
          (r.body['personalisation'] as { subject: string }).subject === subject,
      ),
    );
  const linksIn = (text: string) => text.match(/https?:\/\/\S+/g) ?? [];

  const publish = async (title: string, body: string) => {
    const base = `/staff/incidents/${incidentId}/updates`;
    await comms.get(`${base}/new`);
    const created = await comms.post(`${base}/new`, { title, body, councils: wcc });
    const updateId = /\/updates\/([0-9a-f-]{36})\?/.exec(String(created.headers.location))?.[1] ?? '';
    await comms.get(`${base}/${updateId}`);
    assert.equal((await comms.post(`${base}/${updateId}/submit`)).statusCode, 303);
    const page = await manager.get(`${base}/${updateId}/approve`);
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.body)?.[1] ?? '';
    const approved = await manager.post(`${base}/${updateId}/approve`, {
      versionId: hidden('versionId'),
      seen: hidden('seen'),
    });
    assert.equal(approved.statusCode, 303);
    return updateId;
  };

  test('the form offers email or text message, and explains what is wrong', async () => {
    const resident = new TestClient(t.app);
    const form = await resident.get(FORM);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /How do you want to get updates\?/);
    assert.match(form.body, /name="channel" type="radio" value="sms"/);
    assert.match(form.body, /id="phone" name="phone" type="tel"/);

    const none = await resident.post(FORM, { email: '', phone: '' });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /<a href="#channel">Select how you want to get updates<\/a>/);

    const landline = await resident.post(FORM, { channel: 'sms', phone: '020 7641 6000' });
    assert.equal(landline.statusCode, 400);
    assert.match(
      landline.body,
      /<a href="#phone">Enter a UK mobile number, like 07700 900 982 or \+44 7700 900 982<\/a>/,
    );
    assert.match(landline.body, /value="020 7641 6000"/);
    assert.match(landline.body, /name="channel" type="radio" value="sms" checked/);
    assert.equal(await database().db.selectFrom('subscriptions').select('id').executeTakeFirst(), undefined);
  });

  test('sign up by text, confirm, get an update by text, and unsubscribe from the link in it', async () => {
    const resident = new TestClient(t.app);
    await resident.get(FORM);
    const posted = await resident.post(FORM, { channel: 'sms', phone: '07700 900 982' });
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, `${FORM}/check-your-phone`);
    assert.match((await resident.get(`${FORM}/check-your-phone`)).body, /sent a text message to your mobile phone/);

    // Stored in one spelling, whatever was typed; a second sign-up in another spelling is the same subscription.
    const stored = await database().db.selectFrom('subscriptions').selectAll().where('channel', '=', 'sms').execute();
    assert.deepEqual(
      stored.map((s) => [s.address, s.status]),
      [['+447700900982', 'pending']],
    );

    const confirmation = await textTo('+447700900982', 'To confirm');
    assert.match(confirmation, /^Westminster City Council: someone asked for text updates/);
    assert.match(confirmation, /Ref WR-[A-Z2-7]{8}$/);
    const [confirmLink] = linksIn(confirmation);
    assert.match(
      confirmLink!,
      /^http:\/\/localhost:3000\/westminster\/cyber-incident\/get-updates\/confirm\/[A-Za-z0-9_-]{43}$/,
    );
    const browser = new TestClient(t.app);
    const page = await browser.get(confirmLink!.slice(BASE.length));
    assert.match(page.body, /Confirm you want updates/);
    assert.equal((await browser.post(confirmLink!.slice(BASE.length))).statusCode, 303);
    assert.equal(
      (
        await database()
          .db.selectFrom('subscriptions')
          .select('status')
          .where('address', '=', '+447700900982')
          .executeTakeFirstOrThrow()
      ).status,
      'confirmed',
    );

    // An email subscriber beside them, to show both channels get the same update.
    const emailResident = new TestClient(t.app);
    await emailResident.get(FORM);
    await emailResident.post(FORM, { channel: 'email', email: 'both@example.com' });
    const confirmEmail = await emailTo(
      'both@example.com',
      'Confirm you want email updates from Westminster City Council',
    );
    const emailLink = linksIn(String((confirmEmail.body?.['personalisation'] as { body: string }).body))[0]!;
    await emailResident.get(emailLink.slice(BASE.length));
    await emailResident.post(emailLink.slice(BASE.length));

    const longTitle = `Libraries reopen ${'and more '.repeat(20)}`.slice(0, 120).trim();
    const updateId = await publish(longTitle, 'Libraries are open again for borrowing.');
    const update = await textTo('+447700900982', 'cyber incident update');
    assert.ok(update.length <= MAX_SMS_LENGTH, `${update.length} characters`);
    assert.match(update, /^Westminster City Council cyber incident update: Libraries reopen and more/);
    assert.ok(update.includes(longTitle), 'the longest title allowed fits whole');
    assert.doesNotMatch(
      update,
      /Libraries are open again/,
      'a text carries the title and a link, not the whole update',
    );
    const links = linksIn(update);
    assert.equal(links[0], `${BASE}/westminster/cyber-incident/updates/${updateId}`);
    assert.match(links[1]!, /^http:\/\/localhost:3000\/westminster\/cyber-incident\/unsubscribe\/[A-Za-z0-9_-]{43}$/);
    await emailTo('both@example.com', longTitle);

    const unsubscribe = links[1]!.slice(BASE.length);
    const unsubscribePage = await browser.get(unsubscribe);
    assert.match(unsubscribePage.body, /Stop getting updates/);
    const done = await browser.post(unsubscribe);
    assert.equal(done.statusCode, 200);
    assert.match(done.body, /You’ve unsubscribed/);

    const textsBefore = textsTo('+447700900982').length;
    await publish('Parking permits', 'Parking permits can be renewed online again.');
    await emailTo('both@example.com', 'Parking permits');
    assert.equal(textsTo('+447700900982').length, textsBefore, 'no more texts after unsubscribing');
  });
});
