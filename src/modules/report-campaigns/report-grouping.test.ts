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
import {
  enqueueReportBacklog,
  enqueueReportGrouping,
  groupReportBacklog,
  registerReportGroupingJob,
} from './report-grouping-job.ts';
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

  test('two groupings at once of a new scam’s first reports make one campaign, not two', async () => {
    const { db } = database();
    const council = await createOrganisation(database(), `race-${Date.now()}`);
    const rows: Array<Awaited<ReturnType<typeof reportRow>>> = [];
    for (const eml of ['scam/refund-campaign-1.eml', 'scam/refund-campaign-2.eml']) {
      const row = await reportRow({ organisationId: council.id, message: { eml: corpusEml(eml) } });
      await db.insertInto('suspicious_reports').values(row).execute();
      rows.push(row);
    }
    // The first grouping has made the campaign and not committed when the second begins.
    let commitFirst: () => void = () => {};
    const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
    let firstGrouped: () => void = () => {};
    const firstHasGrouped = new Promise<void>((resolve) => (firstGrouped = resolve));
    const first = db.transaction().execute(async (trx) => {
      const grouped = await assignReportToCampaign(trx, rows[0]!.id);
      firstGrouped();
      await firstMayCommit;
      return grouped;
    });
    await firstHasGrouped;
    const second = db.transaction().execute((trx) => assignReportToCampaign(trx, rows[1]!.id));
    await new Promise((resolve) => setTimeout(resolve, 200));
    commitFirst();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a?.by, 'new');
    assert.deepEqual(b, { campaignId: a?.campaignId, by: 'key' });
    const campaigns = await db
      .selectFrom('report_campaigns')
      .select('id')
      .where('organisation_id', '=', council.id)
      .execute();
    assert.equal(campaigns.length, 1);
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

  // Letters only (digits become <ref>): a window of 30 words, shifted along by five for each text,
  // gives texts about 0.8 alike their neighbours and 0.5 alike their neighbours' neighbours.
  const WORDS = Array.from(
    { length: 80 },
    (_, i) => `word${String.fromCharCode(97 + (i % 26), 97 + Math.floor(i / 26))}x`,
  );
  const words = (from: number) => WORDS.slice(from, from + 30).join(' ');
  const text = async (organisationId: string, sender: string, body: string) => {
    const row = await reportRow({ organisationId, message: { sms: { sender, body } } });
    await database().db.insertInto('suspicious_reports').values(row).execute();
    return row.id;
  };
  const group = (id: string) =>
    database()
      .db.transaction()
      .execute((trx) => assignReportToCampaign(trx, id));

  test('near duplicates are compared with the campaign’s representative, so text cannot drift into another campaign', async () => {
    const council = await createOrganisation(database(), `drift-${Date.now()}`);
    const a = await group(await text(council.id, '+447700900101', words(0)));
    const b = await group(await text(council.id, '+447700900102', words(5)));
    const c = await group(await text(council.id, '+447700900103', words(10)));
    assert.equal(a?.by, 'new');
    assert.deepEqual(b, { campaignId: a!.campaignId, by: 'text' });
    // Like b (which joined by text), not like a: a campaign of its own.
    assert.equal(c?.by, 'new');
    assert.notEqual(c?.campaignId, a?.campaignId);
  });

  test('a text’s sender number joins a campaign only when the text is alike too', async () => {
    const council = await createOrganisation(database(), `number-${Date.now()}`);
    const a = await group(await text(council.id, '+447700900201', words(0)));
    const unrelated = await group(await text(council.id, '+447700900201', words(45)));
    assert.equal(unrelated?.by, 'new', 'the same number with unrelated words is another campaign');
    const related = await group(await text(council.id, '+447700900201', words(12)));
    assert.deepEqual(related, { campaignId: a!.campaignId, by: 'key' }, 'the same number with text 0.3 alike');
    // Joined by its number only, it does not represent the campaign: text like it alone is another campaign.
    const likeRelated = await group(await text(council.id, '+447700900202', words(17)));
    assert.equal(likeRelated?.by, 'new');
  });

  test('the backlog groups reports a batch to a transaction, carries on after a crash and groups nothing twice', async () => {
    const { db } = database();
    const council = await createOrganisation(database(), `backlog-${Date.now()}`);
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const row = await reportRow({
        organisationId: council.id,
        message: { eml: corpusEml(`scam/refund-campaign-${i}.eml`) },
        createdAt: `2025-12-01T10:0${i}:00.000Z`,
      });
      await db.insertInto('suspicious_reports').values(row).execute();
      ids.push(row.id);
    }
    ids.push(await text(council.id, '+447700900301', words(0)));
    ids.push(await text(council.id, '+447700900302', words(5)));

    // The worker dies after its first batch of two is committed.
    await assert.rejects(
      groupReportBacklog(db, {
        organisationId: council.id,
        batchSize: 2,
        progress: (done) => {
          if (done > 0) throw new Error('killed');
        },
      }),
      /killed/,
    );
    const placed = () =>
      db
        .selectFrom('suspicious_reports')
        .select(['id', 'campaign_id'])
        .where('organisation_id', '=', council.id)
        .execute()
        .then((rows) => new Map(rows.map((r) => [r.id, r.campaign_id])));
    assert.equal([...(await placed()).values()].filter(Boolean).length, 2);

    const progress: Array<[number, number]> = [];
    assert.equal(
      await groupReportBacklog(db, {
        organisationId: council.id,
        batchSize: 2,
        progress: (d, t) => void progress.push([d, t]),
      }),
      5,
    );
    assert.deepEqual(progress.at(-1), [5, 5]);
    const after = await placed();
    const refunds = new Set(ids.slice(0, 5).map((id) => after.get(id)));
    assert.equal(refunds.size, 1, 'the five refund emails are one campaign');
    assert.equal(after.get(ids[6]!), after.get(ids[5]!), 'the two texts are one campaign');
    assert.notEqual(after.get(ids[5]!), after.get(ids[0]!));
    const refund = await findCampaign(db, after.get(ids[0]!)!);
    assert.equal(refund?.reportCount, 5);
    assert.equal(refund?.firstReportedAt, '2025-12-01T10:01:00.000Z');
    assert.equal(refund?.lastReportedAt, '2025-12-01T10:05:00.000Z');
    assert.equal(await groupReportBacklog(db, { organisationId: council.id }), 0, 'nothing left to group');
    assert.equal((await findCampaign(db, after.get(ids[5]!)!))?.reportCount, 2);
  });

  test('the backlog job groups a council’s ungrouped reports and shows its progress', async (t) => {
    const { db } = database();
    const council = await createOrganisation(database(), `backlog-job-${Date.now()}`);
    const ids = [await text(council.id, '+447700900401', words(0)), await text(council.id, '+447700900402', words(5))];
    const jobId = await enqueueReportBacklog(db, council.id);
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
    const job = await waitFor('the backlog job', jobIn(db, jobId, 'succeeded', 'dead'));
    assert.equal(job.status, 'succeeded');
    const row = await db
      .selectFrom('jobs')
      .select(['progress_done', 'progress_total'])
      .where('id', '=', jobId)
      .executeTakeFirstOrThrow();
    assert.deepEqual([toCount(row.progress_done), toCount(row.progress_total ?? -1)], [2, 2]);
    const placed = await db.selectFrom('suspicious_reports').select('campaign_id').where('id', 'in', ids).execute();
    assert.equal(new Set(placed.map((p) => p.campaign_id)).size, 1);
    assert.ok(placed[0]?.campaign_id);
  });
});
