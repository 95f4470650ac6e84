// The two jobs that send a campaign, and how a person is never sent the same campaign twice.
//
// campaign.queue makes one row per person (unique on campaign and person) in batches, each batch
// committed with the cursor it reached and the verification references the public check confirms,
// so a stopped run carries on where it left off. Then it starts campaign.dispatch.
//
// campaign.dispatch sends, at the campaign's rate, one message at a time on each of a few
// connections. Every send has a point of no return (for SMTP the "." that ends DATA; for Notify the
// POST), and the row is committed as "sending" just before it (a group commit for the sends that
// reach it together, which also checks this run still holds the job's lease). So after a crash:
// - "queued" rows were never handed over: sent now, as normal;
// - "sending" rows were handed over but their outcome was lost. For Notify they are looked up by
//   reference: found means sent, not found means Notify never took it, so it is sent. SMTP has no
//   such question, so they become "unknown": the server almost certainly took the message (the dot
//   went out right after the commit), and it is never sent again automatically.
// The residual risk is therefore a message missed, never a duplicate: a process killed in the few
// microseconds between the commit and the write of the "." leaves a person marked "unknown" whom the
// server never got a message for. The campaign page lists "unknown" people for the DPO.
import type { Kysely } from 'kysely';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import { isId, isoPlus, newId, nowIso } from '../../platform/ids.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { recordSentReferenceCouncils, recordSentReferences } from '../../platform/mail/sent-references.ts';
import { newVerificationReferences } from '../../platform/mail/verification-reference.ts';
import { LETTERS_PER_FILE } from './campaign-letters.ts';
import { messageFor, personalisationFor } from './campaign-messages.ts';
import type { CampaignChannelSender, CampaignSenders, SendOutcome } from './campaign-senders.ts';
import * as repo from './campaigns.repository.ts';

export const CAMPAIGN_QUEUE_JOB = 'campaign.queue';
export const CAMPAIGN_DISPATCH_JOB = 'campaign.dispatch';

export interface CampaignJobOptions {
  senders: CampaignSenders;
  /** Tries of one message before it counts as a permanent failure. */
  maxAttempts?: number | undefined;
  /** The wait before try number `attempt + 1` after a temporary failure. */
  retryDelayMs?: ((attempt: number) => number) | undefined;
  /** How long to stop sending after Notify says 429 (rate limit). */
  rateLimitPauseMs?: number | undefined;
  /** Sends in flight at once. */
  concurrency?: number | undefined;
  /** People materialised per transaction. */
  queueBatchSize?: number | undefined;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

/** 30 s, 1, 2, 4 minutes…, capped at an hour. */
export function campaignRetryDelayMs(attempt: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, attempt - 1), 60 * 60 * 1000);
}

interface CampaignPayload {
  campaignId: string;
}

function parsePayload(input: unknown): CampaignPayload {
  const id = (input as { campaignId?: unknown } | null)?.campaignId;
  if (typeof id !== 'string' || !isId(id)) throw new PermanentJobError('The payload does not name a campaign');
  return { campaignId: id };
}

export function registerCampaignJobs(
  registry: JobHandlerRegistry,
  options: CampaignJobOptions,
  kinds: readonly string[] = [CAMPAIGN_QUEUE_JOB, CAMPAIGN_DISPATCH_JOB],
): void {
  if (kinds.includes(CAMPAIGN_QUEUE_JOB))
    registry.register<unknown>(CAMPAIGN_QUEUE_JOB, (ctx) => queueCampaign(ctx, options));
  if (kinds.includes(CAMPAIGN_DISPATCH_JOB)) {
    registry.register<unknown>(CAMPAIGN_DISPATCH_JOB, (ctx) => dispatchCampaign(ctx, options));
  }
}

/** Which of a person's councils sends them a campaign: the incident's lead if it is one, else the first by id. */
export function sendingCouncilOf(councils: readonly string[], leadOrganisationId: string): string | undefined {
  if (councils.includes(leadOrganisationId)) return leadOrganisationId;
  return [...councils].sort()[0];
}

