// The only SQL for campaigns of suspicious reports: grouping a report into a campaign (by its exact
// keys, or by the LSH bands of its text signature), the analyst's queues and pages, verdicts and
// moves. The mapper turns rows into domain types and absorbs dialect differences (counts, bytes).
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import { holdUntilCommit, toCount } from '../../platform/db/database.ts';
import type { DB, SuspiciousVerdict } from '../../platform/db/schema.ts';

type Executor = Kysely<DB> | Transaction<DB>;

export type AnalystVerdict = 'scam' | 'not-scam' | 'genuine' | 'undetermined';

export interface GroupingReport {
  id: string;
  organisationId: string;
  campaignId: string | null;
  campaignKeys: string[];
  textSignature: Buffer | null;
  suggestedVerdict: SuspiciousVerdict;
  score: number;
  kind: string;
  claimedSender: string;
  subject: string;
  bodyText: string;
  createdAt: string;
  wantsOutcome: boolean;
  reporterEmail: string | null;
  outcomeSentAt: string | null;
}

export interface Campaign {
  id: string;
  organisationId: string;
  title: string;
  suggestedVerdict: SuspiciousVerdict;
  analystVerdict: AnalystVerdict | null;
  analystNote: string;
  verdictAt: string | null;
  verdictByLabel: string | null;
  representativeReportId: string | null;
  reportCount: number;
  verdictCounts: Partial<Record<SuspiciousVerdict, number>>;
  firstReportedAt: string;
  lastReportedAt: string;
  updatedAt: string;
}

export interface ReportSummary {
  id: string;
  reference: string;
  organisationId: string;
  campaignId: string | null;
  kind: string;
  channel: string;
  sender: string;
  subject: string;
  suggestedVerdict: SuspiciousVerdict;
  score: number;
  status: 'new' | 'triaged' | 'closed';
  createdAt: string;
}

export interface Report extends ReportSummary {
  claimedSender: string;
  receivedOn: string | null;
  bodyText: string;
  originalMessage: Buffer | null;
  reporterEmail: string | null;
  wantsOutcome: boolean;
  reasons: Array<{ code: string; text: string; evidence: string }>;
  indicators: unknown;
  analystNote: string;
  ncscForwardedAt: string | null;
  ncscForwardedByLabel: string | null;
}

const asBuffer = (value: unknown): Buffer | null =>
  value === null || value === undefined ? null : Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);

const parseJson = <T>(text: string | unknown, fallback: T): T => {
  if (typeof text !== 'string') return (text as T) ?? fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};

// ---- Grouping ---------------------------------------------------------------------------------

/** Statements take at most this many values in an IN list or rows in a VALUES list. */
const CHUNK = 500;

function chunked<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The reports to group, oldest first (so a batch groups them in the order they were made). */
export async function findReportsForGrouping(trx: Executor, reportIds: readonly string[]): Promise<GroupingReport[]> {
  const found: GroupingReport[] = [];
  for (const ids of chunked([...new Set(reportIds)])) {
    const rows = await trx
      .selectFrom('suspicious_reports')
      .select([
        'id',
        'organisation_id',
        'campaign_id',
        'campaign_keys',
        'text_signature',
        'suggested_verdict',
        'score',
        'kind',
        'claimed_sender',
        'subject',
        sql<string>`substr(body_text, 1, 400)`.as('body_text'),
        'created_at',
        'wants_outcome',
        'reporter_email',
        'outcome_sent_at',
      ])
      .where('id', 'in', ids)
      .execute();
    for (const row of rows)
      found.push({
        id: row.id,
        organisationId: row.organisation_id,
        campaignId: row.campaign_id,
        campaignKeys: parseJson<string[]>(row.campaign_keys, []),
        textSignature: asBuffer(row.text_signature),
        suggestedVerdict: row.suggested_verdict,
        score: toCount(row.score),
        kind: row.kind,
        claimedSender: row.claimed_sender,
        subject: row.subject,
        bodyText: row.body_text,
        createdAt: row.created_at,
        wantsOutcome: toCount(row.wants_outcome) === 1,
        reporterEmail: row.reporter_email,
        outcomeSentAt: row.outcome_sent_at,
      });
  }
  return found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
}

