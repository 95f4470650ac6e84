// Bench phases for a breach notification campaign, to be joined with the import phases later:
// 1. queue: materialise one recipient row (and verification reference) per person for a campaign of
//    `people` people, through the real campaign.queue job; goal under 60 s for 1,000,000.
// 2. send: a slice of `sendSlice` of those messages through the real campaign.dispatch job to a local
//    SMTP sink, over real SMTP; goal 500 messages a second or more.
import type { Database } from '../../src/platform/db/database.ts';
import { newId, nowIso } from '../../src/platform/ids.ts';
import { JobHandlerRegistry } from '../../src/platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../src/platform/jobs/job-queue.ts';
import { startJobWorker } from '../../src/platform/jobs/job-worker.ts';
import { registerCampaignJobs } from '../../src/modules/notification-campaigns/campaign-jobs.ts';
import { createCampaignSmtpSender } from '../../src/modules/notification-campaigns/campaign-smtp.ts';
import * as repo from '../../src/modules/notification-campaigns/campaigns.repository.ts';
import { PASSING_TEMPLATE } from '../../src/modules/notification-campaigns/test-support.ts';
import { startReferenceSink } from '../../src/modules/notification-campaigns/test-fixtures/reference-sink.ts';

export interface CampaignPhaseResult {
  people: number;
  queueSeconds: number;
  sent: number;
  sendSeconds: number;
  perSecond: number;
}

const quiet = () => undefined;
const logger = { info: quiet, warn: quiet, error: quiet };

async function waitUntil(check: () => Promise<boolean>, intervalMs = 100): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, intervalMs));
}

/** Runs both phases on people already in the affected-people tables for this incident and council. */
export async function runCampaignPhases(
  database: Database,
  options: { incidentId: string; organisationId: string; sendSlice: number },
): Promise<CampaignPhaseResult> {
  const { db } = database;
  const sink = await startReferenceSink();
  const id = newId();
  const now = nowIso();
  await db.transaction().execute(async (trx) => {
    await repo.insertCampaign(trx, {
      id,
      incident_id: options.incidentId,
      organisation_id: options.organisationId,
      title: 'Bench',
      status: 'queueing',
      version: 1,
      email_subject: PASSING_TEMPLATE.emailSubject,
      email_body: PASSING_TEMPLATE.emailBody,
      sms_body: PASSING_TEMPLATE.smsBody,
      letter_body: PASSING_TEMPLATE.letterBody,
      rate_per_minute: 100_000,
      created_at: now,
      created_by_user_id: null,
      created_by_label: 'bench',
      updated_at: now,
      approved_at: now,
      approved_by_user_id: null,
      approved_by_label: 'bench',
      queue_cursor: null,
      people_total: 0,
      queued_at: null,
      finished_at: null,
    });
  });

  // Phase 1: queue, with only the queue job registered so no send starts.
  const queueOnly = new JobHandlerRegistry();
  registerCampaignJobs(queueOnly, { senders: { email: undefined, sms: undefined }, queueBatchSize: 5000 }, [
    'campaign.queue',
  ]);
  const queueStarted = performance.now();
  await enqueueJob(db, { kind: 'campaign.queue', payload: { campaignId: id } });
  const q = startJobWorker({ database, handlers: queueOnly, logger, pollIntervalMs: 20, concurrency: 1 });
  await waitUntil(async () => (await repo.findCampaign(db, id))?.status === 'sending');
  const queueSeconds = (performance.now() - queueStarted) / 1000;
  await q.stop();
  const people = (await repo.countByStatus(db, id)).all.total;

  // Phase 2: send a slice: everyone past the slice is parked as "unknown" so the run ends with it.
  const keep = await db
    .selectFrom('campaign_recipients')
    .select('person_id')
    .where('campaign_id', '=', id)
    .orderBy('person_id')
    .offset(options.sendSlice)
    .limit(1)
    .executeTakeFirst();
  if (keep) {
    await db
      .updateTable('campaign_recipients')
      .set({ status: 'unknown' })
      .where('campaign_id', '=', id)
      .where('person_id', '>=', keep.person_id)
      .execute();
  }
  const sender = createCampaignSmtpSender(
    {
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      user: undefined,
      password: undefined,
      from: 'Council <notices@example.gov.uk>',
    },
    { connections: 8 },
  );
  const dispatch = new JobHandlerRegistry();
  registerCampaignJobs(dispatch, { senders: { email: sender, sms: undefined } }, ['campaign.dispatch']);
  // The queue-only worker could not run the dispatch job the queue job started: start it again.
  await enqueueJob(db, { kind: 'campaign.dispatch', payload: { campaignId: id }, maxAttempts: 100 });
  const sendStarted = performance.now();
  const d = startJobWorker({ database, handlers: dispatch, logger, pollIntervalMs: 20, concurrency: 1 });
  await waitUntil(async () => (await repo.findCampaign(db, id))?.status === 'done', 200);
  const sendSeconds = (performance.now() - sendStarted) / 1000;
  await d.stop();
  await sender.close();
  const sent = sink.received();
  await sink.close();
  return { people, queueSeconds, sent, sendSeconds, perSecond: sent / sendSeconds };
}
