// "Publish a scam warning" from a campaign: the form's fields, prefilled from the campaign (what the
// message looks like, what it points at), checked, then handed to the public-content module's
// draftScamWarning, which takes the warning through sign-off before it appears on the council's
// incident page.
import type { Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import type { FieldError } from './report-console.service.ts';
import { defangIndicator } from './report-message-view.ts';
import type { ReportIndicators } from './report-indicators.ts';

export interface ScamWarningDraft {
  organisationId: string;
  incidentId: string;
  title: string;
  summary: string;
  howToSpot: string;
  whatToDo: string;
  campaignId: string;
  author: { userId: string | null; label: string };
}

/** The signature of the public-content module's function; the app wires it in. */
export type DraftScamWarning = (db: Kysely<DB>, draft: ScamWarningDraft) => Promise<{ id: string }>;

export interface WarningInput {
  incidentId: string;
  title: string;
  summary: string;
  howToSpot: string;
  whatToDo: string;
}

export const WARNING_LIMITS = { title: 120, summary: 1000, howToSpot: 2000, whatToDo: 2000 } as const;

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
  const required: Array<[keyof typeof WARNING_LIMITS, string]> = [
    ['title', 'Enter a title'],
    ['summary', 'Enter a summary of the scam'],
    ['howToSpot', 'Enter how to spot the scam'],
    ['whatToDo', 'Enter what to do'],
  ];
  for (const [field, missing] of required) {
    const value = input[field].trim();
    if (!value) errors.push({ field, text: missing });
    else if (value.length > WARNING_LIMITS[field])
      errors.push({
        field,
        text: `${missing.replace(/^Enter /, '').replace(/^./, (c) => c.toUpperCase())} must be ${WARNING_LIMITS[field]} characters or fewer`,
      });
  }
  return errors;
}
