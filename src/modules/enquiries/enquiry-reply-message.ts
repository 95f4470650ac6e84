// The email an agent's reply becomes. Like every message Wardroom sends: plain text, names the
// person, carries the case reference in the subject (so the resident's answer finds the case) and
// a verification reference, and never asks for personal information, passwords or payment. The
// greeting and everything after the approved text are added here, so no template can leave them
// out. Nothing the resident wrote is repeated back.
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { signedEmailText } from '../../platform/mail/signed-email-text.ts';
import { NEVER_ASKS } from './enquiry-messages.ts';

/** Message-IDs kept in References: the newest, enough to thread, well under the header limit. */
const MAX_REFERENCES = 10;

export interface ReplyEmailInput {
  to: string;
  /** The resident's name; "resident" when we do not have it. */
  name: string | null;
  councilName: string;
  reference: string;
  /** The template's subject line. */
  subject: string;
  /** The approved text, placeholders filled. */
  body: string;
  /** The agent's own paragraph, placeholders filled; '' for none. */
  personal: string;
  replyTo: string | undefined;
  messageId: string;
  /** Message-IDs of the emails on the case so far, oldest first. */
  thread: readonly string[];
  verificationReference: string;
}

export function replySubject(reference: string, subject: string): string {
  return `Your enquiry ${reference}: ${subject}`;
}

export function replyEmail(input: ReplyEmailInput): OutboundMessage {
  const text = signedEmailText({
    greeting: `Dear ${input.name || 'resident'},`,
    paragraphs: [
      ...(input.personal ? [input.personal] : []),
      input.body,
      `Your reference is ${input.reference}. If you reply to this email, keep the reference in the subject line.`,
    ],
    neverAsks: NEVER_ASKS,
    verificationReference: input.verificationReference,
    councilName: input.councilName,
  });
  const thread = input.thread.slice(-MAX_REFERENCES);
  const parent = thread[thread.length - 1];
  return {
    to: input.to,
    subject: replySubject(input.reference, input.subject),
    text,
    reference: input.verificationReference,
    messageId: input.messageId,
    ...(input.replyTo ? { replyTo: input.replyTo } : {}),
    ...(parent ? { headers: { 'In-Reply-To': parent, References: thread.join(' ') } } : {}),
  };
}
