// The content of the ICO's personal data breach report, section by section, made from a council's
// breach record and the incident. One plain-data shape serves the printable page, the PDF, the JSON
// and the copy frozen when a report is recorded as sent, so all four always say the same thing.
import { formatDate, formatDateTime } from '../../platform/views/views.ts';
import type { Incident } from '../incidents/incidents.repository.ts';
import { reportedOnTime, reportingDeadline } from './breach-clock.ts';
import {
  BODIES,
  LIKELIHOODS,
  OVERALL_RISK,
  SEVERITIES,
  TELL_PEOPLE,
  YES_NO_UNKNOWN,
  categoryNames,
  describeEstimate,
  hasCriminalOffenceData,
  riskOf,
  specialCategories,
  DATA_CATEGORIES,
  type BreachRecord,
} from './breach-record.ts';

export const REPORT_FORMAT = 'wardroom-ico-breach-report/1';

export type ReportKind = 'draft' | 'initial' | 'follow-up';

export const REPORT_KINDS: Record<ReportKind, string> = {
  draft: 'Draft: not yet recorded as sent to the ICO',
  initial: 'Initial report',
  'follow-up': 'Follow-up report',
};

export interface ReportAnswer {
  question: string;
  /** Plain text; a blank line separates paragraphs. Never HTML. */
  answer: string;
}

export interface ReportSection {
  id: string;
  heading: string;
  answers: ReportAnswer[];
}

export interface IcoReport {
  format: typeof REPORT_FORMAT;
  kind: ReportKind;
  generatedAt: string;
  breachId: string;
  recordVersion: number;
  council: { name: string; slug: string };
  incident: { reference: string; title: string };
  sections: ReportSection[];
}

export interface ReportContext {
  record: BreachRecord;
  incident: Incident;
  council: { name: string; slug: string };
  /** The agencies investigating the incident, by name. */
  agencies: string[];
  kind: ReportKind;
  /** The initial report: the one already made, or (for kind "initial") the one being made now. */
  initialReport?: { submittedAt: string; delayReason: string } | null;
  generatedAt: string;
}

const NOT_RECORDED = 'Not recorded yet';

const ONGOING: Record<Incident['status'], string> = {
  investigating: 'Yes: it is being investigated',
  contained: 'It has been contained',
  recovering: 'It has been contained, and the council is restoring its systems and services',
  closed: 'No: the incident is closed',
};
const orNotRecorded = (text: string) => (text.trim() ? text.trim() : NOT_RECORDED);
const lines = (items: string[], none = NOT_RECORDED) => (items.length ? items.join('\n') : none);