/** Up to `limit` of the council's (or every council's) reports in no campaign yet, oldest first. */
export async function ungroupedReportIds(
  db: Executor,
  options: { organisationId?: string | undefined; limit: number },
): Promise<string[]> {
  let query = db.selectFrom('suspicious_reports').select('id').where('campaign_id', 'is', null);
  if (options.organisationId) query = query.where('organisation_id', '=', options.organisationId);
  const rows = await query.orderBy('created_at').orderBy('id').limit(options.limit).execute();
  return rows.map((r) => r.id);
}

export async function countUngroupedReports(db: Executor, organisationId?: string): Promise<number> {
  let query = db
    .selectFrom('suspicious_reports')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('campaign_id', 'is', null);
  if (organisationId) query = query.where('organisation_id', '=', organisationId);
  return toCount((await query.executeTakeFirstOrThrow()).n);
}

/** The campaign each of these keys already belongs to, for the council's earlier reports. */
export async function campaignsByKeys(
  trx: Executor,
  organisationId: string,
  keys: readonly string[],
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const some of chunked([...new Set(keys)])) {
    const rows = await trx
      .selectFrom('report_campaign_keys')
      .select(['key', 'campaign_id'])
      .where('organisation_id', '=', organisationId)
      .where('key', 'in', some)
      .execute();
    for (const r of rows) found.set(r.key, r.campaign_id);
  }
  return found;
}

/** The campaigns with a representative signature in any of these bands: band, campaign and whose signature. */
export async function bandCandidates(
  trx: Executor,
  organisationId: string,
  bandKeys: readonly string[],
): Promise<Array<{ bandKey: string; campaignId: string; reportId: string }>> {
  const found: Array<{ bandKey: string; campaignId: string; reportId: string }> = [];
  for (const some of chunked([...new Set(bandKeys)])) {
    const rows = await trx
      .selectFrom('report_signature_bands')
      .select(['band_key', 'campaign_id', 'report_id'])
      .where('organisation_id', '=', organisationId)
      .where('band_key', 'in', some)
      .execute();
    for (const r of rows) found.push({ bandKey: r.band_key, campaignId: r.campaign_id, reportId: r.report_id });
  }
  return found;
}

/** Each campaign's representative reports: those whose signatures' bands were recorded for it. */
export async function campaignRepresentatives(
  trx: Executor,
  campaignIds: readonly string[],
): Promise<Array<{ campaignId: string; reportId: string }>> {
  const found: Array<{ campaignId: string; reportId: string }> = [];
  for (const some of chunked([...new Set(campaignIds)])) {
    const rows = await trx
      .selectFrom('report_signature_bands')
      .select(['campaign_id', 'report_id'])
      .distinct()
      .where('campaign_id', 'in', some)
      .execute();
    for (const r of rows) found.push({ campaignId: r.campaign_id, reportId: r.report_id });
  }
  return found;
}

export async function textSignatures(trx: Executor, reportIds: string[]): Promise<Map<string, Buffer | null>> {
  const found = new Map<string, Buffer | null>();
  for (const some of chunked([...new Set(reportIds)])) {
    const rows = await trx
      .selectFrom('suspicious_reports')
      .select(['id', 'text_signature'])
      .where('id', 'in', some)
      .execute();
    for (const r of rows) found.set(r.id, asBuffer(r.text_signature));
  }
  return found;
}

export async function reportScores(trx: Executor, reportIds: readonly string[]): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const some of chunked([...new Set(reportIds)])) {
    const rows = await trx.selectFrom('suspicious_reports').select(['id', 'score']).where('id', 'in', some).execute();
    for (const r of rows) found.set(r.id, toCount(r.score));
  }
  return found;
}

/**
 * One grouping at a time for each of these councils' reports (PostgreSQL; SQLite has one writer
 * anyway): true if it had to wait for another. Without it, two groupings at once for the first
 * reports of a new scam each find no campaign (the other's is not committed yet) and each make one,
 * splitting the scam in two; row locks cannot help, as there is no row yet to lock. Councils are
 * locked in one order, so two groupings cannot wait for each other.
 */
export async function lockCouncilsGrouping(trx: Transaction<DB>, organisationIds: readonly string[]): Promise<boolean> {
  let waited = false;
  for (const id of [...new Set(organisationIds)].sort())
    if (await holdUntilCommit(trx, `report-grouping:${id}`)) waited = true;
  return waited;
}

