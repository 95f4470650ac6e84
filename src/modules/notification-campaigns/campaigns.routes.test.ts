import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../platform/jobs/job-worker.ts';
import { createMemoryLogger } from '../../platform/jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { sentReferenceExists } from '../../platform/mail/sent-references.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import type { TestClient } from '../../platform/testing/test-app.ts';
import { registerCampaignJobs } from './campaign-jobs.ts';
import { createCampaignSmtpSender } from './campaign-smtp.ts';
import * as repo from './campaigns.repository.ts';
import { insertAffectedPeople, PASSING_TEMPLATE, withoutDemoPeople } from './test-support.ts';

let smtp: SmtpTestServer;
before(async () => {
  smtp = await startSmtpTestServer();
});
after(async () => {
  await smtp.close();
});

describeEachDatabase('breach notice campaign pages', (database) => {
  let t: DemoApp;
  let westminster: string;
  let author: TestClient;
  let approver: TestClient;
  let base: string;

  before(async () => {
    t = await createDemoApp(database(), {
      env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_FROM: 'dpo@westminster.gov.uk' },
    });
    await withoutDemoPeople(database().db);
    westminster = t.organisationId('westminster');
    author = await t.staffClient('dpo', westminster);
    approver = await t.staffClient('dpo', westminster);
    base = `/staff/incidents/${t.incidentId}/campaigns`;
  });
  after(async () => {
    await t.close();
  });

  const actions = async (campaignId: string) =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', campaignId)
        .orderBy('seq')
        .execute()
    ).map((a) => a.action);

  async function startCampaign(): Promise<string> {
    await author.get(base);
    const created = await author.post(base, { councilId: westminster, title: 'First notice' });
    assert.equal(created.statusCode, 303, created.body);
    const id = /campaigns\/([^/?]+)\?done=created/.exec(created.headers.location as string)?.[1];
    assert.ok(id);
    return id;
  }

  async function saveTemplate(campaignId: string, overrides: Record<string, string> = {}) {
    const edit = await author.get(`${base}/${campaignId}/edit`);
    assert.equal(edit.statusCode, 200);
    const version = /name="version" value="(\d+)"/.exec(edit.body)?.[1] as string;
    return author.post(`${base}/${campaignId}/edit`, {
      version,
      title: 'First notice',
      ...PASSING_TEMPLATE,
      ratePerMinute: '3000',
      ...overrides,
    });
  }

  test('only the sending council’s DPOs see a campaign; other roles and councils are refused', async () => {
    const id = await startCampaign();
    const otherDpo = await t.staffClient('dpo', t.organisationId('kensington-chelsea'));
    assert.equal((await otherDpo.get(`${base}/${id}`)).statusCode, 404);
    assert.equal((await otherDpo.get(`${base}/${id}/preview`)).statusCode, 404);
    await otherDpo.get(base);
    assert.equal((await otherDpo.post(`${base}/${id}/approve`, { version: '1' })).statusCode, 404);
    for (const role of ['incident-manager', 'agent', 'comms', 'analyst'] as const) {
      const staff = await t.staffClient(role, westminster);
      assert.equal((await staff.get(`${base}/${id}`)).statusCode, 403, role);
      assert.equal((await staff.get('/staff/campaigns')).statusCode, 403, role);
    }
    // The campaign in the wrong incident's URL is not found.
    assert.equal((await author.get(`/staff/incidents/${id}/campaigns/${id}`)).statusCode, 404);
    // No CSRF token, no change.
    assert.equal((await approver.post(`${base}/${id}/approve`, { _csrf: null, version: '1' })).statusCode, 403);
    // The navigation shows the pages to a DPO.
    assert.match((await author.get('/staff/campaigns')).body, /href="\/staff\/campaigns"/);
  });

  test('draft, checks, preview, test send, approval by a second DPO, queue, progress and letters', async () => {
    const { db } = database();
    const id = await startCampaign();
    const page = await author.get(`${base}/${id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-qa="article34"/);

    // A broken message is saved, its problems shown; a bad rate is an error summary.
    const bad = await saveTemplate(id, { emailBody: 'Dear ((name)), see https://bit.ly/x ((reference))' });
    assert.equal(bad.statusCode, 303);
    const withProblems = await author.get(`${base}/${id}`);
    assert.match(withProblems.body, /link shortener/);
    assert.match(withProblems.body, /Missing/);
    const badRate = await saveTemplate(id, { ratePerMinute: '999999' });
    assert.equal(badRate.statusCode, 400);
    assert.match(badRate.body, /govuk-error-summary/);
    assert.match(badRate.body, /href="#ratePerMinute"/);

    assert.equal((await saveTemplate(id)).statusCode, 303);
    const saved = await author.get(`${base}/${id}`);
    assert.match(saved.body, /data-qa="checks-pass"/);
    assert.match(saved.body, /data-qa="sms-fragments">The text message is \d+ characters/);
    // The author cannot approve, and is told why.
    assert.match(saved.body, /data-qa="cannot-approve"[^>]*>[\s\S]*?another data protection officer/);
    const version = /name="version" value="(\d+)"/.exec(saved.body)?.[1];
    assert.equal((await author.post(`${base}/${id}/approve`, { version: version ?? '' })).statusCode, 409);

    // Preview and a test send, over real SMTP, marked as a test, with a reference the public check confirms.
    const preview = await author.get(`${base}/${id}/preview`);
    assert.match(preview.body, /Alex Sample/);
    const refused = await author.post(`${base}/${id}/test`, { testChannel: 'email', testTo: 'not an address' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /href="#testTo"/);
    const noSms = await author.post(`${base}/${id}/test`, { testChannel: 'sms', testTo: '07700900982' });
    assert.equal(noSms.statusCode, 400);
    smtp.reset();
    const sentTest = await author.post(`${base}/${id}/test`, { testChannel: 'email', testTo: 'me@westminster.gov.uk' });
    assert.equal(sentTest.statusCode, 200);
    const testReference = /with the reference (WR-[A-Z2-7]{8})/.exec(sentTest.body)?.[1];
    assert.ok(testReference, sentTest.body);
    assert.equal(smtp.received.length, 1);
    assert.match(smtp.received[0]!.header('subject') ?? '', /^\[TEST\]/);
    assert.ok(await sentReferenceExists(db, westminster, testReference));

    // A second DPO approves and queues.
    const forApprover = await approver.get(`${base}/${id}`);
    const v = /name="version" value="(\d+)"/.exec(forApprover.body)?.[1] as string;
    assert.equal((await approver.post(`${base}/${id}/approve`, { version: v })).statusCode, 303);
    await approver.get(`${base}/${id}`);
    const [emailPerson, letterPerson] = await insertAffectedPeople(db, t.incidentId, [
      {
        name: 'Ann Email',
        email: 'ann@example.org.uk',
        councils: [{ organisationId: westminster, categories: ['contact'] }],
      },
      {
        name: 'Lew Letter',
        addressLines: ['1 High Street', 'London'],
        postcode: 'SW1A 1AA',
        councils: [{ organisationId: westminster, categories: ['contact'] }],
      },
    ]);
    assert.equal((await approver.post(`${base}/${id}/queue`)).statusCode, 303);

    smtp.reset();
    const registry = new JobHandlerRegistry();
    const email = createCampaignSmtpSender(smtp.config);
    registerCampaignJobs(registry, { senders: { email, sms: undefined }, retryDelayMs: () => 0 });
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
      await email.close();
    }
    // The test message was not counted; the campaign sent one email and printed one letter.
    assert.equal(smtp.received.filter((m) => m.envelopeTo.includes('ann@example.org.uk')).length, 1);
    const done = await author.get(`${base}/${id}`);
    assert.match(done.body, /<progress id="campaign-progress"[^>]*value="\d+"/);
    assert.match(done.body, /data-qa="status">Finished/);
    const batch = /href="([^"]+\/letters\/[^"]+\.pdf)"/.exec(done.body)?.[1];
    assert.ok(batch);
    const pdf = await author.get(batch);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');

    // A person left "unknown" (a crash after the hand-over): sent again only by the DPO's decision.
    await db
      .updateTable('campaign_recipients')
      .set({ status: 'unknown' })
      .where('campaign_id', '=', id)
      .where('person_id', '=', emailPerson!)
      .execute();
    const review = await author.get(`${base}/${id}`);
    assert.match(review.body, /data-qa="unknown-people"/);
    assert.match(review.body, /Ann Email/);
    // Another council's DPO cannot decide.
    const otherDpo = await t.staffClient('dpo', t.organisationId('kensington-chelsea'));
    await otherDpo.get(base);
    assert.equal(
      (await otherDpo.post(`${base}/${id}/unknown`, { decision: 'resend', people: [emailPerson!] })).statusCode,
      404,
    );
    assert.equal((await author.post(`${base}/${id}/unknown`, { decision: 'resend', people: [] })).statusCode, 409);
    const resent = await author.post(`${base}/${id}/unknown`, { decision: 'resend', people: [emailPerson!] });
    assert.equal(resent.statusCode, 303);
    assert.equal((await repo.findRecipient(db, id, emailPerson!))?.status, 'queued');
    assert.equal((await repo.findCampaign(db, id))?.status, 'sending');
    assert.equal((await repo.findRecipient(db, id, letterPerson!))?.status, 'printed');

    const audited = await actions(id);
    for (const a of [
      'campaign.created',
      'campaign.test-sent',
      'campaign.approved',
      'campaign.queued',
      'campaign.letters-downloaded',
      'campaign.resend-unknown',
    ]) {
      assert.ok(audited.includes(a), `${a} in ${audited.join(', ')}`);
    }

    // Failures are listed a page at a time, with the way back to the first page.
    await db
      .updateTable('campaign_recipients')
      .set({ status: 'permanent-failure', last_error: 'The address does not exist' })
      .where('campaign_id', '=', id)
      .where('person_id', '=', letterPerson!)
      .execute();
    const failures = await author.get(`${base}/${id}?failed-after=00000000-0000-7000-8000-000000000000`);
    assert.equal(failures.statusCode, 200);
    assert.match(failures.body, /data-qa="failed-people"/);
    assert.match(failures.body, /The address does not exist/);
    assert.match(failures.body, /data-qa="failed-shown">1 of 1 shown/);
    assert.doesNotMatch(failures.body, /data-qa="next-failed"/);
    assert.equal((await author.get(`${base}/${id}?failed-after=nonsense`)).statusCode, 200);
  });
});
