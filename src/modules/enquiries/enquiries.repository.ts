// The only SQL for resident enquiries: cases, their entries, each council's enquiry settings, and
// web-form answers waiting to be sent.
import type { Kysely, Selectable, Transaction } from 'kysely';
import { sqliteReads, sqliteTransaction } from '../../platform/db/database.ts';
import type {
  DB,
  EnquiryCasesTable,
  EnquiryDraftsTable,
  EnquiryEntriesTable,
  EnquiryPriority,
  EnquirySettingsTable,
  EnquiryStatus,
  EnquiryTopic,
} from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export interface EnquirySettings {
  organisationId: string;
  referencePrefix: string;
  enquiryAddresses: string[];
  retentionDays: number;
}

export interface EnquiryCase {
  id: string;
  organisationId: string;
  incidentId: string | null;
  reference: string;
  topic: EnquiryTopic;
  status: EnquiryStatus;
  priority: EnquiryPriority;
  priorityReasons: string[];
  openedVia: EnquiryCasesTable['opened_via'];
  summary: string;
  residentName: string | null;
  residentEmail: string | null;
  residentPhone: string | null;
  residentAddress: string | null;
  replyBy: EnquiryCasesTable['reply_by'];
  supportNeeds: string | null;
  agedOver75: boolean;
  socialCare: boolean;
  assignedUserId: string | null;
  assignedLabel: string | null;
  dueAt: string;
  firstResponseAt: string | null;
  callbackDueAt: string | null;
  mergedIntoCaseId: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  anonymisedAt: string | null;
}

export interface EnquiryEntry {
  id: string;
  caseId: string;
  kind: EnquiryEntriesTable['kind'];
  channel: EnquiryEntriesTable['channel'];
  subject: string | null;
  body: string;
  emailMessageId: string | null;
  authorLabel: string;
  details: Record<string, unknown>;
  createdAt: string;
}

type CaseRow = Selectable<EnquiryCasesTable> & { assigned_label?: string | null };

function toCase(row: CaseRow): EnquiryCase {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    incidentId: row.incident_id,
    reference: row.reference,
    topic: row.topic,
    status: row.status,
    priority: row.priority,
    priorityReasons: JSON.parse(row.priority_reasons) as string[],
    openedVia: row.opened_via,
    summary: row.summary,
    residentName: row.resident_name,
    residentEmail: row.resident_email,
    residentPhone: row.resident_phone,
    residentAddress: row.resident_address,
    replyBy: row.reply_by,
    supportNeeds: row.support_needs,
    agedOver75: Number(row.aged_75_or_over) === 1,
    socialCare: Number(row.social_care) === 1,
    assignedUserId: row.assigned_user_id,
    assignedLabel: row.assigned_label ?? null,
    dueAt: row.due_at,
    firstResponseAt: row.first_response_at,
    callbackDueAt: row.callback_due_at,
    mergedIntoCaseId: row.merged_into_case_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    closedAt: row.closed_at,
    anonymisedAt: row.anonymised_at,
  };
}

function toEntry(row: Selectable<EnquiryEntriesTable>): EnquiryEntry {
  return {
    id: row.id,
    caseId: row.case_id,
    kind: row.kind,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    emailMessageId: row.email_message_id,
    authorLabel: row.author_label,
    details: JSON.parse(row.details) as Record<string, unknown>,
    createdAt: row.created_at,
  };
}

// Settings.

export async function findSettings(db: Executor, organisationId: string): Promise<EnquirySettings | undefined> {
  const reads = sqliteReads(db);
  const row = reads
    ? reads.get<Selectable<EnquirySettingsTable>>(SQLITE_FIND_SETTINGS, organisationId)
    : await db
        .selectFrom('enquiry_settings')
        .selectAll()
        .where('organisation_id', '=', organisationId)
        .executeTakeFirst();
  return (
    row && {
      organisationId: row.organisation_id,
      referencePrefix: row.reference_prefix,
      enquiryAddresses: JSON.parse(row.enquiry_addresses) as string[],
      retentionDays: Number(row.retention_days),
    }
  );
}

export async function upsertSettings(db: Executor, settings: EnquirySettings, now: string): Promise<void> {
  const values = {
    reference_prefix: settings.referencePrefix,
    enquiry_addresses: JSON.stringify(settings.enquiryAddresses),
    retention_days: settings.retentionDays,
    updated_at: now,
  };
  await db
    .insertInto('enquiry_settings')
    .values({ organisation_id: settings.organisationId, ...values })
    .onConflict((oc) => oc.column('organisation_id').doUpdateSet(values))
    .execute();
}

