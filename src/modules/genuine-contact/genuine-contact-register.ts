// The register of genuine contact, as pure rules: what each kind of entry may hold and the one
// spelling checks compare against, what a resident typed on the check page, and the answer the
// register gives. No SQL and no HTTP; the service brings the rows.
import type { FieldError } from '../../platform/http/form-result.ts';
import { isEmailAddress } from '../../platform/mail/outbound-message.ts';
import { isVerificationReference } from '../../platform/mail/verification-reference.ts';
import type { GenuineContactChannel, GenuineContactKind } from '../../platform/db/schema.ts';
import { normaliseUkPhone } from '../enquiries/enquiry-form.ts';
import { normaliseReference } from '../enquiries/enquiry-reference.ts';

export const CHANNELS: Array<{ value: GenuineContactChannel; text: string }> = [
  { value: 'email', text: 'Email' },
  { value: 'sms', text: 'Text message' },
  { value: 'phone', text: 'Phone' },
  { value: 'letter', text: 'Letter' },
  { value: 'website', text: 'Website' },
];

export const KINDS: Array<{ value: GenuineContactKind; text: string; hint: string }> = [
  { value: 'email-address', text: 'Email address', hint: 'like cyberenquiry@westminster.gov.uk' },
  { value: 'email-domain', text: 'Email domain', hint: 'every address ending @westminster.gov.uk' },
  { value: 'sms-sender', text: 'Text message sender name', hint: 'like WestminsterCC' },
  { value: 'phone', text: 'Phone number', hint: 'like 020 7641 1919' },
  { value: 'domain', text: 'Website or link domain', hint: 'like westminster.gov.uk' },
  { value: 'reference-format', text: 'Reference format', hint: 'X for each letter or digit, like WCC-XXXX-XXXX' },
];

export const LIMITS = { value: 254, description: 200, neverAsk: 200, neverAskItems: 20 };

const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const SMS_SENDER = /^[A-Za-z0-9 ]{3,11}$/;
const REFERENCE_FORMAT = /^[A-Z]{2,5}(?:-X{2,8}){1,3}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A domain in its one spelling: lower case, no trailing dot. */
export function normaliseDomain(raw: string): string | undefined {
  const d = raw.trim().toLowerCase().replace(/\.$/, '');
  return DOMAIN.test(d) ? d : undefined;
}

/** The one spelling checks compare against, or undefined if `raw` is not a value of this kind. */
export function valueKey(kind: GenuineContactKind, raw: string): string | undefined {
  const value = raw.trim();
  switch (kind) {
    case 'email-address':
      return isEmailAddress(value) ? value.toLowerCase() : undefined;
    case 'email-domain':
    case 'domain':
      // www. is kept: www.gov.uk must not stand for every gov.uk domain.
      return normaliseDomain(value.replace(/^@/, ''));
    case 'sms-sender':
      return SMS_SENDER.test(value) ? value.replace(/\s+/g, '').toLowerCase() : undefined;
    case 'phone':
      return normaliseUkPhone(value);
    case 'reference-format': {
      const upper = value.toUpperCase();
      return REFERENCE_FORMAT.test(upper) ? upper : undefined;
    }
  }
}

const VALUE_ERRORS: Record<GenuineContactKind, string> = {
  'email-address': 'Enter an email address, like cyberenquiry@westminster.gov.uk',
  'email-domain': 'Enter a domain, like westminster.gov.uk',
  'sms-sender': 'Enter a sender name of 3 to 11 letters, digits or spaces, like WestminsterCC',
  phone: 'Enter a UK phone number, like 020 7641 1919',
  domain: 'Enter a domain, like westminster.gov.uk',
  'reference-format': 'Enter the reference format as 2 to 5 capital letters and groups of X, like WCC-XXXX-XXXX',
};

export interface EntryAnswers {
  channel: string;
  kind: string;
  value: string;
  description: string;
  activeFrom: string;
  activeTo: string;
}

export interface ValidEntry {
  channel: GenuineContactChannel;
  kind: GenuineContactKind;
  value: string;
  valueKey: string;
  description: string;
  activeFrom: string;
  activeTo: string | null;
}

function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(value);
}

