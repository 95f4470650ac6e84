// Demo breach records for the November 2025 incident, one per affected council, from the public
// account (shared/seed/incident-facts.md): when each council became aware, data that fits what was
// reported, the police, NCA and NCSC involved, and initial reports to the ICO within 72 hours. The
// number of people was never published, so it is "not known yet". Each record is built up in the
// versions it would have gone through, so each report's frozen copy says what was known when it
// was sent. DPO addresses are demo addresses, not the councils' real ones.
import type { Transaction } from 'kysely';
import { listOrganisations } from '../../platform/accounts/accounts.repository.ts';
import type { DB } from '../../platform/db/schema.ts';
import { newId } from '../../platform/ids.ts';
import { findIncident } from '../incidents/incidents.repository.ts';
import type { RecordFields, RiskFields } from './breach-record.ts';
import { buildIcoReport } from './ico-report.ts';
import * as repo from './breaches.repository.ts';

interface DemoVersion {
  at: string;
  fields: RecordFields;
  risk: RiskFields;
  /** Reports sent to the ICO from this version of the record. */
  reports?: Array<{ submittedAt: string; icoReference: string; notes: string }>;
}

const LABEL = 'seed-demo';
const UNKNOWN = { basis: 'unknown', low: null, high: null } as const;

function dpo(council: string) {
  return { name: 'Data Protection Officer', email: `dpo.${council}@demo.wardroom.test`, phone: '' };
}

const RBKC_BASE: RecordFields = {
  description:
    'On 24 November 2025 we found unusual activity on IT systems we share with Westminster City Council. We shut down and isolated the systems the same day.',
  awareAt: '2025-11-24T09:00:00.000Z',
  discovery:
    'Our IT team detected unusual activity on the shared IT systems on the morning of 24 November 2025 and isolated them.',
  dataCategories: ['basic-identity', 'contact', 'financial', 'health', 'children', 'vulnerable-adults'],
  dataCategoriesOther: '',
  systemsAffected: ['Bi-borough shared IT environment', 'Social care case records', 'Telephony and contact centre'],
  people: UNKNOWN,
  records: UNKNOWN,
  dataExfiltrated: 'unknown',
  dataEncrypted: 'no',
  consequences:
    'Residents may be targeted by scam calls, emails and texts that use their details. People who paid for parking permits by card may be at risk of fraud.',
  measuresTaken:
    'Systems shut down and isolated on 24 November 2025. Reported to Action Fraud and the Metropolitan Police Cyber Crime Unit. Business continuity plans invoked.',
  measuresProposed: 'Find out what data was affected. Restore services safely.',
  bodiesInformed: ['met-police', 'action-fraud', 'ncsc'],
  bodiesInformedOther: '',
  tellPeople: 'undecided',
  tellPeopleOn: null,
  tellPeopleReason: '',
  dpo: dpo('kensington-chelsea'),
};

const RBKC_LATER: RecordFields = {
  ...RBKC_BASE,
  description: `${RBKC_BASE.description}\n\nOn 28 November we confirmed that data was copied and then taken away. It is believed to be mostly historical, and includes archived data from 2006 to 2020 held for shared services. The attack had criminal intent.`,
  systemsAffected: [...RBKC_BASE.systemsAffected, 'Archived shared-service file storage (2006 to 2020)'],
  dataExfiltrated: 'yes',
  consequences: `${RBKC_BASE.consequences} Samples of the data are likely to contain sensitive personal data, including about social care, which could cause distress or harm if it were misused.`,
  measuresTaken: `${RBKC_BASE.measuresTaken} NCC Group engaged for incident response: no evidence of lateral movement.`,
  measuresProposed:
    'Restore services safely, with full recovery expected by summer 2026. Write to the people whose data was taken. Keep advice on scams on the public incident page.',
  bodiesInformed: ['met-police', 'nca', 'ncsc', 'action-fraud'],
  tellPeople: 'planned',
  tellPeopleReason:
    'The risk is high: the data likely includes sensitive personal data. People need to know what happened and how to protect themselves from scams.',
};

