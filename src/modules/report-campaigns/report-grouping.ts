// Persisted campaign grouping: a new report joins the campaign of the council's earlier reports
// that share an exact key with it (link shape, attachment, email sender: report_campaign_keys),
// else the campaign whose representative text it nearly duplicates, else a campaign of its own.
//
// Near duplicates are found by LSH on MinHash signatures, but only the campaign's representatives'
// signatures are banded (report_signature_bands): the report that founded it and up to three
// reports that joined it by an exact key (not a sender number) with text unlike the others'. A report joins by text only
// when it is at least CAMPAIGN_SIMILARITY alike one of them, and never becomes a representative
// itself, so a campaign cannot drift from message to message into unrelated text.
//
// A text message's sender number is a weak key: numbers are spoofed, recycled and drawn from small
// ranges, so it joins a campaign only when the report's text is at least WEAK_KEY_SIMILARITY alike
// a representative (or either has no text to compare).
//
// groupReports does this for a batch in a few statements (the reports, their keys and bands, the
// candidate campaigns, all read at once; the grouping in memory; then one write of each kind), in
// the caller's transaction: the job for one report and the backlog alike. Running it twice changes
// nothing: a report already in a campaign is left where it is. The campaign's counts, dates,
// representative report and suggested verdict are updated in the same transaction.
//
// Where keys point to two campaigns, the report joins the first its keys name and the campaigns are
// not merged: an analyst may already have given either a verdict, and merging is theirs to decide
// (they move reports between campaigns).
import type { Transaction } from 'kysely';
import type { DB, SuspiciousVerdict } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import {
  CAMPAIGN_SIMILARITY,
  signatureBands,
  signatureFromBytes,
  signatureSimilarity,
} from '../suspicious-messages/campaign-grouping.ts';
import * as repo from './report-campaigns.repository.ts';

/** Tells reporters who asked for it the outcome of an analyst's verdict (wired to the reporting module). */
export type OnOutcome = (trx: Transaction<DB>, reportIds: string[], verdict: repo.AnalystVerdict) => Promise<void>;

export interface GroupingResult {
  campaignId: string;
  /** How the campaign was found: by an exact key, by near-duplicate text, or made for this report. */
  by: 'key' | 'text' | 'new' | 'already';
}

/** Most serious first: a tie between verdicts goes to the more cautious one. */
const VERDICT_ORDER: SuspiciousVerdict[] = ['likely-scam', 'suspicious', 'cannot-tell', 'likely-genuine'];

export function majorityVerdict(counts: Partial<Record<SuspiciousVerdict, number>>): SuspiciousVerdict {
  let best: SuspiciousVerdict = 'cannot-tell';
  let bestCount = 0;
  for (const verdict of VERDICT_ORDER) {
    const n = counts[verdict] ?? 0;
    if (n > bestCount) {
      best = verdict;
      bestCount = n;
    }
  }
  return best;
}

/** A campaign's title until an analyst names it: the first report's subject, or what and who it was. */
export function campaignTitle(report: Pick<repo.GroupingReport, 'subject' | 'bodyText' | 'kind' | 'claimedSender'>) {
  const subject = report.subject.replace(/\s+/g, ' ').trim();
  if (subject) return subject.slice(0, 120);
  const firstLine = report.bodyText.replace(/\s+/g, ' ').trim();
  const kind = {
    email: 'Email',
    text: 'Text message',
    'phone-call': 'Phone call',
    letter: 'Letter',
    website: 'Website',
  }[report.kind];
  const said = report.claimedSender
    ? `${kind ?? 'Message'} claiming to be ${report.claimedSender}`
    : (kind ?? 'Message');
  return firstLine ? `${said}: ${firstLine.slice(0, 80)}` : said;
}

/** A report joining a campaign by a weak key (a text's sender number) needs text at least this alike. */
export const WEAK_KEY_SIMILARITY = 0.3;
/** Representative signatures per campaign: the founder's and up to three more, joined by exact keys. */
const MAX_REPRESENTATIVES = 4;

const isWeakKey = (key: string) => key.startsWith('sender:') && !key.includes('@');

