// The contact details in councils' files, put in one form so the same person is found whichever
// file names them and however it was typed: email addresses, UK phone numbers in E.164 and
// postcodes. Pure.
//
// Phone numbers: a text message can only go to a mobile, so only mobile numbers are kept. A
// landline (or any valid number that is not a mobile) is left out without refusing the row when the
// row has another way to reach the person; a number that is not a valid phone number at all is a
// mistake in the file and refuses the row. The Ofcom range for drama (07700 900000 to 07700 900999)
// counts as mobile so that demonstrations and tests can use numbers that reach nobody.
import { Metadata } from 'libphonenumber-js/core';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/max/metadata';

/** Trimmed, domain lower-cased; undefined when it is not a usable address. */
export function normaliseEmail(value: string): string | undefined {
  const text = value.trim();
  if (text.length > 254) return undefined;
  const at = text.lastIndexOf('@');
  if (at < 1 || at === text.length - 1) return undefined;
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL_PART.test(local) || local.startsWith('.') || local.endsWith('.')) return undefined;
  if (local.includes('..') || !DOMAIN.test(domain)) return undefined;
  return `${local}@${domain}`;
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

export type PhoneResult =
  | { kind: 'mobile'; e164: string }
  /** A valid number that cannot receive texts (a landline, a freephone number and so on). */
  | { kind: 'not-mobile' }
  | { kind: 'invalid' };

// The UK's mobile number pattern, from libphonenumber's own metadata: numbers written the usual way
// (07…, +44 7…, 0044 7…) are checked against it directly, which gives libphonenumber's answer far
// faster than parsing each one; anything else goes through the full parser.
const gb = new Metadata(metadata);
gb.selectNumberingPlan('GB');
const GB_MOBILE = new RegExp(
  `^(?:${(gb.numberingPlan as unknown as { type(t: string): { pattern(): string } }).type('MOBILE').pattern()})$`,
);
const UK_SHAPE = /^(?:(?:\+|00)44(?:\(0\))?|0)(\d{10})$/;
const SEPARATORS = /[\s\-().]/g;
const DRAMA_RANGE = /^7700900\d{3}$/;

/** A phone number as written in the UK (or in international form), in E.164 when it is a mobile. */
export function normalisePhone(value: string): PhoneResult {
  const compact = value.replace(SEPARATORS, '').replace(/^\+44\(0\)/, '+44');
  const uk = UK_SHAPE.exec(compact.replace(/^(\+44|0044)0/, '$1'));
  if (uk) {
    const national = uk[1] as string;
    if (GB_MOBILE.test(national) || DRAMA_RANGE.test(national)) return { kind: 'mobile', e164: `+44${national}` };
  }
  const parsed = parsePhoneNumberFromString(value.trim(), 'GB');
  if (!parsed || !parsed.isValid()) return { kind: 'invalid' };
  const type = parsed.getType();
  if (type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE') return { kind: 'mobile', e164: parsed.number };
  return { kind: 'not-mobile' };
}

const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$/;

/** A UK postcode in upper case with one space before the inward code; undefined when it is not one. */
export function normalisePostcode(value: string): string | undefined {
  const compact = value.replace(/\s+/g, '').toUpperCase();
  const match = POSTCODE.exec(compact);
  return match ? `${match[1]} ${match[2]}` : undefined;
}

/** Names and address lines: trimmed, inner runs of spaces made one. */
export function tidyText(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}
