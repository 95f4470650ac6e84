// Scores the analyser on a labelled corpus: precision and recall of "likely scam", genuine council
// messages called scams, and campaign purity (share of each predicted campaign that belongs to its
// largest true campaign, weighted by size).
import { readInboundMail } from '../../../platform/mail-in/mime-reader.ts';
import { groupCampaigns } from '../campaign-grouping.ts';
import { analyseMessage, type Analysis, type MessageFeatures } from '../message-analysis.ts';
import { indexRegister, type OfficialRegister } from '../official-register.ts';
import type { CorpusItem } from './labelled-corpus.ts';

export interface CorpusScore {
  messages: number;
  scams: number;
  precision: number;
  recall: number;
  councilCalledScam: string[];
  missed: string[];
  falseAlarms: string[];
  campaignPurity: number;
  campaigns: number;
  results: Array<Analysis & { id: string; campaign: string; label: CorpusItem['label'] }>;
}

export async function evaluateCorpus(items: CorpusItem[], register: OfficialRegister): Promise<CorpusScore> {
  const index = indexRegister(register);
  const results: CorpusScore['results'] = [];
  const features: MessageFeatures[] = [];
  for (const item of items) {
    const { features: f, ...analysis } = item.email
      ? analyseMessage({ kind: 'email', id: item.id, mail: readInboundMail(Buffer.from(item.email)) }, index)
      : analyseMessage({ kind: 'sms', ...item.sms! }, index);
    features.push(f);
    results.push({ ...analysis, id: item.id, campaign: '', label: item.label });
  }
  const campaigns = groupCampaigns(features, { officialDomains: index.lookalikeTargets });
  results.forEach((r, i) => (r.campaign = campaigns[i]!));

  const flagged = results.filter((r) => r.verdict === 'likely-scam');
  const truePositives = flagged.filter((r) => r.label === 'scam').length;
  const scams = results.filter((r) => r.label === 'scam').length;
  const byCampaign = new Map<string, Map<string, number>>();
  results.forEach((r, i) => {
    const counts = byCampaign.get(r.campaign) ?? new Map<string, number>();
    counts.set(items[i]!.campaign, (counts.get(items[i]!.campaign) ?? 0) + 1);
    byCampaign.set(r.campaign, counts);
  });
  let pure = 0;
  for (const counts of byCampaign.values()) pure += Math.max(...counts.values());
  return {
    messages: results.length,
    scams,
    precision: flagged.length ? truePositives / flagged.length : 1,
    recall: scams ? truePositives / scams : 1,
    councilCalledScam: results.filter((r, i) => items[i]!.council && r.verdict === 'likely-scam').map((r) => r.id),
    missed: results.filter((r) => r.label === 'scam' && r.verdict !== 'likely-scam').map((r) => r.id),
    falseAlarms: flagged.filter((r) => r.label === 'genuine').map((r) => r.id),
    campaignPurity: pure / results.length,
    campaigns: byCampaign.size,
    results,
  };
}
