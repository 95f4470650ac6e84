// The only SQL for notification campaigns: campaigns, their recipients (one row per campaign and
// person), letter print files, and the people and councils a campaign reads from the affected-people
// tables.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { insertMany } from '../../platform/db/bulk-statements.ts';
import { dialectOf, toCount } from '../../platform/db/database.ts';
import type {
  CampaignChannel,
  CampaignStatus,
  DB,
  NotificationCampaignsTable,
  RecipientStatus,
} from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type CampaignRow = Selectable<NotificationCampaignsTable>;

export async function insertCampaign(db: Executor, row: CampaignRow): Promise<void> {
  await db.insertInto('notification_campaigns').values(row).execute();
}

export async function findCampaign(db: Executor, id: string): Promise<CampaignRow | undefined> {
  return db.selectFrom('notification_campaigns').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCampaigns(db: Executor, organisationIds: string[]): Promise<CampaignRow[]> {
  if (organisationIds.length === 0) return [];
  return db
    .selectFrom('notification_campaigns')
    .selectAll()
    .where('organisation_id', 'in', organisationIds)
    .orderBy('created_at', 'desc')
    .execute();
}

/** Changes a campaign if it is still at `version`; false when someone else changed it first. */
export async function updateCampaign(
  db: Executor,
  id: string,
  version: number,
  fields: Partial<CampaignRow>,
): Promise<boolean> {
  const result = await db
    .updateTable('notification_campaigns')
    .set({ ...fields, version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function setCampaignStatus(
  db: Executor,
  id: string,
  status: CampaignStatus,
  fields: Partial<CampaignRow> = {},
): Promise<void> {
  await db
    .updateTable('notification_campaigns')
    .set({ ...fields, status, version: sql`version + 1` as unknown as number })
    .where('id', '=', id)
    .execute();
}

export interface PersonForQueue {
  id: string;
  email: string | null;
  phone: string | null;
  hasAddress: boolean;
}

/** The next people in a council's data for an incident, after `cursor`, in id order. */
export async function peopleAfter(
  db: Executor,
  incidentId: string,
  organisationId: string,
  cursor: string | null,
  limit: number,
): Promise<PersonForQueue[]> {
  let query = db
    .selectFrom('affected_people as p')
    .innerJoin('affected_person_councils as c', 'c.person_id', 'p.id')
    .select(['p.id', 'p.email', 'p.phone_e164', 'p.address_lines', 'p.postcode'])
    .where('p.incident_id', '=', incidentId)
    .where('c.organisation_id', '=', organisationId);
  if (cursor !== null) query = query.where('p.id', '>', cursor);
  const rows = await query.orderBy('p.id').limit(limit).execute();
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    phone: r.phone_e164,
    hasAddress: r.address_lines !== '[]' && r.address_lines !== '' && r.postcode !== null,
  }));
}

export async function countPeople(db: Executor, incidentId: string, organisationId: string): Promise<number> {
  const row = await db
    .selectFrom('affected_people as p')
    .innerJoin('affected_person_councils as c', 'c.person_id', 'p.id')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('p.incident_id', '=', incidentId)
    .where('c.organisation_id', '=', organisationId)
    .executeTakeFirstOrThrow();
  return toCount(row.n as string | number);
}

/** Each person's councils, as (person, council) pairs. */
export async function councilsOf(db: Executor, personIds: string[]): Promise<Map<string, string[]>> {
  const byPerson = new Map<string, string[]>();
  for (let i = 0; i < personIds.length; i += 5000) {
    const rows = await db
      .selectFrom('affected_person_councils')
      .select(['person_id', 'organisation_id'])
      .where('person_id', 'in', personIds.slice(i, i + 5000))
      .execute();
    for (const r of rows) {
      const theirs = byPerson.get(r.person_id);
      if (theirs) theirs.push(r.organisation_id);
      else byPerson.set(r.person_id, [r.organisation_id]);
    }
  }
  return byPerson;
}

export interface NewRecipient {
  personId: string;
  channel: CampaignChannel;
  reference: string;
  status: RecipientStatus;
}

export async function insertRecipients(
  trx: Transaction<DB>,
  campaignId: string,
  rows: readonly NewRecipient[],
  now: string,
): Promise<void> {
  await insertMany(
    trx,
    dialectOf(trx),
    'insert into campaign_recipients (campaign_id, person_id, channel, reference, status, updated_at) values',
    // Never twice: a person already queued by an earlier run keeps their row and reference.
    'on conflict (campaign_id, person_id) do nothing',
    6,
    rows,
    (r, out) => out.push(campaignId, r.personId, r.channel, r.reference, r.status, now),
  );
}

export type StatusCounts = Record<RecipientStatus, number> & { total: number };

export const RECIPIENT_STATUSES: RecipientStatus[] = [
  'queued',
  'sending',
  'sent',
  'delivered',
  'temporary-failure',
  'permanent-failure',
  'unknown',
  'printed',
  'no-route',
];

export async function countByStatus(
  db: Executor,
  campaignId: string,
): Promise<{ all: StatusCounts; byChannel: Record<CampaignChannel, StatusCounts> }> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['status', 'channel', (eb) => eb.fn.countAll().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy(['status', 'channel'])
    .execute();
  const empty = (): StatusCounts =>
    Object.assign(Object.fromEntries(RECIPIENT_STATUSES.map((s) => [s, 0])), { total: 0 }) as StatusCounts;
  const all = empty();
  const byChannel = { email: empty(), sms: empty(), letter: empty(), none: empty() };
  for (const r of rows) {
    const n = toCount(r.n as string | number);
    all[r.status] += n;
    all.total += n;
    byChannel[r.channel][r.status] += n;
    byChannel[r.channel].total += n;
  }
  return { all, byChannel };
}

export interface DueRecipient {
  personId: string;
  channel: 'email' | 'sms';
  reference: string;
  attempts: number;
}

/** Email and text recipients due a send: queued, or a temporary failure whose retry time has come. */
export async function dueRecipients(
  db: Executor,
  campaignId: string,
  now: string,
  maxAttempts: number,
  limit: number,
  after?: string | undefined,
): Promise<DueRecipient[]> {
  let query = db.selectFrom('campaign_recipients');
  if (after !== undefined) query = query.where('person_id', '>', after);
  const rows = await query
    .select(['person_id', 'channel', 'reference', 'attempts'])
    .where('campaign_id', '=', campaignId)
    .where('channel', 'in', ['email', 'sms'])
    .where((eb) =>
      eb.or([
        eb('status', '=', 'queued'),
        eb.and([
          eb('status', '=', 'temporary-failure'),
          eb('next_attempt_at', '<=', now),
          eb('attempts', '<', maxAttempts),
        ]),
      ]),
    )
    .orderBy('person_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    personId: r.person_id,
    channel: r.channel as 'email' | 'sms',
    reference: r.reference,
    attempts: r.attempts,
  }));
}

