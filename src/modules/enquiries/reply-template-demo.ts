// Demo reply templates for Westminster: three approved answers to what residents asked most after
// the attack, and one draft waiting for a comms officer's approval, so the demo agent has wording
// to send and the demo comms officer has something to approve.
import type { Transaction } from 'kysely';
import type { DB, EnquiryTopic } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import * as repo from './reply-templates.repository.ts';

const AUTHOR = 'Westminster communications team (demo)';
const APPROVER = 'Westminster head of communications (demo)';

const TEMPLATES: Array<{ name: string; topics: EnquiryTopic[]; subject: string; body: string; approved: boolean }> = [
  {
    name: 'Is my data affected?',
    topics: ['affected', 'data-worry'],
    subject: 'What we know about the data that was taken',
    body: [
      'Thank you for contacting us about the cyber incident.',
      '',
      'We are working with the Metropolitan Police, the National Crime Agency and the National Cyber Security Centre to find out exactly what data was copied. We cannot yet say whether your information was affected.',
      '',
      'If we find that your personal data was affected, we will write to you. We will not phone you about it, and we will never ask for your bank details, passwords or a payment.',
      '',
      'For the latest information, go to ((incident page))',
    ].join('\n'),
    approved: true,
  },
  {
    name: 'Suspicious call: it was not us',
    topics: ['suspicious-contact'],
    subject: 'The call you told us about was not from us',
    body: [
      'Thank you for telling us about the call.',
      '',
      'It was not from ((council)). We are not phoning residents about the cyber incident, and we will never ask for your bank details, passwords or a payment over the phone.',
      '',
      'If you gave anyone your bank details, call your bank straight away on the number on the back of your card. You can report the call to Action Fraud on 0300 123 2040.',
      '',
      'You can check whether a call, email or letter really came from us at ((incident page))',
    ].join('\n'),
    approved: true,
  },
  {
    name: 'Paying council tax during the disruption',
    topics: ['service'],
    subject: 'Paying your council tax while our systems are down',
    body: [
      'Our online payment pages are not working because of the cyber incident.',
      '',
      'You do not need to do anything yet. Direct Debits carry on as normal. If your Direct Debit was cancelled, we will write to you to set up a new one before any payment is due. You will not be charged for paying late while the disruption lasts.',
      '',
      'To see which of our services are working, go to ((incident page))',
    ].join('\n'),
    approved: true,
  },
  {
    name: 'Housing applications',
    topics: ['data-worry'],
    subject: 'Your housing application and the cyber incident',
    body: [
      'Thank you for asking about your housing application.',
      '',
      'Your place on the housing register is safe. We are checking whether documents sent with housing applications were among the data copied, and we will write to everyone affected.',
      '',
      'For the latest information, go to ((incident page))',
    ].join('\n'),
    approved: false,
  },
];

/** Adds Westminster's demo templates unless it has templates already. */
export async function seedDemoReplyTemplates(
  trx: Transaction<DB>,
  organisationIdBySlug: Map<string, string>,
): Promise<void> {
  const westminster = organisationIdBySlug.get('westminster');
  if (!westminster || (await repo.listTemplates(trx, [westminster])).length > 0) return;
  const at = nowIso();
  for (const t of TEMPLATES) {
    const id = newId();
    const versionId = newId();
    await repo.insertTemplate(trx, {
      id,
      organisation_id: westminster,
      name: t.name,
      name_key: t.name.toLowerCase(),
      latest_version: 1,
      approved_version_id: t.approved ? versionId : null,
      withdrawn_at: null,
      withdrawn_by_label: null,
      created_at: at,
      updated_at: at,
    });
    await repo.insertVersion(trx, {
      id: versionId,
      template_id: id,
      version: 1,
      name: t.name,
      topics: JSON.stringify(t.topics),
      subject: t.subject,
      body: t.body,
      drafted_by_user_id: null,
      drafted_by_label: AUTHOR,
      created_at: at,
      approved_by_user_id: null,
      approved_by_label: t.approved ? APPROVER : null,
      approved_at: t.approved ? at : null,
    });
  }
}
