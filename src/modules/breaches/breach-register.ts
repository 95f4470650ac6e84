// The Article 33(5) breach register: every personal data breach a council has recorded, reported
// to the ICO or not, with its facts, its effects and the remedial action taken, and as CSV for a
// spreadsheet. Pure.
import { londonParts } from '../../platform/london-time.ts';
import { breachClock, reportedOnTime } from './breach-clock.ts';
import {
  OVERALL_RISK,
  categoryNames,
  decidedNotToReport,
  describeEstimate,
  riskOf,
  type BreachRecord,
} from './breach-record.ts';

export interface RegisterRow {
  breachId: string;
  incidentReference: string;
  council: string;
  awareAt: string;
  facts: string;
  effects: string;
  remedialAction: string;
  reported: boolean;
  reportedAt: string | null;
  icoReference: string;
  onTime: boolean | null;
  delayReason: string;
  reasonNotReported: string;
}

export function registerRow(
  record: BreachRecord,
  context: {
    incidentReference: string;
    council: string;
    initialReport: { submittedAt: string; icoReference: string; delayReason: string } | undefined;
    now: string;
  },
): RegisterRow {
  const risk = riskOf(record);
  const report = context.initialReport;
  const facts = [
    record.description,
    `Kinds of data: ${categoryNames(record.dataCategories, record.dataCategoriesOther).join('; ')}.`,
    `People affected: ${describeEstimate(record.people)}. Records affected: ${describeEstimate(record.records)}.`,
  ].join('\n\n');
  const effects = [
    record.consequences.trim() || 'Likely consequences not recorded yet.',
    risk ? `Risk: ${OVERALL_RISK[risk.overall].text}.` : 'Risk not assessed yet.',
  ].join('\n\n');
  const remedialAction = [record.measuresTaken.trim(), record.measuresProposed.trim()].filter(Boolean).join('\n\n');

  let reasonNotReported = '';
  if (!report) {
    if (decidedNotToReport(record)) reasonNotReported = record.notReportingReason.trim();
    else {
      const clock = breachClock({ awareAt: record.awareAt }, context.now);
      reasonNotReported =
        clock.state === 'overdue'
          ? 'Not reported yet: the 72 hours have passed.'
          : 'Not reported yet: the 72 hours have not passed.';
    }
  }
  return {
    breachId: record.id,
    incidentReference: context.incidentReference,
    council: context.council,
    awareAt: record.awareAt,
    facts,
    effects,
    remedialAction: remedialAction || 'Not recorded yet.',
    reported: Boolean(report),
    reportedAt: report?.submittedAt ?? null,
    icoReference: report?.icoReference ?? '',
    onTime: report ? reportedOnTime(record.awareAt, report.submittedAt) : null,
    delayReason: report && !reportedOnTime(record.awareAt, report.submittedAt) ? report.delayReason : '',
    reasonNotReported,
  };
}

/** "2025-11-24 09:00", UK time: sorts as text and reads as a date in a spreadsheet. */
export function spreadsheetDateTime(iso: string): string {
  const p = londonParts(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

export const REGISTER_COLUMNS = [
  'Incident reference',
  'Council',
  'Became aware (UK time)',
  'Facts',
  'Effects',
  'Remedial action',
  'Reported to the ICO',
  'Date reported (UK time)',
  'ICO case reference',
  'Reported within 72 hours',
  'Reason for delay',
  'Reason not reported',
] as const;

export function registerCells(row: RegisterRow): string[] {
  return [
    row.incidentReference,
    row.council,
    spreadsheetDateTime(row.awareAt),
    row.facts,
    row.effects,
    row.remedialAction,
    row.reported ? 'Yes' : 'No',
    row.reportedAt ? spreadsheetDateTime(row.reportedAt) : '',
    row.icoReference,
    row.onTime === null ? '' : row.onTime ? 'Yes' : 'No',
    row.delayReason,
    row.reasonNotReported,
  ];
}