/** The earliest retry still to come, if any. */
export async function nextRetryAt(db: Executor, campaignId: string, maxAttempts: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select((eb) => eb.fn.min('next_attempt_at').as('at'))
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'temporary-failure')
    .where('attempts', '<', maxAttempts)
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? undefined;
}

export async function recipientsInStatus(
  db: Executor,
  campaignId: string,
  status: RecipientStatus,
  limit: number,
): Promise<Array<{ personId: string; channel: CampaignChannel; reference: string }>> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['person_id', 'channel', 'reference'])
    .where('campaign_id', '=', campaignId)
    .where('status', '=', status)
    .orderBy('person_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ personId: r.person_id, channel: r.channel, reference: r.reference }));
}

/** Moves rows from one status to another; only rows still in `from` change. Returns how many did. */
export async function moveRecipients(
  db: Executor,
  campaignId: string,
  personIds: string[],
  from: RecipientStatus[],
  fields: {
    status: RecipientStatus;
    attemptsPlusOne?: boolean;
    nextAttemptAt?: string | null;
    providerId?: string | null;
    lastError?: string | null;
    sentAt?: string | null;
    letterBatchId?: string | null;
  },
  now: string,
): Promise<number> {
  if (personIds.length === 0) return 0;
  let changed = 0;
  for (let i = 0; i < personIds.length; i += 5000) {
    const result = await db
      .updateTable('campaign_recipients')
      .set({
        status: fields.status,
        updated_at: now,
        ...(fields.attemptsPlusOne ? { attempts: sql`attempts + 1` as unknown as number } : {}),
        ...(fields.nextAttemptAt !== undefined ? { next_attempt_at: fields.nextAttemptAt } : {}),
        ...(fields.providerId !== undefined ? { provider_id: fields.providerId } : {}),
        ...(fields.lastError !== undefined ? { last_error: fields.lastError } : {}),
        ...(fields.sentAt !== undefined ? { sent_at: fields.sentAt } : {}),
        ...(fields.letterBatchId !== undefined ? { letter_batch_id: fields.letterBatchId } : {}),
      })
      .where('campaign_id', '=', campaignId)
      .where('person_id', 'in', personIds.slice(i, i + 5000))
      .where('status', 'in', from)
      .executeTakeFirst();
    changed += Number(result.numUpdatedRows);
  }
  return changed;
}

/**
 * Claims rows for sending: moves those still in `from` to "sending" and returns the ones it moved,
 * so two runs that race (a resume while the old run finishes its batch) never both send to a person.
 */
export async function claimForSending(
  db: Executor,
  campaignId: string,
  personIds: string[],
  from: RecipientStatus[],
  now: string,
): Promise<Set<string>> {
  const claimed = new Set<string>();
  for (let i = 0; i < personIds.length; i += 5000) {
    const rows = await db
      .updateTable('campaign_recipients')
      .set({ status: 'sending', updated_at: now, last_error: null })
      .where('campaign_id', '=', campaignId)
      .where('person_id', 'in', personIds.slice(i, i + 5000))
      .where('status', 'in', from)
      .returning('person_id')
      .execute();
    for (const r of rows) claimed.add(r.person_id);
  }
  return claimed;
}

