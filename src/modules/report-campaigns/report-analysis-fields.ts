// A report's analysed columns, as intake stores them: the analyser's verdict, score and reasons, the
// indicators, the exact campaign keys and the MinHash signature of the normalised text. One
// function, so reports recorded by intake, by the demo and by tests group the same way.
import type { SuspiciousVerdict } from '../../platform/db/schema.ts';
import {
  campaignKeys,
  minHash,
  normaliseForCampaign,
  signatureToBytes,
} from '../suspicious-messages/campaign-grouping.ts';
import { analyseMessage, type SuspiciousMessage } from '../suspicious-messages/message-analysis.ts';
import type { RegisterIndex } from '../suspicious-messages/official-register.ts';
import { findPhoneNumbers } from '../suspicious-messages/phone-numbers.ts';
import { reportIndicators } from './report-indicators.ts';

export interface AnalysedReportFields {
  suggested_verdict: SuspiciousVerdict;
  score: number;
  reasons: string;
  indicators: string;
  campaign_keys: string;
  text_signature: Buffer | null;
}

export function analysedReportFields(message: SuspiciousMessage, index: RegisterIndex): AnalysedReportFields {
  const { features, verdict, score, reasons } = analyseMessage(message, index);
  const officialDomains = index.lookalikeTargets;
  const signature = minHash(normaliseForCampaign(features.text));
  return {
    suggested_verdict: verdict,
    score,
    reasons: JSON.stringify(reasons.map(({ code, text, evidence }) => ({ code, text, evidence }))),
    indicators: JSON.stringify(
      reportIndicators(features, findPhoneNumbers(features.text, index.phoneOwners), officialDomains),
    ),
    campaign_keys: JSON.stringify(campaignKeys(features, { officialDomains })),
    text_signature: signature ? signatureToBytes(signature) : null,
  };
}
