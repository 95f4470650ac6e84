// The only SQL for inbound mail: the `inbound_mail` table, one row per message received, holding
// the raw bytes and what became of the message. The mapper absorbs the dialects' differences: raw
// bytes come back as a Buffer, sizes as numbers, flags as booleans, JSON parsed.
import { sql, type ExpressionBuilder, type Kysely, type Transaction } from 'kysely';
import { toCount } from '../db/database.ts';
import type { DB, InboundMailTable } from '../db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type InboundMailStatus = InboundMailTable['status'];
export const INBOUND_MAIL_STATUSES: readonly InboundMailStatus[] = ['received', 'processed', 'rejected', 'failed'];

export interface ProducedRef {
  mailbox: string;
  kind: string;
  id: string;
}

/** A stored message without its bytes, for lists. */
export interface InboundMailSummary {
  id: string;
  receivedAt: string;
  source: InboundMailTable['source'];
  sourceRef: string | null;
  envelopeFrom: string | null;
  envelopeTo: string[];
  mailbox: string | null;
  size: number;
  truncated: boolean;
  sha256: string;
  status: InboundMailStatus;
  reason: string | null;
  handledBy: string | null;
  produced: ProducedRef[];
  organisationId: string | null;
  subject: string | null;
  headerFrom: string | null;
  messageId: string | null;
  retries: number;
  processedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface InboundMailRecord extends InboundMailSummary {
  raw: Buffer;
}

export interface NewInboundMail {
  id: string;
  receivedAt: string;
  source: InboundMailTable['source'];
  sourceRef: string | null;
  envelopeFrom: string | null;
  envelopeTo: string[];
  mailbox: string | null;
  raw: Buffer;
  size: number;
  truncated: boolean;
  sha256: string;
  status: 'received' | 'rejected';
  reason: string | null;
}

const SUMMARY_COLUMNS = [
  'id',
  'received_at',
  'source',
  'source_ref',
  'envelope_from',
  'envelope_to',
  'mailbox',
  'size',
  'truncated',
  'sha256',
  'status',
  'reason',
  'handled_by',
  'produced',
  'organisation_id',
  'subject',
  'header_from',
  'message_id',
  'retries',
  'processed_at',
  'created_at',
  'updated_at',
] as const;

type SummaryRow = Pick<InboundMailTable, (typeof SUMMARY_COLUMNS)[number]>;

function toSummary(row: SummaryRow): InboundMailSummary {
  return {
    id: row.id,
    receivedAt: row.received_at,
    source: row.source,
    sourceRef: row.source_ref,
    envelopeFrom: row.envelope_from,
    envelopeTo: JSON.parse(row.envelope_to) as string[],
    mailbox: row.mailbox,
    size: Number(row.size),
    truncated: row.truncated === 1,
    sha256: row.sha256,
    status: row.status,
    reason: row.reason,
    handledBy: row.handled_by,
    produced: row.produced === null ? [] : (JSON.parse(row.produced) as ProducedRef[]),
    organisationId: row.organisation_id,
    subject: row.subject,
    headerFrom: row.header_from,
    messageId: row.message_id,
    retries: Number(row.retries),
    processedAt: row.processed_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** better-sqlite3 returns a Buffer, pg a Buffer too; anything else (a Uint8Array) is wrapped. */
function toBuffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new Error('The stored message is not a byte string');
}

/**
 * Stores a message. A `sourceRef` already stored (an IMAP message fetched again after a crash)
 * stores nothing and returns undefined.
 */
export async function insertInboundMail(db: Executor, mail: NewInboundMail): Promise<string | undefined> {
  const inserted = await db
    .insertInto('inbound_mail')
    .values({
      id: mail.id,
      received_at: mail.receivedAt,
      source: mail.source,
      source_ref: mail.sourceRef,
      envelope_from: mail.envelopeFrom,
      envelope_to: JSON.stringify(mail.envelopeTo),
      mailbox: mail.mailbox,
      raw: mail.raw,
      size: mail.size,
      truncated: mail.truncated ? 1 : 0,
      sha256: mail.sha256,
      status: mail.status,
      reason: mail.reason,
      handled_by: null,
      produced: null,
      organisation_id: null,
      subject: null,
      header_from: null,
      message_id: null,
      retries: 0,
      processed_at: null,
      created_at: mail.receivedAt,
      updated_at: mail.receivedAt,
    })
    .onConflict((conflict) => conflict.column('source_ref').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id;
}

export async function findInboundMail(db: Executor, id: string): Promise<InboundMailRecord | undefined> {
  const row = await db
    .selectFrom('inbound_mail')
    .select([...SUMMARY_COLUMNS, 'raw'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { ...toSummary(row), raw: toBuffer(row.raw) };
}

export async function findInboundMailSummary(db: Executor, id: string): Promise<InboundMailSummary | undefined> {
  const row = await db.selectFrom('inbound_mail').select(SUMMARY_COLUMNS).where('id', '=', id).executeTakeFirst();
  return row && toSummary(row);
}

/** An earlier import of the same bytes, so importing a file twice does not make two records. */
export async function findImportBySha256(db: Executor, sha256: string): Promise<InboundMailSummary | undefined> {
  const row = await db
    .selectFrom('inbound_mail')
    .select(SUMMARY_COLUMNS)
    .where('sha256', '=', sha256)
    .where('source', '=', 'import')
    .orderBy('id')
    .executeTakeFirst();
  return row && toSummary(row);
}

/**
 * Takes the row for processing inside `trx`: true if it still waits (received or failed). The
 * update takes the row's lock on PostgreSQL and the write lock on SQLite, so two runs for one
 * message cannot both hand it over.
 */
export async function claimForProcessing(trx: Transaction<DB>, id: string, now: string): Promise<boolean> {
  const row = await trx
    .updateTable('inbound_mail')
    .set({ updated_at: now })
    .where('id', '=', id)
    .where('status', 'in', ['received', 'failed'])
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

export interface ProcessingResult {
  status: 'processed' | 'rejected';
  reason: string | null;
  handledBy: string | null;
  produced: ProducedRef[];
  organisationId: string | null;
  subject: string | null;
  headerFrom: string | null;
  messageId: string | null;
  now: string;
}

export async function recordProcessingResult(trx: Transaction<DB>, id: string, result: ProcessingResult) {
  await trx
    .updateTable('inbound_mail')
    .set({
      status: result.status,
      reason: result.reason,
      handled_by: result.handledBy,
      produced: result.produced.length ? JSON.stringify(result.produced) : null,
      organisation_id: result.organisationId,
      subject: result.subject,
      header_from: result.headerFrom,
      message_id: result.messageId,
      processed_at: result.now,
      updated_at: result.now,
    })
    .where('id', '=', id)
    .execute();
}

/** Marks a message that could not be handed over as failed, unless it has been done meanwhile. */
export async function markInboundMailFailed(
  db: Executor,
  id: string,
  details: {
    reason: string;
    now: string;
    summary?: { subject: string | null; headerFrom: string | null; messageId: string | null };
  },
): Promise<void> {
  await db
    .updateTable('inbound_mail')
    .set({
      status: 'failed',
      reason: details.reason,
      updated_at: details.now,
      ...(details.summary
        ? {
            subject: details.summary.subject,
            header_from: details.summary.headerFrom,
            message_id: details.summary.messageId,
          }
        : {}),
    })
    .where('id', '=', id)
    .where('status', 'in', ['received', 'failed'])
    .execute();
}

/**
 * Puts a failed message back to received for another try, and returns its new retry count; undefined
 * if it is not failed (already retried, or done).
 */
export async function resetFailedInboundMail(db: Executor, id: string, now: string): Promise<number | undefined> {
  const row = await db
    .updateTable('inbound_mail')
    .set({ status: 'received', updated_at: now, retries: sql<number>`retries + 1` })
    .where('id', '=', id)
    .where('status', '=', 'failed')
    .returning('retries')
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.retries);
}

export interface InboundMailFilter {
  status?: InboundMailStatus | undefined;
  /** Organisations whose mail the viewer may see; mail not yet tied to one is visible to all. */
  visibleTo: string[];
}

function scope(filter: InboundMailFilter) {
  return (eb: ExpressionBuilder<DB, 'inbound_mail'>) =>
    filter.visibleTo.length === 0
      ? eb('organisation_id', 'is', null)
      : eb.or([eb('organisation_id', 'is', null), eb('organisation_id', 'in', filter.visibleTo)]);
}

export async function countInboundMailByStatus(
  db: Executor,
  filter: InboundMailFilter,
): Promise<Record<InboundMailStatus, number>> {
  const rows = await db
    .selectFrom('inbound_mail')
    .select(['status', (eb) => eb.fn.countAll().as('count')])
    .where(scope(filter))
    .groupBy('status')
    .execute();
  const counts = Object.fromEntries(INBOUND_MAIL_STATUSES.map((s) => [s, 0])) as Record<InboundMailStatus, number>;
  for (const row of rows) counts[row.status] = toCount(row.count as string | number);
  return counts;
}

export async function listInboundMail(
  db: Executor,
  filter: InboundMailFilter,
  page: { limit: number; offset: number },
): Promise<{ mail: InboundMailSummary[]; total: number }> {
  let query = db.selectFrom('inbound_mail').where(scope(filter));
  if (filter.status) query = query.where('status', '=', filter.status);
  const [rows, total] = await Promise.all([
    query.select(SUMMARY_COLUMNS).orderBy('id', 'desc').limit(page.limit).offset(page.offset).execute(),
    query.select((eb) => eb.fn.countAll().as('count')).executeTakeFirst(),
  ]);
  return { mail: rows.map(toSummary), total: toCount(total?.count as string | number | undefined) };
}

/**
 * Deletes stored messages (raw bytes and all) when the records made from them are deleted or
 * anonymised under a retention policy. Returns how many were deleted.
 */
export async function deleteInboundMail(db: Executor, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db.deleteFrom('inbound_mail').where('id', 'in', ids).executeTakeFirst();
  return Number(result.numDeletedRows);
}
