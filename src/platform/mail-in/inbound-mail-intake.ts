// Taking a message in, from any channel: the raw bytes are stored first, before anything reads
// them, and the job that processes the message is queued in the same transaction, so a stored
// message is always processed and no message is processed that was not stored.
//
// Mail over the size limit is not processed. Its first megabyte is kept (the headers, so staff can
// see who sent it and what it was) with its full size, as a rejected row with the reason; the rest
// is dropped. Keeping the whole of every oversize message would let anyone fill the disk.
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../db/schema.ts';
import { newId, nowIso } from '../ids.ts';
import { enqueueJob } from '../jobs/job-queue.ts';
import type { InboundMailSource } from './inbound-mailboxes.ts';
import { formatBytes } from './inbound-mail-parser.ts';
import { insertInboundMail } from './inbound-mail.repository.ts';

export const MAIL_IN_PROCESS_JOB = 'mail-in.process';
/** How much of an oversize message is kept. */
export const OVERSIZE_KEPT_BYTES = 1024 * 1024;

export interface InboundMailInput {
  source: InboundMailSource;
  /** Unique per message where it came from (IMAP: account, UIDVALIDITY and UID); see the repository. */
  sourceRef?: string | undefined;
  envelopeFrom?: string | undefined;
  envelopeTo?: string[] | undefined;
  /** The mailbox the channel delivers to, when it says (an IMAP account, `mail import --mailbox`). */
  mailbox?: string | undefined;
  /** The message, or its first part when `size` says it was larger. */
  raw: Buffer;
  /** The whole message's size when `raw` holds only its start; raw.length otherwise. */
  size?: number | undefined;
}

export interface StoredInboundMail {
  id: string;
  /** False when the sourceRef was already stored: nothing was stored or queued now. */
  created: boolean;
  status: 'received' | 'rejected';
  reason: string | null;
}

/**
 * Stores a message and queues its processing, or stores the start of an oversize one as rejected.
 * Pass a transaction to store it with other changes; otherwise it gets one of its own.
 */
export async function storeInboundMail(
  db: Kysely<DB> | Transaction<DB>,
  input: InboundMailInput,
  options: { maxBytes: number },
): Promise<StoredInboundMail> {
  const size = input.size ?? input.raw.length;
  const oversize = size > options.maxBytes;
  const raw = oversize ? input.raw.subarray(0, Math.min(OVERSIZE_KEPT_BYTES, options.maxBytes)) : input.raw;
  const reason = oversize
    ? `The message is ${formatBytes(size)}; the limit is ${formatBytes(options.maxBytes)}. Only its first ${formatBytes(raw.length)} was kept.`
    : null;
  const now = nowIso();
  const id = newId();
  const store = async (trx: Kysely<DB> | Transaction<DB>): Promise<StoredInboundMail> => {
    const inserted = await insertInboundMail(trx, {
      id,
      receivedAt: now,
      source: input.source,
      sourceRef: input.sourceRef ?? null,
      envelopeFrom: input.envelopeFrom ?? null,
      envelopeTo: input.envelopeTo ?? [],
      mailbox: input.mailbox ?? null,
      raw,
      size,
      truncated: raw.length < size,
      sha256: sha256(raw),
      status: oversize ? 'rejected' : 'received',
      reason,
    });
    if (inserted === undefined) return { id: '', created: false, status: 'received', reason: null };
    if (!oversize) await enqueueInboundMailProcessing(trx, id);
    return { id, created: true, status: oversize ? 'rejected' : 'received', reason };
  };
  return db.isTransaction ? store(db) : db.transaction().execute(store);
}

/** Queues processing for a stored message; `retry` numbers a person's retry, which needs a job of its own. */
export async function enqueueInboundMailProcessing(
  trx: Kysely<DB> | Transaction<DB>,
  mailId: string,
  retry = 0,
): Promise<string> {
  return enqueueJob(trx, {
    kind: MAIL_IN_PROCESS_JOB,
    payload: { mailId },
    idempotencyKey: `${MAIL_IN_PROCESS_JOB}:${mailId}${retry ? `:retry-${retry}` : ''}`,
  });
}

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Collects a message arriving in chunks, keeping at most `maxBytes`; past that it keeps counting
 * (for the reason given) but keeps only the part an oversize message is stored with.
 */
export class CappedMessageBuffer {
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #size = 0;

  constructor(readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    this.#size += chunk.length;
    if (this.oversize && this.#kept > this.#oversizeKept) {
      // Over the limit: from now on only the start is kept, so drop the rest at once.
      const start = Buffer.concat(this.#chunks, this.#kept).subarray(0, this.#oversizeKept);
      this.#chunks.length = 0;
      this.#chunks.push(Buffer.from(start));
      this.#kept = start.length;
    }
    const room = (this.oversize ? this.#oversizeKept : this.maxBytes) - this.#kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  get #oversizeKept(): number {
    return Math.min(OVERSIZE_KEPT_BYTES, this.maxBytes);
  }

  get size(): number {
    return this.#size;
  }

  get oversize(): boolean {
    return this.#size > this.maxBytes;
  }

  /** The message, or the start of it that an oversize message is stored with. */
  bytes(): Buffer {
    return Buffer.concat(this.#chunks, this.#kept);
  }
}
