// One person's message on their channel, made from the campaign's template: the placeholders filled
// with their name, every council whose data named them (the sending council first), and the kinds of
// their data involved across those councils. No I/O.
import { DATA_CATEGORIES, isDataCategory } from '../breaches/breach-record.ts';
import { fillTemplate, listInWords, type CampaignTemplate, type Personalisation } from './campaign-template.ts';
import type { PersonForMessage } from './campaigns.repository.ts';

export function personalisationFor(
  person: PersonForMessage,
  reference: string,
  sendingCouncilId: string,
  councilNames: ReadonlyMap<string, string>,
): Personalisation {
  const councils = [...person.councils]
    .sort((a, b) =>
      a.organisationId === sendingCouncilId
        ? -1
        : b.organisationId === sendingCouncilId
          ? 1
          : (councilNames.get(a.organisationId) ?? '').localeCompare(councilNames.get(b.organisationId) ?? ''),
    )
    .map((c) => councilNames.get(c.organisationId) ?? 'the council');
  const order = Object.keys(DATA_CATEGORIES);
  const rank = (c: string) => (order.includes(c) ? order.indexOf(c) : order.length);
  const categories = [...new Set(person.councils.flatMap((c) => c.categories))]
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .map((c) => {
      const text = isDataCategory(c) ? DATA_CATEGORIES[c].text : c;
      return text.charAt(0).toLowerCase() + text.slice(1);
    });
  return {
    name: person.fullName.trim() || 'Resident',
    councils: listInWords(councils),
    reference,
    'data categories': categories.length ? listInWords(categories) : 'your contact details',
  };
}

export interface PersonalMessage {
  subject: string;
  body: string;
}

export function messageFor(
  template: CampaignTemplate,
  channel: 'email' | 'sms' | 'letter',
  values: Personalisation,
): PersonalMessage {
  if (channel === 'email') {
    return { subject: fillTemplate(template.emailSubject, values), body: fillTemplate(template.emailBody, values) };
  }
  if (channel === 'sms') return { subject: '', body: fillTemplate(template.smsBody, values) };
  return { subject: '', body: fillTemplate(template.letterBody, values) };
}
