// A report's analysed columns, as intake stores them: the analyser's verdict, score and reasons, the
// indicators, the exact campaign keys and the MinHash signature of the normalised text. One
// function, so reports recorded by intake (the public form, the report mailbox, the API), by the
// demo and by tests group the same way.
import type { SuspiciousVerdict } from '../../platform/db/schema.ts';
import { campaignKeys, signatureToBytes, textSignature } from '../suspicious-messages/campaign-grouping.ts';
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

export interface ReportContext {
  /** How the report was made, when staff should know (an inline forward's recovery): first among the reasons, weighing nothing. */
  notes?: ReadonlyArray<{ code: string; text: string }> | undefined;
  /** The sender as the report gives it, when it is a phone number (a text message's): an indicator unless it is official. */
  senderNumber?: string | undefined;
}

export function analysedReportFields(
  message: SuspiciousMessage,
  index: RegisterIndex,
  context: ReportContext = {},
): AnalysedReportFields {
  const { features, verdict, score, reasons } = analyseMessage(message, index);
  const signature = textSignature(features.text);
  const senderNumbers =
    context.senderNumber && /^\+?[\d\s()-]{6,}$/.test(context.senderNumber)
      ? findPhoneNumbers(context.senderNumber, index.phoneOwners)
      : [];
  return {
    suggested_verdict: verdict,
    score,
    reasons: JSON.stringify([
      ...(context.notes ?? []).map(({ code, text }) => ({ code, text, evidence: '', weight: 0 })),
      ...reasons.map(({ code, text, evidence, weight }) => ({ code, text, evidence, weight })),
    ]),
    indicators: JSON.stringify(
      reportIndicators(
        features,
        [...senderNumbers, ...findPhoneNumbers(features.text, index.phoneOwners)],
        index.lookalikeTargets,
      ),
    ),
    campaign_keys: JSON.stringify(campaignKeys(features, { officialDomains: index.lookalikeTargets })),
    text_signature: signature ? signatureToBytes(signature) : null,
  };
}