// Cases.

export type NewCase = Omit<
  Selectable<EnquiryCasesTable>,
  'assigned_user_id' | 'first_response_at' | 'callback_due_at' | 'merged_into_case_id' | 'closed_at' | 'anonymised_at'
>;

const CASE_COLUMNS_UNSET = {
  assigned_user_id: null,
  first_response_at: null,
  callback_due_at: null,
  merged_into_case_id: null,
  closed_at: null,
  anonymised_at: null,
} as const;

// Hand-prepared on SQLite: the statements every web-form submission runs (see sqliteTransaction).
const SQLITE_INSERT_CASE = `insert into enquiry_cases (id, organisation_id, incident_id, reference, topic, status,
  priority, priority_reasons, opened_via, summary, resident_name, resident_email, resident_phone, resident_address,
  reply_by, support_needs, aged_75_or_over, social_care, due_at, created_at, updated_at)
  values (@id, @organisation_id, @incident_id, @reference, @topic, @status, @priority, @priority_reasons, @opened_via,
  @summary, @resident_name, @resident_email, @resident_phone, @resident_address, @reply_by, @support_needs,
  @aged_75_or_over, @social_care, @due_at, @created_at, @updated_at)
  on conflict (reference) do nothing`;
const SQLITE_INSERT_ENTRY = `insert into enquiry_entries (id, case_id, kind, channel, subject, body, email_message_id,
  author_user_id, author_label, details, created_at)
  values (@id, @case_id, @kind, @channel, @subject, @body, @email_message_id, @author_user_id, @author_label, @details,
  @created_at)`;
const SQLITE_UPSERT_DRAFT = `insert into enquiry_drafts (token_hash, organisation_id, answers, case_id, created_at, expires_at)
  values (?, ?, ?, null, ?, ?)
  on conflict (token_hash) do update set answers = excluded.answers, case_id = null, expires_at = excluded.expires_at`;
const SQLITE_FIND_DRAFT = `select * from enquiry_drafts where token_hash = ? and expires_at > ?`;
const SQLITE_MARK_DRAFT_SENT = `update enquiry_drafts set answers = '{}', case_id = ?
  where token_hash = ? and case_id is null and answers = ?`;
const SQLITE_FIND_SETTINGS = `select * from enquiry_settings where organisation_id = ?`;

/**
 * Stores a new case, unless its reference is taken already (then undefined: pick another). One
 * statement; the case as stored is the row given, with nothing assigned, answered or closed yet.
 */
export async function insertCase(db: Executor, row: NewCase): Promise<EnquiryCase | undefined> {
  const sqlite = sqliteTransaction(db);
  let inserted: boolean;
  if (sqlite) {
    inserted = sqlite.prepare(SQLITE_INSERT_CASE).run(row).changes > 0;
  } else {
    inserted =
      (await db
        .insertInto('enquiry_cases')
        .values({ ...row, ...CASE_COLUMNS_UNSET })
        .onConflict((oc) => oc.column('reference').doNothing())
        .returning('id')
        .executeTakeFirst()) !== undefined;
  }
  return inserted ? toCase({ ...row, ...CASE_COLUMNS_UNSET }) : undefined;
}

function casesWithAssignee(db: Executor) {
  return db
    .selectFrom('enquiry_cases as c')
    .leftJoin('users as u', 'u.id', 'c.assigned_user_id')
    .selectAll('c')
    .select('u.display_name as assigned_label');
}

export async function findCase(db: Executor, id: string): Promise<EnquiryCase | undefined> {
  const row = await casesWithAssignee(db).where('c.id', '=', id).executeTakeFirst();
  return row && toCase(row);
}

export async function findCaseByReference(db: Executor, reference: string): Promise<EnquiryCase | undefined> {
  const row = await casesWithAssignee(db).where('c.reference', '=', reference).executeTakeFirst();
  return row && toCase(row);
}

export interface CaseFilter {
  organisationIds: readonly string[];
  /** Other councils' cases about incidents whose enquiries they shared with the reader's. */
  sharedIncidents?: ReadonlyArray<{ incidentId: string; ownerOrganisationId: string }> | undefined;
  statuses?: readonly EnquiryStatus[] | undefined;
  topic?: EnquiryTopic | undefined;
  priority?: EnquiryPriority | undefined;
  /** A user id, or null for cases nobody has taken. */
  assignedTo?: string | null | undefined;
  /** Matches a reference exactly, an email address exactly, phone digits, or words in the case. */
  search?: { reference: string } | { email: string } | { phone: string } | { text: string } | undefined;
}

