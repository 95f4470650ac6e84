// What an outgoing text message may be. Like email, the shape is narrow: one UK mobile number,
// plain text short enough for a few fragments, and a verification reference with no personal data.
import { InvalidMessageError, referenceProblems } from '../mail/outbound-message.ts';

export interface OutboundSms {
  /** A UK mobile number as +447 and nine digits (see normaliseUkMobile). */
  to: string;
  body: string;
  /** The verification reference the public "Is this really from the council?" check confirms. */
  reference: string;
}

/**
 * Four fragments of 153 characters: room for a notice and two links. Notify itself allows 918,
 * but each fragment is paid for, and a long text is read as a scam more often than a short one.
 */
export const MAX_SMS_LENGTH = 612;

/**
 * A UK mobile number in any usual spelling (07700 900123, +44 7700 900123, 0044 7700 900 123,
 * (07700) 900-123) as +447700900123; undefined if it is not one.
 */
export function normaliseUkMobile(raw: string): string | undefined {
  const compact = raw.replace(/[\s().-]/g, '');
  const match = /^(?:\+44|0044|44|0)(7\d{9})$/.exec(compact);
  return match ? `+44${match[1] as string}` : undefined;
}

export function parseOutboundSms(input: unknown): OutboundSms {
  const p = (typeof input === 'object' && input !== null ? input : {}) as Partial<Record<string, unknown>>;
  const problems: string[] = [];
  const to = typeof p['to'] === 'string' ? p['to'] : '';
  if (normaliseUkMobile(to) !== to) problems.push('to must be a UK mobile number as +447 and nine digits');
  const body = typeof p['body'] === 'string' ? p['body'] : '';
  if (body.trim() === '') problems.push('body must not be empty');
  if (body.length > MAX_SMS_LENGTH) problems.push(`body must be ${MAX_SMS_LENGTH} characters or fewer`);
  const reference = typeof p['reference'] === 'string' ? p['reference'] : '';
  problems.push(...referenceProblems(reference));
  if (problems.length > 0) throw new InvalidMessageError(problems);
  return { to, body, reference };
}
