// The demo councils' registers of genuine contact, from the facts they published during the
// November 2025 incident. The GOV.UK Notify sender address and text sender name are made up for
// the demo (Notify sends from an address on notifications.service.gov.uk chosen per service).
import type { Transaction } from 'kysely';
import type { DB, GenuineContactChannel, GenuineContactKind } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { valueKey } from './genuine-contact-register.ts';
import * as repo from './genuine-contact.repository.ts';

type DemoEntry = [channel: GenuineContactChannel, kind: GenuineContactKind, value: string, description: string];

const FROM = '2025-11-24';

const NEVER_ASK = [
  'We will never ask for your bank details, card number or PIN by phone, text or email.',
  'We will never ask for a password, or for a code we have sent to your phone.',
  'We will never ask you to pay anything to keep your account or your data safe.',
  'We will never phone, text or email you about a refund you did not ask for.',
  'We will never send you a link to confirm your identity because of the cyber incident.',
];

const REGISTERS: Record<string, DemoEntry[]> = {
  // The helpline comes first: it is the number the check page tells people to call.
  westminster: [
    ['phone', 'phone', '020 7641 1919', 'Cyber incident helpline'],
    ['phone', 'phone', '020 7641 6000', 'General enquiries'],
    ['phone', 'phone', '0800 358 3783', 'Housing'],
    ['phone', 'phone', '020 7641 2500', 'Adult social care'],
    ['email', 'email-address', 'cyberenquiry@westminster.gov.uk', 'Cyber incident enquiries'],
    [
      'email',
      'email-address',
      'westminster.cyber.incident@notifications.service.gov.uk',
      'Cyber incident update emails, sent for us by GOV.UK Notify',
    ],
    ['email', 'email-domain', 'westminster.gov.uk', 'Email from our staff and services'],
    ['sms', 'sms-sender', 'WCCouncil', 'Cyber incident update texts, sent for us by GOV.UK Notify'],
    ['website', 'domain', 'westminster.gov.uk', 'Our website'],
    ['website', 'domain', 'www.gov.uk', 'GOV.UK, the government’s website, which we sometimes link to'],
    ['letter', 'reference-format', 'WCC-XXXX-XXXX', 'Enquiry references, on our emails and letters'],
  ],
  'kensington-chelsea': [
    ['email', 'email-address', 'benefits@rbkc.gov.uk', 'Benefits enquiries'],
    ['email', 'email-domain', 'rbkc.gov.uk', 'Email from our staff and services'],
    ['website', 'domain', 'rbkc.gov.uk', 'Our website'],
    ['letter', 'reference-format', 'RBKC-XXXX-XXXX', 'Enquiry references, on our emails and letters'],
  ],
  'hammersmith-fulham': [
    ['email', 'email-domain', 'lbhf.gov.uk', 'Email from our staff and services'],
    ['website', 'domain', 'lbhf.gov.uk', 'Our website'],
    ['letter', 'reference-format', 'LBHF-XXXX-XXXX', 'Enquiry references, on our emails and letters'],
  ],
};

/** Adds each demo council's register unless it has one already. */
export async function seedDemoGenuineContact(
  trx: Transaction<DB>,
  organisationIdBySlug: Map<string, string>,
): Promise<void> {
  for (const [slug, entries] of Object.entries(REGISTERS)) {
    const organisationId = organisationIdBySlug.get(slug);
    if (!organisationId || (await repo.listEntries(trx, organisationId)).length > 0) continue;
    for (const [channel, kind, value, description] of entries) {
      const key = valueKey(kind, value);
      if (!key) throw new Error(`demo register entry ${value} is not a valid ${kind}`);
      await repo.insertEntry(trx, {
        id: newId(),
        organisationId,
        entry: { channel, kind, value, valueKey: key, description, activeFrom: FROM, activeTo: null },
        now: nowIso(),
        by: 'seed-demo',
      });
    }
    await repo.saveNeverAsk(trx, organisationId, NEVER_ASK, nowIso(), 'seed-demo');
  }
}