/** What a message to each person needs: their contact details, name and councils with categories. */
export interface PersonForMessage {
  id: string;
  fullName: string;
  email: string | null;
  phone: string | null;
  addressLines: string[];
  postcode: string | null;
  councils: Array<{ organisationId: string; categories: string[] }>;
}

export async function peopleForMessages(db: Executor, personIds: string[]): Promise<Map<string, PersonForMessage>> {
  const result = new Map<string, PersonForMessage>();
  for (let i = 0; i < personIds.length; i += 5000) {
    const ids = personIds.slice(i, i + 5000);
    const people = await db
      .selectFrom('affected_people')
      .select(['id', 'full_name', 'email', 'phone_e164', 'address_lines', 'postcode'])
      .where('id', 'in', ids)
      .execute();
    for (const p of people) {
      result.set(p.id, {
        id: p.id,
        fullName: p.full_name,
        email: p.email,
        phone: p.phone_e164,
        addressLines: parseStringArray(p.address_lines),
        postcode: p.postcode,
        councils: [],
      });
    }
    const councils = await db
      .selectFrom('affected_person_councils')
      .select(['person_id', 'organisation_id', 'data_categories'])
      .where('person_id', 'in', ids)
      .execute();
    for (const c of councils) {
      result.get(c.person_id)?.councils.push({
        organisationId: c.organisation_id,
        categories: parseStringArray(c.data_categories),
      });
    }
  }
  return result;
}

function parseStringArray(json: string | unknown): string[] {
  try {
    const value = typeof json === 'string' ? (JSON.parse(json) as unknown) : json;
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  } catch {
    return [];
  }
}

export async function findRecipientByReference(
  db: Executor,
  reference: string,
): Promise<{ campaignId: string; personId: string; status: RecipientStatus } | undefined> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select(['campaign_id', 'person_id', 'status'])
    .where('reference', '=', reference)
    .executeTakeFirst();
  return row && { campaignId: row.campaign_id, personId: row.person_id, status: row.status };
}

export async function findRecipientByProviderId(
  db: Executor,
  providerId: string,
): Promise<{ campaignId: string; personId: string; status: RecipientStatus } | undefined> {
  const row = await db
    .selectFrom('campaign_recipients')
    .select(['campaign_id', 'person_id', 'status'])
    .where('provider_id', '=', providerId)
    .executeTakeFirst();
  return row && { campaignId: row.campaign_id, personId: row.person_id, status: row.status };
}

export async function findRecipient(db: Executor, campaignId: string, personId: string) {
  return db
    .selectFrom('campaign_recipients')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .where('person_id', '=', personId)
    .executeTakeFirst();
}

/** Recipients in these statuses in person order, `limit` of them, after the person `after` if given. */
export async function listRecipients(
  db: Executor,
  campaignId: string,
  statuses: RecipientStatus[],
  limit: number,
  after?: string,
): Promise<
  Array<{
    personId: string;
    channel: CampaignChannel;
    reference: string;
    status: RecipientStatus;
    lastError: string | null;
  }>
> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['person_id', 'channel', 'reference', 'status', 'last_error'])
    .where('campaign_id', '=', campaignId)
    .where('status', 'in', statuses)
    .$if(after !== undefined, (q) => q.where('person_id', '>', after!))
    .orderBy('person_id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    personId: r.person_id,
    channel: r.channel,
    reference: r.reference,
    status: r.status,
    lastError: r.last_error,
  }));
}

export async function insertLetterBatch(
  trx: Transaction<DB>,
  row: { id: string; campaignId: string; number: number; letters: number; createdAt: string },
): Promise<void> {
  await trx
    .insertInto('campaign_letter_batches')
    .values({
      id: row.id,
      campaign_id: row.campaignId,
      number: row.number,
      letters: row.letters,
      created_at: row.createdAt,
      downloaded_at: null,
    })
    .execute();
}

export async function listLetterBatches(db: Executor, campaignId: string) {
  return db
    .selectFrom('campaign_letter_batches')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .orderBy('number')
    .execute();
}

export async function findLetterBatch(db: Executor, campaignId: string, batchId: string) {
  return db
    .selectFrom('campaign_letter_batches')
    .selectAll()
    .where('campaign_id', '=', campaignId)
    .where('id', '=', batchId)
    .executeTakeFirst();
}

export async function letterBatchPeople(
  db: Executor,
  batchId: string,
): Promise<Array<{ personId: string; reference: string }>> {
  const rows = await db
    .selectFrom('campaign_recipients')
    .select(['person_id', 'reference'])
    .where('letter_batch_id', '=', batchId)
    .orderBy('person_id')
    .execute();
  return rows.map((r) => ({ personId: r.person_id, reference: r.reference }));
}

export async function markBatchDownloaded(db: Executor, batchId: string, at: string): Promise<void> {
  await db
    .updateTable('campaign_letter_batches')
    .set({ downloaded_at: at })
    .where('id', '=', batchId)
    .where('downloaded_at', 'is', null)
    .execute();
}