export function buildIcoReport(ctx: ReportContext): IcoReport {
  const { record, incident, council } = ctx;
  const risk = riskOf(record);
  const special = specialCategories(record.dataCategories);
  const deadline = reportingDeadline(record.awareAt);

  const timing: ReportAnswer[] = [];
  if (ctx.initialReport) {
    const onTime = reportedOnTime(record.awareAt, ctx.initialReport.submittedAt);
    timing.push({
      question: 'When the initial report was made',
      answer: `${formatDateTime(ctx.initialReport.submittedAt)}${onTime ? ', within 72 hours' : ', more than 72 hours after becoming aware'}`,
    });
    if (!onTime)
      timing.push({ question: 'Reasons for the delay', answer: orNotRecorded(ctx.initialReport.delayReason) });
  }

  const tellWhen = record.tellPeopleOn ? formatDate(`${record.tellPeopleOn}T12:00:00Z`) : '';
  const telling =
    record.tellPeople === 'told'
      ? `Yes: they were told on ${tellWhen}`
      : record.tellPeople === 'planned'
        ? `Yes: they will be told${tellWhen ? ` on ${tellWhen}` : ''}`
        : TELL_PEOPLE[record.tellPeople];

  const bodies: string[] = record.bodiesInformed
    .filter((b) => b !== 'other')
    .map((b): string => BODIES[b])
    .concat(record.bodiesInformed.includes('other') && record.bodiesInformedOther ? [record.bodiesInformedOther] : []);

  const sections: ReportSection[] = [
    {
      id: 'organisation',
      heading: 'About the organisation',
      answers: [
        { question: 'Organisation', answer: council.name },
        { question: 'Type of report', answer: REPORT_KINDS[ctx.kind] },
        { question: 'Data protection officer', answer: record.dpo.name },
        { question: 'Email address', answer: record.dpo.email },
        { question: 'Phone number', answer: record.dpo.phone || 'Not given' },
        { question: 'Incident reference', answer: `${incident.reference}: ${incident.title}` },
      ],
    },
    {
      id: 'what-happened',
      heading: 'What happened and when',
      answers: [
        { question: 'What happened', answer: record.description },
        { question: 'When the incident was detected', answer: formatDateTime(incident.detectedAt) },
        { question: 'When the council became aware of the breach', answer: formatDateTime(record.awareAt) },
        { question: 'The 72-hour deadline for reporting to the ICO', answer: formatDateTime(deadline) },
        {
          question: 'Is the incident still going on?',
          answer: ONGOING[incident.status],
        },
        ...timing,
      ],
    },
    {
      id: 'discovery',
      heading: 'How it was discovered',
      answers: [{ question: 'How the council found out', answer: orNotRecorded(record.discovery) }],
    },
    {
      id: 'data-and-people',
      heading: 'The data and the people',
      answers: [
        {
          question: 'Kinds of personal data',
          answer: lines(categoryNames(record.dataCategories, record.dataCategoriesOther)),
        },
        {
          question: 'Special category data',
          answer: special.length ? `Yes: ${special.map((c) => DATA_CATEGORIES[c].text).join('; ')}` : 'No',
        },
        { question: 'Criminal offence data', answer: hasCriminalOffenceData(record.dataCategories) ? 'Yes' : 'No' },
        { question: 'Approximate number of people affected', answer: describeEstimate(record.people) },
        { question: 'Approximate number of records affected', answer: describeEstimate(record.records) },
      ],
    },
    {
      id: 'cyber',
      heading: 'Cyber incident',
      answers: [
        { question: 'Was personal data taken (exfiltrated)?', answer: YES_NO_UNKNOWN[record.dataExfiltrated] },
        { question: 'Did the attackers encrypt data (ransomware)?', answer: YES_NO_UNKNOWN[record.dataEncrypted] },
        { question: 'Systems affected', answer: lines(record.systemsAffected) },
      ],
    },
    {
      id: 'containment',
      heading: 'Containment and recovery',
      answers: [
        {
          question: 'What has been done to contain the breach and recover',
          answer: orNotRecorded(record.measuresTaken),
        },
        { question: 'What the council plans to do', answer: orNotRecorded(record.measuresProposed) },
      ],
    },
    {
      id: 'consequences',
      heading: 'Likely consequences',
      answers: [
        { question: 'Likely consequences for the people affected', answer: orNotRecorded(record.consequences) },
        ...(risk && record.risk.likelihood && record.risk.severity
          ? [
              { question: 'Likelihood of harm', answer: LIKELIHOODS[record.risk.likelihood].text },
              { question: 'Severity of harm', answer: SEVERITIES[record.risk.severity].text },
              { question: 'Overall risk', answer: OVERALL_RISK[risk.overall].text },
              { question: 'How the risk was assessed', answer: [record.risk.reasoning, ...risk.reasons].join('\n\n') },
            ]
          : [{ question: 'Overall risk', answer: 'Not assessed yet' }]),
      ],
    },
    {
      id: 'telling-people',
      heading: 'Telling the people affected',
      answers: [
        { question: 'Have the people affected been told?', answer: telling },
        {
          question: record.tellPeople === 'no' ? 'Why not' : 'Why',
          answer: orNotRecorded(record.tellPeopleReason),
        },
      ],
    },
    {
      id: 'other-bodies',
      heading: 'Other organisations told',
      answers: [
        { question: 'Organisations told about the breach', answer: lines(bodies, 'None recorded') },
        { question: 'Agencies working on the incident', answer: lines(ctx.agencies, 'None recorded') },
      ],
    },
  ];

  return {
    format: REPORT_FORMAT,
    kind: ctx.kind,
    generatedAt: ctx.generatedAt,
    breachId: record.id,
    recordVersion: record.version,
    council: { name: council.name, slug: council.slug },
    incident: { reference: incident.reference, title: incident.title },
    sections,
  };
}

/** What a report needs that the record does not say yet, by question. */
export function missingFromRecord(record: BreachRecord): string[] {
  const missing: string[] = [];
  if (!record.discovery.trim()) missing.push('How it was discovered');
  if (!record.consequences.trim()) missing.push('Likely consequences');
  if (!record.measuresTaken.trim()) missing.push('What has been done to contain the breach');
  if (!record.measuresProposed.trim()) missing.push('What the council plans to do');
  if (!record.risk.likelihood || !record.risk.severity) missing.push('The risk assessment');
  if (record.tellPeople === 'undecided') missing.push('Whether the people affected will be told');
  return missing;
}
