// A council's enquiry settings, as staff change them: the addresses whose mail opens cases, the
// letters before each reference, and how long finished cases keep personal data. Pure checks; the
// service stores them.
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import type { FieldError } from './enquiry-form.ts';

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
  const addresses = answers.enquiryAddresses
    .split(/[\s,;]+/)
    .map((a) => a.trim().toLowerCase())
    .filter((a) => a !== '');
  const wrong = addresses.filter((a) => !isEmailAddress(a));
  if (wrong.length > 0) {
    errors.push({ text: `These are not email addresses: ${wrong.slice(0, 5).join(', ')}`, href: '#enquiryAddresses' });
  } else if (addresses.length > 20) {
    errors.push({ text: 'Enter 20 addresses or fewer', href: '#enquiryAddresses' });
  }
  const days = Number(answers.retentionDays.trim());
  if (!Number.isInteger(days) || days < RETENTION_LIMITS.minDays || days > RETENTION_LIMITS.maxDays) {
    errors.push({
      text: `Enter the retention period as a whole number of days from ${RETENTION_LIMITS.minDays} to ${RETENTION_LIMITS.maxDays.toLocaleString('en-GB')}`,
      href: '#retentionDays',
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, settings: { referencePrefix, enquiryAddresses: [...new Set(addresses)], retentionDays: days } };
}
