import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createJobHandlers } from '../../platform/jobs-runtime.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { createSmtpSender } from '../../platform/mail/smtp-sender.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TestClient } from '../../platform/testing/test-app.ts';

const FORM = '/westminster/report-a-suspicious-message';
const REFERENCE = /SR-[ACDEFGHJKMNPQRTWXY34679]{8}/;
const SCAM =
  'Westminster Council: your council tax refund of £212.40 is ready. Claim it today at https://wcc-refund-claims.top/r?c=';

// From the public form to the reporter's outcome email, through the platform's own job handlers (as
// the server runs them): the grouping job puts each report in its campaign, the analyst's verdict
// queues one outcome email per reporter who asked, and it goes out over a real SMTP exchange.
describeEachDatabase('a report from the form to its outcome', (database) => {
  let t: DemoApp;
  let outbound: SmtpTestServer;
  let worker: JobWorker;

  before(async () => {
    // The app as buildApp wires it: no reportCampaigns overrides, so its verdicts tell reporters.
    t = await createDemoApp(database(), {
      rateLimitPolicies: { 'public-form': { max: 10_000, windowMs: 60_000 } },
    });
    outbound = await startSmtpTestServer();
    worker = startTestWorker(
      database(),
      createJobHandlers({ mailSender: createSmtpSender(outbound.config), publicBaseUrl: 'http://localhost:3000' }),
    );
  });
  after(async () => {
    await worker.stop();
    await outbound.close();
    await t.close();
  });

  const db = () => database().db;
  const report = async (fields: { text: string; email: string; wantsOutcome: 'yes' | 'no' }) => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    const answered = await client.postMultipart(FORM, {
      kind: 'text',
      claimedSender: 'Westminster Council',
      sender: '07700 900456',
      ...fields,
    });
    assert.equal(answered.statusCode, 303, answered.body.slice(0, 2000));
    assert.equal((await client.post(`${FORM}/check`)).statusCode, 303);
    const reference = REFERENCE.exec((await client.get(`${FORM}/sent`)).body)?.[0];
    assert.ok(reference);
    return reference;
  };
  const grouped = (reference: string) =>
    waitFor(`report ${reference} in a campaign`, async () => {
      const row = await db()
        .selectFrom('suspicious_reports')
        .select(['id', 'campaign_id'])
        .where('reference', '=', reference)
        .executeTakeFirstOrThrow();
      return row.campaign_id ? { id: row.id, campaignId: row.campaign_id } : undefined;
    });
  const outcomes = () => outbound.received.filter((m) => (m.header('subject') ?? '').startsWith('What we found'));
  const settled = () =>
    waitFor('the queue to settle', async () => {
      const busy = await db()
        .selectFrom('jobs')
        .select('id')
        .where('status', 'in', ['queued', 'running'])
        .where('run_at', '<=', new Date(Date.now() + 1000).toISOString())
        .executeTakeFirst();
      return busy ? undefined : true;
    });

  test('reports from the form are grouped by the worker; the verdict tells each reporter who asked, once, over SMTP', async () => {
    const askedA = await report({ text: `${SCAM}8812`, email: 'asked.a@example.org', wantsOutcome: 'yes' });
    const askedB = await report({ text: `${SCAM}9031`, email: 'asked.b@example.org', wantsOutcome: 'yes' });
    const quiet = await report({ text: `${SCAM}1207`, email: 'quiet@example.org', wantsOutcome: 'no' });
    const a = await grouped(askedA);
    const b = await grouped(askedB);
    const q = await grouped(quiet);
    assert.equal(b.campaignId, a.campaignId, 'the same lure is one campaign');
    assert.equal(q.campaignId, a.campaignId);

    const analyst = await t.staffClient('analyst', t.organisationId('westminster'));
    assert.equal((await analyst.get(`/staff/reports/campaigns/${a.campaignId}`)).statusCode, 200);
    const verdict = await analyst.post(`/staff/reports/campaigns/${a.campaignId}/verdict`, {
      verdict: 'scam',
      note: 'Refund lure',
      title: 'Council tax refund texts',
    });
    assert.equal(verdict.statusCode, 303, verdict.body.slice(0, 2000));
    for (const [address, reference] of [
      ['asked.a@example.org', askedA],
      ['asked.b@example.org', askedB],
    ] as const) {
      const mail = await waitFor(`the outcome email to ${address}`, () =>
        outcomes().find((m) => m.envelopeTo.includes(address)),
      );
      assert.match(mail.header('subject') ?? '', new RegExp(reference));
      assert.match(mail.text, /It is a scam\. It did not come from us\./);
      assert.match(mail.text, /http:\/\/localhost:3000\/westminster\/cyber-incident/);
      assert.doesNotMatch(mail.text, /wcc-refund-claims/, 'nothing of the scam is repeated');
    }

    // The verdict given again (a corrected note) tells no one twice.
    const again = await analyst.post(`/staff/reports/campaigns/${a.campaignId}/verdict`, {
      verdict: 'scam',
      note: 'Refund lure on a .top domain',
      title: 'Council tax refund texts',
    });
    assert.equal(again.statusCode, 303);
    await settled();
    assert.equal(
      outcomes().length,
      2,
      outcomes()
        .map((m) => m.envelopeTo.join())
        .join(', '),
    );
    assert.ok(!outcomes().some((m) => m.envelopeTo.includes('quiet@example.org')));

    // A later report of the decided campaign is told by the grouping job itself.
    const late = await report({ text: `${SCAM}4410`, email: 'late@example.org', wantsOutcome: 'yes' });
    assert.equal((await grouped(late)).campaignId, a.campaignId);
    const mail = await waitFor('the late reporter’s outcome email', () =>
      outcomes().find((m) => m.envelopeTo.includes('late@example.org')),
    );
    assert.match(mail.header('subject') ?? '', new RegExp(late));
    await settled();
    assert.equal(outcomes().length, 3);
  });
});