/** Finds (or makes) the report's campaign, in the caller's transaction. */
export async function assignReportToCampaign(
  trx: Transaction<DB>,
  reportId: string,
  options: GroupingOptions = {},
): Promise<GroupingResult | undefined> {
  return (await groupReports(trx, [reportId], options)).get(reportId);
}

export interface GroupingOptions {
  onOutcome?: OnOutcome | undefined;
  /** When the campaigns change (defaults to now). */
  now?: string | undefined;
}

interface CampaignState extends repo.CampaignWrite {
  isNew: boolean;
  touched: boolean;
  representativeScore: number;
  /** The campaign's representative signatures, by report. */
  representatives: Map<string, Uint32Array | undefined>;
}

/**
 * Puts each of these reports (any councils) in its campaign, oldest first, in the caller's
 * transaction; returns how each was placed. Reports that no longer exist are left out.
 */
export async function groupReports(
  trx: Transaction<DB>,
  reportIds: readonly string[],
  options: GroupingOptions = {},
): Promise<Map<string, GroupingResult>> {
  const results = new Map<string, GroupingResult>();
  let reports = await repo.findReportsForGrouping(trx, reportIds);
  // What this grouping reads must include what a grouping running now for the same councils commits:
  // after waiting for one, the reports are read again (it may have placed some of them).
  const waited = await repo.lockCouncilsGrouping(
    trx,
    reports.map((r) => r.organisationId),
  );
  if (waited) reports = await repo.findReportsForGrouping(trx, reportIds);
  const byCouncil = new Map<string, repo.GroupingReport[]>();
  for (const report of reports) {
    if (report.campaignId) results.set(report.id, { campaignId: report.campaignId, by: 'already' });
    else byCouncil.set(report.organisationId, [...(byCouncil.get(report.organisationId) ?? []), report]);
  }
  for (const [organisationId, council] of byCouncil)
    for (const [id, result] of await groupCouncilReports(trx, organisationId, council, options))
      results.set(id, result);
  return results;
}

