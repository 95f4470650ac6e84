// The job that tells subscribers about a published update: one run per published version, which
// fans out one `mail.send` or `sms.send` job per confirmed subscriber of each council the update is for.
import type { Kysely, Transaction } from 'kysely';
import { findOrganisationById } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import { isId } from '../../platform/ids.ts';
import { PermanentJobError, type JobContext, type JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { findPublishedUpdate } from '../public-updates/public-updates.service.ts';
import * as repo from './subscriptions.repository.ts';
import { queueUpdateMessages, type CouncilLinks } from './subscriptions.service.ts';

export const NOTIFY_SUBSCRIBERS_JOB = 'subscriptions.notify-update';
/** Subscribers queued per transaction: short enough not to hold SQLite's one connection for long. */
const PAGE_SIZE = 200;

export interface NotifySubscribersPayload {
  updateId: string;
  versionId: string;
  councilIds: string[];
  /** The council's public address when the update was published; every link in the email uses it. */
  baseUrl: string;
}

/**
 * Queues the fan-out for one published version. Its idempotency key is the version, so queueing it
 * again (a repeated hook, say) does nothing.
 */
export async function enqueueSubscriberNotification(
  executor: Kysely<DB> | Transaction<DB>,
  payload: NotifySubscribersPayload,
): Promise<string> {
  return enqueueJob(executor, {
    kind: NOTIFY_SUBSCRIBERS_JOB,
    payload,
    idempotencyKey: `${NOTIFY_SUBSCRIBERS_JOB}:${payload.versionId}`,
  });
}

/**
 * `smsAvailable`: whether text messages can be sent now. Without it, text subscribers are left out
 * of the fan-out rather than given jobs that cannot run.
 */
export function registerSubscriptionJobs(registry: JobHandlerRegistry, options: { smsAvailable: boolean }): void {
  const channels: readonly repo.Channel[] = options.smsAvailable ? ['email', 'sms'] : ['email'];
  registry.register<unknown>(NOTIFY_SUBSCRIBERS_JOB, (ctx) => notifySubscribers(ctx, channels));
}

function parsePayload(input: unknown): NotifySubscribersPayload {
  const p = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<string, unknown>>;
  const valid =
    typeof p['updateId'] === 'string' &&
    isId(p['updateId']) &&
    typeof p['versionId'] === 'string' &&
    isId(p['versionId']) &&
    Array.isArray(p['councilIds']) &&
    p['councilIds'].every((id) => typeof id === 'string' && isId(id)) &&
    typeof p['baseUrl'] === 'string' &&
    /^https?:\/\/[^\s/]+$/.test(p['baseUrl'].replace(/\/+$/, ''));
  if (!valid) throw new PermanentJobError('The payload does not name a published update version and its councils');
  return p as unknown as NotifySubscribersPayload;
}

async function notifySubscribers(ctx: JobContext<unknown>, channels: readonly repo.Channel[]): Promise<void> {
  const payload = parsePayload(ctx.job.payload);
  const baseUrl = payload.baseUrl.replace(/\/+$/, '');

  // Work out what to send first, so progress has a total.
  const sends: Array<{ links: CouncilLinks; update: Parameters<typeof queueUpdateMessages>[2] }> = [];
  for (const councilId of payload.councilIds) {
    const council = await findOrganisationById(ctx.db, councilId);
    const published =
      council?.kind === 'council' ? await findPublishedUpdate(ctx.db, councilId, payload.updateId) : undefined;
    // A later correction has been published since: its own run sends that text, and sending it
    // here as well would send it twice.
    if (!council || !published || published.versionId !== payload.versionId) continue;
    sends.push({
      links: { baseUrl, council },
      update: {
        updateId: published.id,
        versionId: published.versionId,
        title: published.title,
        body: published.body,
        corrected: published.corrected,
      },
    });
  }

  const counts = await repo.countConfirmedSubscribers(
    ctx.db,
    sends.map((s) => s.links.council.id),
  );
  let total = counts.filter((c) => channels.includes(c.channel)).reduce((sum, c) => sum + c.count, 0);
  let done = 0;
  await ctx.progress(done, total);
  for (const send of sends) {
    let afterId: string | undefined;
    for (;;) {
      ctx.signal.throwIfAborted();
      const page = await repo.listConfirmedSubscribers(ctx.db, send.links.council.id, {
        channels,
        afterId,
        limit: PAGE_SIZE,
      });
      if (page.length === 0) break;
      // A plain transaction rather than ctx.once(): what stops a second run queueing a message again
      // is the per-message unsubscribe token's unique key, checked inside this same transaction.
      await ctx.db.transaction().execute((trx) => queueUpdateMessages(trx, send.links, send.update, page));
      afterId = page[page.length - 1]?.id;
      done += page.length;
      // People who confirm during the fan-out are sent the update too, so the total can grow.
      total = Math.max(total, done);
      await ctx.progress(done, total);
    }
  }
}