/**
 * Reads campaigns for a change, taking their rows' locks on PostgreSQL (a write that changes
 * nothing; SQLite has one writer anyway), so two groupings at once cannot lose each other's counts.
 */
export async function lockCampaigns(
  trx: Transaction<DB>,
  campaignIds: readonly string[],
): Promise<Map<string, Campaign & { createdAt: string }>> {
  const found = new Map<string, Campaign & { createdAt: string }>();
  for (const some of chunked([...new Set(campaignIds)].sort())) {
    const rows = await trx
      .updateTable('report_campaigns')
      .set((eb) => ({ updated_at: eb.ref('updated_at') }))
      .where('id', 'in', some)
      .returningAll()
      .execute();
    for (const row of rows) found.set(row.id, { ...toCampaign(row), createdAt: row.created_at });
  }
  return found;
}

/** A campaign as the grouping writes it: with when it was first stored, which the pages do not need. */
export interface CampaignWrite extends Campaign {
  createdAt: string;
}

/** Writes new campaigns and the tallies of existing ones (their verdicts and titles are left as they are). */
export async function saveCampaignTallies(trx: Executor, campaigns: readonly CampaignWrite[]): Promise<void> {
  for (const some of chunked(campaigns, 200)) {
    await trx
      .insertInto('report_campaigns')
      .values(
        some.map((c) => ({
          id: c.id,
          organisation_id: c.organisationId,
          title: c.title,
          suggested_verdict: c.suggestedVerdict,
          analyst_verdict: c.analystVerdict,
          analyst_note: c.analystNote,
          verdict_at: c.verdictAt,
          verdict_by_label: c.verdictByLabel,
          representative_report_id: c.representativeReportId,
          report_count: c.reportCount,
          verdict_counts: JSON.stringify(c.verdictCounts),
          first_reported_at: c.firstReportedAt,
          last_reported_at: c.lastReportedAt,
          created_at: c.createdAt,
          updated_at: c.updatedAt,
        })),
      )
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          suggested_verdict: eb.ref('excluded.suggested_verdict'),
          representative_report_id: eb.ref('excluded.representative_report_id'),
          report_count: eb.ref('excluded.report_count'),
          verdict_counts: eb.ref('excluded.verdict_counts'),
          first_reported_at: eb.ref('excluded.first_reported_at'),
          last_reported_at: eb.ref('excluded.last_reported_at'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

/** Points keys not yet known at their campaigns; keys another campaign already has stay with it. */
export async function insertCampaignKeys(
  trx: Executor,
  rows: ReadonlyArray<{ organisationId: string; key: string; campaignId: string }>,
): Promise<void> {
  for (const some of chunked(rows))
    await trx
      .insertInto('report_campaign_keys')
      .values(some.map((r) => ({ organisation_id: r.organisationId, key: r.key, campaign_id: r.campaignId })))
      .onConflict((oc) => oc.columns(['organisation_id', 'key']).doNothing())
      .execute();
}

/** Records representative signatures' bands for their campaigns, where the campaign has none of them yet. */
export async function insertSignatureBands(
  trx: Executor,
  rows: ReadonlyArray<{ organisationId: string; bandKey: string; campaignId: string; reportId: string }>,
): Promise<void> {
  for (const some of chunked(rows))
    await trx
      .insertInto('report_signature_bands')
      .values(
        some.map((r) => ({
          organisation_id: r.organisationId,
          band_key: r.bandKey,
          campaign_id: r.campaignId,
          report_id: r.reportId,
        })),
      )
      .onConflict((oc) => oc.columns(['organisation_id', 'band_key', 'campaign_id']).doNothing())
      .execute();
}

/**
 * Puts reports in their campaigns (still in none), triaging those that join a decided campaign.
 * Throws when a report was grouped meanwhile by another transaction, so the whole batch is retried.
 */
export async function setReportsCampaigns(
  trx: Executor,
  assignments: ReadonlyArray<{ reportId: string; campaignId: string; triaged: boolean }>,
  now: string,
): Promise<void> {
  for (const some of chunked(assignments, 100)) {
    const cases = sql.join(
      some.map((a) => sql`when ${a.reportId} then ${a.campaignId}`),
      sql` `,
    );
    const triaged = some.filter((a) => a.triaged).map((a) => a.reportId);
    const result = await trx
      .updateTable('suspicious_reports')
      .set({
        campaign_id: sql<string>`case id ${cases} end`,
        updated_at: now,
        ...(triaged.length
          ? {
              status: sql<
                'new' | 'triaged' | 'closed'
              >`case when id in (${sql.join(triaged)}) then 'triaged' else status end`,
            }
          : {}),
      })
      .where(
        'id',
        'in',
        some.map((a) => a.reportId),
      )
      // Not `campaign_id is null`: SQLite would then scan the index of every ungrouped report.
      .where(sql<string>`coalesce(campaign_id, '')`, '=', '')
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== some.length)
      throw new Error('a report in this batch was grouped meanwhile by another transaction');
  }
}

export async function insertCampaign(
  trx: Executor,
  campaign: {
    id: string;
    organisationId: string;
    title: string;
    suggestedVerdict: SuspiciousVerdict;
    reportedAt: string;
    now: string;
  },
): Promise<void> {
  await trx
    .insertInto('report_campaigns')
    .values({
      id: campaign.id,
      organisation_id: campaign.organisationId,
      title: campaign.title,
      suggested_verdict: campaign.suggestedVerdict,
      analyst_verdict: null,
      analyst_note: '',
      verdict_at: null,
      verdict_by_label: null,
      representative_report_id: null,
      report_count: 0,
      verdict_counts: '{}',
      first_reported_at: campaign.reportedAt,
      last_reported_at: campaign.reportedAt,
      created_at: campaign.now,
      updated_at: campaign.now,
    })
    .execute();
}

/**
 * Reads a campaign for a change. Writing its row first takes the row's lock on PostgreSQL (SQLite
 * has one writer anyway), so two reports joining at once cannot lose each other's counts.
 */
export async function lockCampaign(
  trx: Transaction<DB>,
  campaignId: string,
  now: string,
): Promise<Campaign | undefined> {
  const row = await trx
    .updateTable('report_campaigns')
    .set({ updated_at: now })
    .where('id', '=', campaignId)
    .returningAll()
    .executeTakeFirst();
  return row ? toCampaign(row) : undefined;
}

export async function findCampaign(db: Executor, campaignId: string): Promise<Campaign | undefined> {
  const row = await db.selectFrom('report_campaigns').selectAll().where('id', '=', campaignId).executeTakeFirst();
  return row ? toCampaign(row) : undefined;
}

function toCampaign(row: {
  id: string;
  organisation_id: string;
  title: string;
  suggested_verdict: SuspiciousVerdict;
  analyst_verdict: AnalystVerdict | null;
  analyst_note: string;
  verdict_at: string | null;
  verdict_by_label: string | null;
  representative_report_id: string | null;
  report_count: number | string;
  verdict_counts: string;
  first_reported_at: string;
  last_reported_at: string;
  updated_at: string;
}): Campaign {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    title: row.title,
    suggestedVerdict: row.suggested_verdict,
    analystVerdict: row.analyst_verdict,
    analystNote: row.analyst_note,
    verdictAt: row.verdict_at,
    verdictByLabel: row.verdict_by_label,
    representativeReportId: row.representative_report_id,
    reportCount: toCount(row.report_count),
    verdictCounts: parseJson(row.verdict_counts, {}),
    firstReportedAt: row.first_reported_at,
    lastReportedAt: row.last_reported_at,
    updatedAt: row.updated_at,
  };
}

export async function updateCampaignTally(
  trx: Executor,
  campaignId: string,
  tally: {
    reportCount: number;
    verdictCounts: Partial<Record<SuspiciousVerdict, number>>;
    suggestedVerdict: SuspiciousVerdict;
    representativeReportId: string | null;
    firstReportedAt: string;
    lastReportedAt: string;
    now: string;
  },
): Promise<void> {
  await trx
    .updateTable('report_campaigns')
    .set({
      report_count: tally.reportCount,
      verdict_counts: JSON.stringify(tally.verdictCounts),
      suggested_verdict: tally.suggestedVerdict,
      representative_report_id: tally.representativeReportId,
      first_reported_at: tally.firstReportedAt,
      last_reported_at: tally.lastReportedAt,
      updated_at: tally.now,
    })
    .where('id', '=', campaignId)
    .execute();
}

export async function setReportCampaign(
  trx: Executor,
  reportId: string,
  campaignId: string,
  status: 'new' | 'triaged' | undefined,
  now: string,
): Promise<void> {
  await trx
    .updateTable('suspicious_reports')
    .set({ campaign_id: campaignId, updated_at: now, ...(status ? { status } : {}) })
    .where('id', '=', reportId)
    .execute();
}

/** Everything a campaign's tally is worked out from, for recounting after a move. */
export async function campaignReportFacts(
  trx: Executor,
  campaignId: string,
): Promise<
  Array<{ id: string; suggestedVerdict: SuspiciousVerdict; score: number; createdAt: string; campaignKeys: string[] }>
> {
  const rows = await trx
    .selectFrom('suspicious_reports')
    .select(['id', 'suggested_verdict', 'score', 'created_at', 'campaign_keys'])
    .where('campaign_id', '=', campaignId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    suggestedVerdict: r.suggested_verdict,
    score: toCount(r.score),
    createdAt: r.created_at,
    campaignKeys: parseJson<string[]>(r.campaign_keys, []),
  }));
}

