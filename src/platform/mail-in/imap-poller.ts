// Polling mailboxes that live on another server (a council's Exchange or a hosted mailbox) over
// IMAP, as a job on the queue: any worker may run it, and the schedule asks for one poll per
// account per interval however many instances run.
//
// A poll fetches unseen messages, oldest first, stores each one raw, and only then flags it seen
// (or moves it to the configured folder). Each stored message carries the account, folder,
// UIDVALIDITY and UID as its unique source reference, so a poll that dies between storing and
// flagging finds the message again next time, stores nothing twice, and flags it then. The fetch
// uses BODY.PEEK, so reading a message does not mark it seen before it is stored.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ImapFlow } from 'imapflow';
import type { ImapAccountConfig } from '../config.ts';
import type { DB } from '../db/schema.ts';
import type { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { enqueueJob } from '../jobs/job-queue.ts';
import { OVERSIZE_KEPT_BYTES, storeInboundMail } from './inbound-mail-intake.ts';

export const MAIL_IN_IMAP_POLL_JOB = 'mail-in.imap-poll';
/** Messages taken per poll, so one poll stays short; the next poll takes the rest. */
export const IMAP_POLL_BATCH = 50;

export interface ImapPollResult {
  /** Unseen messages in the folder when the poll looked. */
  unseen: number;
  stored: number;
  /** Stored by an earlier poll that stopped before flagging them. */
  alreadyStored: number;
  /** Over the size limit: their start kept, rejected. */
  oversize: number;
}

export interface ImapPollOptions {
  db: Kysely<DB>;
  account: ImapAccountConfig;
  maxBytes: number;
  signal?: AbortSignal | undefined;
  batchSize?: number | undefined;
  timeoutMs?: number | undefined;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

export async function pollImapAccount(options: ImapPollOptions): Promise<ImapPollResult> {
  const { db, account, maxBytes, signal } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new ImapFlow({
    host: account.host,
    port: account.port,
    secure: account.secure,
    // Credentials never cross the network in clear: without imaps://, STARTTLS is required,
    // except to this machine.
    ...(account.secure || LOCAL_HOSTS.has(account.host) ? {} : { doSTARTTLS: true }),
    auth: { user: account.user, pass: account.password },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs * 2,
  });
  // An 'error' event with no listener would end the process; the awaited calls report it anyway.
  let connectionError: unknown;
  client.on('error', (err: unknown) => {
    connectionError = err;
  });
  const result: ImapPollResult = { unseen: 0, stored: 0, alreadyStored: 0, oversize: 0 };
  try {
    await client.connect();
    const lock = await client.getMailboxLock(account.folder);
    try {
      const mailbox = client.mailbox;
      if (!mailbox) throw new Error(`Could not open the folder ${account.folder}`);
      const uidValidity = String(mailbox.uidValidity);
      const unseen = ((await client.search({ seen: false }, { uid: true })) || []).sort((a, b) => a - b);
      result.unseen = unseen.length;
      const batch = unseen.slice(0, options.batchSize ?? IMAP_POLL_BATCH);
      if (batch.length === 0) return result;

      const sizes = new Map<number, number>();
      for await (const message of client.fetch(batch.join(','), { uid: true, size: true }, { uid: true })) {
        sizes.set(message.uid, message.size ?? 0);
      }
      for (const uid of batch) {
        signal?.throwIfAborted();
        const size = sizes.get(uid);
        if (size === undefined) continue; // deleted since the search
        const tooBig = size > maxBytes;
        const message = await client.fetchOne(
          String(uid),
          { uid: true, source: tooBig ? { start: 0, maxLength: OVERSIZE_KEPT_BYTES } : true },
          { uid: true },
        );
        if (!message || !message.source) continue;
        const stored = await storeInboundMail(
          db,
          {
            source: 'imap',
            sourceRef: `imap:${account.key}:${uidValidity}:${uid}`,
            mailbox: account.mailbox,
            raw: message.source,
            size: tooBig ? size : message.source.length,
          },
          { maxBytes },
        );
        if (!stored.created) result.alreadyStored += 1;
        else if (stored.status === 'rejected') result.oversize += 1;
        else result.stored += 1;
        // Only now that it is stored. If this fails the message stays unseen and the next poll
        // finds it already stored.
        const done = account.moveTo
          ? await client.messageMove(String(uid), account.moveTo, { uid: true })
          : await client.messageFlagsAdd(String(uid), ['\\Seen'], { uid: true });
        if (!done) {
          throw new Error(
            account.moveTo ? `could not move a message to ${account.moveTo}` : 'could not flag a message as seen',
          );
        }
      }
    } finally {
      lock.release();
    }
  } catch (error) {
    throw new Error(
      `Polling ${account.key} over IMAP failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error ?? connectionError },
    );
  } finally {
    await client.logout().catch(() => client.close());
  }
  return result;
}

/** Registers `mail-in.imap-poll`: its payload names the account by key (never its password). */
export function registerImapPolling(
  handlers: JobHandlerRegistry,
  deps: { accounts: ImapAccountConfig[]; maxBytes: number },
): void {
  handlers.register<{ account?: unknown }>(MAIL_IN_IMAP_POLL_JOB, async (ctx) => {
    const account = deps.accounts.find((a) => a.key === ctx.job.payload.account);
    // The account was removed from the configuration since the poll was asked for.
    if (!account) return;
    const result = await pollImapAccount({ db: ctx.db, account, maxBytes: deps.maxBytes, signal: ctx.signal });
    await ctx.progress(result.stored + result.alreadyStored + result.oversize, result.unseen);
  });
}

/** Asks for a poll of each account in this interval; the idempotency key makes it one per interval. */
export async function requestImapPolls(
  db: Kysely<DB>,
  accounts: ImapAccountConfig[],
  intervalSeconds: number,
  now = Date.now(),
): Promise<void> {
  const slot = Math.floor(now / (intervalSeconds * 1000));
  for (const account of accounts) {
    const accountHash = createHash('sha256').update(account.key).digest('hex').slice(0, 16);
    await enqueueJob(db, {
      kind: MAIL_IN_IMAP_POLL_JOB,
      payload: { account: account.key },
      idempotencyKey: `${MAIL_IN_IMAP_POLL_JOB}:${accountHash}:${intervalSeconds}:${slot}`,
      // A failed poll is not retried: the next interval's poll is the retry.
      maxAttempts: 1,
    });
  }
}

/** Requests polls now and twice an interval (one job per account per interval results). */
export function scheduleImapPolls(
  db: Kysely<DB>,
  accounts: ImapAccountConfig[],
  intervalSeconds: number,
  onError: (err: unknown) => void,
): { stop(): void } {
  if (accounts.length === 0) return { stop: () => undefined };
  const tick = () => {
    requestImapPolls(db, accounts, intervalSeconds).catch(onError);
  };
  tick();
  const timer = setInterval(tick, (intervalSeconds * 1000) / 2);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