async function queueCampaign(ctx: JobContext<unknown>, options: CampaignJobOptions): Promise<void> {
  const { campaignId } = parsePayload(ctx.job.payload);
  const db = ctx.db;
  const campaign = await repo.findCampaign(db, campaignId);
  if (!campaign || campaign.status === 'cancelled') return;
  if (campaign.status !== 'queueing') return;
  const incident = await db
    .selectFrom('incidents')
    .select('lead_organisation_id')
    .where('id', '=', campaign.incident_id)
    .executeTakeFirstOrThrow();
  const lead = incident.lead_organisation_id;
  const total = await repo.countPeople(db, campaign.incident_id, campaign.organisation_id);
  const batchSize = options.queueBatchSize ?? 5000;
  let cursor = campaign.queue_cursor;
  let done = await db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('campaign_id', '=', campaignId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
  const smsAvailable = options.senders.sms !== undefined;

  for (;;) {
    ctx.signal.throwIfAborted();
    const people = await repo.peopleAfter(db, campaign.incident_id, campaign.organisation_id, cursor, batchSize);
    if (people.length === 0) break;
    const councils = await repo.councilsOf(
      db,
      people.map((p) => p.id),
    );
    const now = nowIso();
    const recipients: repo.NewRecipient[] = [];
    const references: Array<{ reference: string; organisationId: string; channel: 'email' | 'sms' | 'letter' }> = [];
    const onBehalf: Array<{ reference: string; organisationId: string }> = [];
    const fresh = newVerificationReferences(people.length);
    for (const [index, person] of people.entries()) {
      const theirs = councils.get(person.id) ?? [campaign.organisation_id];
      // A person in several councils' data gets one message, from one council's campaign.
      if (sendingCouncilOf(theirs, lead) !== campaign.organisation_id) continue;
      const channel = person.email
        ? 'email'
        : person.phone && smsAvailable
          ? 'sms'
          : person.hasAddress
            ? 'letter'
            : 'none';
      const reference = fresh[index]!;
      recipients.push({ personId: person.id, channel, reference, status: channel === 'none' ? 'no-route' : 'queued' });
      if (channel === 'none') continue;
      references.push({ reference, organisationId: campaign.organisation_id, channel });
      for (const other of theirs)
        if (other !== campaign.organisation_id) onBehalf.push({ reference, organisationId: other });
    }
    const last = people[people.length - 1]!.id;
    await ctx.once(`queued-after:${last}`, async (trx) => {
      await repo.insertRecipients(trx, campaignId, recipients, now);
      await recordSentReferences(trx, references, now);
      await recordSentReferenceCouncils(trx, onBehalf);
      await trx
        .updateTable('notification_campaigns')
        .set({ queue_cursor: last })
        .where('id', '=', campaignId)
        .execute();
    });
    cursor = last;
    done += people.length;
    await ctx.progress(Math.min(done, total), total);
  }

  await ctx.once('start-dispatch', async (trx) => {
    const sending = await trx
      .selectFrom('campaign_recipients')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('campaign_id', '=', campaignId)
      .executeTakeFirstOrThrow();
    await repo.setCampaignStatus(trx, campaignId, 'sending', { people_total: Number(sending.n), queued_at: nowIso() });
    await enqueueJob(trx, {
      kind: CAMPAIGN_DISPATCH_JOB,
      payload: { campaignId },
      idempotencyKey: `${CAMPAIGN_DISPATCH_JOB}:${campaignId}:start`,
      organisationId: campaign.organisation_id,
      maxAttempts: 100,
    });
  });
}

/** Paces sends to `perMinute`, and can be held back (after a 429) until a time. */
function createPacer(perMinute: number) {
  const started = Date.now();
  let granted = 0;
  let holdUntil = 0;
  return {
    hold(ms: number) {
      holdUntil = Math.max(holdUntil, Date.now() + ms);
    },
    async next(signal: AbortSignal): Promise<void> {
      for (;;) {
        signal.throwIfAborted();
        const now = Date.now();
        if (now < holdUntil) {
          await sleep(holdUntil - now);
          continue;
        }
        const allowed = Math.floor(((now - started) * perMinute) / 60_000) + 1;
        if (granted < allowed) {
          granted += 1;
          return;
        }
        await sleep(Math.max(1, Math.ceil(60_000 / perMinute)));
      }
    },
  };
}

/** Another run claimed the person first (or they are no longer due): this run does not send. */
class NotClaimedError extends Error {
  constructor() {
    super('the person was claimed by another run');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Commits the hand-over of every send that reaches its point of no return together, in one
 * transaction that also confirms this run still holds the job (ctx.once).
 */
function createHandOverCommitter(ctx: JobContext<unknown>, campaignId: string) {
  let pending: Array<{ personId: string; resolve: () => void; reject: (error: unknown) => void }> = [];
  let running: Promise<void> | undefined;
  let round = 0;
  const flush = async () => {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      round += 1;
      try {
        const now = nowIso();
        let claimed = new Set<string>();
        await ctx.once(`hand-over:${ctx.job.attempt}:${round}`, async (trx) => {
          claimed = await repo.claimForSending(
            trx,
            campaignId,
            batch.map((b) => b.personId),
            ['queued', 'temporary-failure'],
            now,
          );
        });
        for (const b of batch) {
          if (claimed.has(b.personId)) b.resolve();
          else b.reject(new NotClaimedError());
        }
      } catch (error) {
        for (const b of batch) b.reject(error);
      }
    }
    running = undefined;
  };
  return (personId: string) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ personId, resolve, reject });
      running ??= new Promise<void>((r) => setImmediate(r)).then(flush);
    });
}

