// A council's enquiry settings, as staff change them: the addresses whose mail opens cases, the
// letters before each reference, and how long finished cases keep personal data. Pure checks; the
// service stores them.
import type { FieldError } from '../../platform/http/form-result.ts';
import { parseAddressList } from '../../platform/mail/address-list.ts';

/** The name of the mailbox enquiry addresses feed (enquiry-mailbox.ts), told apart from others'. */
export const ENQUIRY_MAILBOX = 'enquiries';

/** From a month (the least that lets a case be looked back on) to ten years. */
export const RETENTION_LIMITS = { minDays: 30, maxDays: 3650 };

export interface SettingsAnswers {
  referencePrefix: string;
  enquiryAddresses: string;
  retentionDays: string;
}

export function validateSettings(
  answers: SettingsAnswers,
):
  | { ok: true; settings: { referencePrefix: string; enquiryAddresses: string[]; retentionDays: number } }
  | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const referencePrefix = answers.referencePrefix.trim().toUpperCase();
  if (!/^[A-Z]{2,5}$/.test(referencePrefix)) {
    errors.push({ text: 'Enter 2 to 5 letters for the start of each reference, like WCC', href: '#referencePrefix' });
  }
  const addresses = parseAddressList(answers.enquiryAddresses);
  if (!addresses.ok) errors.push({ text: addresses.problem, href: '#enquiryAddresses' });
  const days = Number(answers.retentionDays.trim());
  if (!Number.isInteger(days) || days < RETENTION_LIMITS.minDays || days > RETENTION_LIMITS.maxDays) {
    errors.push({
      text: `Enter the retention period as a whole number of days from ${RETENTION_LIMITS.minDays} to ${RETENTION_LIMITS.maxDays.toLocaleString('en-GB')}`,
      href: '#retentionDays',
    });
  }
  if (errors.length > 0 || !addresses.ok) return { ok: false, errors };
  return { ok: true, settings: { referencePrefix, enquiryAddresses: addresses.addresses, retentionDays: days } };
}
