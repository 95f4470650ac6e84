// Demo enquiries: each council's enquiry settings (Westminster's mailbox from the public reporting)
// and a handful of made-up cases in Westminster's queue, one of them urgent, so the queue is not
// empty when someone first signs in as the demo agent.
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { nowIso } from '../../platform/ids.ts';
import * as repo from './enquiries.repository.ts';
import { DEFAULT_RETENTION_DAYS, openCase, type NewCaseInput } from './enquiries.service.ts';

const SETTINGS: Array<{ slug: string; prefix: string; addresses: string[] }> = [
  { slug: 'westminster', prefix: 'WCC', addresses: ['cyberenquiry@westminster.gov.uk'] },
  { slug: 'kensington-chelsea', prefix: 'RBKC', addresses: [] },
  { slug: 'hammersmith-fulham', prefix: 'LBHF', addresses: [] },
];

type DemoCase = Omit<NewCaseInput, 'organisationId' | 'first'> & { body: string; hoursAgo: number };

const CASES: DemoCase[] = [
  {
    openedVia: 'web',
    topic: 'service',
    summary: 'My heating has been off since the council systems went down',
    residentName: 'Margaret Ellis',
    residentEmail: null,
    residentPhone: '02079460018',
    residentAddress: '14 Example Mansions\nLondon\nW2 1AA',
    replyBy: 'phone',
    supportNeeds: 'I am hard of hearing. Please speak slowly or write to me.',
    agedOver75: true,
    socialCare: false,
    body: 'My heating has been off since the council systems went down and I cannot get through on the phone. I have no heating and it is very cold.',
    hoursAgo: 2,
  },
  {
    openedVia: 'web',
    topic: 'suspicious-contact',
    summary: 'A man rang saying he was from the council and asked for my bank details',
    residentName: 'Tom Okafor',
    residentEmail: 'tom.okafor@example.com',
    residentPhone: null,
    residentAddress: null,
    replyBy: 'email',
    supportNeeds: null,
    agedOver75: false,
    socialCare: false,
    body: 'A man rang saying he was from the council and that my council tax refund was ready. He asked for my bank details. I did not give them. Was this you?',
    hoursAgo: 30,
  },
  {
    openedVia: 'web',
    topic: 'service',
    summary: 'How do I pay my council tax while the website is down?',
    residentName: 'Priya Shah',
    residentEmail: 'priya.shah@example.com',
    residentPhone: null,
    residentAddress: null,
    replyBy: 'email',
    supportNeeds: null,
    agedOver75: false,
    socialCare: false,
    body: 'How do I pay my council tax while the website is down? My Direct Debit was cancelled last month.',
    hoursAgo: 60,
  },
  {
    openedVia: 'web',
    topic: 'data-worry',
    summary: 'Was my housing application data taken?',
    residentName: 'Daniel Novak',
    residentEmail: 'd.novak@example.com',
    residentPhone: '07700900123',
    residentAddress: null,
    replyBy: 'email',
    supportNeeds: null,
    agedOver75: false,
    socialCare: true,
    body: 'I applied for housing in 2019 and gave you my passport and payslips. Was my data taken? My mother gets care from you too.',
    hoursAgo: 5,
  },
];

/** Adds enquiry settings for the demo councils, and the demo cases unless the council has cases already. */
export async function seedDemoEnquiries(
  trx: Transaction<DB>,
  organisationIdBySlug: Map<string, string>,
): Promise<void> {
  for (const s of SETTINGS) {
    const organisationId = organisationIdBySlug.get(s.slug);
    if (!organisationId || (await repo.findSettings(trx, organisationId))) continue;
    await repo.upsertSettings(
      trx,
      {
        organisationId,
        referencePrefix: s.prefix,
        enquiryAddresses: s.addresses,
        retentionDays: DEFAULT_RETENTION_DAYS,
      },
      nowIso(),
    );
  }
  const westminster = organisationIdBySlug.get('westminster');
  if (!westminster) return;
  const existing = await repo.listCases(trx, { organisationIds: [westminster] }, { limit: 1, offset: 0 });
  if (existing.total > 0) return;
  for (const { body, hoursAgo, ...c } of CASES) {
    await openCase(
      trx,
      {
        ...c,
        organisationId: westminster,
        first: {
          kind: 'message',
          channel: 'web',
          subject: null,
          body,
          emailMessageId: null,
          authorUserId: null,
          authorLabel: c.residentName ?? 'Resident',
        },
      },
      new Date(Date.now() - hoursAgo * 3_600_000),
    );
  }
}