/** Records send outcomes in batches: a lost batch leaves "sending" rows, which are handled as after a crash. */
function createOutcomeRecorder(
  db: Kysely<DB>,
  campaignId: string,
  options: Required<Pick<CampaignJobOptions, 'maxAttempts' | 'retryDelayMs'>>,
) {
  let pending: Array<{ personId: string; attempts: number; outcome: SendOutcome; provider: 'smtp' | 'notify' }> = [];
  const flush = async () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    await db.transaction().execute(async (trx) => {
      const now = nowIso();
      for (const { personId, attempts, outcome, provider } of batch) {
        const from: Parameters<typeof repo.moveRecipients>[3] = ['sending', 'queued', 'temporary-failure'];
        if (outcome.kind === 'sent') {
          await repo.moveRecipients(
            trx,
            campaignId,
            [personId],
            ['sending'],
            { status: 'sent', providerId: outcome.providerId, sentAt: now },
            now,
          );
        } else if (outcome.kind === 'unknown') {
          // Notify: left "sending", to be looked up by reference. SMTP: it may have gone; never sent again.
          if (provider === 'smtp') {
            await repo.moveRecipients(
              trx,
              campaignId,
              [personId],
              ['sending'],
              { status: 'unknown', lastError: outcome.error },
              now,
            );
          }
        } else {
          const tries = attempts + 1;
          const final = !outcome.temporary || tries >= options.maxAttempts;
          await repo.moveRecipients(
            trx,
            campaignId,
            [personId],
            from,
            {
              status: final ? 'permanent-failure' : 'temporary-failure',
              attemptsPlusOne: true,
              nextAttemptAt: final ? null : isoPlus(now, options.retryDelayMs(tries)),
              lastError: outcome.error.slice(0, 500),
            },
            now,
          );
        }
      }
    });
  };
  return {
    add(entry: (typeof pending)[number]) {
      pending.push(entry);
    },
    get size() {
      return pending.length;
    },
    flush,
  };
}

