// The demo incident: the November 2025 attack on the IT shared by Kensington and Chelsea and
// Westminster, as publicly reported (shared/seed/incident-facts.md). Unconfirmed figures are left out.
import type { Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { seedDemoBreaches } from '../breaches/breach-demo.ts';
import { seedDemoFaq } from '../public-content/faq-demo.ts';
import * as repo from './incidents.repository.ts';

export const DEMO_INCIDENT_REFERENCE = 'INC-2025-11-WLC';

type ServiceSpec = [slug: string, name: string, group: string, status: repo.ServiceStatus, workaround: string];

const SERVICES: Record<string, ServiceSpec[]> = {
  westminster: [
    [
      'contact-centre',
      'Phone lines and contact centre',
      'contact',
      'disrupted',
      'Calls are answered for shorter hours. For the cyber incident, call our helpline on 020 7641 1919 (Monday, Tuesday, Thursday and Friday 9am to 5pm, Wednesday 9am to 4pm) or email cyberenquiry@westminster.gov.uk.',
    ],
    [
      'report-it',
      'Report It (FixMyStreet)',
      'streets',
      'unavailable',
      'Reports cannot be made or seen online. For anything urgent or dangerous, call 020 7641 6000.',
    ],
    [
      'council-tax',
      'Council tax and business rates',
      'council-tax',
      'disrupted',
      'Online payment is not available. Direct Debits are still being collected: you do not need to do anything if you pay by Direct Debit.',
    ],
    [
      'certificates',
      'Birth, death and marriage certificates',
      'registration',
      'unavailable',
      'You cannot order certificates from us at the moment. Order them from the General Register Office on 0300 123 1837.',
    ],
    [
      'childrens-referrals',
      "Children's services referrals",
      'social-care',
      'disrupted',
      'Online referrals are not available. Call 020 7641 4000 and choose option 1. If a child is in immediate danger, call 999.',
    ],
    [
      'waste',
      'Waste: bags, missed and bulky collections',
      'waste',
      'disrupted',
      'Online forms are not available. Collect bags from your local library. For missed or bulky collections, call Veolia on 020 7641 6180.',
    ],
    [
      'libraries',
      'Libraries',
      'libraries',
      'disrupted',
      'Libraries are open and you can borrow and return books. We cannot register new members for now.',
    ],
    [
      'land-charges',
      'Local land charge searches',
      'planning',
      'unavailable',
      'Searches have stopped. We will process requests in the order received once the system is back.',
    ],
    [
      'parking-permits',
      'Parking permits',
      'parking',
      'disrupted',
      'If you paid for a permit by card, check your bank and card statements and tell your bank about any payment you do not recognise.',
    ],
  ],
  'kensington-chelsea': [
    [
      'contact-centre',
      'Phone lines and contact centre',
      'contact',
      'disrupted',
      'Calls go to an out-of-hours service and may take longer to answer. For benefits questions, email benefits@rbkc.gov.uk.',
    ],
    [
      'social-care',
      "Adult and children's social care",
      'social-care',
      'disrupted',
      'Social workers have limited access to case records. Care and support continue. If someone is at risk of harm now, call 999.',
    ],
    [
      'housing-benefit',
      'Housing Benefit and Council Tax Support',
      'council-tax',
      'disrupted',
      'Payments are delayed. Email benefits@rbkc.gov.uk if you are struggling to pay your rent or bills.',
    ],
    [
      'planning',
      'Planning applications',
      'planning',
      'disrupted',
      'New applications are being received but decisions are delayed.',
    ],
    [
      'land-charges',
      'Local land charge searches',
      'planning',
      'unavailable',
      'Searches have stopped. We will process requests in the order received once the system is back.',
    ],
    [
      'electoral-register',
      'Electoral registration',
      'registration',
      'disrupted',
      'The annual canvass was delayed. You can still register to vote at gov.uk/register-to-vote.',
    ],
    [
      'parking-permits',
      'Parking permits',
      'parking',
      'disrupted',
      'If you paid for a permit by card, check your bank and card statements and tell your bank about any payment you do not recognise.',
    ],
  ],
  'hammersmith-fulham': [
    [
      'my-account',
      'My Account',
      'accounts',
      'unavailable',
      'My Account is suspended as a precaution. You can still contact us by phone.',
    ],
    [
      'parking-permits',
      'Parking permits',
      'parking',
      'disrupted',
      'If you paid for a permit by card, check your bank and card statements and tell your bank about any payment you do not recognise.',
    ],
  ],
};

const CONTACTS: Record<
  string,
  Array<[kind: 'phone' | 'email' | 'web', label: string, value: string, hours: string | null]>
> = {
  westminster: [
    [
      'phone',
      'Cyber incident helpline',
      '020 7641 1919',
      'Monday, Tuesday, Thursday and Friday, 9am to 5pm; Wednesday, 9am to 4pm',
    ],
    ['email', 'Cyber incident enquiries', 'cyberenquiry@westminster.gov.uk', null],
    ['phone', 'General enquiries', '020 7641 6000', null],
    ['phone', 'Housing', '0800 358 3783', null],
    ['phone', 'Adult social care', '020 7641 2500', null],
  ],
  'kensington-chelsea': [['email', 'Benefits enquiries', 'benefits@rbkc.gov.uk', null]],
  'hammersmith-fulham': [],
};

const TIMELINE: Array<[date: string, title: string, body: string]> = [
  [
    '2025-11-24T09:00:00.000Z',
    'Unusual activity detected',
    'Kensington and Chelsea detected unusual activity, shut down and isolated systems, and reported it to Action Fraud and the Metropolitan Police Cyber Crime Unit.',
  ],
  [
    '2025-11-25T09:00:00.000Z',
    'Joint statement; ICO notified',
    'Kensington and Chelsea and Westminster issued a joint statement. Phone lines were down and business continuity plans were invoked. The ICO was notified and the NCSC became involved. Hammersmith & Fulham reported a serious incident.',
  ],
  [
    '2025-11-26T09:00:00.000Z',
    'Westminster shuts down its networks',
    'Westminster shut down its networks as a precaution. Staff worked from home.',
  ],
  [
    '2025-11-28T09:00:00.000Z',
    'Data copied and taken',
    'Kensington and Chelsea confirmed that data was copied and then taken away, believed to be historical. At least two weeks of significant disruption expected.',
  ],
  [
    '2025-12-01T09:00:00.000Z',
    'Hammersmith & Fulham update',
    'No evidence that Hammersmith & Fulham systems were compromised; its My Account was suspended. Kensington and Chelsea said archived data from 2006 to 2020 may have been copied.',
  ],
  [
    '2025-12-02T09:00:00.000Z',
    'Westminster publishes affected services',
    'Westminster published its list of affected services.',
  ],
  [
    '2025-12-17T09:00:00.000Z',
    'Criminal intent confirmed',
    'Kensington and Chelsea said the attack had criminal intent and NCC Group was engaged. There was no evidence of lateral movement. Samples likely contain sensitive personal data.',
  ],
  [
    '2026-01-08T09:00:00.000Z',
    'Letters to households',
    'Kensington and Chelsea had written to over 100,000 households.',
  ],
];

/** Adds the demo incident unless it is there already. */
export async function seedDemoIncident(
  trx: Transaction<DB>,
  organisationIdBySlug: Map<string, string>,
): Promise<boolean> {
  if (
    await trx.selectFrom('incidents').select('id').where('reference', '=', DEMO_INCIDENT_REFERENCE).executeTakeFirst()
  ) {
    return false;
  }
  const org = (slug: string) => {
    const id = organisationIdBySlug.get(slug);
    if (!id) throw new Error(`demo organisation ${slug} is missing`);
    return id;
  };
  const at = nowIso();
  const id = newId();
  await repo.insertIncident(trx, {
    id,
    reference: DEMO_INCIDENT_REFERENCE,
    title: 'Cyber attack on shared IT systems',
    status: 'recovering',
    severity: 'critical',
    lead_organisation_id: org('kensington-chelsea'),
    detected_at: '2025-11-24T09:00:00.000Z',
    declared_at: '2025-11-25T09:00:00.000Z',
    summary:
      'In November 2025 criminals attacked IT systems that Westminster City Council shares with the Royal Borough of Kensington and Chelsea. They copied and took away data.\n\nWe shut down systems to protect them. Some council services are still disrupted while we restore them safely.',
    data_affected:
      'The data taken is believed to be mostly historical, and may include personal information about residents. We are still finding out exactly what was taken. If we find that your information was involved, we will write to you.',
    data_categories: JSON.stringify(['contact details', 'council tax and benefits records', 'social care records']),
    advice:
      'Be extra careful with unexpected calls, emails and text messages, even if they seem to come from the council. We will never ask for your password, your full bank details or a payment by email, text or phone.\n\nOnly use the contact details on this page or on our own website.\n\nIf you paid us by card, for example for a parking permit, check your bank and card statements.\n\nThe National Cyber Security Centre has advice on what to do after a data breach at ncsc.gov.uk.',
    restoration_outlook:
      'Some services will take months to return to normal. We expect full recovery by summer 2026. We will update this page when services come back.',
    created_at: at,
    updated_at: at,
  });
  for (const slug of ['westminster', 'kensington-chelsea', 'hammersmith-fulham']) {
    await repo.linkOrganisation(trx, id, org(slug), 'affected');
  }
  await repo.linkOrganisation(trx, id, org('shared-it'), 'provider');
  // The ICO was notified as the regulator; it is not part of the investigation.
  for (const slug of ['met-police', 'nca', 'ncsc']) await repo.linkOrganisation(trx, id, org(slug), 'investigating');

  for (const [slug, contacts] of Object.entries(CONTACTS)) {
    await repo.insertContacts(
      trx,
      contacts.map(([kind, label, value, hours], position) => ({
        id: newId(),
        incident_id: id,
        organisation_id: org(slug),
        kind,
        label,
        value,
        hours,
        position,
      })),
    );
  }
  for (const [slug, services] of Object.entries(SERVICES)) {
    await repo.insertServices(
      trx,
      services.map(([serviceSlug, name, group, status, workaround]) => ({
        id: newId(),
        incident_id: id,
        organisation_id: org(slug),
        slug: serviceSlug,
        name,
        service_group: group,
        status,
        workaround,
        expected_restoration: null,
        changed_at: '2025-12-02T09:00:00.000Z',
        created_at: at,
      })),
    );
  }
  for (const [occurredAt, title, body] of TIMELINE) {
    await repo.insertTimelineEntry(trx, {
      id: newId(),
      incident_id: id,
      organisation_id: null,
      kind: 'event',
      occurred_at: occurredAt,
      title,
      body,
      details: '{}',
      author_user_id: null,
      author_label: 'seed-demo',
      created_at: at,
    });
  }
  await seedDemoFaq(trx, id, org);
  await seedDemoBreaches(trx, id, org);
  return true;
}
