import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { createSmtpSender } from '../../platform/mail/smtp-sender.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TEST_SESSION_SECRET, TestClient } from '../../platform/testing/test-app.ts';
import { runHousekeeping } from '../../platform/housekeeping/housekeeping.ts';
import { registerAffectedCheckJobs } from './affected-check-jobs.ts';
import { AFFECTED_CHECK_JOB } from './affected-check.service.ts';
import { insertAffectedPerson } from './affected-people.test-support.ts';

const FORM = '/westminster/cyber-incident/were-you-affected';
const SUBJECT = 'Your answer from Westminster City Council about the cyber incident';
const LISTED = 'listed.person@example.org';
const UNLISTED = 'unlisted.person@example.org';

/** What differs between two requests for reasons other than the answer: the CSRF token, dates, cookies. */
function comparable(response: LightMyRequestResponse) {
  const headers = { ...response.headers };
  for (const name of ['date', 'set-cookie', 'content-length', 'keep-alive', 'connection']) delete headers[name];
  return {
    status: response.statusCode,
    headers,
    body: response.body.replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="TOKEN"'),
  };
}

describeEachDatabase('were you affected?', (database) => {
  let t: DemoApp;
  let smtp: SmtpTestServer;
  let worker: JobWorker;
  let nextIp = 1;
  // Each resident comes from an address of their own, so the per-client limit is tested on its own.
  const resident = () => new TestClient(t.app, `192.0.2.${nextIp++}`);

  before(async () => {
    t = await createDemoApp(database());
    smtp = await startSmtpTestServer();
    const handlers = new JobHandlerRegistry();
    registerAffectedCheckJobs(handlers, {
      sessionSecret: TEST_SESSION_SECRET,
      publicBaseUrl: 'http://localhost:3000',
      mailSender: createSmtpSender(smtp.config),
      smsSender: undefined,
    });
    worker = startTestWorker(database(), handlers);
    // Found in the copied data of two councils; the check is made at a third page's council.
    await insertAffectedPerson(database().db, {
      incidentId: t.incidentId,
      councilIds: [t.organisationId('westminster'), t.organisationId('kensington-chelsea')],
      email: LISTED,
    });
  });
  beforeEach(() => smtp.reset());
  after(async () => {
    await worker.stop();
    await smtp.close();
    await t.close();
  });

  const mailTo = (address: string) =>
    waitFor(`an email to ${address}`, () => smtp.received.find((m) => m.envelopeTo.includes(address)));
  const checkJobs = () =>
    database()
      .db.selectFrom('jobs')
      .select(['id', 'payload', 'status'])
      .where('kind', '=', AFFECTED_CHECK_JOB)
      .execute();

  /** The whole of one check, as a browser without JavaScript makes it. */
  const check = async (email: string, client = resident()) => {
    const form = await client.get(FORM);
    const posted = await client.post(FORM, { email });
    const page = posted.statusCode === 303 ? await client.get(String(posted.headers.location)) : undefined;
    return { form, posted, page };
  };

  test('the incident page links to the check, and the form asks for an email address only when texts are off', async () => {
    const incident = await new TestClient(t.app).get('/westminster/cyber-incident');
    assert.match(incident.body, /href="\/westminster\/cyber-incident\/were-you-affected"/);
    const form = await resident().get(FORM);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Find out if your details were in the copied data/);
    assert.match(form.body, /name="email" type="email"/);
    assert.doesNotMatch(form.body, /name="channel"/);
    assert.doesNotMatch(form.body, /name="phone"/);
    assert.equal((await resident().get('/no-such-council/cyber-incident/were-you-affected')).statusCode, 404);
    assert.equal((await resident().get(`${FORM}/check-your-phone`)).statusCode, 404);
  });

  test('bad input is shown with an error summary, what was typed is kept, and nothing is queued', async () => {
    const before = (await checkJobs()).length;
    const client = resident();
    await client.get(FORM);
    const empty = await client.post(FORM, { email: '   ' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /There is a problem/);
    assert.match(empty.body, /<a href="#email">Enter your email address<\/a>/);
    const wrong = await client.post(FORM, { email: 'not an address' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Enter an email address in the correct format, like name@example.com/);
    assert.match(wrong.body, /value="not an address"/);
    const noToken = await client.post(FORM, { email: LISTED, _csrf: null });
    assert.equal(noToken.statusCode, 403);
    assert.equal((await checkJobs()).length, before);
  });

  test('a listed and an unlisted address get the same pages; only the messages differ', async () => {
    const listed = await check(LISTED);
    const unlisted = await check(UNLISTED);
    assert.equal(listed.posted.statusCode, 303);
    assert.equal(listed.posted.headers.location, `${FORM}/check-your-email`);
    assert.deepEqual(comparable(listed.posted), comparable(unlisted.posted));
    assert.ok(listed.page && unlisted.page);
    assert.deepEqual(comparable(listed.page), comparable(unlisted.page));
    assert.match(listed.page.body, /Check your email/);
    assert.match(listed.page.body, /What to do now, whatever the answer/);
    assert.doesNotMatch(listed.page.body, new RegExp(LISTED));

    const found = await mailTo(LISTED);
    const notFound = await mailTo(UNLISTED);
    assert.equal(found.header('subject'), SUBJECT);
    assert.equal(notFound.header('subject'), SUBJECT, 'the same subject either way');
    assert.match(
      found.text,
      /We found this email address in the data copied from Royal Borough of Kensington and Chelsea and Westminster City Council\./,
    );
    assert.match(notFound.text, /We did not find this email address in the data we hold/);
    for (const mail of [found, notFound]) {
      assert.match(mail.text, /We will never ask you for a password/);
      assert.match(mail.text, /http:\/\/localhost:3000\/westminster\/is-this-really-us/);
      for (const link of mail.text.match(/https?:\/\/\S+/g) ?? [])
        assert.match(link, /^http:\/\/localhost:3000\/westminster\//);
      // The reference it carries is one the public check confirms.
      const reference = /Verification reference: (WR-[A-Z2-7]{8})/.exec(mail.text)?.[1];
      assert.ok(reference, mail.text);
      const checker = new TestClient(t.app);
      await checker.get('/westminster/is-this-really-us');
      const answer = await checker.post('/westminster/is-this-really-us', { contact: reference });
      assert.match(answer.body, /data-answer="genuine"/);
    }

    // No address stays in the jobs table or the audit log.
    await waitFor('both checks to finish', async () => {
      const jobs = await checkJobs();
      return jobs.length >= 2 && jobs.every((j) => j.status === 'succeeded') ? jobs : undefined;
    });
    const everything = JSON.stringify([
      await database().db.selectFrom('jobs').selectAll().execute(),
      await database().db.selectFrom('audit_events').selectAll().execute(),
    ]);
    assert.ok(!everything.includes('person@example.org'), 'no address in jobs or audit events');
    for (const job of await checkJobs()) assert.equal(job.payload, '{"redacted":true}');
    const audit = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'details'])
      .where('action', 'like', 'affected-check.%')
      .orderBy('seq')
      .execute();
    assert.deepEqual(audit.map((a) => a.action).sort(), [
      'affected-check.answered',
      'affected-check.answered',
      'affected-check.requested',
      'affected-check.requested',
    ]);
    // One check was of a listed person, the other not; the audit log, whose entries for a request
    // carry the asker's IP address, must not tell them apart.
    const answered = audit.filter((a) => a.action === 'affected-check.answered').map((a) => JSON.parse(a.details));
    assert.deepEqual(answered[0], answered[1], 'the answered entries say nothing of the answer');
  });

  test('the domain is matched in any case', async () => {
    await check('listed.person@EXAMPLE.org');
    const mail = await mailTo('listed.person@example.org');
    assert.match(mail.text, /We found this email address/);
  });

  test('one address gets three answers an hour; the page stays the same after that', async () => {
    const address = 'often@example.org';
    const pages = [];
    for (let i = 0; i < 4; i += 1) pages.push(await check(address));
    assert.ok(pages.every((p) => p.posted.statusCode === 303 && p.page?.statusCode === 200));
    assert.deepEqual(comparable(pages[3]!.page!), comparable(pages[0]!.page!));
    await waitFor('three answers', () =>
      smtp.received.filter((m) => m.envelopeTo.includes(address)).length === 3 ? true : undefined,
    );
    const refused = await database()
      .db.selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'affected-check.refused')
      .execute();
    assert.equal(refused.length, 1);
    assert.ok(!JSON.stringify(refused).includes(address));
  });

  test('one client gets ten checks an hour', async () => {
    const client = resident();
    for (let i = 0; i < 10; i += 1)
      assert.equal((await check(`client-${i}@example.org`, client)).posted.statusCode, 303);
    const eleventh = await check('client-10@example.org', client);
    assert.equal(eleventh.posted.statusCode, 429);
    assert.match(eleventh.posted.body, /Too many requests/);
  });

  test('housekeeping removes the contact from a check that was never answered', async () => {
    await waitFor('earlier checks to finish', async () =>
      (await checkJobs()).every((j) => j.status === 'succeeded') ? true : undefined,
    );
    await worker.stop();
    try {
      await check('never-answered@example.org');
      const [job] = (await checkJobs()).filter((j) => j.status === 'queued');
      assert.ok(job);
      assert.match(job.payload, /"sealed":"v1\./);
      assert.equal((await runHousekeeping(database().db, new Date(Date.now() + 2 * 86_400_000))).affectedChecks, 1);
      const after = await database()
        .db.selectFrom('jobs')
        .select('payload')
        .where('id', '=', job.id)
        .executeTakeFirstOrThrow();
      assert.equal(after.payload, '{"redacted":true}');
    } finally {
      const handlers = new JobHandlerRegistry();
      registerAffectedCheckJobs(handlers, {
        sessionSecret: TEST_SESSION_SECRET,
        publicBaseUrl: 'http://localhost:3000',
        mailSender: createSmtpSender(smtp.config),
        smsSender: undefined,
      });
      worker = startTestWorker(database(), handlers);
    }
  });
});
