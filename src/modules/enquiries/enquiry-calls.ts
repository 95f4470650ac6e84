// The helpline call log form: what an agent types while, or just after, talking to a resident. It
// is built to take under a minute: one page, the caller's details only for a new case, quick
// choices for when to call back. Pure functions; the service stores what they return.
import type { EnquiryTopic } from '../../platform/db/schema.ts';
import type { FieldError } from '../../platform/http/form-result.ts';
import { fromLondon, isRealDate, londonParts } from '../../platform/london-time.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { CIRCUMSTANCES, normaliseUkPhone, TOPICS } from './enquiry-form.ts';
import { normaliseReference } from './enquiry-reference.ts';

export const CALL_DIRECTIONS = [
  { value: 'incoming', text: 'They called us' },
  { value: 'outgoing', text: 'We called them' },
] as const;

export const CALL_OUTCOMES = [
  { value: 'answered', text: 'Answered their question', status: 'resolved' },
  { value: 'follow-up', text: 'Needs follow-up', status: 'in-progress' },
  { value: 'referred', text: 'Referred to another service', status: 'resolved' },
  { value: 'no-answer', text: 'No answer, or left a message', status: null },
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number]['value'];

export const CALLBACK_CHOICES = [
  { value: 'none', text: 'No call back needed' },
  { value: 'soon', text: 'Within 4 hours' },
  { value: 'tomorrow', text: 'Tomorrow morning (9am)' },
  { value: 'at', text: 'At a time agreed with them' },
] as const;

export const CALL_LIMITS = { name: 200, notes: 5000, supportNeeds: 1000 };

/** What the agent typed, as typed (trimmed). */
export interface CallAnswers {
  reference: string;
  direction: string;
  callerName: string;
  phone: string;
  email: string;
  topic: string;
  notes: string;
  outcome: string;
  callback: string;
  callbackDay: string;
  callbackMonth: string;
  callbackYear: string;
  callbackTime: string;
  supportNeeds: string;
  circumstances: string[];
}

export const EMPTY_CALL: CallAnswers = {
  reference: '',
  direction: 'incoming',
  callerName: '',
  phone: '',
  email: '',
  topic: '',
  notes: '',
  outcome: '',
  callback: 'none',
  callbackDay: '',
  callbackMonth: '',
  callbackYear: '',
  callbackTime: '',
  supportNeeds: '',
  circumstances: [],
};

export interface ValidCall {
  /** Set when the call is about a case that exists; its checks are the service's. */
  reference: string | null;
  direction: 'incoming' | 'outgoing';
  callerName: string | null;
  phone: string | null;
  email: string | null;
  topic: EnquiryTopic | null;
  notes: string;
  outcome: CallOutcome;
  callbackDueAt: string | null;
  supportNeeds: string | null;
  agedOver75: boolean;
  socialCare: boolean;
}

export function callAnswersFrom(
  read: (name: string, max: number) => string,
  list: (name: string) => string[],
): CallAnswers {
  return {
    reference: read('reference', 40).trim(),
    direction: read('direction', 20).trim() || 'incoming',
    callerName: read('callerName', CALL_LIMITS.name + 100).trim(),
    phone: read('phone', 60).trim(),
    email: read('email', 400).trim(),
    topic: read('topic', 40).trim(),
    notes: read('notes', CALL_LIMITS.notes + 1000).trim(),
    outcome: read('outcome', 20).trim(),
    callback: read('callback', 20).trim() || 'none',
    callbackDay: read('callbackDay', 4).trim(),
    callbackMonth: read('callbackMonth', 4).trim(),
    callbackYear: read('callbackYear', 6).trim(),
    callbackTime: read('callbackTime', 10).trim(),
    supportNeeds: read('supportNeeds', CALL_LIMITS.supportNeeds + 200).trim(),
    circumstances: list('circumstances').filter((c) => CIRCUMSTANCES.some((x) => x.value === c)),
  };
}

/** "2pm", "2:30pm", "14:30", "9", "09.15" as hours and minutes; undefined if it is not a time. */
export function parseTime(typed: string): { hour: number; minute: number } | undefined {
  const match = /^(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)?$/i.exec(typed.trim());
  if (!match) return undefined;
  let hour = Number(match[1]);
  const minute = Number(match[2] ?? '0');
  const meridiem = match[3]?.toLowerCase();
  if (minute > 59) return undefined;
  if (meridiem) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'pm' ? 12 : 0);
  } else if (hour > 23) return undefined;
  return { hour, minute };
}

