// The only SQL for campaigns of suspicious reports: grouping a report into a campaign (by its exact
// keys, or by the LSH bands of its text signature), the analyst's queues and pages, verdicts and
// moves. The mapper turns rows into domain types and absorbs dialect differences (counts, bytes).
import type { Kysely, Transaction } from 'kysely';
import { sql } from 'kysely';
import { toCount } from '../../platform/db/database.ts';
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

export async function findReportForGrouping(trx: Executor, reportId: string): Promise<GroupingReport | undefined> {
  const row = await trx
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
      'body_text',
      'created_at',
      'wants_outcome',
      'reporter_email',
      'outcome_sent_at',
    ])
    .where('id', '=', reportId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
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
    bodyText: row.body_text.slice(0, 400),
    createdAt: row.created_at,
    wantsOutcome: toCount(row.wants_outcome) === 1,
    reporterEmail: row.reporter_email,
    outcomeSentAt: row.outcome_sent_at,
  };
}

/** The campaigns the council's earlier reports with any of these keys belong to, key by key. */
export async function campaignsByKeys(
  trx: Executor,
  organisationId: string,
  keys: string[],
): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const rows = await trx
    .selectFrom('report_campaign_keys')
    .select(['key', 'campaign_id'])
    .where('organisation_id', '=', organisationId)
    .where('key', 'in', keys.slice(0, 200))
    .execute();
  return new Map(rows.map((r) => [r.key, r.campaign_id]));
}

/** The campaigns with a signature in any of these bands: for each band, the campaign and whose signature it was. */
export async function bandCandidates(
  trx: Executor,
  organisationId: string,
  bandKeys: string[],
): Promise<Array<{ bandKey: string; campaignId: string; reportId: string }>> {
  if (bandKeys.length === 0) return [];
  const rows = await trx
    .selectFrom('report_signature_bands')
    .select(['band_key', 'campaign_id', 'report_id'])
    .where('organisation_id', '=', organisationId)
    .where('band_key', 'in', bandKeys)
    .limit(500)
    .execute();
  return rows.map((r) => ({ bandKey: r.band_key, campaignId: r.campaign_id, reportId: r.report_id }));
}

export async function textSignatures(trx: Executor, reportIds: string[]): Promise<Map<string, Buffer | null>> {
  if (reportIds.length === 0) return new Map();
  const rows = await trx
    .selectFrom('suspicious_reports')
    .select(['id', 'text_signature'])
    .where('id', 'in', reportIds)
    .execute();
  return new Map(rows.map((r) => [r.id, asBuffer(r.text_signature)]));
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

/** Points keys not yet known at the campaign; keys another campaign already has stay with it. */
export async function addCampaignKeys(trx: Executor, organisationId: string, campaignId: string, keys: string[]) {
  if (keys.length === 0) return;
  await trx
    .insertInto('report_campaign_keys')
    .values(keys.map((key) => ({ organisation_id: organisationId, key, campaign_id: campaignId })))
    .onConflict((oc) => oc.columns(['organisation_id', 'key']).doNothing())
    .execute();
}

/** Records the bands of a report's signature for its campaign, where the campaign has none of them yet. */
export async function addSignatureBands(
  trx: Executor,
  organisationId: string,
  campaignId: string,
  reportId: string,
  bandKeys: string[],
) {
  if (bandKeys.length === 0) return;
  await trx
    .insertInto('report_signature_bands')
    .values(
      bandKeys.map((band_key) => ({
        organisation_id: organisationId,
        band_key,
        campaign_id: campaignId,
        report_id: reportId,
      })),
    )
    .onConflict((oc) => oc.columns(['organisation_id', 'band_key', 'campaign_id']).doNothing())
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

export async function reportScore(trx: Executor, reportId: string): Promise<number | undefined> {
  const row = await trx.selectFrom('suspicious_reports').select('score').where('id', '=', reportId).executeTakeFirst();
  return row ? toCount(row.score) : undefined;
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
