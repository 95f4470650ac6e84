// Persisted campaign grouping: a new report joins the campaign of the council's earlier reports
// that share any exact key with it (sender, attachment, link shape: report_campaign_keys), else the
// campaign whose text is a near duplicate of its own (MinHash signatures banded for LSH in
// report_signature_bands, then compared), else a campaign of its own. The campaign's counts, dates,
// representative message and suggested verdict are updated in the same transaction. Running it
// twice for one report changes nothing: a report already in a campaign is left where it is.
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

/** Finds (or makes) the report's campaign. Do it in the transaction that changes nothing else. */
export async function assignReportToCampaign(
  trx: Transaction<DB>,
  reportId: string,
  options: { onOutcome?: OnOutcome | undefined; now?: string } = {},
): Promise<GroupingResult | undefined> {
  const report = await repo.findReportForGrouping(trx, reportId);
  if (!report) return undefined;
  if (report.campaignId) return { campaignId: report.campaignId, by: 'already' };
  const now = options.now ?? nowIso();

  let campaignId: string | undefined;
  let by: GroupingResult['by'] = 'new';
  const known = await repo.campaignsByKeys(trx, report.organisationId, report.campaignKeys);
  for (const key of report.campaignKeys) {
    campaignId = known.get(key);
    if (campaignId) {
      by = 'key';
      break;
    }
  }
  const signature = signatureFromBytes(report.textSignature);
  const bands = signature ? signatureBands(signature) : [];
  // Asked even when a key found the campaign: the answer also says which bands it already has.
  const candidates = await repo.bandCandidates(trx, report.organisationId, bands);
  if (!campaignId && signature) {
    // One signature per campaign is compared: the one recorded for the first band it shares.
    const perCampaign = new Map<string, string>();
    for (const c of candidates) if (!perCampaign.has(c.campaignId)) perCampaign.set(c.campaignId, c.reportId);
    const signatures = await cachedSignatures(trx, [...perCampaign.values()]);
    let best = CAMPAIGN_SIMILARITY;
    for (const [candidateCampaign, candidateReport] of perCampaign) {
      const theirs = signatures.get(candidateReport);
      const similarity = theirs ? signatureSimilarity(signature, theirs) : 0;
      if (similarity >= best) {
        best = similarity;
        campaignId = candidateCampaign;
        by = 'text';
      }
    }
  }
  if (!campaignId) {
    campaignId = newId();
    await repo.insertCampaign(trx, {
      id: campaignId,
      organisationId: report.organisationId,
      title: campaignTitle(report),
      suggestedVerdict: report.suggestedVerdict,
      reportedAt: report.createdAt,
      now,
    });
  }

  const campaign = await repo.lockCampaign(trx, campaignId, now);
  if (!campaign) throw new Error(`campaign ${campaignId} vanished while report ${reportId} joined it`);
  const counts = { ...campaign.verdictCounts };
  counts[report.suggestedVerdict] = (counts[report.suggestedVerdict] ?? 0) + 1;
  let representative = campaign.representativeReportId;
  if (!representative) representative = report.id;
  else if (report.score > ((await repo.reportScore(trx, representative)) ?? 0)) representative = report.id;
  await repo.updateCampaignTally(trx, campaignId, {
    reportCount: campaign.reportCount + 1,
    verdictCounts: counts,
    suggestedVerdict: majorityVerdict(counts),
    representativeReportId: representative,
    firstReportedAt:
      campaign.reportCount === 0 || report.createdAt < campaign.firstReportedAt
        ? report.createdAt
        : campaign.firstReportedAt,
    lastReportedAt:
      campaign.reportCount === 0 || report.createdAt > campaign.lastReportedAt
        ? report.createdAt
        : campaign.lastReportedAt,
    now,
  });
  await repo.addCampaignKeys(
    trx,
    report.organisationId,
    campaignId,
    report.campaignKeys.filter((key) => !known.has(key)),
  );
  const banded = new Set(candidates.filter((c) => c.campaignId === campaignId).map((c) => c.bandKey));
  await repo.addSignatureBands(
    trx,
    report.organisationId,
    campaignId,
    report.id,
    bands.filter((band) => !banded.has(band)),
  );

  // A campaign an analyst has already decided on: the new report shares its outcome.
  const decided = campaign.analystVerdict;
  await repo.setReportCampaign(trx, report.id, campaignId, decided ? 'triaged' : undefined, now);
  if (decided && options.onOutcome && report.wantsOutcome && report.reporterEmail && !report.outcomeSentAt)
    await options.onOutcome(trx, [report.id], decided);
  return { campaignId, by };
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
