// The Article 33 clock: a council must report a personal data breach to the ICO within 72 hours of
// becoming aware of it, unless it is unlikely to result in a risk to people, and must give the
// reasons for any delay. Pure: the time now is always passed in.

export const REPORTING_HOURS = 72;
const HOUR = 3_600_000;

export type BreachClock =
  | { state: 'open'; awareAt: string; deadline: string; remainingMs: number }
  | { state: 'overdue'; awareAt: string; deadline: string; overdueMs: number }
  | { state: 'reported'; awareAt: string; deadline: string; reportedAt: string; onTime: boolean; lateMs: number }
  | { state: 'not-required'; awareAt: string; deadline: string };

export function reportingDeadline(awareAt: string): string {
  return new Date(Date.parse(awareAt) + REPORTING_HOURS * HOUR).toISOString();
}

/** Whether a report made at `reportedAt` was within 72 hours of `awareAt`. */
export function reportedOnTime(awareAt: string, reportedAt: string): boolean {
  return Date.parse(reportedAt) <= Date.parse(reportingDeadline(awareAt));
}

export function breachClock(
  facts: {
    awareAt: string;
    /** When the initial report was made to the ICO, if it has been. */
    initialReportAt?: string | null;
    /** The DPO assessed it as unlikely to result in a risk and recorded why. */
    decidedNotToReport?: boolean;
  },
  now: string,
): BreachClock {
  const { awareAt } = facts;
  const deadline = reportingDeadline(awareAt);
  const deadlineMs = Date.parse(deadline);
  if (facts.initialReportAt) {
    const lateMs = Math.max(0, Date.parse(facts.initialReportAt) - deadlineMs);
    return { state: 'reported', awareAt, deadline, reportedAt: facts.initialReportAt, onTime: lateMs === 0, lateMs };
  }
  if (facts.decidedNotToReport) return { state: 'not-required', awareAt, deadline };
  const left = deadlineMs - Date.parse(now);
  return left >= 0
    ? { state: 'open', awareAt, deadline, remainingMs: left }
    : { state: 'overdue', awareAt, deadline, overdueMs: -left };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "2 days 5 hours", "3 hours 20 minutes", "12 minutes": the two largest units, rounded down. */
export function formatDuration(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  if (days > 0) return hours > 0 ? `${plural(days, 'day')} ${plural(hours, 'hour')}` : plural(days, 'day');
  if (hours > 0) return mins > 0 ? `${plural(hours, 'hour')} ${plural(mins, 'minute')}` : plural(hours, 'hour');
  return plural(mins, 'minute');
}

export interface ClockView {
  state: BreachClock['state'];
  /** A short status for a tag. */
  tag: string;
  tagClass: string;
  /** One sentence a person reads. */
  text: string;
}

export function describeClock(clock: BreachClock, formatDateTime: (iso: string) => string): ClockView {
  const deadline = formatDateTime(clock.deadline);
  switch (clock.state) {
    case 'open':
      return {
        state: clock.state,
        tag: 'Not reported',
        tagClass: clock.remainingMs < 12 * HOUR ? 'govuk-tag--orange' : 'govuk-tag--yellow',
        text: `${formatDuration(clock.remainingMs)} left to report to the ICO (by ${deadline}).`,
      };
    case 'overdue':
      return {
        state: clock.state,
        tag: 'Overdue',
        tagClass: 'govuk-tag--red',
        text: `Overdue by ${formatDuration(clock.overdueMs)}: the report to the ICO was due by ${deadline}. Give the reasons for the delay when you report it.`,
      };
    case 'reported':
      return clock.onTime
        ? {
            state: clock.state,
            tag: 'Reported on time',
            tagClass: 'govuk-tag--green',
            text: `Reported to the ICO on ${formatDateTime(clock.reportedAt)}, within 72 hours.`,
          }
        : {
            state: clock.state,
            tag: 'Reported late',
            tagClass: 'govuk-tag--orange',
            text: `Reported to the ICO on ${formatDateTime(clock.reportedAt)}, ${formatDuration(clock.lateMs)} after the 72 hours ended (${deadline}).`,
          };
    default:
      return {
        state: clock.state,
        tag: 'Not reportable',
        tagClass: 'govuk-tag--grey',
        text: 'Assessed as unlikely to result in a risk to people, so it is not being reported to the ICO. The reason is in the breach register.',
      };
  }
}
