import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { toCount } from '../../platform/db/database.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startJobWorker } from '../../platform/jobs/job-worker.ts';
import { createMemoryLogger } from '../../platform/jobs/test-fixtures/memory-logger.ts';
import { jobIn, waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { createOrganisation } from '../../platform/testing/test-app.ts';
import { findCampaign } from './report-campaigns.repository.ts';
import { corpusEml, recordCorpusReport } from './report-fixtures.test-support.ts';
import { assignReportToCampaign, majorityVerdict } from './report-grouping.ts';
import { enqueueReportGrouping, registerReportGroupingJob } from './report-grouping-job.ts';
import { reportRow } from './report-recording.ts';

test('the suggested verdict is that of most reports, a tie going to the more cautious', () => {
  assert.equal(majorityVerdict({ 'likely-scam': 2, suspicious: 3 }), 'suspicious');
  assert.equal(majorityVerdict({ 'likely-scam': 2, 'likely-genuine': 2 }), 'likely-scam');
  assert.equal(majorityVerdict({}), 'cannot-tell');
});

describeEachDatabase('campaign grouping', (database) => {
  test('per-victim variations of one scam share a campaign; other scams and genuine mail do not', async () => {
    const { db } = database();
    const council = await createOrganisation(database(), `group-${Date.now()}`);
    const refunds = [];
    for (let i = 1; i <= 8; i++)
      refunds.push(await recordCorpusReport(db, council.id, { eml: `scam/refund-campaign-${i}.eml` }));
    const helplines = [];
    for (let i = 1; i <= 6; i++)
      helplines.push(await recordCorpusReport(db, council.id, { eml: `scam/fake-helpline-${i}.eml` }));
    const texts = [];
    for (let i = 1; i <= 3; i++) texts.push(await recordCorpusReport(db, council.id, { sms: `sms-scam-${i}` }));
    const genuine = await recordCorpusReport(db, council.id, { eml: 'genuine/westminster-council-tax-reminder.eml' });

    const ids = (list: Array<{ campaignId: string }>) => new Set(list.map((r) => r.campaignId));
    assert.equal(ids(refunds).size, 1);
    assert.equal(ids(helplines).size, 1);
    assert.equal(ids(texts).size, 1);
    const all = new Set([...ids(refunds), ...ids(helplines), ...ids(texts), genuine.campaignId]);
    assert.equal(all.size, 4, 'four campaigns');
    assert.equal(refunds[0]!.by, 'new');
    assert.ok(refunds.slice(1).every((r) => r.by === 'key' || r.by === 'text'));

    const refundCampaign = await findCampaign(db, refunds[0]!.campaignId);
    assert.equal(refundCampaign?.reportCount, 8);
    assert.equal(refundCampaign?.suggestedVerdict, 'likely-scam');
    assert.equal(refundCampaign?.title, 'You are owed a council tax rebate');
    assert.ok(refunds.some((r) => r.id === refundCampaign?.representativeReportId));
    const genuineCampaign = await findCampaign(db, genuine.campaignId);
    assert.equal(genuineCampaign?.reportCount, 1);
    assert.equal(genuineCampaign?.suggestedVerdict, 'likely-genuine');

    // Another council's report of the same scam is that council's own campaign.
    const other = await createOrganisation(database(), `group-other-${Date.now()}`);
    const elsewhere = await recordCorpusReport(db, other.id, { eml: 'scam/refund-campaign-1.eml' });
    assert.ok(!all.has(elsewhere.campaignId));
  });

  test('a report joins a campaign by near-duplicate text alone when it shares no exact key', async () => {
    const { db } = database();
    const council = await createOrganisation(database(), `text-${Date.now()}`);
    const first = await recordCorpusReport(db, council.id, { eml: 'scam/refund-campaign-1.eml' });
    // The same words from another sender with another link domain: only the text matches.
    const changed = corpusEml('scam/refund-campaign-2.eml')
      .toString('utf8')
      .replace(/claimnow-uk\.top/g, 'rebates-now.example')
      .replace(/^Reply-To:.*\r?\n/m, '');
    const row = await reportRow({ organisationId: council.id, message: { eml: Buffer.from(changed) } });
    await db.insertInto('suspicious_reports').values(row).execute();
    const grouped = await db.transaction().execute((trx) => assignReportToCampaign(trx, row.id));
    assert.deepEqual(grouped, { campaignId: first.campaignId, by: 'text' });
  });

  test('the grouping job puts a report in its campaign once, however often it runs', async (t) => {
    const { db } = database();
    const council = await createOrganisation(database(), `job-${Date.now()}`);
    const first = await recordCorpusReport(db, council.id, { eml: 'scam/fake-helpline-1.eml' });
    const row = await reportRow({
      organisationId: council.id,
      message: { eml: corpusEml('scam/fake-helpline-2.eml') },
    });
    const jobId = await db.transaction().execute(async (trx) => {
      await trx.insertInto('suspicious_reports').values(row).execute();
      return enqueueReportGrouping(trx, row.id, council.id);
    });
    const handlers = new JobHandlerRegistry();
    registerReportGroupingJob(handlers, {});
    const worker = startJobWorker({
      database: database(),
      handlers,
      logger: createMemoryLogger(),
      pollIntervalMs: 20,
      leaseMs: 5000,
      retryDelayMs: () => 50,
    });
    t.after(() => worker.stop());
    const job = await waitFor('the grouping job', jobIn(db, jobId, 'succeeded', 'dead'));
    assert.equal(job.status, 'succeeded');

    const stored = await db
      .selectFrom('suspicious_reports')
      .select('campaign_id')
      .where('id', '=', row.id)
      .executeTakeFirst();
    assert.equal(stored?.campaign_id, first.campaignId);
    // A second run (as after a crash before the job was marked done) changes nothing.
    const again = await db.transaction().execute((trx) => assignReportToCampaign(trx, row.id));
    assert.deepEqual(again, { campaignId: first.campaignId, by: 'already' });
    const campaign = await findCampaign(db, first.campaignId);
    assert.equal(campaign?.reportCount, 2);
    assert.deepEqual(campaign?.verdictCounts, { 'likely-scam': 2 });
    const keys = await db
      .selectFrom('report_campaign_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('organisation_id', '=', council.id)
      .where('campaign_id', '<>', first.campaignId)
      .executeTakeFirst();
    assert.equal(toCount(keys?.n as string | number), 0);
  });
});
