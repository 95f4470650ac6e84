// Response targets: how soon a resident should hear back, by priority, and where a case stands
// against its target.
import type { EnquiryPriority } from '../../platform/db/schema.ts';

export const RESPONSE_TARGET_HOURS: Record<EnquiryPriority, number> = { urgent: 4, standard: 72 };
/** A case is "due soon" once less than this share of its target is left. */
const DUE_SOON_SHARE = 0.25;
const HOUR = 3_600_000;

export function dueAtFor(priority: EnquiryPriority, from: Date): string {
  return new Date(from.getTime() + RESPONSE_TARGET_HOURS[priority] * HOUR).toISOString();
}

export type TargetState = 'met' | 'missed' | 'overdue' | 'due-soon' | 'on-track';

export const TARGET_STATE_TEXT: Record<TargetState, string> = {
  met: 'Answered in time',
  missed: 'Answered late',
  overdue: 'Overdue',
  'due-soon': 'Due soon',
  'on-track': 'On track',
};

/** Where a case stands against its response target at `now`. */
export function targetState(
  c: { createdAt: string; dueAt: string; firstResponseAt: string | null },
  now: Date,
): TargetState {
  if (c.firstResponseAt !== null) return c.firstResponseAt <= c.dueAt ? 'met' : 'missed';
  const due = Date.parse(c.dueAt);
  if (now.getTime() > due) return 'overdue';
  const span = due - Date.parse(c.createdAt);
  return due - now.getTime() < span * DUE_SOON_SHARE ? 'due-soon' : 'on-track';
}
