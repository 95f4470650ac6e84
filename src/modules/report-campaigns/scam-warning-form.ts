// "Publish a scam warning" from a campaign: the form's fields, prefilled from the campaign (what the
// message looks like, what it points at), checked, then handed to the scam-warnings module's
// draftScamWarning, which takes the warning through sign-off before it appears on the council's
// incident page.
import { LIMITS, validateScamWarning } from '../scam-warnings/scam-warnings.service.ts';
import type { FieldError } from './report-console.service.ts';
import { defangIndicator } from './report-message-view.ts';
import type { ReportIndicators } from './report-indicators.ts';

export interface WarningInput {
  incidentId: string;
  title: string;
  summary: string;
  howToSpot: string;
  whatToDo: string;
}

export const WARNING_LIMITS = {
  title: LIMITS.title,
  summary: LIMITS.summary,
  howToSpot: LIMITS.howToSpot,
  whatToDo: LIMITS.whatToDo,
} as const;

export function prefillWarning(
  campaign: { title: string },
  indicators: Record<keyof ReportIndicators, Array<{ value: string }>>,
  incidentId: string,
): WarningInput {
  const spot: string[] = [];
  if (indicators.senders.length)
    spot.push(
      `It comes from ${indicators.senders
        .slice(0, 3)
        .map((s) => defangIndicator(s.value))
        .join(', ')}.`,
    );
  if (indicators.domains.length)
    spot.push(
      `It links to ${indicators.domains
        .slice(0, 3)
        .map((d) => defangIndicator(d.value))
        .join(', ')}, which is not a council website.`,
    );
  if (indicators.phoneNumbers.length)
    spot.push(
      `It asks you to call ${indicators.phoneNumbers
        .slice(0, 3)
        .map((p) => p.value)
        .join(', ')}, which is not a council number.`,
    );
  return {
    incidentId,
    title: `Scam: ${campaign.title}`.slice(0, WARNING_LIMITS.title),
    summary:
      `People are receiving messages that pretend to be from the council: "${campaign.title}". They are not from us.`.slice(
        0,
        WARNING_LIMITS.summary,
      ),
    howToSpot: spot.join('\n'),
    whatToDo:
      'Do not click any links, reply or call any number in the message. Do not give any personal or bank details. Report it to us, then delete it.',
  };
}

export function checkWarning(input: WarningInput, incidentIds: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  if (!incidentIds.includes(input.incidentId))
    errors.push({ field: 'incidentId', text: 'Select the incident page to publish the warning on' });
  // The text is checked by the module that stores it, so the form and the store cannot disagree.
  for (const error of validateScamWarning(input)) errors.push({ field: error.href.slice(1), text: error.text });
  return errors;
}
