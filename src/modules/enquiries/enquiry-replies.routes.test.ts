import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { isoPlus, nowIso } from '../../platform/ids.ts';
import { createJobContext } from '../../platform/jobs/job-handlers.ts';
import { findJob } from '../../platform/jobs/jobs.repository.ts';
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createStaff, signIn, TestClient, type TestStaff } from '../../platform/testing/test-app.ts';
import { openCase, type NewCaseInput } from './enquiries.service.ts';
import { sendBulkReplyToCase } from './enquiry-reply-jobs.ts';
import { BULK_REPLY_JOB } from './enquiry-replies.service.ts';

const FORM = '/westminster/cyber-incident/contact';
const REFERENCE = /WCC-[ACDEFGHJKMNPQRTWXY34679]{4}-[ACDEFGHJKMNPQRTWXY34679]{4}/;
const RESIDENT_WORDS = 'My neighbour says the council lost everyone’s passport scans';

describeEachDatabase('replying to enquiries by email', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let agentUser: TestStaff;
  let agent: TestClient;
  let dataTemplate: { versionId: string; templateId: string; subject: string };

  const db = () => database().db;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    agentUser = await createStaff(database(), { roles: [{ organisationId: wcc, role: 'agent' }] });
    agent = new TestClient(t.app);
    await signIn(agent, agentUser);
    const template = await db()
      .selectFrom('reply_templates as t')
      .innerJoin('reply_template_versions as v', 'v.id', 't.approved_version_id')
      .select(['v.id as versionId', 't.id as templateId', 'v.subject'])
      .where('t.name', '=', 'Is my data affected?')
      .executeTakeFirstOrThrow();
    dataTemplate = template;
  });
  after(() => t.close());

  const staff = async (organisationId: string, role: Role) => {
    const client = await t.staffClient(role, organisationId);
    // A form token made for the signed-in session, as a page after sign-in would give.
    await client.get('/staff');
    return client;
  };

  /** A case sent through the web form, so it has the acknowledgement email to thread under. */
  const caseFromForm = async (email: string) => {
    const resident = new TestClient(t.app);
    await resident.get(FORM);
    await resident.post(FORM, {
      topic: 'data-worry',
      message: RESIDENT_WORDS,
      name: 'Jo Bloggs',
      replyBy: 'email',
      email,
      phone: '',
      address: '',
      extraHelp: 'no',
      supportNeeds: '',
    });
    await resident.get(`${FORM}/check`);
    await resident.post(`${FORM}/check`, { consent: 'yes' });
    const reference = REFERENCE.exec((await resident.get(`${FORM}/sent`)).body)?.[0] ?? '';
    return db().selectFrom('enquiry_cases').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  };

  const caseOpened = async (organisationId: string, fields: Partial<NewCaseInput>) =>
    db()
      .transaction()
      .execute((trx) =>
        openCase(trx, {
          organisationId,
          openedVia: 'web',
          topic: 'affected',
          summary: 'Am I affected?',
          residentName: 'Resident',
          residentEmail: null,
          residentPhone: null,
          residentAddress: null,
          replyBy: 'email',
          supportNeeds: null,
          agedOver75: false,
          socialCare: false,
          first: {
            kind: 'message',
            channel: 'web',
            subject: null,
            body: 'Was my data taken?',
            emailMessageId: null,
            authorUserId: null,
            authorLabel: 'Resident',
          },
          ...fields,
        }),
      );

  const mailTo = async (address: string) => {
    const jobs = await db().selectFrom('jobs').select('payload').where('kind', '=', 'mail.send').execute();
    return jobs.map((j) => JSON.parse(j.payload) as OutboundMessage).filter((m) => m.to === address);
  };
  const entriesOf = (caseId: string) =>
    db()
      .selectFrom('enquiry_entries')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  const hidden = (body: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1] ?? '';

  test('an agent replies with a template: the email carries the reference, threads under the case and comes back to the mailbox', async () => {
    const stored = await caseFromForm('jo.reply@example.com');
    const path = `/staff/enquiries/${stored.id}`;
    const casePage = await agent.get(path);
    assert.match(casePage.body, /data-qa="reply"/);

    const form = await agent.get(`${path}/reply`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Reply by email/);
    // Templates for the case's topic come first, marked.
    const firstOffered = /name="versionId" type="radio" value="([^"]+)"/.exec(form.body)?.[1];
    assert.equal(firstOffered, dataTemplate.versionId);
    assert.match(form.body, /Suits this topic/);

    const missing = await agent.post(`${path}/reply`, {
      versionId: '',
      personal: '',
      statusAfter: 'waiting',
      seen: hidden(form.body, 'seen'),
    });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /<a href="#template">Select a template<\/a>/);
    const badLink = await agent.post(`${path}/reply`, {
      versionId: dataTemplate.versionId,
      personal: 'Pay at https://westminster-refunds.com',
      statusAfter: 'waiting',
      seen: hidden(form.body, 'seen'),
    });
    assert.equal(badLink.statusCode, 400);
    assert.match(badLink.body, /Your paragraph links to https:\/\/westminster-refunds\.com/);
    assert.match(badLink.body, /Pay at https:\/\/westminster-refunds\.com<\/textarea>/, 'what the agent typed is kept');

    const preview = await agent.post(`${path}/reply`, {
      versionId: dataTemplate.versionId,
      personal: 'Thank you for calling us today, ((name)).',
      statusAfter: 'waiting',
      seen: hidden(form.body, 'seen'),
    });
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /Check the email before you send it/);
    assert.match(preview.body, new RegExp(`Your enquiry ${stored.reference}: ${dataTemplate.subject}`));
    assert.match(preview.body, /Thank you for calling us today, Jo Bloggs\./);
    assert.equal(await mailTo('jo.reply@example.com').then((m) => m.length), 1, 'only the acknowledgement so far');

    const send = {
      versionId: hidden(preview.body, 'versionId'),
      personal: hidden(preview.body, 'personal'),
      statusAfter: hidden(preview.body, 'statusAfter'),
      seen: hidden(preview.body, 'seen'),
      entryId: hidden(preview.body, 'entryId'),
    };
    const sent = await agent.post(`${path}/reply/send`, send);
    assert.equal(sent.statusCode, 303, sent.body.slice(0, 500));
    assert.equal(sent.headers.location, `${path}?done=replied`);
    // A double click sends nothing more.
    assert.equal((await agent.post(`${path}/reply/send`, send)).statusCode, 303);

    const mail = await mailTo('jo.reply@example.com');
    assert.equal(mail.length, 2);
    const [ack, reply] = mail as [OutboundMessage, OutboundMessage];
    assert.equal(reply.subject, `Your enquiry ${stored.reference}: ${dataTemplate.subject}`);
    assert.equal(reply.replyTo, 'cyberenquiry@westminster.gov.uk');
    assert.equal(reply.headers?.['In-Reply-To'], ack.messageId);
    assert.equal(reply.headers?.['References'], ack.messageId);
    assert.match(reply.messageId ?? '', new RegExp(`^<${stored.reference.toLowerCase()}\\.[0-9a-f-]+@localhost>$`));
    assert.match(reply.reference, /^WR-[A-Z2-7]{8}$/);
    assert.match(
      reply.text,
      /^Dear Jo Bloggs,\n\nThank you for calling us today, Jo Bloggs\.\n\nThank you for contacting us/,
    );
    assert.match(reply.text, /For the latest information, go to http:\/\/localhost:3000\/westminster\/cyber-incident/);
    assert.match(reply.text, new RegExp(`Verification reference: ${reply.reference}\n`));
    assert.doesNotMatch(reply.text, /passport scans/, 'what the resident wrote is not repeated back');

    const after = await db()
      .selectFrom('enquiry_cases')
      .selectAll()
      .where('id', '=', stored.id)
      .executeTakeFirstOrThrow();
    assert.equal(after.status, 'waiting');
    assert.ok(after.first_response_at);
    const entries = await entriesOf(stored.id);
    const replies = entries.filter((e) => e.kind === 'reply' && e.author_user_id === agentUser.id);
    assert.equal(replies.length, 1);
    assert.equal(replies[0]?.email_message_id, reply.messageId, 'the resident’s answer will thread to it');
    assert.equal(replies[0]?.body, reply.text);
    const details = JSON.parse(replies[0]?.details ?? '{}') as Record<string, unknown>;
    assert.equal(details['templateVersionId'], dataTemplate.versionId);
    assert.equal(details['templateVersion'], 1);
    assert.match(
      entries.map((e) => e.body).join('\n'),
      /Status changed from New to Waiting for resident with the reply/,
    );

    const events = await db()
      .selectFrom('audit_events')
      .selectAll()
      .where('target_id', '=', stored.id)
      .where('action', '=', 'enquiry.replied')
      .execute();
    assert.equal(events.length, 1);
    assert.equal(events[0]?.actor_user_id, agentUser.id);
    const audited = JSON.parse(events[0]?.details ?? '{}') as Record<string, unknown>;
    assert.equal(audited['templateVersionId'], dataTemplate.versionId);
    assert.equal(audited['verificationReference'], reply.reference);
    assert.doesNotMatch(
      events[0]?.details ?? '',
      /Thank you for calling/,
      'the text is on the case, not in the audit log',
    );

    const shown = await agent.get(`${path}?done=replied`);
    assert.match(shown.body, /Reply sent/);
    assert.match(shown.body, new RegExp(`Your enquiry ${stored.reference}`));

    // A reply from a page opened before that one is refused rather than sent on top of it.
    const stale = await agent.post(`${path}/reply/send`, { ...send, entryId: '01a2b3c4-0000-7000-8000-000000000000' });
    assert.equal(stale.statusCode, 409);
    // A later reply is answered later, and keeps the first response time.
    assert.equal(
      (
        await db()
          .selectFrom('enquiry_cases')
          .select('first_response_at')
          .where('id', '=', stored.id)
          .executeTakeFirstOrThrow()
      ).first_response_at,
      after.first_response_at,
    );
  });

  test('a case without an email address cannot be emailed: the agent is told to phone instead', async () => {
    const phoneOnly = await caseOpened(wcc, { residentPhone: '02079460018', replyBy: 'phone' });
    const path = `/staff/enquiries/${phoneOnly.id}`;
    const page = await agent.get(`${path}/reply`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-qa="cannot-email"/);
    assert.match(page.body, /This resident has not given an email address\. Phone them instead\./);
    assert.match(page.body, /02079460018/);
    assert.doesNotMatch(page.body, /data-qa="preview-reply"/);
    const refused = await agent.post(`${path}/reply/send`, {
      versionId: dataTemplate.versionId,
      personal: '',
      statusAfter: 'waiting',
      seen: phoneOnly.updatedAt,
      entryId: '01a2b3c4-0000-7000-8000-000000000001',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /has not given an email address/);
    assert.equal((await entriesOf(phoneOnly.id)).filter((e) => e.kind === 'reply').length, 0);
  });

  test('another council’s staff get a 404 for the reply pages; someone who may only read gets a 403', async () => {
    const ours = await caseOpened(wcc, { residentEmail: 'ours@example.com' });
    const path = `/staff/enquiries/${ours.id}/reply`;
    const theirs = await staff(rbkc, 'agent');
    assert.equal((await theirs.get(path)).statusCode, 404);
    assert.equal(
      (
        await theirs.post(`${path}/send`, {
          versionId: dataTemplate.versionId,
          personal: '',
          statusAfter: 'waiting',
          seen: ours.updatedAt,
          entryId: '01a2b3c4-0000-7000-8000-000000000002',
        })
      ).statusCode,
      404,
    );
    // Their council's templates are not offered on our cases, and ours not on theirs.
    const theirCase = await caseOpened(rbkc, { residentEmail: 'theirs@example.com' });
    const theirPage = await theirs.get(`/staff/enquiries/${theirCase.id}/reply`);
    assert.match(theirPage.body, /There are no approved reply templates for/);
    const crossed = await theirs.post(`/staff/enquiries/${theirCase.id}/reply`, {
      versionId: dataTemplate.versionId,
      personal: '',
      statusAfter: 'waiting',
      seen: theirCase.updatedAt,
    });
    assert.equal(crossed.statusCode, 400);
    assert.match(crossed.body, /That template has changed or been withdrawn|Select a template/);
    const manager = await staff(wcc, 'incident-manager');
    assert.equal((await manager.get(path)).statusCode, 403);
    assert.equal((await manager.get('/staff/enquiries/bulk-reply')).statusCode, 403);
    assert.equal(await mailTo('ours@example.com').then((m) => m.length), 0);
  });

  test('a bulk reply sends to the open cases with email, says why it skips the rest, and never sends twice', async () => {
    const a = await caseOpened(wcc, { residentEmail: 'bulk-a@example.com', residentName: 'Ann', topic: 'data-worry' });
    const b = await caseOpened(wcc, { residentEmail: 'bulk-b@example.com', residentName: 'Bo', topic: 'data-worry' });
    const c = await caseOpened(wcc, { residentPhone: '07700900001', topic: 'data-worry' });
    const d = await caseOpened(wcc, { residentEmail: 'bulk-d@example.com', topic: 'data-worry' });
    await db()
      .updateTable('enquiry_cases')
      .set({ status: 'closed', closed_at: nowIso() })
      .where('id', '=', d.id)
      .execute();

    const selection = await agent.get('/staff/enquiries/bulk-reply?topic=data-worry');
    assert.equal(selection.statusCode, 200);
    for (const open of [a, b, c]) assert.match(selection.body, new RegExp(`value="${open.id}"`));
    assert.doesNotMatch(selection.body, new RegExp(`value="${d.id}"`), 'closed cases are not offered');
    assert.match(selection.body, /No email address: will be skipped/);

    const none = await agent.post('/staff/enquiries/bulk-reply', {
      versionId: dataTemplate.versionId,
      statusAfter: 'resolved',
      council: wcc,
    });
    assert.equal(none.statusCode, 400);
    assert.match(none.body, /Select the enquiries to reply to/);

    const chosen = [a.id, b.id, c.id, d.id];
    const check = await agent.post('/staff/enquiries/bulk-reply', {
      cases: chosen,
      versionId: dataTemplate.versionId,
      statusAfter: 'resolved',
      council: wcc,
    });
    assert.equal(check.statusCode, 200, check.body.slice(0, 1000));
    assert.match(check.body, /Check before you send 2 emails/);
    const skipped = /data-qa="bulk-skipped"[\s\S]*?<\/table>/.exec(check.body)?.[0] ?? '';
    assert.match(skipped, new RegExp(`${c.reference}[\\s\\S]*?No email address`));
    assert.match(skipped, new RegExp(`${d.reference}[\\s\\S]*?Resolved or closed`));
    assert.match(check.body, /Dear Ann,/, 'an example of what residents get');
    const bulkReplyId = hidden(check.body, 'bulkReplyId');
    const confirm = {
      bulkReplyId,
      cases: chosen,
      versionId: dataTemplate.versionId,
      statusAfter: 'resolved',
      council: wcc,
    };
    const started = await agent.post('/staff/enquiries/bulk-reply/send', confirm);
    assert.equal(started.statusCode, 303);
    assert.equal(started.headers.location, `/staff/enquiries/bulk-reply/${bulkReplyId}`);
    // Confirming twice queues once.
    assert.equal(
      (await agent.post('/staff/enquiries/bulk-reply/send', confirm)).headers.location,
      started.headers.location,
    );
    const bulkJobs = () => db().selectFrom('jobs').selectAll().where('kind', '=', BULK_REPLY_JOB).execute();
    assert.equal((await bulkJobs()).length, 2);

    let progress = await agent.get(String(started.headers.location));
    assert.equal(progress.statusCode, 200);
    assert.match(progress.body, /Waiting to send\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*2/);

    // Bo's case closes before its turn comes: it is skipped, with the reason.
    await db()
      .updateTable('enquiry_cases')
      .set({ status: 'resolved', closed_at: nowIso() })
      .where('id', '=', b.id)
      .execute();

    // Each job runs twice, as after a worker crash: one reply and one email per case all the same.
    for (const row of await bulkJobs()) {
      await db()
        .updateTable('jobs')
        .set({ status: 'running', lease_owner: 'test', lease_expires_at: isoPlus(nowIso(), 60_000), attempts: 1 })
        .where('id', '=', row.id)
        .execute();
      const job = (await findJob(db(), row.id))!;
      const ctx = createJobContext({ db: db(), job, leaseOwner: 'test', signal: new AbortController().signal });
      await sendBulkReplyToCase(ctx);
      await sendBulkReplyToCase(ctx);
    }
    const toAnn = await mailTo('bulk-a@example.com');
    assert.equal(toAnn.length, 1);
    assert.equal(toAnn[0]?.subject, `Your enquiry ${a.reference}: ${dataTemplate.subject}`);
    assert.match(toAnn[0]?.text ?? '', /^Dear Ann,/);
    assert.equal((await mailTo('bulk-b@example.com')).length, 0);
    assert.equal((await mailTo('bulk-d@example.com')).length, 0);
    const annCase = await db().selectFrom('enquiry_cases').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    assert.equal(annCase.status, 'resolved');
    assert.ok(annCase.first_response_at);
    assert.ok(annCase.closed_at);
    const annReplies = (await entriesOf(a.id)).filter((e) => e.kind === 'reply');
    assert.equal(annReplies.length, 1);
    assert.equal(annReplies[0]?.author_user_id, agentUser.id, 'recorded as the agent who sent the bulk reply');
    assert.equal((JSON.parse(annReplies[0]?.details ?? '{}') as Record<string, unknown>)['bulkReplyId'], bulkReplyId);

    progress = await agent.get(String(started.headers.location));
    assert.match(progress.body, /Sent\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*1/);
    assert.match(progress.body, /Skipped\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*3/);
    assert.match(progress.body, /Resolved or closed/);

    const audit = await db()
      .selectFrom('audit_events')
      .select(['action', 'actor_user_id', 'target_id'])
      .where('action', 'in', ['enquiry.bulk-reply-queued', 'enquiry.replied'])
      .where((eb) => eb.or([eb('target_id', '=', bulkReplyId), eb('target_id', 'in', chosen)]))
      .execute();
    assert.deepEqual(audit.map((e) => e.action).sort(), ['enquiry.bulk-reply-queued', 'enquiry.replied']);
    assert.ok(audit.every((e) => e.actor_user_id === agentUser.id));

    // Another council's staff cannot see it or reply to these cases in bulk.
    const theirs = await staff(rbkc, 'agent');
    assert.equal((await theirs.get(String(started.headers.location))).statusCode, 404);
    const crossed = await theirs.post('/staff/enquiries/bulk-reply', {
      cases: [a.id],
      versionId: dataTemplate.versionId,
      statusAfter: 'waiting',
    });
    assert.equal(crossed.statusCode, 404);
  });

  test('a bulk reply is capped, and a withdrawn template sends nothing more', async () => {
    const tooMany = Array.from({ length: 501 }, (_, i) => `01a2b3c4-0000-7000-8000-${String(i).padStart(12, '0')}`);
    const capped = await agent.post('/staff/enquiries/bulk-reply', {
      cases: tooMany,
      versionId: dataTemplate.versionId,
      statusAfter: 'waiting',
      council: wcc,
    });
    assert.equal(capped.statusCode, 400);
    assert.match(capped.body, /Select 500 enquiries or fewer/);

    const e = await caseOpened(wcc, { residentEmail: 'bulk-e@example.com' });
    const check = await agent.post('/staff/enquiries/bulk-reply', {
      cases: [e.id],
      versionId: dataTemplate.versionId,
      statusAfter: 'waiting',
      council: wcc,
    });
    assert.match(check.body, /Check before you send 1 email/);
    const started = await agent.post('/staff/enquiries/bulk-reply/send', {
      bulkReplyId: hidden(check.body, 'bulkReplyId'),
      cases: [e.id],
      versionId: dataTemplate.versionId,
      statusAfter: 'waiting',
    });
    assert.equal(started.statusCode, 303);
    await db()
      .updateTable('reply_templates')
      .set({ withdrawn_at: nowIso(), withdrawn_by_label: 'test' })
      .where('id', '=', dataTemplate.templateId)
      .execute();
    try {
      const row = await db()
        .selectFrom('jobs')
        .selectAll()
        .where('kind', '=', BULK_REPLY_JOB)
        .where('status', '=', 'queued')
        .executeTakeFirstOrThrow();
      await db()
        .updateTable('jobs')
        .set({ status: 'running', lease_owner: 'test', lease_expires_at: isoPlus(nowIso(), 60_000), attempts: 1 })
        .where('id', '=', row.id)
        .execute();
      await sendBulkReplyToCase(
        createJobContext({
          db: db(),
          job: (await findJob(db(), row.id))!,
          leaseOwner: 'test',
          signal: new AbortController().signal,
        }),
      );
      assert.equal((await mailTo('bulk-e@example.com')).length, 0);
      const progress = await agent.get(String(started.headers.location));
      assert.match(progress.body, /The template was withdrawn before the reply was sent/);
    } finally {
      await db()
        .updateTable('reply_templates')
        .set({ withdrawn_at: null, withdrawn_by_label: null })
        .where('id', '=', dataTemplate.templateId)
        .execute();
    }
  });
});
