// How an email address or mobile number typed into "Were you affected?" becomes the keys the
// affected-people import stores (`email:<address in lower case>`, `phone:<E.164>`): the import's own
// normalisers, so the two cannot drift apart (if they did, listed people would be told they were not
// found).
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { normaliseUkMobile } from '../../platform/sms/outbound-sms.ts';
import { normaliseEmail } from '../affected-people/contact-normalisers.ts';

/** The address as the check sends to it (trimmed, domain lower-cased), or undefined when it is not one. */
export function checkableEmail(raw: string): string | undefined {
  const email = normaliseEmail(raw);
  return email !== undefined && isEmailAddress(email) ? email : undefined;
}

export { normaliseUkMobile };

export type Contact = { channel: 'email'; address: string } | { channel: 'sms'; address: string };

/** The affected-people keys a contact is found by: always two, so every lookup has the same shape. */
export function lookupKeys(contact: Contact): [string, string] {
  if (contact.channel === 'sms') return [`phone:${contact.address}`, `phone:${contact.address}`];
  const key = `email:${contact.address.toLowerCase()}`;
  return [key, key];
}