async function groupCouncilReports(
  trx: Transaction<DB>,
  organisationId: string,
  reports: repo.GroupingReport[],
  options: GroupingOptions,
): Promise<Map<string, GroupingResult>> {
  const now = options.now ?? nowIso();
  const signatures = new Map(reports.map((r) => [r.id, signatureFromBytes(r.textSignature)]));
  const bandsOf = new Map(
    reports.map((r) => [r.id, signatures.get(r.id) ? signatureBands(signatures.get(r.id)!) : []]),
  );

  // Everything the batch could join, read at once.
  const keyOwner = await repo.campaignsByKeys(
    trx,
    organisationId,
    reports.flatMap((r) => r.campaignKeys),
  );
  const bandRows = await repo.bandCandidates(
    trx,
    organisationId,
    // Not for reports an exact key already places (a text-only match could not win over it).
    reports.flatMap((r) =>
      r.campaignKeys.some((key) => !isWeakKey(key) && keyOwner.has(key)) ? [] : bandsOf.get(r.id)!,
    ),
  );
  const candidateIds = [...new Set([...keyOwner.values(), ...bandRows.map((b) => b.campaignId)])];
  const locked = await repo.lockCampaigns(trx, candidateIds);
  const representativeRows = await repo.campaignRepresentatives(trx, [...locked.keys()]);
  const representativeSignatures = await cachedSignatures(
    trx,
    representativeRows.map((r) => r.reportId),
  );
  const scores = await repo.reportScores(
    trx,
    [...locked.values()].flatMap((c) => (c.representativeReportId ? [c.representativeReportId] : [])),
  );
  const campaigns = new Map<string, CampaignState>();
  for (const c of locked.values())
    campaigns.set(c.id, {
      ...c,
      updatedAt: c.updatedAt,
      isNew: false,
      touched: false,
      representativeScore: c.representativeReportId ? (scores.get(c.representativeReportId) ?? 0) : 0,
      representatives: new Map(),
    });
  for (const r of representativeRows)
    campaigns.get(r.campaignId)?.representatives.set(r.reportId, representativeSignatures.get(r.reportId));
  /** band → the campaigns with a representative in it (and which). */
  const bands = new Map<string, Array<{ campaignId: string; reportId: string }>>();
  for (const b of bandRows) {
    if (!campaigns.has(b.campaignId)) continue;
    bands.set(b.bandKey, [...(bands.get(b.bandKey) ?? []), { campaignId: b.campaignId, reportId: b.reportId }]);
  }

  const newKeys: Array<{ organisationId: string; key: string; campaignId: string }> = [];
  const newBands: Array<{ organisationId: string; bandKey: string; campaignId: string; reportId: string }> = [];
  const assignments: Array<{ reportId: string; campaignId: string; triaged: boolean }> = [];
  const toTell = new Map<string, string[]>();
  const results = new Map<string, GroupingResult>();

  const bestLikeness = (signature: Uint32Array | undefined, campaign: CampaignState): number | undefined => {
    if (!signature) return undefined;
    let best: number | undefined;
    for (const theirs of campaign.representatives.values())
      if (theirs) best = Math.max(best ?? 0, signatureSimilarity(signature, theirs));
    return best;
  };

  for (const report of reports) {
    const signature = signatures.get(report.id);
    const reportBands = bandsOf.get(report.id)!;
    let campaign: CampaignState | undefined;
    let by: GroupingResult['by'] = 'new';
    /** Placed by a strong key (not a text's sender number): only then may unlike text represent the campaign. */
    let byStrongKey = false;

    for (const key of report.campaignKeys) {
      const owner = keyOwner.get(key);
      const candidate = owner ? campaigns.get(owner) : undefined;
      if (!candidate) continue;
      const likeness = isWeakKey(key) ? bestLikeness(signature, candidate) : undefined;
      if (likeness !== undefined && likeness < WEAK_KEY_SIMILARITY) continue;
      campaign = candidate;
      by = 'key';
      byStrongKey = !isWeakKey(key);
      break;
    }
    if (!campaign && signature) {
      let best = CAMPAIGN_SIMILARITY;
      const compared = new Set<string>();
      for (const band of reportBands)
        for (const { campaignId, reportId } of bands.get(band) ?? []) {
          if (compared.has(reportId)) continue;
          compared.add(reportId);
          const theirs = campaigns.get(campaignId)?.representatives.get(reportId);
          const similarity = theirs ? signatureSimilarity(signature, theirs) : 0;
          if (similarity >= best) {
            best = similarity;
            campaign = campaigns.get(campaignId);
            by = 'text';
          }
        }
    }
    if (!campaign) {
      campaign = {
        id: newId(),
        organisationId,
        title: campaignTitle(report),
        suggestedVerdict: report.suggestedVerdict,
        analystVerdict: null,
        analystNote: '',
        verdictAt: null,
        verdictByLabel: null,
        representativeReportId: null,
        reportCount: 0,
        verdictCounts: {},
        firstReportedAt: report.createdAt,
        lastReportedAt: report.createdAt,
        createdAt: now,
        updatedAt: now,
        isNew: true,
        touched: true,
        representativeScore: 0,
        representatives: new Map(),
      };
      campaigns.set(campaign.id, campaign);
    }

    // The tally.
    const first = campaign.reportCount === 0;
    campaign.touched = true;
    campaign.updatedAt = now;
    campaign.verdictCounts = {
      ...campaign.verdictCounts,
      [report.suggestedVerdict]: (campaign.verdictCounts[report.suggestedVerdict] ?? 0) + 1,
    };
    campaign.reportCount += 1;
    campaign.suggestedVerdict = majorityVerdict(campaign.verdictCounts);
    if (!campaign.representativeReportId || report.score > campaign.representativeScore) {
      campaign.representativeReportId = report.id;
      campaign.representativeScore = report.score;
    }
    if (first || report.createdAt < campaign.firstReportedAt) campaign.firstReportedAt = report.createdAt;
    if (first || report.createdAt > campaign.lastReportedAt) campaign.lastReportedAt = report.createdAt;

    // Its keys, and (for a founder, or text unlike the campaign's joined by an exact key) its bands.
    for (const key of report.campaignKeys)
      if (!keyOwner.has(key)) {
        keyOwner.set(key, campaign.id);
        newKeys.push({ organisationId, key, campaignId: campaign.id });
      }
    const representative =
      signature &&
      (by === 'new' ||
        (byStrongKey &&
          campaign.representatives.size < MAX_REPRESENTATIVES &&
          (bestLikeness(signature, campaign) ?? 0) < CAMPAIGN_SIMILARITY));
    if (representative) {
      campaign.representatives.set(report.id, signature);
      for (const band of reportBands) {
        const entries = bands.get(band) ?? [];
        if (entries.some((e) => e.campaignId === campaign.id)) continue;
        entries.push({ campaignId: campaign.id, reportId: report.id });
        bands.set(band, entries);
        newBands.push({ organisationId, bandKey: band, campaignId: campaign.id, reportId: report.id });
      }
    }

    // A campaign an analyst has already decided on: the new report shares its outcome.
    const decided = campaign.analystVerdict;
    assignments.push({ reportId: report.id, campaignId: campaign.id, triaged: decided !== null });
    if (decided && report.wantsOutcome && report.reporterEmail && !report.outcomeSentAt)
      toTell.set(campaign.id, [...(toTell.get(campaign.id) ?? []), report.id]);
    results.set(report.id, { campaignId: campaign.id, by });
  }

  const touched = [...campaigns.values()].filter((c) => c.touched);
  await repo.saveCampaignTallies(trx, touched);
  await repo.setReportsCampaigns(trx, assignments, now);
  await repo.insertCampaignKeys(trx, newKeys);
  await repo.insertSignatureBands(trx, newBands);
  if (options.onOutcome)
    for (const [campaignId, ids] of toTell)
      await options.onOutcome(trx, ids, campaigns.get(campaignId)!.analystVerdict!);
  return results;
}