const WCC: RecordFields = {
  description:
    'Criminals attacked IT systems that we share with the Royal Borough of Kensington and Chelsea, where a limited amount of Westminster data is hosted. Data may have been copied.',
  awareAt: '2025-11-25T09:00:00.000Z',
  discovery:
    'The Royal Borough of Kensington and Chelsea told us about unusual activity on the shared IT systems. We issued a joint statement on 25 November 2025.',
  dataCategories: ['basic-identity', 'contact', 'financial'],
  dataCategoriesOther: '',
  systemsAffected: ['Westminster data hosted in the Kensington and Chelsea shared IT environment'],
  people: UNKNOWN,
  records: UNKNOWN,
  dataExfiltrated: 'unknown',
  dataEncrypted: 'no',
  consequences:
    'Residents may be targeted by scam calls, emails and texts that use their details. People who paid for parking permits by card should check their statements.',
  measuresTaken:
    'Business continuity plans invoked. Working with the Royal Borough of Kensington and Chelsea, the Metropolitan Police, the National Crime Agency and the NCSC.',
  measuresProposed: 'Find out which Westminster data was affected, and tell the people whose data it was.',
  bodiesInformed: ['met-police', 'nca', 'ncsc'],
  bodiesInformedOther: '',
  tellPeople: 'planned',
  tellPeopleOn: null,
  tellPeopleReason: 'We will write to the people whose data was affected once we know who they are.',
  dpo: { ...dpo('westminster'), phone: '020 7641 6000' },
};

const WCC_LATER: RecordFields = {
  ...WCC,
  description: `${WCC.description}\n\nKensington and Chelsea confirmed on 28 November that data was copied and taken away from the shared IT environment.`,
  dataExfiltrated: 'yes',
  measuresTaken: `${WCC.measuresTaken} Networks shut down as a precaution on 26 November 2025. A cyber helpline (020 7641 1919) and email address (cyberenquiry@westminster.gov.uk) set up for residents.`,
};

const HF: RecordFields = {
  description:
    'The Royal Borough of Kensington and Chelsea told us that archived data from 2006 to 2020, held for services we shared, may have been copied in the attack on its IT systems. There is no evidence that our own systems were compromised.',
  awareAt: '2025-12-01T09:00:00.000Z',
  discovery: 'The Royal Borough of Kensington and Chelsea told us on 1 December 2025.',
  dataCategories: ['basic-identity', 'contact'],
  dataCategoriesOther: '',
  systemsAffected: ['Archived shared-service data held by Kensington and Chelsea (2006 to 2020)'],
  people: UNKNOWN,
  records: UNKNOWN,
  dataExfiltrated: 'unknown',
  dataEncrypted: 'no',
  consequences: 'Residents may be targeted by scam calls, emails and texts that use their details.',
  measuresTaken: 'My Account suspended as a precaution.',
  measuresProposed: 'Work with Kensington and Chelsea to find out whether our residents’ data was copied.',
  bodiesInformed: ['met-police', 'nca', 'ncsc'],
  bodiesInformedOther: '',
  tellPeople: 'undecided',
  tellPeopleOn: null,
  tellPeopleReason: '',
  dpo: dpo('hammersmith-fulham'),
};