export function validateEntry(
  answers: EntryAnswers,
): { ok: true; entry: ValidEntry } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const channel = CHANNELS.find((c) => c.value === answers.channel)?.value;
  if (!channel) errors.push({ text: 'Select how we contact people this way', href: '#channel' });
  const kind = KINDS.find((k) => k.value === answers.kind)?.value;
  if (!kind) errors.push({ text: 'Select what kind of contact this is', href: '#kind' });
  const value = answers.value.trim();
  let key: string | undefined;
  if (value === '') errors.push({ text: 'Enter the address, number, name, domain or format', href: '#value' });
  else if (value.length > LIMITS.value)
    errors.push({ text: `Enter ${LIMITS.value} characters or fewer`, href: '#value' });
  else if (kind) {
    key = valueKey(kind, value);
    if (!key) errors.push({ text: VALUE_ERRORS[kind], href: '#value' });
  }
  const description = answers.description.trim();
  if (description === '')
    errors.push({ text: 'Enter what this contact is for, like Cyber incident helpline', href: '#description' });
  else if (description.length > LIMITS.description) {
    errors.push({ text: `Enter a description of ${LIMITS.description} characters or fewer`, href: '#description' });
  }
  const activeFrom = answers.activeFrom.trim();
  if (!isDate(activeFrom))
    errors.push({ text: 'Enter the date it is in use from, like 2025-11-24', href: '#activeFrom' });
  const activeTo = answers.activeTo.trim();
  if (activeTo !== '' && !isDate(activeTo)) {
    errors.push({ text: 'Enter the last date it is in use, like 2026-03-31, or leave it empty', href: '#activeTo' });
  } else if (activeTo !== '' && isDate(activeFrom) && activeTo < activeFrom) {
    errors.push({ text: 'The last date in use must be the same as or after the first', href: '#activeTo' });
  }
  if (errors.length > 0 || !channel || !kind || !key) return { ok: false, errors };
  return {
    ok: true,
    entry: {
      channel,
      kind,
      value,
      valueKey: key,
      description,
      activeFrom,
      activeTo: activeTo === '' ? null : activeTo,
    },
  };
}

/** "What we will never ask for", one sentence a line. */
export function validateNeverAsk(typed: string): { ok: true; items: string[] } | { ok: false; errors: FieldError[] } {
  const items = typed
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (items.length > LIMITS.neverAskItems) {
    return { ok: false, errors: [{ text: `Enter ${LIMITS.neverAskItems} lines or fewer`, href: '#neverAsk' }] };
  }
  if (items.some((i) => i.length > LIMITS.neverAsk)) {
    return {
      ok: false,
      errors: [{ text: `Keep each line to ${LIMITS.neverAsk} characters or fewer`, href: '#neverAsk' }],
    };
  }
  return { ok: true, items };
}

/** What a resident typed on the check page, read as the one thing it can be. */
export type CheckInput =
  | { type: 'call-code'; code: string }
  | { type: 'verification-reference'; reference: string }
  | { type: 'case-reference'; reference: string }
  | { type: 'phone'; phone: string }
  | { type: 'email'; address: string; domain: string }
  | { type: 'domain'; domain: string }
  | { type: 'sender-name'; name: string };

export const MAX_CHECK_LENGTH = 500;

export function readCheckInput(typed: string): CheckInput | undefined {
  const value = typed.trim();
  if (value === '' || value.length > MAX_CHECK_LENGTH) return undefined;
  const compact = value.replace(/[\s-]/g, '');
  if (/^\d{6}$/.test(compact)) return { type: 'call-code', code: compact };
  const wr = /^WR([A-Z2-7]{8})$/i.exec(compact);
  if (wr && isVerificationReference(`WR-${(wr[1] as string).toUpperCase()}`)) {
    return { type: 'verification-reference', reference: `WR-${(wr[1] as string).toUpperCase()}` };
  }
  const caseReference = normaliseReference(value);
  if (caseReference) return { type: 'case-reference', reference: caseReference };
  if (/^[+\d][\d\s().-]{7,}$/.test(value)) {
    const phone = normaliseUkPhone(value);
    if (phone) return { type: 'phone', phone };
  }
  if (value.includes('@') && !/\s/.test(value) && !value.includes('/')) {
    const address = value.replace(/^mailto:/i, '').toLowerCase();
    const domain = normaliseDomain(address.slice(address.lastIndexOf('@') + 1));
    if (domain && isEmailAddress(address)) return { type: 'email', address, domain };
  }
  if (!/\s/.test(value) && value.includes('.')) {
    try {
      const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `https://${value}`);
      const domain = normaliseDomain(url.hostname);
      if (domain) return { type: 'domain', domain };
    } catch {
      // Not a link: read it as a name below.
    }
  }
  return { type: 'sender-name', name: value };
}

/** A register entry as the check reads it. */
export interface RegisterEntry {
  channel: GenuineContactChannel;
  kind: GenuineContactKind;
  value: string;
  valueKey: string;
  description: string;
  activeFrom: string;
  activeTo: string | null;
}

export type CheckAnswer =
  | { answer: 'genuine'; what: string; entry?: RegisterEntry; caution?: string }
  | { answer: 'not-us'; why: string }
  | { answer: 'cannot-confirm'; why: string };

function isActive(entry: RegisterEntry, today: string): boolean {
  return entry.activeFrom <= today && (entry.activeTo === null || entry.activeTo >= today);
}