/** A report's signature never changes once recorded, so signatures read once are kept (a bounded number). */
const SIGNATURE_CACHE_SIZE = 20_000;
const signatureCache = new Map<string, Uint32Array>();

async function cachedSignatures(trx: Transaction<DB>, reportIds: string[]): Promise<Map<string, Uint32Array>> {
  const found = new Map<string, Uint32Array>();
  const missing: string[] = [];
  for (const id of reportIds) {
    const cached = signatureCache.get(id);
    if (cached) found.set(id, cached);
    else missing.push(id);
  }
  for (const [id, bytes] of await repo.textSignatures(trx, missing)) {
    const signature = signatureFromBytes(bytes);
    if (!signature) continue;
    found.set(id, signature);
    if (signatureCache.size >= SIGNATURE_CACHE_SIZE) signatureCache.delete(signatureCache.keys().next().value!);
    signatureCache.set(id, signature);
  }
  return found;
}

/** Works a campaign's tally out again from its reports (after a report moved in or out). */
export async function recountCampaign(trx: Transaction<DB>, campaignId: string, now: string): Promise<void> {
  const reports = await repo.campaignReportFacts(trx, campaignId);
  const counts: Partial<Record<SuspiciousVerdict, number>> = {};
  for (const r of reports) counts[r.suggestedVerdict] = (counts[r.suggestedVerdict] ?? 0) + 1;
  let representative = reports[0];
  for (const r of reports) if (representative && r.score > representative.score) representative = r;
  const campaign = await repo.lockCampaign(trx, campaignId, now);
  if (!campaign) return;
  await repo.updateCampaignTally(trx, campaignId, {
    reportCount: reports.length,
    verdictCounts: counts,
    suggestedVerdict: reports.length ? majorityVerdict(counts) : campaign.suggestedVerdict,
    representativeReportId: representative?.id ?? null,
    firstReportedAt: reports[0]?.createdAt ?? campaign.firstReportedAt,
    lastReportedAt: reports.reduce(
      (last, r) => (r.createdAt > last ? r.createdAt : last),
      reports[0]?.createdAt ?? campaign.lastReportedAt,
    ),
    now,
  });
}
