import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../platform/jobs/job-worker.ts';
import { createMemoryLogger } from '../../platform/jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { createNotifyClient } from '../../platform/mail/notify-client.ts';
import { sentReferenceExists } from '../../platform/mail/sent-references.ts';
import {
  GENERIC_EMAIL_TEMPLATE_ID,
  GENERIC_SMS_TEMPLATE_ID,
  startFakeNotify,
  type FakeNotify,
} from '../../platform/mail/test-fixtures/fake-notify.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import type { Principal } from '../../platform/policy/policy.ts';
import { createStaff, TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import { renderLetterBatchPdf } from './campaign-letters.ts';
import { registerCampaignJobs } from './campaign-jobs.ts';
import { createNotifyCampaignSender, type CampaignSenders } from './campaign-senders.ts';
import { createCampaignSmtpSender } from './campaign-smtp.ts';
import * as repo from './campaigns.repository.ts';
import { CampaignRuleError, createCampaignsService, estimateFinish } from './campaigns.service.ts';
import { insertAffectedPeople, insertEmailPeople, PASSING_TEMPLATE, withoutDemoPeople } from './test-support.ts';

let smtp: SmtpTestServer;
let notify: FakeNotify;
before(async () => {
  smtp = await startSmtpTestServer();
  notify = await startFakeNotify();
});
after(async () => {
  await smtp.close();
  await notify.close();
});
beforeEach(() => {
  smtp.reset();
  notify.reset();
});

const actor = (p: Principal) => ({ userId: p.userId, label: p.email });

describeEachDatabase('notification campaigns', (database) => {
  let sender: string;
  let other: string;
  let incidentId: string;
  let author: Principal;
  let approver: Principal;
  let otherDpo: Principal;
  let agent: Principal;

  before(async () => {
    const { db } = database();
    await seedDemo(db, { sessionSecret: TEST_SESSION_SECRET });
    await withoutDemoPeople(db);
    sender = (await findOrganisationBySlug(db, 'kensington-chelsea'))!.id;
    other = (await findOrganisationBySlug(db, 'westminster'))!.id;
    incidentId = (await db.selectFrom('incidents').select('id').executeTakeFirstOrThrow()).id;
    const principal = async (organisationId: string, role: 'dpo' | 'agent'): Promise<Principal> => {
      const staff = await createStaff(database(), { roles: [{ organisationId, role }] });
      return { userId: staff.id, email: staff.email, memberships: [{ organisationId, role }] };
    };
    author = await principal(sender, 'dpo');
    approver = await principal(sender, 'dpo');
    otherDpo = await principal(other, 'dpo');
    agent = await principal(sender, 'agent');
  });

  async function approvedCampaign(title: string, template = PASSING_TEMPLATE): Promise<string> {
    const service = createCampaignsService(database().db, { viaNotify: false });
    const id = await service.create(author, actor(author), incidentId, sender, title);
    const { campaign } = await service.load(author, id);
    const saved = await service.update(author, actor(author), id, campaign.version, {
      ...template,
      title,
      ratePerMinute: 60_000,
    });
    assert.ok(saved.ok);
    const { campaign: changed } = await service.load(author, id);
    await service.approve(approver, actor(approver), id, changed.version);
    return id;
  }

  /** Runs a job worker with `registry`'s handlers until the campaign's status is `status`. */
  async function runUntil(campaignId: string, registry: JobHandlerRegistry, status: string, timeoutMs: number) {
    const worker = startJobWorker({
      database: database(),
      handlers: registry,
      logger: createMemoryLogger(),
      pollIntervalMs: 20,
    });
    try {
      await waitFor(
        `the campaign to be ${status}`,
        async () => (await repo.findCampaign(database().db, campaignId))?.status === status,
        { timeoutMs },
      );
    } finally {
      await worker.stop();
    }
  }

  /** Queues an approved campaign and makes its recipients, with no sender running: nobody is sent anything. */
  async function queueWithoutSending(campaignId: string): Promise<void> {
    await createCampaignsService(database().db).queue(approver, actor(approver), campaignId);
    const registry = new JobHandlerRegistry();
    registerCampaignJobs(registry, { senders: { email: undefined, sms: undefined } }, ['campaign.queue']);
    await runUntil(campaignId, registry, 'sending', 10_000);
  }

  async function runUntilDone(campaignId: string, senders: CampaignSenders): Promise<void> {
    const registry = new JobHandlerRegistry();
    registerCampaignJobs(registry, { senders, retryDelayMs: () => 0, rateLimitPauseMs: 10 });
    try {
      await runUntil(campaignId, registry, 'done', 20_000);
    } finally {
      await senders.email?.close();
    }
  }

  test('approval: not by the author, not by anyone but a DPO of the sending council, and only when the checks pass', async () => {
    const { db } = database();
    const service = createCampaignsService(db);
    const id = await service.create(author, actor(author), incidentId, sender, 'First notice');
    const { campaign } = await service.load(author, id);
    // The draft from the breach record has no DPO contact on this demo record, but passes otherwise.
    await assert.rejects(service.approve(author, actor(author), id, campaign.version), CampaignRuleError);
    await assert.rejects(service.load(otherDpo, id), /Page not found/);
    await assert.rejects(service.load(agent, id), /Page not found/);
    await assert.rejects(service.create(otherDpo, actor(otherDpo), incidentId, sender, 'x'), /Page not found/);

    const failing = { ...PASSING_TEMPLATE, emailBody: 'Dear ((name)), see https://bit.ly/abc. Ref ((reference))' };
    assert.ok(
      (
        await service.update(author, actor(author), id, campaign.version, {
          ...failing,
          title: 'First notice',
          ratePerMinute: 3000,
        })
      ).ok,
    );
    const v2 = (await service.load(author, id)).campaign.version;
    await assert.rejects(service.approve(approver, actor(approver), id, v2), /link shortener/);

    assert.ok(
      (
        await service.update(author, actor(author), id, v2, {
          ...PASSING_TEMPLATE,
          title: 'First notice',
          ratePerMinute: 3000,
        })
      ).ok,
    );
    const v3 = (await service.load(author, id)).campaign.version;
    await service.approve(approver, actor(approver), id, v3);
    assert.equal((await service.load(author, id)).campaign.status, 'approved');

    // A change withdraws the approval.
    assert.ok(
      (
        await service.update(author, actor(author), id, v3 + 1, {
          ...PASSING_TEMPLATE,
          title: 'Changed',
          ratePerMinute: 3000,
        })
      ).ok,
    );
    const changed = (await service.load(author, id)).campaign;
    assert.equal(changed.status, 'draft');
    assert.equal(changed.approvedByLabel, null);
    await assert.rejects(service.queue(author, actor(author), id), CampaignRuleError);
    // Notify's rate is the ceiling when Notify sends.
    const tooFast = await service.update(author, actor(author), id, changed.version, {
      ...PASSING_TEMPLATE,
      title: 'x',
      ratePerMinute: 3001,
    });
    assert.equal(tooFast.ok, false);

    const actions = await db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', id)
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      actions.map((a) => a.action),
      ['campaign.created', 'campaign.changed', 'campaign.changed', 'campaign.approved', 'campaign.changed'],
    );
  });

  test('SMTP: one message per person on their channel, naming all their councils, with a reference the public check confirms', async () => {
    const { db } = database();
    const before = await db.selectFrom('affected_people').select('id').execute();
    const [w1, both, textOnly, letterOnly, nowhere, otherOnly] = await insertAffectedPeople(db, incidentId, [
      {
        name: 'Ann Email',
        email: 'ann@example.org.uk',
        councils: [{ organisationId: sender, categories: ['contact'] }],
      },
      {
        name: 'Bo Both',
        email: 'bo@example.org.uk',
        councils: [
          { organisationId: sender, categories: ['contact'] },
          { organisationId: other, categories: ['financial'] },
        ],
      },
      {
        name: 'Cy Text',
        phone: '+447700900123',
        addressLines: ['1 High Street', 'London'],
        postcode: 'SW1A 1AA',
        councils: [{ organisationId: sender, categories: ['contact'] }],
      },
      {
        name: 'Di Letter',
        addressLines: ['2 High Street', 'London'],
        postcode: 'SW1A 2AA',
        councils: [{ organisationId: sender, categories: ['health'] }],
      },
      { name: 'Ed Nowhere', councils: [{ organisationId: sender, categories: ['contact'] }] },
      {
        name: 'Fi Kensington',
        email: 'fi@example.org.uk',
        councils: [{ organisationId: other, categories: ['contact'] }],
      },
    ]);
    assert.equal(before.length, 0);
    smtp.refuseRecipient('ann@example.org.uk', 451, 1);

    const id = await approvedCampaign('SMTP notice');
    await createCampaignsService(db).queue(approver, actor(approver), id);
    await runUntilDone(id, { email: createCampaignSmtpSender(smtp.config, { connections: 2 }), sms: undefined });

    const rows = new Map((await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, 100)).map((r) => [r.personId, r]));
    assert.equal(rows.size, 5, 'a person only in the other council’s data is not in this campaign');
    assert.equal(rows.has(otherOnly!), false);
    assert.equal(rows.get(w1!)?.status, 'sent');
    assert.equal(rows.get(both!)?.status, 'sent');
    // No text message service here, so a phone-only person with an address gets a letter.
    assert.equal(rows.get(textOnly!)?.channel, 'letter');
    assert.equal(rows.get(letterOnly!)?.status, 'printed');
    assert.equal(rows.get(nowhere!)?.status, 'no-route');

    assert.equal(smtp.received.length, 2, 'one email each, the refused one retried once');
    const toBo = smtp.received.find((m) => m.envelopeTo.includes('bo@example.org.uk'))!;
    assert.match(toBo.text, /Dear Bo Both/);
    assert.match(toBo.text, /Kensington and Chelsea and Westminster City Council/);
    assert.match(toBo.text, /contact details.*and financial or payment details/s);
    const reference = rows.get(both!)!.reference;
    assert.equal(toBo.header('x-wardroom-reference'), reference);
    assert.match(toBo.text, new RegExp(reference));
    // Confirmed on both councils' check pages, and not on the third's.
    assert.equal(await sentReferenceExists(db, sender, reference), true);
    assert.equal(await sentReferenceExists(db, other, reference), true);
    const lbhf = (await findOrganisationBySlug(db, 'hammersmith-fulham'))!.id;
    assert.equal(await sentReferenceExists(db, lbhf, reference), false);

    const batches = await repo.listLetterBatches(db, id);
    assert.equal(batches.length, 1);
    assert.equal(batches[0]?.letters, 2);
    const progress = await createCampaignsService(db).progress(id);
    assert.equal(progress?.percent, 100);
    assert.equal(progress?.counts.all['no-route'], 1);
  });

  test('Notify: 429 and 5xx are tried again, a lost answer is found by reference, and each person gets one message', async () => {
    const { db } = database();
    await db.deleteFrom('affected_people').execute();
    const people = await insertAffectedPeople(
      db,
      incidentId,
      Array.from({ length: 6 }, (_, n) => ({
        name: `Person ${n}`,
        ...(n % 2 === 0 ? { email: `p${n}@example.org.uk` } : { phone: `+4477009001${String(n).padStart(2, '0')}` }),
        councils: [{ organisationId: sender, categories: ['contact'] }],
      })),
    );
    const client = createNotifyClient({ apiKey: notify.apiKey, baseUrl: notify.baseUrl });
    const senders: CampaignSenders = {
      email: createNotifyCampaignSender(client, { channel: 'email', templateId: GENERIC_EMAIL_TEMPLATE_ID }),
      sms: createNotifyCampaignSender(client, { channel: 'sms', templateId: GENERIC_SMS_TEMPLATE_ID }),
    };
    const id = await approvedCampaign('Notify notice');
    await createCampaignsService(db).queue(approver, actor(approver), id);
    notify.answerNext(
      429,
      { status_code: 429, errors: [{ error: 'RateLimitError', message: 'Exceeded rate limit' }] },
      2,
    );
    notify.answerNext(500, { status_code: 500, errors: [{ error: 'Exception', message: 'Internal server error' }] }, 1);
    await runUntilDone(id, senders);

    const rows = await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, 10);
    assert.deepEqual(rows.map((r) => r.status).sort(), Array(6).fill('sent'));
    const references = new Set(rows.map((r) => r.reference));
    const sent = notify.sent().filter((n) => references.has(n.reference ?? ''));
    assert.equal(sent.length, 6);
    assert.deepEqual(new Set(sent.map((n) => n.reference)).size, 6);
    assert.equal(notify.requests.filter((r) => r.status === 429).length, 2);
    assert.equal(notify.requests.filter((r) => r.status === 500).length, 1);
    for (const n of sent) assert.match(n.body, /^(Dear )?Person \d/);
    assert.equal(people.length, 6);
  });

  test('after a crash, a Notify send whose answer was lost is looked up by reference and not sent again', async () => {
    const { db } = database();
    await db.deleteFrom('affected_people').execute();
    await insertAffectedPeople(db, incidentId, [
      { name: 'Taken', email: 'taken@example.org.uk', councils: [{ organisationId: sender, categories: ['contact'] }] },
      {
        name: 'Never reached',
        email: 'never@example.org.uk',
        councils: [{ organisationId: sender, categories: ['contact'] }],
      },
    ]);
    const client = createNotifyClient({ apiKey: notify.apiKey, baseUrl: notify.baseUrl });
    const senders: CampaignSenders = {
      email: createNotifyCampaignSender(client, { channel: 'email', templateId: GENERIC_EMAIL_TEMPLATE_ID }),
      sms: undefined,
    };
    const id = await approvedCampaign('Crash notice');
    // Made by hand as a run would leave them: both "sending", one of them already at Notify.
    const service = createCampaignsService(db);
    await queueWithoutSending(id);
    const rows = await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, 10);
    const people = await repo.peopleForMessages(
      db,
      rows.map((r) => r.personId),
    );
    const taken = rows.find((r) => people.get(r.personId)?.email === 'taken@example.org.uk')!;
    await client.sendEmail({
      templateId: GENERIC_EMAIL_TEMPLATE_ID,
      emailAddress: 'taken@example.org.uk',
      personalisation: { subject: 's', body: 'b' },
      reference: taken.reference,
    });
    await db.updateTable('campaign_recipients').set({ status: 'sending' }).where('campaign_id', '=', id).execute();
    await db.deleteFrom('jobs').where('kind', '=', 'campaign.dispatch').execute();
    await db.updateTable('notification_campaigns').set({ status: 'paused' }).where('id', '=', id).execute();
    notify.reset();
    await service.pause(approver, actor(approver), id, true);
    await runUntilDone(id, senders);

    const posts = notify.requests.filter((r) => r.method === 'POST');
    assert.equal(posts.length, 1, 'only the message Notify never took is sent');
    assert.equal((posts[0]?.body as { email_address: string }).email_address, 'never@example.org.uk');
    const after = await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, 10);
    assert.deepEqual(after.map((r) => r.status).sort(), ['delivered', 'sent']);
  });

  test('the people to review come a page at a time: unknown ones until decided, failures page by page, none lost', async () => {
    const { db } = database();
    await db.deleteFrom('affected_people').execute();
    await insertEmailPeople(db, incidentId, sender, 9);
    const id = await approvedCampaign('Review notice');
    const service = createCampaignsService(db);
    await queueWithoutSending(id);
    // Four left "unknown" by a crash, five refused for good, in person order.
    const rows = await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, 10);
    assert.equal(rows.length, 9);
    const ids = rows.map((r) => r.personId);
    await db
      .updateTable('campaign_recipients')
      .set({ status: 'unknown' })
      .where('person_id', 'in', ids.slice(0, 4))
      .execute();
    await db
      .updateTable('campaign_recipients')
      .set({ status: 'permanent-failure', last_error: 'no such mailbox' })
      .where('person_id', 'in', ids.slice(4))
      .execute();

    const first = await service.peopleToReview(author, actor(author), id, { limit: 2 });
    assert.deepEqual(
      first.unknown.map((r) => r.personId),
      ids.slice(0, 2),
    );
    assert.equal(first.moreUnknown, true);
    assert.deepEqual(
      first.failed.map((r) => r.personId),
      ids.slice(4, 6),
    );
    assert.equal(first.moreFailed, true);
    assert.match(first.unknown[0]!.name, /^Person \d$/);
    // Failures page by page after the last one shown.
    const seen = [...first.failed.map((r) => r.personId)];
    let page = first;
    while (page.moreFailed) {
      page = await service.peopleToReview(author, actor(author), id, { limit: 2, failedAfter: seen.at(-1) });
      seen.push(...page.failed.map((r) => r.personId));
    }
    assert.deepEqual(seen, ids.slice(4));
    // Deciding about the unknown ones shown brings the next.
    await service.decideUnknown(author, actor(author), id, ids.slice(0, 2), 'sent');
    const next = await service.peopleToReview(author, actor(author), id, { limit: 2 });
    assert.deepEqual(
      next.unknown.map((r) => r.personId),
      ids.slice(2, 4),
    );
    assert.equal(next.moreUnknown, false);
    // Another council's DPO sees none of it.
    await assert.rejects(service.peopleToReview(otherDpo, actor(otherDpo), id));
  });
});

test('a print file has one A4 page per letter', async () => {
  const letters = Array.from({ length: 7 }, (_, n) => ({
    name: `Person ${n}`,
    addressLines: ['1 High Street', 'London'],
    postcode: 'SW1A 1AA',
    reference: 'WR-ABCD2345',
    body: 'Dear Person\n\nWhat happened: a cyber attack.',
  }));
  const pdf = await renderLetterBatchPdf({
    councilName: 'Westminster City Council',
    councilWebsite: 'https://www.sender.gov.uk',
    date: '1 December 2025',
    title: 'Letters',
    letters,
  });
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  assert.equal(pdf.toString('latin1').match(/\/Type \/Page\b/g)?.length, 7);
});

test('the estimate plans around Notify’s daily limits', () => {
  assert.equal(estimateFinish({ emails: 100_000, texts: 0, ratePerMinute: 3000, viaNotify: true }).minutes, 34);
  const big = estimateFinish({ emails: 600_000, texts: 0, ratePerMinute: 3000, viaNotify: true });
  assert.equal(big.days, 2);
  assert.match(big.text, /2 days/);
  assert.equal(estimateFinish({ emails: 600_000, texts: 0, ratePerMinute: 3000, viaNotify: false }).days, 0);
});