async function dispatchCampaign(ctx: JobContext<unknown>, options: CampaignJobOptions): Promise<void> {
  const { campaignId } = parsePayload(ctx.job.payload);
  const db = ctx.db;
  const campaign = await repo.findCampaign(db, campaignId);
  if (!campaign || campaign.status !== 'sending') return;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const retryDelayMs = options.retryDelayMs ?? campaignRetryDelayMs;
  const concurrency = options.concurrency ?? 8;
  const councilNames = new Map((await listOrganisations(db)).map((o) => [o.id, o.name]));
  const template = {
    emailSubject: campaign.email_subject,
    emailBody: campaign.email_body,
    smsBody: campaign.sms_body,
    letterBody: campaign.letter_body,
  };
  const senderFor = (channel: 'email' | 'sms'): CampaignChannelSender | undefined => options.senders[channel];

  await settleLeftovers(ctx, campaignId, options.senders);
  await makeLetterBatches(ctx, campaignId);

  const pacer = createPacer(campaign.rate_per_minute);
  const handOver = createHandOverCommitter(ctx, campaignId);
  const outcomes = createOutcomeRecorder(db, campaignId, { maxAttempts, retryDelayMs });
  let sentThisRun = 0;

  // Progress is counted once here and then kept up as outcomes come in: no recount per chunk.
  const start = await repo.countByStatus(db, campaignId);
  const total = start.all.total;
  const finishedAtStart = total - start.all.queued - start.all['temporary-failure'] - start.all.sending;
  let recorded = 0;
  let reported = 0;
  // A sliding window of sends: a new one starts as soon as one ends, across chunks, so no chunk
  // waits for its slowest send. Chunks are read in person order after the last one read (keyset),
  // so rows still in flight are not read again; a pass that finds nothing more drains the window
  // and looks once more from the start (for retries that came due meanwhile).
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let after: string | undefined;
  const drain = async () => {
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure;
    await outcomes.flush();
  };

  for (;;) {
    ctx.signal.throwIfAborted();
    if (failure !== undefined) throw failure;
    const current = await repo.findCampaign(db, campaignId);
    if (!current || current.status !== 'sending') break; // paused or cancelled
    const due = await repo.dueRecipients(db, campaignId, nowIso(), maxAttempts, 500, after);
    if (due.length === 0) {
      await drain();
      if (after === undefined) break;
      after = undefined;
      continue;
    }
    after = due[due.length - 1]!.personId;
    const people = await repo.peopleForMessages(
      db,
      due.map((d) => d.personId),
    );
    for (const row of due) {
      const person = people.get(row.personId);
      const sender = senderFor(row.channel);
      if (!person || !sender) {
        outcomes.add({
          personId: row.personId,
          attempts: maxAttempts,
          provider: 'smtp',
          outcome: {
            kind: 'failed',
            temporary: false,
            status: undefined,
            error: person
              ? `No ${row.channel === 'sms' ? 'text message' : 'email'} service is set up`
              : 'The person is no longer on the list',
            handedOver: false,
          },
        });
        recorded += 1;
        continue;
      }
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      // A failed hand-over (the lease was lost) rejects its send: stop here rather than go on.
      if (failure !== undefined) throw failure;
      await pacer.next(ctx.signal);
      const values = personalisationFor(person, row.reference, campaign.organisation_id, councilNames);
      const message = messageFor(template, row.channel, values);
      const to = row.channel === 'email' ? (person.email as string) : (person.phone as string);
      const task: Promise<void> = sender
        .send({ to, subject: message.subject, text: message.body, reference: row.reference }, () =>
          handOver(row.personId),
        )
        .then(
          (outcome) => {
            if (outcome.kind === 'failed' && outcome.status === 429) pacer.hold(options.rateLimitPauseMs ?? 5_000);
            outcomes.add({ personId: row.personId, attempts: row.attempts, outcome, provider: sender.provider });
            sentThisRun += 1;
            if (outcome.kind === 'sent' || outcome.kind === 'unknown' || !outcome.temporary) recorded += 1;
          },
          (error: unknown) => {
            if (!(error instanceof NotClaimedError)) failure ??= error;
          },
        )
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (outcomes.size >= 50) await outcomes.flush();
    }
    if (recorded - reported >= 500) {
      reported = recorded;
      await ctx.progress(Math.min(total, finishedAtStart + recorded), total);
    }
  }
  await drain();
  await outcomes.flush();
  await settleLeftovers(ctx, campaignId, options.senders);

  const current = await repo.findCampaign(db, campaignId);
  if (!current || current.status !== 'sending') return;
  const retryAt = await repo.nextRetryAt(db, campaignId, maxAttempts);
  const stillSending = await repo.recipientsInStatus(db, campaignId, 'sending', 1);
  await ctx.once(`finish:${sentThisRun}:${retryAt ?? 'none'}`, async (trx) => {
    if (retryAt !== undefined || stillSending.length > 0) {
      const runAt = retryAt ?? isoPlus(nowIso(), 60_000);
      await enqueueJob(trx, {
        kind: CAMPAIGN_DISPATCH_JOB,
        payload: { campaignId },
        idempotencyKey: `${CAMPAIGN_DISPATCH_JOB}:${campaignId}:${ctx.job.id}:${runAt}`,
        organisationId: campaign.organisation_id,
        runAt,
        maxAttempts: 100,
      });
    } else {
      await repo.setCampaignStatus(trx, campaignId, 'done', { finished_at: nowIso() });
    }
  });
}

