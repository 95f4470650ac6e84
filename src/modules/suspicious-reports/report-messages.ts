// The emails a reporter gets: the acknowledgement, with what to do now, and (if they asked) the
// outcome once an analyst has looked at the message. Like every message Wardroom sends: plain
// text, the report reference in the subject, a verification reference, no links but the council's
// own page, and nothing of what was reported repeated back (a scam's text in our email would look
// like our text). Never a reply to the suspicious message itself.
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { signedEmailText } from '../../platform/mail/signed-email-text.ts';
import type { SuspiciousReportsTable } from '../../platform/db/schema.ts';

export type ReportKind = SuspiciousReportsTable['kind'];
export type AnalystVerdict = 'scam' | 'not-scam' | 'genuine' | 'undetermined';

const NEVER_ASKS =
  'We will never ask you for a password, bank details or a payment by email, text or phone. If a message asks for these, it is not from us.';

const WHAT_ARRIVED: Record<ReportKind, string> = {
  email: 'email',
  text: 'text message',
  'phone-call': 'phone call',
  letter: 'letter',
  website: 'website',
  other: 'message',
};

/** What to do now, for the confirmation page and the acknowledgement: one line each. */
export function adviceFor(kind: ReportKind, helpline: string | undefined): string[] {
  const check = helpline
    ? `If you are not sure whether something is from us, call us on ${helpline}. Use this number, not one given in the message.`
    : 'If you are not sure whether something is from us, contact us using the details on our website, not those given in the message.';
  return [
    kind === 'phone-call'
      ? 'Do not call back any number the caller gave you. If they call again, hang up.'
      : 'Do not reply to the message or call any number in it.',
    'Do not click any links or open any attachments in it.',
    kind === 'text' || kind === 'phone-call'
      ? 'Block the number on your phone.'
      : 'Block the sender, then delete the message.',
    'Forward a suspicious text to 7726 (it is free). Forward a suspicious email to the National Cyber Security Centre at report@phishing.gov.uk.',
    check,
    'If you gave bank details or paid money, call your bank on the number on the back of your card, and report it to Action Fraud on 0300 123 2040.',
  ];
}

export function reportAcknowledgementEmail(input: {
  to: string;
  councilName: string;
  reference: string;
  kind: ReportKind;
  wantsOutcome: boolean;
  helpline: string | undefined;
  councilPageUrl: string;
  verificationReference: string;
}): OutboundMessage {
  const text = signedEmailText({
    greeting: 'Hello,',
    paragraphs: [
      `Thank you for reporting a suspicious ${WHAT_ARRIVED[input.kind]} to ${input.councilName}.`,
      `Your reference is ${input.reference}.`,
      'What to do now:',
      adviceFor(input.kind, input.helpline)
        .map((line) => `- ${line}`)
        .join('\n'),
      input.wantsOutcome
        ? 'We will email you again when we have looked at what you reported.'
        : 'We will not contact you again about this report. What you reported helps us warn other residents.',
      `For the latest information about the cyber incident, go to:\n${input.councilPageUrl}`,
    ],
    neverAsks: NEVER_ASKS,
    verificationReference: input.verificationReference,
    councilName: input.councilName,
  });
  return {
    to: input.to,
    subject: `We have received your report (reference ${input.reference})`,
    text,
    reference: input.verificationReference,
    headers: { 'Auto-Submitted': 'auto-replied' },
  };
}

const OUTCOME: Record<AnalystVerdict, string[]> = {
  scam: [
    'It is a scam. It did not come from us.',
    'Do not reply to it, click its links or call any number in it. If you gave any details, call your bank on the number on the back of your card, and report it to Action Fraud on 0300 123 2040.',
  ],
  'not-scam': [
    'We do not think it is a scam, but it did not come from us.',
    'If you are unsure about it, contact the organisation it came from using details you already have, not those in the message.',
  ],
  genuine: ['It is a genuine message from us.', 'If it asks you to do something, you can do it safely.'],
  undetermined: [
    'We could not tell for certain whether it is a scam.',
    'Treat it with care: do not give any personal or bank details in reply to it.',
  ],
};

export function reportOutcomeEmail(input: {
  to: string;
  councilName: string;
  reference: string;
  kind: ReportKind;
  verdict: AnalystVerdict;
  councilPageUrl: string;
  verificationReference: string;
}): OutboundMessage {
  const text = signedEmailText({
    greeting: 'Hello,',
    paragraphs: [
      `You reported a suspicious ${WHAT_ARRIVED[input.kind]} to ${input.councilName} (reference ${input.reference}). We have now looked at it.`,
      ...OUTCOME[input.verdict],
      `For the latest information about the cyber incident and the scams we know about, go to:\n${input.councilPageUrl}`,
    ],
    neverAsks: NEVER_ASKS,
    verificationReference: input.verificationReference,
    councilName: input.councilName,
  });
  return {
    to: input.to,
    subject: `What we found about your report (reference ${input.reference})`,
    text,
    reference: input.verificationReference,
    headers: { 'Auto-Submitted': 'auto-generated' },
  };
}
