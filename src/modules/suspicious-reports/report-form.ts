// The public form's answers and their checks: pure, no HTTP and no storage. Uploads are checked
// where they arrive (their bytes are kept with the draft); here only whether there is one counts.
import type { FieldError } from '../../platform/http/form-result.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import type { ReportKind } from './report-messages.ts';
import { LIMITS, REPORT_KINDS } from './suspicious-reports.service.ts';

export interface ReportAnswers {
  kind: string;
  claimedSender: string;
  day: string;
  month: string;
  year: string;
  sender: string;
  subject: string;
  text: string;
  email: string;
  wantsOutcome: string;
}

export const EMPTY_ANSWERS: ReportAnswers = {
  kind: '',
  claimedSender: '',
  day: '',
  month: '',
  year: '',
  sender: '',
  subject: '',
  text: '',
  email: '',
  wantsOutcome: '',
};

export function answersFrom(field: (name: string, max: number) => string): ReportAnswers {
  return {
    kind: field('kind', 50),
    claimedSender: field('claimedSender', LIMITS.claimedSenderChars + 100),
    day: field('receivedOn-day', 10),
    month: field('receivedOn-month', 10),
    year: field('receivedOn-year', 10),
    sender: field('sender', LIMITS.senderChars + 100),
    subject: field('subject', LIMITS.subjectChars + 100),
    // Browsers send line breaks as CRLF; the limit counts them once, as the character count does.
    text: field('text', LIMITS.pastedTextChars * 2 + 100).replace(/\r\n/g, '\n'),
    email: field('email', 400),
    wantsOutcome: field('wantsOutcome', 10),
  };
}

export interface ValidReport {
  kind: ReportKind;
  claimedSender: string;
  receivedOn: string | null;
  sender: string;
  subject: string;
  text: string;
  reporterEmail: string | null;
  wantsOutcome: boolean;
}

export function validateReport(
  answers: ReportAnswers,
  uploads: { emailFile: boolean; screenshot: boolean },
  today: string,
): { ok: true; report: ValidReport } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const kind = REPORT_KINDS.find((k) => k.value === answers.kind)?.value;
  if (!kind) errors.push({ text: 'Select what you received', href: '#kind' });
  else if (uploads.emailFile && kind !== 'email') {
    errors.push({ text: 'You uploaded an email: select ‘An email’, or remove the email', href: '#kind' });
  }

  const claimedSender = answers.claimedSender.trim();
  if (claimedSender === '') {
    errors.push({ text: 'Enter who it said it was from, or ‘I do not know’', href: '#claimedSender' });
  } else if (claimedSender.length > LIMITS.claimedSenderChars) {
    errors.push({
      text: `Who it said it was from must be ${LIMITS.claimedSenderChars} characters or fewer`,
      href: '#claimedSender',
    });
  }

  let receivedOn: string | null = null;
  const [day, month, year] = [answers.day.trim(), answers.month.trim(), answers.year.trim()];
  if (day || month || year) {
    const missing = [!day && 'day', !month && 'month', !year && 'year'].filter(Boolean);
    const firstMissing = missing[0] as string | undefined;
    if (firstMissing) {
      errors.push({
        text: `The date you received it must include a ${missing.join(' and ')}`,
        href: `#receivedOn-${firstMissing}`,
      });
    } else {
      const [d, m, y] = [Number(day), Number(month), Number(year)];
      const date = new Date(Date.UTC(y, m - 1, d));
      const real =
        /^\d{1,2}$/.test(day) &&
        /^\d{1,2}$/.test(month) &&
        /^\d{4}$/.test(year) &&
        date.getUTCFullYear() === y &&
        date.getUTCMonth() === m - 1 &&
        date.getUTCDate() === d;
      if (!real) errors.push({ text: 'The date you received it must be a real date', href: '#receivedOn-day' });
      else {
        receivedOn = date.toISOString().slice(0, 10);
        if (receivedOn > today) {
          errors.push({ text: 'The date you received it must be today or in the past', href: '#receivedOn-day' });
        } else if (y < 2000) {
          errors.push({ text: 'The date you received it must be after 2000', href: '#receivedOn-year' });
        }
      }
    }
  }

  const sender = answers.sender.trim();
  if (sender.length > LIMITS.senderChars) {
    errors.push({ text: `The sender must be ${LIMITS.senderChars} characters or fewer`, href: '#sender' });
  }
  const subject = answers.subject.trim();
  if (subject.length > LIMITS.subjectChars) {
    errors.push({ text: `The subject must be ${LIMITS.subjectChars} characters or fewer`, href: '#subject' });
  }
  const text = answers.text.trim();
  if (text.length > LIMITS.pastedTextChars) {
    errors.push({
      text: `What the message said must be ${LIMITS.pastedTextChars.toLocaleString('en-GB')} characters or fewer`,
      href: '#text',
    });
  } else if (text === '' && !uploads.emailFile && !uploads.screenshot) {
    errors.push({
      text:
        kind === 'phone-call'
          ? 'Tell us what the caller said'
          : 'Enter what the message said, or upload the email or a screenshot',
      href: '#text',
    });
  }

  const email = answers.email.trim().toLowerCase();
  if (email !== '' && !isEmailAddress(email)) {
    errors.push({ text: 'Enter an email address in the correct format, like name@example.com', href: '#email' });
  }
  const wantsOutcome = answers.wantsOutcome === 'yes';
  if (wantsOutcome && email === '') {
    errors.push({ text: 'Enter your email address so that we can tell you what we find', href: '#email' });
  }

  if (errors.length > 0 || !kind) return { ok: false, errors };
  return {
    ok: true,
    report: {
      kind,
      claimedSender,
      receivedOn,
      sender,
      subject,
      text,
      reporterEmail: email === '' ? null : email,
      wantsOutcome,
    },
  };
}
