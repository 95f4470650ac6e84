// The answer "Were you affected?" sends, by email or text. Both answers have the same subject and
// the same shape, so a glance at a lock screen or an inbox tells nobody else which one came. Like
// every message the platform sends, each is plain text, names the address it went to, links only to
// the council's own pages (shown in full), never asks for anything, and carries a verification
// reference.
import type { OutboundMessage } from '../../platform/mail/outbound-message.ts';
import { MAX_SMS_LENGTH, type OutboundSms } from '../../platform/sms/outbound-sms.ts';

export interface AnswerInput {
  /** The email address or UK mobile number the answer goes to. */
  to: string;
  councilName: string;
  /** The councils whose copied data names this contact; empty when it was not found. */
  foundIn: string[];
  /** The council's incident page, in full. */
  incidentUrl: string;
  /** The council's "Is this really from us?" check, in full. */
  checkUrl: string;
  reference: string;
}

export const answerSubject = (councilName: string) => `Your answer from ${councilName} about the cyber incident`;

/** Councils named in a sentence: "A", "A and B", "A, B and C". */
export function councilList(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1] as string}`;
}

const ALWAYS = (input: AnswerInput) => [
  'What to do now, whatever the answer:',
  '',
  '- Be careful with unexpected calls, emails and texts, even if they know your name or address.',
  '- We will never ask you for a password, your full bank details or a payment by email, text or phone.',
  '- Do not follow links or call numbers in a message you were not expecting. If you get a message that says it is from us, check it here:',
  `  ${input.checkUrl}`,
  '- If you think you have given bank details to a scammer, call your bank on the number on the back of your card.',
  '',
  'Read what happened and how to contact us:',
  input.incidentUrl,
];

export function answerEmail(input: AnswerInput): OutboundMessage {
  const found = input.foundIn.length > 0;
  const text = [
    answerSubject(input.councilName),
    '',
    `Someone asked on the ${input.councilName} website whether this email address, ${input.to}, was in the data copied in the cyber attack. If it was not you, you do not need to do anything.`,
    '',
    ...(found
      ? [
          `We found this email address in the data copied from ${councilList(input.foundIn)}.`,
          '',
          'This means the people who attacked us may have your details and may use them to contact you. We are writing to the people affected with more about what data was involved.',
        ]
      : [
          'We did not find this email address in the data we hold about the cyber attack.',
          '',
          'This does not mean none of your details were copied: they may be held under another email address, a phone number or your postal address. Stay alert all the same.',
        ]),
    '',
    ...ALWAYS(input),
    '',
    `Verification reference: ${input.reference}`,
    `To check this email is really from ${input.councilName}, enter this reference at the address above.`,
    '',
  ].join('\n');
  return { to: input.to, subject: answerSubject(input.councilName), text, reference: input.reference };
}

export function answerSms(input: AnswerInput): OutboundSms {
  const found = input.foundIn.length > 0;
  const body = [
    `${input.councilName}: you asked if your number was in the data copied in the cyber attack.`,
    found
      ? `We found it in the data copied from ${councilList(input.foundIn)}.`
      : 'We did not find it in the data we hold. Stay alert all the same.',
    'Be careful with unexpected calls and texts. We will never ask for a password, bank details or payment.',
    `More: ${input.incidentUrl}`,
    `Ref ${input.reference}`,
  ].join(' ');
  // Many councils' long names could pass the limit: then the list is left out, never the answer or the reference.
  if (body.length <= MAX_SMS_LENGTH) return { to: input.to, body, reference: input.reference };
  return {
    to: input.to,
    body: `${input.councilName}: ${found ? 'we found your number in the data copied in the cyber attack' : 'we did not find your number in the data we hold'}. More: ${input.incidentUrl} Ref ${input.reference}`,
    reference: input.reference,
  };
}