export async function repointKeys(trx: Executor, organisationId: string, keys: string[], from: string, to: string) {
  if (keys.length === 0) return;
  await trx
    .updateTable('report_campaign_keys')
    .set({ campaign_id: to })
    .where('organisation_id', '=', organisationId)
    .where('campaign_id', '=', from)
    .where('key', 'in', keys)
    .execute();
}

export async function dropReportBands(trx: Executor, reportId: string) {
  await trx.deleteFrom('report_signature_bands').where('report_id', '=', reportId).execute();
}

// ---- Verdicts ---------------------------------------------------------------------------------

export async function setCampaignVerdict(
  trx: Executor,
  campaignId: string,
  verdict: { verdict: AnalystVerdict; note: string; byLabel: string; now: string },
): Promise<void> {
  await trx
    .updateTable('report_campaigns')
    .set({
      analyst_verdict: verdict.verdict,
      analyst_note: verdict.note,
      verdict_at: verdict.now,
      verdict_by_label: verdict.byLabel,
      updated_at: verdict.now,
    })
    .where('id', '=', campaignId)
    .execute();
  await trx
    .updateTable('suspicious_reports')
    .set({ status: 'triaged', updated_at: verdict.now })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'new')
    .execute();
}

/** The campaign's reports whose reporters asked to hear the outcome and have not been told. */
export async function reportsAwaitingOutcome(trx: Executor, campaignId: string): Promise<string[]> {
  const rows = await trx
    .selectFrom('suspicious_reports')
    .select('id')
    .where('campaign_id', '=', campaignId)
    .where('wants_outcome', '=', 1)
    .where('reporter_email', 'is not', null)
    .where('outcome_sent_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function setCampaignTitle(trx: Executor, campaignId: string, title: string, now: string) {
  await trx.updateTable('report_campaigns').set({ title, updated_at: now }).where('id', '=', campaignId).execute();
}

// ---- Queues and pages -------------------------------------------------------------------------

export type CampaignSort = 'last-reported' | 'reports' | 'first-reported';

export async function listCampaigns(
  db: Executor,
  organisationIds: string[],
  filter: { verdict?: AnalystVerdict | 'none' | undefined; sort: CampaignSort; limit: number },
): Promise<Campaign[]> {
  if (organisationIds.length === 0) return [];
  let query = db
    .selectFrom('report_campaigns')
    .selectAll()
    .where('organisation_id', 'in', organisationIds)
    .where('report_count', '>', 0);
  if (filter.verdict === 'none') query = query.where('analyst_verdict', 'is', null);
  else if (filter.verdict) query = query.where('analyst_verdict', '=', filter.verdict);
  query =
    filter.sort === 'reports'
      ? query.orderBy('report_count', 'desc').orderBy('last_reported_at', 'desc')
      : filter.sort === 'first-reported'
        ? query.orderBy('first_reported_at', 'asc')
        : query.orderBy('last_reported_at', 'desc');
  const rows = await query.orderBy('id').limit(filter.limit).execute();
  return rows.map(toCampaign);
}

const SUMMARY_COLUMNS = [
  'id',
  'reference',
  'organisation_id',
  'campaign_id',
  'kind',
  'channel',
  'sender',
  'subject',
  'suggested_verdict',
  'score',
  'status',
  'created_at',
] as const;

function toSummary(row: {
  id: string;
  reference: string;
  organisation_id: string;
  campaign_id: string | null;
  kind: string;
  channel: string;
  sender: string;
  subject: string;
  suggested_verdict: SuspiciousVerdict;
  score: number | string;
  status: 'new' | 'triaged' | 'closed';
  created_at: string;
}): ReportSummary {
  return {
    id: row.id,
    reference: row.reference,
    organisationId: row.organisation_id,
    campaignId: row.campaign_id,
    kind: row.kind,
    channel: row.channel,
    sender: row.sender,
    subject: row.subject,
    suggestedVerdict: row.suggested_verdict,
    score: toCount(row.score),
    status: row.status,
    createdAt: row.created_at,
  };
}

export async function listReports(
  db: Executor,
  organisationIds: string[],
  filter: { status?: 'new' | 'triaged' | 'closed' | undefined; campaignId?: string | undefined; limit: number },
): Promise<ReportSummary[]> {
  if (organisationIds.length === 0) return [];
  let query = db
    .selectFrom('suspicious_reports')
    .select(SUMMARY_COLUMNS)
    .where('organisation_id', 'in', organisationIds);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.campaignId) query = query.where('campaign_id', '=', filter.campaignId);
  const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
  return rows.map(toSummary);
}

