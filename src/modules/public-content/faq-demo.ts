// The demo councils' questions and answers, from the public account of the November 2025 attack
// (shared/seed/incident-facts.md): only what the councils said, nothing unconfirmed.
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { insertFaqEntry } from './faq.repository.ts';

type Entry = [question: string, answer: string];

const CONTACTED: Entry = [
  'Will I be contacted by the council?',
  'If we find that your information was involved, we will write to you.\n\nWe will never ask for your password, your full bank details or a payment by email, text or phone. If someone who says they are from the council asks for any of these, do not give them. End the call or do not reply, and contact us using the details on this page.',
];

const FAQ: Record<string, Entry[]> = {
  westminster: [
    [
      'Has my data been stolen?',
      'Criminals copied and took away data from IT systems we share with the Royal Borough of Kensington and Chelsea. The data is believed to be mostly historical. We are still finding out exactly what was taken.\n\nIf we find that your information was involved, we will write to you.',
    ],
    CONTACTED,
    [
      'How do I pay my council tax?',
      'You cannot pay online at the moment. If you pay by Direct Debit, you do not need to do anything: Direct Debits are still being collected.\n\nTo pay another way, call us on 020 7641 6000.',
    ],
    [
      'I paid for a parking permit by card. What should I do?',
      'Check your bank and card statements. Tell your bank about any payment you do not recognise.',
    ],
    [
      'When will services be back to normal?',
      'Some services will take months to return to normal. We expect full recovery by summer 2026.\n\nThe list of services on this page shows what is working now and what to do instead.',
    ],
    [
      'Who is investigating the attack?',
      "We are working with the Metropolitan Police Cyber Crime Unit, the National Crime Agency and the National Cyber Security Centre. We have told the Information Commissioner's Office.",
    ],
  ],
  'kensington-chelsea': [
    [
      'Has my data been stolen?',
      'Criminals copied and took away data from our IT systems. It is believed to be mostly historical, and may include archived data from 2006 to 2020. We are still finding out exactly what was taken.\n\nWe have written to over 100,000 households. If we find that your information was involved, we will write to you.',
    ],
    CONTACTED,
    [
      'My Housing Benefit payment is late. What should I do?',
      'Housing Benefit and Council Tax Support payments are delayed. If you are struggling to pay your rent or bills, email benefits@rbkc.gov.uk.',
    ],
  ],
  'hammersmith-fulham': [
    [
      'Were Hammersmith & Fulham systems attacked?',
      'We have found no evidence that our systems were compromised. We suspended My Account as a precaution.\n\nWe still use some services shared with the Royal Borough of Kensington and Chelsea, which told us that archived data from 2006 to 2020 may have been copied.',
    ],
    CONTACTED,
  ],
};

/** Adds the demo questions and answers to a newly seeded demo incident. */
export async function seedDemoFaq(
  trx: Transaction<DB>,
  incidentId: string,
  organisationIdOf: (slug: string) => string,
): Promise<void> {
  const at = nowIso();
  for (const [slug, entries] of Object.entries(FAQ)) {
    for (const [position, [question, answer]] of entries.entries()) {
      await insertFaqEntry(trx, {
        id: newId(),
        incident_id: incidentId,
        organisation_id: organisationIdOf(slug),
        position,
        question,
        answer,
        created_at: at,
        updated_at: at,
        updated_by_label: 'seed-demo',
      });
    }
  }
}
