// The emails a resident gets about their enquiry. Like every message Wardroom sends: plain text,
// names the person, carries the case reference in the subject (so a reply finds the case) and a
// verification reference, links only to the council's own page with the address in full, and
// never asks for personal information, passwords or payment. What the resident wrote is not
// repeated back: if they mistyped their address, a stranger would read it.
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { signedEmailText } from '../../platform/mail/signed-email-text.ts';
import { RESPONSE_TARGET_HOURS } from './enquiry-targets.ts';

export const NEVER_ASKS =
  'We will never ask you for a password, bank details or a payment by email. If an email asks for these, it is not from us.';

export function acknowledgementEmail(input: {
  to: string;
  name: string;
  councilName: string;
  reference: string;
  urgent: boolean;
  replyTo: string | undefined;
  messageId: string;
  councilPageUrl: string;
  verificationReference: string;
}): OutboundMessage {
  const when = input.urgent
    ? 'We will contact you as a priority.'
    : `We aim to reply within ${RESPONSE_TARGET_HOURS.standard / 24} days.`;
  const text = signedEmailText({
    greeting: `Dear ${input.name || 'resident'},`,
    paragraphs: [
      `We have received your enquiry about the cyber incident at ${input.councilName}.`,
      `Your reference is ${input.reference}. Please quote it if you contact us again.`,
      when,
      'If you want to add anything, reply to this email. Keep the reference in the subject line.',
      `For the latest information about the cyber incident, go to:\n${input.councilPageUrl}`,
    ],
    neverAsks: NEVER_ASKS,
    verificationReference: input.verificationReference,
    councilName: input.councilName,
  });
  return {
    to: input.to,
    subject: `We have received your enquiry (reference ${input.reference})`,
    text,
    reference: input.verificationReference,
    messageId: input.messageId,
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    headers: { 'Auto-Submitted': 'auto-replied' },
  };
}
