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

/**
 * Six digits with at most four other characters between each: the fewest a number libphonenumber-js
 * calls possible can have (the shortest are +43 or +49 and four digits; in the UK, seven), written
 * the way its matcher takes them (blocks of digits split by up to four punctuation marks). A text
 * without one has no number, and libphonenumber-js need not look at every date and price in it.
 */
const POSSIBLE_NUMBER = /\p{Nd}(?:\P{Nd}{0,4}\p{Nd}){5}/u;

/** `leniency` is supported at run time but missing from the type declarations. */
const FIND_OPTIONS = { defaultCountry: 'GB', v2: true, leniency: 'POSSIBLE' } as const;

export function findPhoneNumbers(text: string, phoneOwners: ReadonlyMap<string, string>): FoundPhoneNumber[] {
  const found: FoundPhoneNumber[] = [];
  const seen = new Set<string>();
  // Only the first 16,000 characters: libphonenumber slows badly on long runs of digits, and the
  // number a scam wants called sits near the top.
  const sample = text.length > 16_000 ? text.slice(0, 16_000) : text;
  // (Three digits in a row as well: what it has always asked for, so "0.14 0.18" is not a number.)
  if (!/\d{3}/.test(sample) || !POSSIBLE_NUMBER.test(sample)) return found;
  let matches: NumberFound[];
  // libphonenumber-js throws (and catches) an error for every candidate it rejects; the stack trace
  // each one captures was most of its cost, and nothing reads it.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    // "Possible" rather than "valid": scams use drama-range and unallocated numbers too.
    matches = findNumbers(sample, FIND_OPTIONS);
  } catch {
    return found;
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
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