/** `domain` is `registered` or one of its subdomains (westminster.gov.uk.example.com is neither). */
function withinDomain(domain: string, registered: string): boolean {
  return domain === registered || domain.endsWith(`.${registered}`);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    let previous = row[0] as number;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const current = row[j] as number;
      row[j] = Math.min(current + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length] as number;
}

/** The official domain `domain` imitates, if it looks like one without being one. */
export function lookalikeOf(domain: string, officialDomains: readonly string[]): string | undefined {
  for (const official of officialDomains) {
    if (withinDomain(domain, official)) continue;
    const name = official.split('.')[0] as string;
    const labels = domain.split('.');
    if (labels.some((l) => l.includes(name)) || editDistance(domain.replace(/^www\./, ''), official) <= 2) {
      return official;
    }
  }
  return undefined;
}

export interface CheckFacts {
  councilName: string;
  officialDomains: readonly string[];
  entries: readonly RegisterEntry[];
  today: string; // YYYY-MM-DD
}

const SPOOF_CAUTION =
  'Scammers can make a message look as if it comes from a genuine sender. Only follow links to our own website, and never give passwords or bank details.';

/**
 * The register's answer for anything but call codes and verification references, which need the
 * database. Never "safe": a genuine contact is one the council uses, not a promise about a message.
 */
export function checkAgainstRegister(input: CheckInput, facts: CheckFacts): CheckAnswer {
  const { entries, today, councilName } = facts;
  const ofKind = (...kinds: GenuineContactKind[]) => entries.filter((e) => kinds.includes(e.kind));
  const ended = (e: RegisterEntry) => e.activeTo !== null && e.activeTo < today;
  const notUs = `This is not on our list of the ways ${councilName} contacts people.`;
  switch (input.type) {
    case 'phone': {
      const found = ofKind('phone').filter((e) => e.valueKey === input.phone);
      const live = found.find((e) => isActive(e, today));
      if (live) return { answer: 'genuine', what: live.description, entry: live, caution: SPOOF_CAUTION };
      const old = found.find(ended);
      if (old) return { answer: 'not-us', why: `We stopped using this number on ${old.activeTo as string}.` };
      if (ofKind('phone').length === 0)
        return { answer: 'cannot-confirm', why: 'We have not published our phone numbers here.' };
      return { answer: 'not-us', why: notUs };
    }
    case 'email': {
      const address = ofKind('email-address').find((e) => e.valueKey === input.address && isActive(e, today));
      if (address) return { answer: 'genuine', what: address.description, entry: address, caution: SPOOF_CAUTION };
      const domain = ofKind('email-domain').find((e) => withinDomain(input.domain, e.valueKey) && isActive(e, today));
      if (domain) return { answer: 'genuine', what: domain.description, entry: domain, caution: SPOOF_CAUTION };
      return domainNotOnRegister(input.domain, facts, ofKind('email-address', 'email-domain').length > 0);
    }
    case 'domain': {
      const found = ofKind('domain', 'email-domain').find(
        (e) => withinDomain(input.domain, e.valueKey) && isActive(e, today),
      );
      if (found) return { answer: 'genuine', what: found.description, entry: found };
      return domainNotOnRegister(input.domain, facts, ofKind('domain').length > 0);
    }
    case 'sender-name': {
      const key = input.name.replace(/\s+/g, '').toLowerCase();
      const found = ofKind('sms-sender').find((e) => e.valueKey === key && isActive(e, today));
      if (found) return { answer: 'genuine', what: found.description, entry: found, caution: SPOOF_CAUTION };
      return {
        answer: 'cannot-confirm',
        why: 'Anyone can put any name on a message, so a name alone does not tell us who sent it.',
      };
    }
    case 'case-reference': {
      // Says nothing about whether a case with this reference exists, whoever asks.
      const format = ofKind('reference-format').find(
        (e) => isActive(e, today) && input.reference.startsWith(`${e.valueKey.split('-')[0] as string}-`),
      );
      return {
        answer: 'cannot-confirm',
        why: format
          ? `References like ${format.valueKey} are ours (${format.description}), but anyone can make one up, so a reference does not show a message came from us. We cannot tell you anything about a case here.`
          : 'We do not use references like this one.',
      };
    }
    case 'call-code':
    case 'verification-reference':
      return { answer: 'cannot-confirm', why: 'We could not find this.' };
  }
}

function domainNotOnRegister(domain: string, facts: CheckFacts, registerComplete: boolean): CheckAnswer {
  const imitated = lookalikeOf(domain, facts.officialDomains);
  if (imitated) {
    return { answer: 'not-us', why: `${domain} looks like our domain ${imitated}, but it is not ours.` };
  }
  if (!registerComplete) return { answer: 'cannot-confirm', why: 'We have not published our domains here.' };
  return { answer: 'not-us', why: `${domain} is not one of our domains.` };
}