function filtered(db: Executor, filter: CaseFilter) {
  const shared = filter.sharedIncidents ?? [];
  let query = casesWithAssignee(db).where((eb) =>
    eb.or([
      ...(filter.organisationIds.length > 0 ? [eb('c.organisation_id', 'in', filter.organisationIds)] : []),
      ...shared.map((s) =>
        eb.and([eb('c.organisation_id', '=', s.ownerOrganisationId), eb('c.incident_id', '=', s.incidentId)]),
      ),
    ]),
  );
  // A case merged into another lives on in that one; only its own reference still finds it (its page
  // leads to the case it was merged into).
  const search = filter.search;
  if (!(search && 'reference' in search)) query = query.where('c.merged_into_case_id', 'is', null);
  if (filter.statuses?.length) query = query.where('c.status', 'in', filter.statuses);
  if (filter.topic) query = query.where('c.topic', '=', filter.topic);
  if (filter.priority) query = query.where('c.priority', '=', filter.priority);
  if (filter.assignedTo === null) query = query.where('c.assigned_user_id', 'is', null);
  else if (filter.assignedTo !== undefined) query = query.where('c.assigned_user_id', '=', filter.assignedTo);
  if (search && 'reference' in search) query = query.where('c.reference', '=', search.reference);
  else if (search && 'email' in search) query = query.where('c.resident_email', '=', search.email);
  else if (search && 'phone' in search) query = query.where('c.resident_phone', '=', search.phone);
  else if (search && 'text' in search) {
    // % and _ are LIKE's wildcards; dropped rather than escaped, as escaping differs by dialect.
    const like = `%${search.text.toLowerCase().replace(/[%_]/g, '')}%`;
    query = query.where((eb) =>
      eb.or([
        eb(eb.fn('lower', ['c.summary']), 'like', like),
        eb(eb.fn('lower', ['c.resident_name']), 'like', like),
        eb.exists(
          eb
            .selectFrom('enquiry_entries as e')
            .select('e.id')
            .whereRef('e.case_id', '=', 'c.id')
            .where((sub) => sub(sub.fn('lower', ['e.body']), 'like', like)),
        ),
      ]),
    );
  }
  return query;
}

