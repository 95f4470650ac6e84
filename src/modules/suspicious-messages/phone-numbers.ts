// Phone numbers in a message (libphonenumber-js, UK by default), compared with the register's
// official numbers. An unofficial number offered as the council's helpline is what the follow-on
// scams after the attack used; premium-rate and 070 "personal" numbers cost the caller and hide who
// answers.
import { findNumbers, type NumberFound } from 'libphonenumber-js';

export interface FoundPhoneNumber {
  /** As written in the message. */
  text: string;
  e164: string;
  /** Who publishes it, when it is in the register. */
  officialFor: string | undefined;
  /** The words around it suggest it is offered as a number to call back. */
  presentedAsContact: boolean;
  /** Premium rate (09), personal numbering (070) or another type that charges or hides the caller. */
  costlyOrHidden: 'premium-rate' | 'personal-number' | undefined;
  mobile: boolean;
}

const CONTACT_WORDS =
  /\b(call|ring|phone|telephone|tel|helpline|hotline|contact|speak|dial|text|whatsapp|number|line|team|support|freephone)\b/i;

/** `leniency` is supported at run time but missing from the type declarations. */
const FIND_OPTIONS = { defaultCountry: 'GB', v2: true, leniency: 'POSSIBLE' } as const;

export function findPhoneNumbers(text: string, phoneOwners: ReadonlyMap<string, string>): FoundPhoneNumber[] {
  const found: FoundPhoneNumber[] = [];
  const seen = new Set<string>();
  // Only the first 16,000 characters: libphonenumber slows badly on long runs of digits, and the
  // number a scam wants called sits near the top.
  const sample = text.length > 16_000 ? text.slice(0, 16_000) : text;
  if (!/\d{3}/.test(sample)) return found;
  let matches: NumberFound[];
  try {
    // "Possible" rather than "valid": scams use drama-range and unallocated numbers too.
    matches = findNumbers(sample, FIND_OPTIONS);
  } catch {
    return found;
  }
  for (const match of matches) {
    const e164 = match.number.number;
    if (seen.has(e164) || found.length >= 20) continue;
    seen.add(e164);
    const national = match.number.nationalNumber;
    const before = sample.slice(Math.max(0, match.startsAt - 80), match.startsAt);
    const written = sample.slice(match.startsAt, match.endsAt);
    const gb = match.number.country === 'GB' || e164.startsWith('+44');
    found.push({
      text: written,
      e164,
      officialFor: phoneOwners.get(e164),
      presentedAsContact: CONTACT_WORDS.test(before),
      costlyOrHidden:
        gb && national.startsWith('9')
          ? 'premium-rate'
          : gb && national.startsWith('70')
            ? 'personal-number'
            : undefined,
      mobile: gb && /^7[1-9]/.test(national),
    });
  }
  return found;
}
