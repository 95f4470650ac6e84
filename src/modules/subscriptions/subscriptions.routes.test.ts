import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { registerMailJobs } from '../../platform/mail/mail-jobs.ts';
import { createSmtpSender } from '../../platform/mail/smtp-sender.ts';
import {
  startSmtpTestServer,
  type ReceivedSmtpMail,
  type SmtpTestServer,
} from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TestClient } from '../../platform/testing/test-app.ts';
import { NOTIFY_SUBSCRIBERS_JOB, registerSubscriptionJobs } from './subscription-jobs.ts';

const BASE = 'http://localhost:3000';
const FORM = '/westminster/cyber-incident/get-updates';
const COUNCIL_NAME = 'Westminster City Council';

describeEachDatabase('email subscriptions', (database) => {
  let t: DemoApp;
  let smtp: SmtpTestServer;
  let worker: JobWorker;
  let wcc: string;
  let incidentId: string;
  let comms: TestClient;
  let manager: TestClient;

  const staffClient = (role: Role) => t.staffClient(role, wcc);

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    incidentId = t.incidentId;
    [comms, manager] = await Promise.all([staffClient('comms'), staffClient('incident-manager')]);
    smtp = await startSmtpTestServer();
    // The platform's mail handler on a real SMTP sender, with this module's fan-out beside it.
    const handlers = new JobHandlerRegistry();
    registerMailJobs(handlers, { sender: createSmtpSender(smtp.config) });
    registerSubscriptionJobs(handlers, { smsAvailable: false });
    worker = startTestWorker(database(), handlers);
  });
  after(async () => {
    await worker.stop();
    await smtp.close();
    await t.close();
  });

  const mailTo = (address: string, subject: string) =>
    waitFor(`an email to ${address} with subject "${subject}"`, () =>
      smtp.received.find((m) => m.envelopeTo.includes(address) && m.header('subject') === subject),
    );
  const linksIn = (mail: ReceivedSmtpMail) => mail.text.match(/https?:\/\/\S+/g) ?? [];
  const pathOf = (url: string) => url.slice(BASE.length);
  const subscription = (email: string) =>
    database()
      .db.selectFrom('subscriptions')
      .selectAll()
      .where('channel', '=', 'email')
      .where('address', '=', email)
      .executeTakeFirstOrThrow();

  /** Signs up through the form as a resident's browser would; returns the confirmation email. */
  const signUp = async (email: string) => {
    const resident = new TestClient(t.app);
    await resident.get(FORM);
    const posted = await resident.post(FORM, { email });
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, `${FORM}/check-your-email`);
    return mailTo(email.toLowerCase(), `Confirm you want email updates from ${COUNCIL_NAME}`);
  };
  const confirmLinkIn = (mail: ReceivedSmtpMail) => {
    const link = linksIn(mail).find((l) => l.includes('/get-updates/confirm/'));
    assert.ok(link, mail.text);
    return link;
  };
  const confirmThroughPage = async (link: string) => {
    const browser = new TestClient(t.app);
    const page = await browser.get(pathOf(link));
    assert.equal(page.statusCode, 200);
    const confirmed = await browser.post(pathOf(link));
    assert.equal(confirmed.statusCode, 303);
    return browser.get(String(confirmed.headers.location));
  };

  /** What a mail program sends for RFC 8058 one-click unsubscribe: no cookies, no CSRF token. */
  const oneClick = (url: string): Promise<LightMyRequestResponse> =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });

  /** Drafts, submits and approves an update as two different people, through the staff pages. */
  const publish = async (title: string, body: string): Promise<{ updateId: string; versionId: string }> => {
    const base = `/staff/incidents/${incidentId}/updates`;
    await comms.get(`${base}/new`);
    const created = await comms.post(`${base}/new`, { title, body, councils: wcc });
    const updateId = /\/updates\/([0-9a-f-]{36})\?/.exec(String(created.headers.location))?.[1] ?? '';
    assert.ok(updateId, String(created.headers.location));
    await comms.get(`${base}/${updateId}`);
    assert.equal((await comms.post(`${base}/${updateId}/submit`)).statusCode, 303);
    const page = await manager.get(`${base}/${updateId}/approve`);
    const hidden = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(page.body)?.[1] ?? '';
    const approved = await manager.post(`${base}/${updateId}/approve`, {
      versionId: hidden('versionId'),
      seen: hidden('seen'),
    });
    assert.equal(approved.statusCode, 303);
    return { updateId, versionId: hidden('versionId') };
  };
  const fanOutFinished = (versionId: string) =>
    waitFor(`the subscriber emails for version ${versionId} to be queued`, async () => {
      const job = await database()
        .db.selectFrom('jobs')
        .selectAll()
        .where('kind', '=', NOTIFY_SUBSCRIBERS_JOB)
        .where('idempotency_key', '=', `${NOTIFY_SUBSCRIBERS_JOB}:${versionId}`)
        .executeTakeFirst();
      return job?.status === 'succeeded' ? job : undefined;
    });

  /** The emails queued to an address, sent or not: what the worker will send, not just what it has. */
  const mailJobsFor = async (address: string) =>
    (await database().db.selectFrom('jobs').select('payload').where('kind', '=', 'mail.send').execute()).filter((j) =>
      j.payload.includes(`"to":"${address}"`),
    ).length;

  test('the form explains a wrong address and keeps what was typed', async () => {
    const resident = new TestClient(t.app);
    const form = await resident.get(FORM);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1 class="govuk-heading-l">Get email updates<\/h1>/);
    assert.match(form.body, /We’ll only use your email address to send you updates about the cyber incident/);
    assert.match(form.body, /name="_csrf" value="[^"]+"/);

    const wrong = await resident.post(FORM, { email: 'someone at example.com' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /There is a problem/);
    assert.match(
      wrong.body,
      /<a href="#email">Enter an email address in the correct format, like name@example.com<\/a>/,
    );
    assert.match(wrong.body, /id="email-error"/);
    assert.match(wrong.body, /value="someone at example.com"/);

    const empty = await resident.post(FORM, { email: '  ' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /Enter your email address/);

    const forged = await resident.post(FORM, { _csrf: 'not-the-token', email: 'forged@example.com' });
    assert.equal(forged.statusCode, 403);
    assert.equal(
      await database()
        .db.selectFrom('subscriptions')
        .select('id')
        .where('address', '=', 'forged@example.com')
        .executeTakeFirst(),
      undefined,
    );
    assert.equal((await resident.get('/no-such-council/cyber-incident/get-updates')).statusCode, 404);
  });

  test('sign up, confirm, get an update by email, unsubscribe in one click, and get no more', async () => {
    const address = 'resident.one@example.com';
    const confirmation = await signUp('Resident.One@Example.com');

    // The confirmation email: the council named, the link in full on the public address, and no
    // link but that one and the unsubscribe link.
    assert.match(confirmation.text, /updates about the cyber incident at Westminster City Council/);
    const confirmLink = confirmLinkIn(confirmation);
    assert.match(
      confirmLink,
      /^http:\/\/localhost:3000\/westminster\/cyber-incident\/get-updates\/confirm\/[A-Za-z0-9_-]{43}$/,
    );
    const links = linksIn(confirmation);
    assert.equal(links.length, 2, confirmation.text);
    assert.match(links[1]!, /^http:\/\/localhost:3000\/westminster\/cyber-incident\/unsubscribe\/[A-Za-z0-9_-]{43}$/);
    assert.equal(confirmation.header('list-unsubscribe'), `<${links[1]}>`);
    assert.equal(confirmation.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.match(confirmation.text, /Verification reference: WR-[A-Z2-7]{8}\n/);

    // Only the token's hash is stored.
    const token = confirmLink.split('/').pop()!;
    const pending = await subscription(address);
    assert.equal(pending.status, 'pending');
    assert.equal(pending.confirm_token_hash, createHash('sha256').update(token).digest('hex'));
    assert.doesNotMatch(JSON.stringify(pending), new RegExp(token));

    // Opening the link (as a mail system's link scanner would) confirms nothing: the button does.
    const browser = new TestClient(t.app);
    const page = await browser.get(pathOf(confirmLink));
    assert.match(page.body, /Confirm you want updates/);
    assert.match(page.body, /data-qa="confirm"/);
    assert.equal((await subscription(address)).status, 'pending');
    const subscribed = await confirmThroughPage(confirmLink);
    assert.equal(subscribed.statusCode, 200);
    assert.match(subscribed.body, /You’re subscribed/);
    assert.equal((await subscription(address)).status, 'confirmed');
    // Opening the link again, or pressing the button in a page left open, is harmless.
    assert.match((await browser.get(pathOf(confirmLink))).body, /You’re subscribed/);
    const pressedAgain = await browser.post(pathOf(confirmLink));
    assert.equal(pressedAgain.statusCode, 303);
    assert.equal((await subscription(address)).status, 'confirmed');

    // A second subscriber, so that the last step below shows sending still works for others.
    const other = 'resident.two@example.com';
    await confirmThroughPage(confirmLinkIn(await signUp(other)));

    const first = await publish(
      'Council tax payments',
      'You can pay council tax by phone again.\n\nCall 020 7641 6000.',
    );
    const update = await mailTo(address, 'Council tax payments');
    assert.match(update.text, /^Westminster City Council: an update about the cyber incident\n/);
    assert.match(update.text, /You can pay council tax by phone again.\n\nCall 020 7641 6000./);
    assert.ok(update.text.includes(`${BASE}/westminster/cyber-incident/updates/${first.updateId}\n`), update.text);
    assert.match(update.text, /Verification reference: WR-[A-Z2-7]{8}\n/);
    const unsubscribeHeader = update.header('list-unsubscribe') ?? '';
    const unsubscribeLink =
      /^<(http:\/\/localhost:3000\/westminster\/cyber-incident\/unsubscribe\/[A-Za-z0-9_-]{43})>$/.exec(
        unsubscribeHeader,
      )?.[1];
    assert.ok(unsubscribeLink, unsubscribeHeader);
    assert.equal(update.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.deepEqual(
      linksIn(update).sort(),
      [`${BASE}/westminster/cyber-incident/updates/${first.updateId}`, unsubscribeLink].sort(),
    );
    await mailTo(other, 'Council tax payments');
    const fanOut = await fanOutFinished(first.versionId);
    assert.equal(fanOut.progress_done, 2);
    assert.equal(fanOut.progress_total, 2);

    // The link in the email shows a page with a button; the mail program's one-click POST (no
    // cookies, no CSRF token) unsubscribes at once, and doing it again changes nothing.
    const unsubscribePage = await new TestClient(t.app).get(pathOf(unsubscribeLink));
    assert.equal(unsubscribePage.statusCode, 200);
    assert.match(unsubscribePage.body, /Stop getting updates/);
    assert.equal((await subscription(address)).status, 'confirmed');
    for (let i = 0; i < 2; i += 1) {
      const answer = await oneClick(pathOf(unsubscribeLink));
      assert.equal(answer.statusCode, 200);
      assert.match(answer.body, /You’ve unsubscribed/);
    }
    assert.equal((await subscription(address)).status, 'unsubscribed');
    assert.match((await new TestClient(t.app).get(pathOf(unsubscribeLink))).body, /You’ve unsubscribed/);

    const queuedBefore = await mailJobsFor(address);
    const second = await publish('Parking permits', 'Parking permits can be renewed online again.');
    await mailTo(other, 'Parking permits');
    await fanOutFinished(second.versionId);
    assert.equal(await mailJobsFor(address), queuedBefore, 'nothing more is queued for the unsubscribed address');
    assert.equal(
      smtp.received.filter((m) => m.envelopeTo.includes(address) && m.header('subject') === 'Parking permits').length,
      0,
    );
    // Each subscriber got the first update once, whatever retries happened.
    assert.equal(smtp.received.filter((m) => m.header('subject') === 'Council tax payments').length, 2);
  });

  test('a new and an already subscribed address get the same answer, and only the new one gets an email', async () => {
    const confirmed = 'already@example.com';
    await confirmThroughPage(confirmLinkIn(await signUp(confirmed)));
    const queuedBefore = await mailJobsFor(confirmed);

    const answers = [];
    for (const email of [confirmed, 'newcomer@example.com']) {
      const resident = new TestClient(t.app);
      await resident.get(FORM);
      const posted = await resident.post(FORM, { email });
      const page = await resident.get(String(posted.headers.location));
      answers.push({
        status: posted.statusCode,
        location: posted.headers.location,
        body: page.body.replace(/name="_csrf" value="[^"]+"/g, ''),
      });
    }
    assert.deepEqual(answers[0], answers[1]);
    assert.match(answers[0]!.body, /Check your email/);

    await mailTo('newcomer@example.com', `Confirm you want email updates from ${COUNCIL_NAME}`);
    assert.equal(await mailJobsFor(confirmed), queuedBefore, 'a confirmed subscriber is sent nothing');
    assert.equal((await subscription(confirmed)).status, 'confirmed');

    // Asking again straight away for a pending address sends no second email either.
    const queued = await mailJobsFor('newcomer@example.com');
    assert.equal(queued, 1);
    const again = new TestClient(t.app);
    await again.get(FORM);
    assert.equal((await again.post(FORM, { email: 'newcomer@example.com' })).statusCode, 303);
    assert.equal(await mailJobsFor('newcomer@example.com'), 1);
  });

  test('an expired or unknown confirmation link says so and confirms nothing', async () => {
    const address = 'late@example.com';
    const link = confirmLinkIn(await signUp(address));
    await database()
      .db.updateTable('subscriptions')
      .set({ confirm_expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('address', '=', address)
      .execute();

    const browser = new TestClient(t.app);
    // The button on a page opened before the link expired, pressed after.
    await browser.get(FORM);
    const expired = await browser.get(pathOf(link));
    assert.equal(expired.statusCode, 410);
    assert.match(expired.body, /This link has expired/);
    assert.doesNotMatch(expired.body, /data-qa="confirm"/);
    const tried = await browser.post(pathOf(link));
    assert.equal(tried.statusCode, 303);
    assert.match((await browser.get(String(tried.headers.location))).body, /This link has expired/);
    assert.equal((await subscription(address)).status, 'pending');

    const unknown = await browser.get(`${FORM}/confirm/${'A'.repeat(43)}`);
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.body, /This link does not work/);
    const unknownUnsubscribe = await oneClick(`/westminster/cyber-incident/unsubscribe/${'A'.repeat(43)}`);
    assert.equal(unknownUnsubscribe.statusCode, 404);
  });
});