/**
 * Rows left "sending" by a run that stopped. Notify: asked by reference (found is sent; not found
 * goes back to the queue). SMTP: "unknown", never sent again.
 */
async function settleLeftovers(ctx: JobContext<unknown>, campaignId: string, senders: CampaignSenders): Promise<void> {
  for (;;) {
    const rows = await repo.recipientsInStatus(ctx.db, campaignId, 'sending', 500);
    if (rows.length === 0) return;
    const now = nowIso();
    const unknown: string[] = [];
    const requeue: string[] = [];
    const found: Array<{ personId: string; providerId: string; status: string }> = [];
    for (const row of rows) {
      const sender = row.channel === 'email' || row.channel === 'sms' ? senders[row.channel] : undefined;
      if (!sender?.lookup) {
        unknown.push(row.personId);
        continue;
      }
      // A failure here (Notify unreachable) stops the run; the job is tried again later.
      const answer = await sender.lookup(row.reference);
      if (answer) found.push({ personId: row.personId, ...answer });
      else requeue.push(row.personId);
    }
    await ctx.once(`settle:${ctx.job.attempt}:${rows[0]!.personId}:${rows.length}:${now}`, async (trx) => {
      await repo.moveRecipients(
        trx,
        campaignId,
        unknown,
        ['sending'],
        {
          status: 'unknown',
          lastError:
            'The run stopped after the message was handed to the mail server, before its answer was recorded. It was almost certainly sent, so it is not sent again.',
        },
        now,
      );
      await repo.moveRecipients(trx, campaignId, requeue, ['sending'], { status: 'queued' }, now);
      for (const f of found) {
        await repo.moveRecipients(
          trx,
          campaignId,
          [f.personId],
          ['sending'],
          {
            status: notifyStatus(f.status) ?? 'sent',
            providerId: f.providerId,
            sentAt: now,
          },
          now,
        );
      }
    });
  }
}

/** Notify's statuses as a recipient's. */
export function notifyStatus(
  status: string,
): 'sent' | 'delivered' | 'temporary-failure' | 'permanent-failure' | undefined {
  switch (status) {
    case 'created':
    case 'sending':
    case 'pending':
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'permanent-failure':
      return 'permanent-failure';
    case 'temporary-failure':
    case 'technical-failure':
      return 'temporary-failure';
    default:
      return undefined;
  }
}

/** Puts queued letters into print files of up to LETTERS_PER_FILE, each file in one transaction. */
async function makeLetterBatches(ctx: JobContext<unknown>, campaignId: string): Promise<void> {
  for (;;) {
    const rows = await ctx.db
      .selectFrom('campaign_recipients')
      .select('person_id')
      .where('campaign_id', '=', campaignId)
      .where('channel', '=', 'letter')
      .where('status', '=', 'queued')
      .orderBy('person_id')
      .limit(LETTERS_PER_FILE)
      .execute();
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.person_id);
    await ctx.once(`letters:${ids[0]}`, async (trx) => {
      const count = await trx
        .selectFrom('campaign_letter_batches')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('campaign_id', '=', campaignId)
        .executeTakeFirstOrThrow();
      const now = nowIso();
      const batchId = newId();
      await repo.insertLetterBatch(trx, {
        id: batchId,
        campaignId,
        number: Number(count.n) + 1,
        letters: ids.length,
        createdAt: now,
      });
      await repo.moveRecipients(
        trx,
        campaignId,
        ids,
        ['queued'],
        { status: 'printed', letterBatchId: batchId, sentAt: now },
        now,
      );
    });
  }
}