/** When a callback is due, from the quick choice (or the agreed date and time), UK time. */
function callbackDue(answers: CallAnswers, now: Date, errors: FieldError[]): string | null {
  switch (answers.callback) {
    case 'none':
      return null;
    case 'soon':
      return new Date(now.getTime() + 4 * 3_600_000).toISOString();
    case 'tomorrow': {
      const today = londonParts(now.toISOString());
      const tomorrow = new Date(Date.UTC(today.year, today.month - 1, today.day + 1));
      return fromLondon(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth() + 1, tomorrow.getUTCDate(), 9, 0);
    }
    case 'at': {
      const [day, month, year] = [answers.callbackDay, answers.callbackMonth, answers.callbackYear].map(Number) as [
        number,
        number,
        number,
      ];
      if (!isRealDate(year, month, day)) {
        errors.push({ text: 'Enter the date to call back, like 28 11 2026', href: '#callbackDay' });
        return null;
      }
      const time = parseTime(answers.callbackTime);
      if (!time) {
        errors.push({ text: 'Enter the time to call back, like 2pm or 14:30', href: '#callbackTime' });
        return null;
      }
      const at = fromLondon(year, month, day, time.hour, time.minute);
      if (Date.parse(at) < now.getTime()) {
        errors.push({ text: 'The time to call back must be in the future', href: '#callbackDay' });
        return null;
      }
      return at;
    }
    default:
      errors.push({ text: 'Select when to call them back', href: '#callback' });
      return null;
  }
}

/**
 * Checks a call. With a reference, the call is added to that case and the caller's details are
 * optional; without one, it opens a case and needs a name, a way to reach them and a topic.
 */
export function validateCall(
  answers: CallAnswers,
  now = new Date(),
): { ok: true; call: ValidCall } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  let reference: string | null = null;
  if (answers.reference !== '') {
    reference = normaliseReference(answers.reference) ?? null;
    if (!reference)
      errors.push({ text: 'Enter the reference in the right format, like WCC-7K4F-9QXD', href: '#reference' });
  }
  const direction = CALL_DIRECTIONS.find((d) => d.value === answers.direction)?.value;
  if (!direction) errors.push({ text: 'Select who called whom', href: '#direction' });
  const newCase = answers.reference === '';
  if (newCase && answers.callerName === '') errors.push({ text: 'Enter the caller’s name', href: '#callerName' });
  else if (answers.callerName.length > CALL_LIMITS.name) {
    errors.push({ text: 'The caller’s name must be 200 characters or fewer', href: '#callerName' });
  }
  let phone: string | null = null;
  if (answers.phone !== '') {
    phone = normaliseUkPhone(answers.phone) ?? null;
    if (!phone) errors.push({ text: 'Enter a UK phone number, like 020 7946 0000 or 07700 900 982', href: '#phone' });
  }
  let email: string | null = null;
  if (answers.email !== '') {
    email = answers.email.toLowerCase();
    if (!isEmailAddress(email)) {
      errors.push({ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' });
      email = null;
    }
  }
  if (newCase && answers.phone === '' && answers.email === '') {
    errors.push({ text: 'Enter a phone number or an email address so we can reach them', href: '#phone' });
  }
  const topic = TOPICS.find((t) => t.value === answers.topic)?.value ?? null;
  if (newCase && !topic) errors.push({ text: 'Select what the call was about', href: '#topic' });
  if (answers.notes === '') errors.push({ text: 'Enter notes about the call', href: '#notes' });
  else if (answers.notes.length > CALL_LIMITS.notes) {
    errors.push({ text: 'The notes must be 5,000 characters or fewer', href: '#notes' });
  }
  const outcome = CALL_OUTCOMES.find((o) => o.value === answers.outcome)?.value;
  if (!outcome) errors.push({ text: 'Select the outcome of the call', href: '#outcome' });
  const callbackDueAt = callbackDue(answers, now, errors);
  if (answers.supportNeeds.length > CALL_LIMITS.supportNeeds) {
    errors.push({ text: 'What extra help they need must be 1,000 characters or fewer', href: '#supportNeeds' });
  }
  if (errors.length > 0 || !direction || !outcome) return { ok: false, errors };
  return {
    ok: true,
    call: {
      reference,
      direction,
      callerName: answers.callerName || null,
      phone,
      email,
      topic,
      notes: answers.notes,
      outcome,
      callbackDueAt,
      supportNeeds: answers.supportNeeds || null,
      agedOver75: answers.circumstances.includes('aged-75-or-over'),
      socialCare: answers.circumstances.includes('social-care'),
    },
  };
}
