// How an email address or mobile number typed into "Were you affected?" becomes the keys the
// affected-people import stores (`email:<address>`, `phone:<E.164>`). It must match the import's own
// normalisation (trimmed, domain lower-cased; UK mobile as +447 and nine digits): if the two drift
// apart, listed people are told they were not found. The import may keep the local part as the file
// spelled it, while a resident may type it in any case, so a lower-cased spelling is looked up too.
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { normaliseUkMobile } from '../../platform/sms/outbound-sms.ts';

/** Trimmed, with the domain lower-cased; the local part as typed (it may be case-sensitive). */
export function normaliseEmail(raw: string): string {
  const trimmed = raw.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 0) return trimmed;
  return `${trimmed.slice(0, at)}@${trimmed.slice(at + 1).toLowerCase()}`;
}

/** The address as the check sends to it, or undefined when it is not one. */
export function checkableEmail(raw: string): string | undefined {
  const email = normaliseEmail(raw);
  return email !== '' && isEmailAddress(email) ? email : undefined;
}

export { normaliseUkMobile };

export type Contact = { channel: 'email'; address: string } | { channel: 'sms'; address: string };

/** The affected-people keys a contact is found by: always two, so every lookup has the same shape. */
export function lookupKeys(contact: Contact): [string, string] {
  if (contact.channel === 'sms') return [`phone:${contact.address}`, `phone:${contact.address}`];
  return [`email:${contact.address}`, `email:${contact.address.toLowerCase()}`];
}
