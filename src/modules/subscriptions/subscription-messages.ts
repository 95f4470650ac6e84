// The messages a subscriber gets, by email or text: the confirmation of their sign-up and each
// published update. After a breach the council's own messages are what scammers copy, so each one is plain text,
// names the council, shows every link in full on the council's public address, carries no link
// other than the page it is about and the unsubscribe link, never asks for anything, names the
// address it was sent to (a subscriber gives us no name), and carries a verification reference that
// the platform makes and that holds no personal data.
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { MAX_SMS_LENGTH, type OutboundSms } from '../../platform/sms/outbound-sms.ts';

const NEVER_ASKS =
  'We will never ask you for a password, bank details or a payment by email. If an email asks for these, it is not from us.';

function unsubscribeHeaders(unsubscribeUrl: string): Record<string, string> {
  // RFC 8058: a mail program may offer an unsubscribe button that POSTs to this address.
  return { 'List-Unsubscribe': `<${unsubscribeUrl}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' };
}

export function confirmationEmail(input: {
  to: string;
  councilName: string;
  confirmUrl: string;
  unsubscribeUrl: string;
  reference: string;
}): OutboundMessage {
  const text = [
    `Confirm you want email updates from ${input.councilName}`,
    '',
    `Someone asked for updates about the cyber incident at ${input.councilName} to be sent to this email address, ${input.to}.`,
    '',
    'If it was you, open this link and select the button on the page to confirm:',
    '',
    input.confirmUrl,
    '',
    'The link works for 7 days.',
    '',
    'If it was not you, you do not need to do anything. We will not send you updates unless you confirm.',
    '',
    NEVER_ASKS,
    '',
    `Verification reference: ${input.reference}`,
    '',
    'To stop getting emails from us about the cyber incident, open this link:',
    input.unsubscribeUrl,
    '',
  ].join('\n');
  return {
    to: input.to,
    subject: `Confirm you want email updates from ${input.councilName}`,
    text,
    headers: unsubscribeHeaders(input.unsubscribeUrl),
    reference: input.reference,
  };
}

export function updateEmail(input: {
  to: string;
  councilName: string;
  title: string;
  body: string;
  corrected: boolean;
  updateUrl: string;
  unsubscribeUrl: string;
  reference: string;
}): OutboundMessage {
  const text = [
    `${input.councilName}: ${input.corrected ? 'a corrected update' : 'an update'} about the cyber incident`,
    '',
    input.title,
    '',
    input.body,
    '',
    'Read this update on our website:',
    input.updateUrl,
    '',
    NEVER_ASKS,
    '',
    `Verification reference: ${input.reference}`,
    '',
    `We sent this email to ${input.to} because you asked for updates from ${input.councilName}. To stop getting them, open this link:`,
    input.unsubscribeUrl,
    '',
  ].join('\n');
  return {
    to: input.to,
    subject: input.corrected ? `Updated: ${input.title}` : input.title,
    text,
    headers: unsubscribeHeaders(input.unsubscribeUrl),
    reference: input.reference,
  };
}

export function confirmationSms(input: {
  to: string;
  councilName: string;
  confirmUrl: string;
  reference: string;
}): OutboundSms {
  const body = [
    `${input.councilName}: someone asked for text updates about our cyber incident to be sent to this number.`,
    `To confirm, open ${input.confirmUrl} and select Confirm. If it was not you, ignore this text.`,
    `Ref ${input.reference}`,
  ].join('\n');
  return { to: input.to, body, reference: input.reference };
}

/**
 * An update by text: the title and a link, never the whole update. The title is shortened if need
 * be so that the text, with both links, stays within MAX_SMS_LENGTH.
 */
export function updateSms(input: {
  to: string;
  councilName: string;
  title: string;
  corrected: boolean;
  updateUrl: string;
  unsubscribeUrl: string;
  reference: string;
}): OutboundSms {
  const compose = (title: string) =>
    [
      `${input.councilName} cyber incident ${input.corrected ? 'corrected update' : 'update'}: ${title}`,
      `Read it at ${input.updateUrl}`,
      `We will never ask for bank details or passwords by text. Ref ${input.reference}`,
      `Stop these texts: ${input.unsubscribeUrl}`,
    ].join('\n');
  const room = MAX_SMS_LENGTH - compose('').length;
  const title = input.title.length <= room ? input.title : `${input.title.slice(0, Math.max(0, room - 1)).trimEnd()}…`;
  return { to: input.to, body: compose(title), reference: input.reference };
}