const DEMO: Record<string, DemoVersion[]> = {
  'kensington-chelsea': [
    {
      at: '2025-11-25T11:00:00.000Z',
      fields: RBKC_BASE,
      risk: {
        likelihood: 'possible',
        severity: 'severe',
        reasoning:
          'Criminals had access to systems that hold social care and other sensitive records. We do not know yet whether data was taken.',
        notReportingReason: '',
      },
      reports: [{ submittedAt: '2025-11-25T12:00:00.000Z', icoReference: 'IC-DEMO-RBKC', notes: '' }],
    },
    {
      at: '2025-12-17T10:00:00.000Z',
      fields: RBKC_LATER,
      risk: {
        likelihood: 'likely',
        severity: 'severe',
        reasoning:
          'Criminals copied and took the data, and samples are likely to contain sensitive personal data, including social care records.',
        notReportingReason: '',
      },
      reports: [
        {
          submittedAt: '2025-12-17T12:00:00.000Z',
          icoReference: 'IC-DEMO-RBKC',
          notes: 'Follow-up: data taken, criminal intent, NCC Group engaged.',
        },
      ],
    },
    {
      at: '2026-01-08T12:00:00.000Z',
      fields: {
        ...RBKC_LATER,
        tellPeople: 'told',
        tellPeopleOn: '2026-01-08',
        tellPeopleReason: `${RBKC_LATER.tellPeopleReason} By 8 January 2026 we had written to over 100,000 households.`,
      },
      risk: {
        likelihood: 'likely',
        severity: 'severe',
        reasoning:
          'Criminals copied and took the data, and samples are likely to contain sensitive personal data, including social care records.',
        notReportingReason: '',
      },
    },
  ],
  westminster: [
    {
      at: '2025-11-25T15:00:00.000Z',
      fields: WCC,
      risk: {
        likelihood: 'possible',
        severity: 'significant',
        reasoning:
          'Only a limited amount of Westminster data is hosted in the shared environment, but contact and payment details could be used for scams and fraud.',
        notReportingReason: '',
      },
      reports: [{ submittedAt: '2025-11-25T16:00:00.000Z', icoReference: 'IC-DEMO-WCC', notes: '' }],
    },
    {
      at: '2025-12-17T15:00:00.000Z',
      fields: WCC_LATER,
      risk: {
        likelihood: 'possible',
        severity: 'significant',
        reasoning:
          'Only a limited amount of Westminster data is hosted in the shared environment, but contact and payment details could be used for scams and fraud.',
        notReportingReason: '',
      },
    },
  ],
  'hammersmith-fulham': [
    {
      at: '2025-12-02T10:00:00.000Z',
      fields: HF,
      risk: {
        likelihood: 'possible',
        severity: 'significant',
        reasoning: 'Archived contact details may have been copied, which could be used for scams.',
        notReportingReason: '',
      },
      reports: [{ submittedAt: '2025-12-02T11:00:00.000Z', icoReference: 'IC-DEMO-HF', notes: '' }],
    },
  ],
};

/** Adds the demo breach records to the demo incident, just created in the same transaction. */
export async function seedDemoBreaches(
  trx: Transaction<DB>,
  incidentId: string,
  organisationId: (slug: string) => string,
): Promise<void> {
  const incident = await findIncident(trx, incidentId);
  if (!incident) throw new Error('the demo incident is missing');
  const organisations = new Map((await listOrganisations(trx)).map((o) => [o.id, o]));
  const agencies = incident.organisations
    .filter((o) => o.relationship === 'investigating')
    .map((o) => organisations.get(o.organisationId)?.name ?? '');

  for (const [slug, versions] of Object.entries(DEMO)) {
    const council = organisations.get(organisationId(slug))!;
    const id = newId();
    let sequence = 0;
    let initial: { submittedAt: string; delayReason: string } | null = null;
    for (const [i, version] of versions.entries()) {
      if (i === 0) {
        const row = { id, incidentId, organisationId: council.id, at: version.at, byLabel: LABEL };
        await repo.insertRecord(trx, row, version.fields, version.risk);
      } else {
        await repo.updateRecordFields(trx, id, i, {
          fields: version.fields,
          risk: { ...version.risk, at: version.at },
          at: version.at,
          byLabel: LABEL,
        });
      }
      const record = (await repo.findRecord(trx, id))!;
      for (const report of version.reports ?? []) {
        sequence += 1;
        initial ??= { submittedAt: report.submittedAt, delayReason: '' };
        const snapshot = buildIcoReport({
          record,
          incident,
          council,
          agencies,
          kind: sequence === 1 ? 'initial' : 'follow-up',
          initialReport: initial,
          generatedAt: report.submittedAt,
        });
        await repo.insertSubmission(trx, {
          id: newId(),
          breach_id: id,
          sequence,
          submitted_at: report.submittedAt,
          ico_reference: report.icoReference,
          delay_reason: '',
          notes: report.notes,
          record_version: record.version,
          report_snapshot: JSON.stringify(snapshot),
          recorded_at: report.submittedAt,
          recorded_by_user_id: null,
          recorded_by_label: LABEL,
        });
      }
    }
  }
}