/** A page of cases, urgent first, then the soonest due. */
export async function listCases(
  db: Executor,
  filter: CaseFilter,
  page: { limit: number; offset: number },
): Promise<{ cases: EnquiryCase[]; total: number }> {
  if (filter.organisationIds.length === 0 && (filter.sharedIncidents ?? []).length === 0)
    return { cases: [], total: 0 };
  const rows = await filtered(db, filter)
    .orderBy('c.priority', 'desc') // 'urgent' sorts after 'standard'
    .orderBy('c.due_at', 'asc')
    .orderBy('c.id', 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = await filtered(db, filter)
    .clearSelect()
    .select((eb) => eb.fn.countAll().as('n'))
    .executeTakeFirstOrThrow();
  return { cases: rows.map(toCase), total: Number(count.n) };
}

/**
 * Applies a change to a case if it has not changed since `seenUpdatedAt` (when given). False when it
 * had: someone else got there first.
 */
export async function updateCase(
  db: Executor,
  id: string,
  change: Partial<Omit<Selectable<EnquiryCasesTable>, 'id' | 'organisation_id' | 'reference' | 'created_at'>> & {
    updated_at: string;
  },
  seenUpdatedAt?: string,
): Promise<boolean> {
  let query = db.updateTable('enquiry_cases').set(change).where('id', '=', id);
  if (seenUpdatedAt !== undefined) query = query.where('updated_at', '=', seenUpdatedAt);
  const result = await query.executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

// Entries.

/** An entry as written: every column. */
export type NewEntry = Selectable<EnquiryEntriesTable>;

export async function insertEntry(db: Executor, row: NewEntry): Promise<void> {
  const sqlite = sqliteTransaction(db);
  if (sqlite) sqlite.prepare(SQLITE_INSERT_ENTRY).run(row);
  else await db.insertInto('enquiry_entries').values(row).execute();
}

export async function listEntries(db: Executor, caseId: string): Promise<EnquiryEntry[]> {
  const rows = await db
    .selectFrom('enquiry_entries')
    .selectAll()
    .where('case_id', '=', caseId)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
  return rows.map(toEntry);
}

// Web-form answers waiting to be checked and sent.

export interface Draft {
  organisationId: string;
  answers: string;
  caseId: string | null;
  expiresAt: string;
}

export async function upsertDraft(
  db: Executor,
  row: { tokenHash: string; organisationId: string; answers: string; now: string; expiresAt: string },
): Promise<void> {
  const sqlite = sqliteTransaction(db);
  if (sqlite) {
    sqlite.prepare(SQLITE_UPSERT_DRAFT).run(row.tokenHash, row.organisationId, row.answers, row.now, row.expiresAt);
    return;
  }
  await db
    .insertInto('enquiry_drafts')
    .values({
      token_hash: row.tokenHash,
      organisation_id: row.organisationId,
      answers: row.answers,
      case_id: null,
      created_at: row.now,
      expires_at: row.expiresAt,
    })
    .onConflict((oc) =>
      oc.column('token_hash').doUpdateSet({ answers: row.answers, case_id: null, expires_at: row.expiresAt }),
    )
    .execute();
}

export async function findDraft(db: Executor, tokenHash: string, now: string): Promise<Draft | undefined> {
  const sqlite = sqliteTransaction(db);
  const reads = sqlite ? undefined : sqliteReads(db);
  const row = sqlite
    ? (sqlite.prepare(SQLITE_FIND_DRAFT).get(tokenHash, now) as Selectable<EnquiryDraftsTable> | undefined)
    : reads
      ? reads.get<Selectable<EnquiryDraftsTable>>(SQLITE_FIND_DRAFT, tokenHash, now)
      : await db
          .selectFrom('enquiry_drafts')
          .selectAll()
          .where('token_hash', '=', tokenHash)
          .where('expires_at', '>', now)
          .executeTakeFirst();
  return (
    row && { organisationId: row.organisation_id, answers: row.answers, caseId: row.case_id, expiresAt: row.expires_at }
  );
}

/**
 * Marks a draft as sent, forgetting its answers (they are in the case now). False if it was sent
 * already (so a form sent twice makes one case), or if its answers are no longer `answers` (the
 * resident changed them in another tab since they were read).
 */
export async function markDraftSent(
  db: Executor,
  tokenHash: string,
  caseId: string,
  answers: string,
): Promise<boolean> {
  const sqlite = sqliteTransaction(db);
  if (sqlite) return sqlite.prepare(SQLITE_MARK_DRAFT_SENT).run(caseId, tokenHash, answers).changes > 0;
  const result = await db
    .updateTable('enquiry_drafts')
    .set({ answers: '{}', case_id: caseId })
    .where('token_hash', '=', tokenHash)
    .where('case_id', 'is', null)
    .where('answers', '=', answers)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function deleteExpiredDrafts(db: Executor, now: string): Promise<number> {
  const result = await db.deleteFrom('enquiry_drafts').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Moves every entry of one case to another (when merging duplicates). */
export async function moveEntries(db: Executor, fromCaseId: string, toCaseId: string): Promise<number> {
  const result = await db
    .updateTable('enquiry_entries')
    .set({ case_id: toCaseId })
    .where('case_id', '=', fromCaseId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Every council's enquiry addresses, lower-case, with the council each belongs to. */
export async function enquiryAddresses(db: Executor): Promise<Map<string, string>> {
  const rows = await db.selectFrom('enquiry_settings').select(['organisation_id', 'enquiry_addresses']).execute();
  const byAddress = new Map<string, string>();
  for (const row of rows) {
    for (const address of JSON.parse(row.enquiry_addresses) as string[])
      byAddress.set(address.toLowerCase(), row.organisation_id);
  }
  return byAddress;
}

/** The council's case that an email with one of these Message-IDs belongs to (newest first). */
export async function findCaseByMessageIds(
  db: Executor,
  organisationId: string,
  messageIds: readonly string[],
): Promise<EnquiryCase | undefined> {
  if (messageIds.length === 0) return undefined;
  const row = await db
    .selectFrom('enquiry_entries as e')
    .innerJoin('enquiry_cases as c', 'c.id', 'e.case_id')
    .select('c.id')
    .where('c.organisation_id', '=', organisationId)
    .where('e.email_message_id', 'in', messageIds.slice(0, 100))
    .orderBy('e.created_at', 'desc')
    .executeTakeFirst();
  return row ? findCase(db, row.id) : undefined;
}

/** Every council's retention period, in days. */
export async function retentionPeriods(
  db: Executor,
): Promise<Array<{ organisationId: string; retentionDays: number }>> {
  const rows = await db.selectFrom('enquiry_settings').select(['organisation_id', 'retention_days']).execute();
  return rows.map((r) => ({ organisationId: r.organisation_id, retentionDays: Number(r.retention_days) }));
}

/** A council's finished (resolved or closed) cases that finished before `closedBefore` and still hold personal data. */
export async function casesPastRetention(
  db: Executor,
  organisationId: string,
  closedBefore: string,
  limit: number,
): Promise<Array<{ id: string; reference: string }>> {
  return db
    .selectFrom('enquiry_cases')
    .select(['id', 'reference'])
    .where('organisation_id', '=', organisationId)
    .where('status', 'in', ['resolved', 'closed'])
    .where('closed_at', '<', closedBefore)
    .where('anonymised_at', 'is', null)
    .orderBy('closed_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function countCasesPastRetention(
  db: Executor,
  organisationId: string,
  closedBefore: string,
): Promise<number> {
  const row = await db
    .selectFrom('enquiry_cases')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('organisation_id', '=', organisationId)
    .where('status', 'in', ['resolved', 'closed'])
    .where('closed_at', '<', closedBefore)
    .where('anonymised_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export const REMOVED = '[Removed under the council’s retention policy]';

/**
 * Removes the personal data from cases, keeping what statistics need (reference, council, topic,
 * channel, priority, status and times), and returns the ids of the stored emails they came from.
 */
export async function anonymiseCases(db: Executor, caseIds: readonly string[], at: string): Promise<string[]> {
  if (caseIds.length === 0) return [];
  const entries = await db.selectFrom('enquiry_entries').select('details').where('case_id', 'in', caseIds).execute();
  const mailIds = entries
    .map((e) => (JSON.parse(e.details) as { inboundMailId?: unknown }).inboundMailId)
    .filter((id): id is string => typeof id === 'string');
  await db
    .updateTable('enquiry_entries')
    .set({ subject: null, body: REMOVED, email_message_id: null, details: '{}', author_label: 'Removed' })
    .where('case_id', 'in', caseIds)
    .execute();
  await db
    .updateTable('enquiry_cases')
    .set({
      summary: REMOVED,
      resident_name: null,
      resident_email: null,
      resident_phone: null,
      resident_address: null,
      support_needs: null,
      priority_reasons: '[]',
      anonymised_at: at,
      updated_at: at,
    })
    .where('id', 'in', caseIds)
    .execute();
  return [...new Set(mailIds)];
}

export async function listSettings(db: Executor): Promise<EnquirySettings[]> {
  const rows = await db.selectFrom('enquiry_settings').selectAll().execute();
  return rows.map((row) => ({
    organisationId: row.organisation_id,
    referencePrefix: row.reference_prefix,
    enquiryAddresses: JSON.parse(row.enquiry_addresses) as string[],
    retentionDays: Number(row.retention_days),
  }));
}

/** What the dashboard counts: every open case, and every case opened or answered since `since`. */
export async function dashboardCases(
  db: Executor,
  organisationIds: readonly string[],
  since: string,
): Promise<
  Array<{
    priority: EnquiryPriority;
    status: EnquiryStatus;
    openedVia: EnquiryCasesTable['opened_via'];
    createdAt: string;
    dueAt: string;
    firstResponseAt: string | null;
  }>
> {
  if (organisationIds.length === 0) return [];
  const rows = await db
    .selectFrom('enquiry_cases')
    .select(['priority', 'status', 'opened_via', 'created_at', 'due_at', 'first_response_at'])
    .where('organisation_id', 'in', organisationIds)
    .where('merged_into_case_id', 'is', null)
    .where((eb) =>
      eb.or([
        eb('status', 'in', ['new', 'in-progress', 'waiting']),
        eb('created_at', '>=', since),
        eb('first_response_at', '>=', since),
      ]),
    )
    .execute();
  return rows.map((r) => ({
    priority: r.priority,
    status: r.status,
    openedVia: r.opened_via,
    createdAt: r.created_at,
    dueAt: r.due_at,
    firstResponseAt: r.first_response_at,
  }));
}