export async function findReport(db: Executor, reportId: string): Promise<Report | undefined> {
  const row = await db.selectFrom('suspicious_reports').selectAll().where('id', '=', reportId).executeTakeFirst();
  if (!row) return undefined;
  return {
    ...toSummary(row),
    claimedSender: row.claimed_sender,
    receivedOn: row.received_on,
    bodyText: row.body_text,
    originalMessage: asBuffer(row.original_message),
    reporterEmail: row.reporter_email,
    wantsOutcome: toCount(row.wants_outcome) === 1,
    reasons: parseJson(row.reasons, []),
    indicators: parseJson(row.indicators, {}),
    analystNote: row.analyst_note,
    ncscForwardedAt: row.ncsc_forwarded_at,
    ncscForwardedByLabel: row.ncsc_forwarded_by_label,
  };
}

/** Each of a campaign's reports' indicators, as stored (JSON), for the campaign's union of them. */
export async function campaignIndicators(db: Executor, campaignId: string, limit = 5000): Promise<unknown[]> {
  const rows = await db
    .selectFrom('suspicious_reports')
    .select('indicators')
    .where('campaign_id', '=', campaignId)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((r) => parseJson(r.indicators, {}));
}

/** Reports a day (by the UTC date of receipt) for a campaign. */
export async function campaignReportsByDay(db: Executor, campaignId: string): Promise<Map<string, number>> {
  const day = sql<string>`substr(created_at, 1, 10)`;
  const rows = await db
    .selectFrom('suspicious_reports')
    .select([day.as('day'), (eb) => eb.fn.countAll().as('n')])
    .where('campaign_id', '=', campaignId)
    .groupBy(day)
    .execute();
  return new Map(rows.map((r) => [r.day, toCount(r.n as string | number)]));
}

export async function markForwardedToNcsc(
  trx: Executor,
  reportId: string,
  at: { now: string; byLabel: string },
): Promise<boolean> {
  const result = await trx
    .updateTable('suspicious_reports')
    .set({ ncsc_forwarded_at: at.now, ncsc_forwarded_by_label: at.byLabel, updated_at: at.now })
    .where('id', '=', reportId)
    .where('ncsc_forwarded_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function originalOf(
  db: Executor,
  reportId: string,
): Promise<{ reference: string; subject: string; bodyText: string; original: Buffer | null } | undefined> {
  const row = await db
    .selectFrom('suspicious_reports')
    .select(['reference', 'subject', 'body_text', 'original_message'])
    .where('id', '=', reportId)
    .executeTakeFirst();
  return row
    ? {
        reference: row.reference,
        subject: row.subject,
        bodyText: row.body_text,
        original: asBuffer(row.original_message),
      }
    : undefined;
}
