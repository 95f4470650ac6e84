// Phone numbers in a message (libphonenumber-js, UK by default), compared with the register's
// official numbers. An unofficial number offered as the council's helpline is what the follow-on
// scams after the attack used; premium-rate and 070 "personal" numbers cost the caller and hide who
// answers.
import parsePhoneNumber, { PhoneNumberMatcher, type NumberFound } from 'libphonenumber-js';

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

/**
 * The fewest digits a candidate libphonenumber-js calls possible can hold: a calling code and the
 * shortest national number its metadata allows (+43 or +49 and four digits; a UK number written
 * nationally has seven or more). phone-numbers.test.ts derives it from the metadata again, so an
 * upgrade that allows shorter numbers fails a test rather than losing them.
 */
export const FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER = 6;
/**
 * The same without a plus sign: a UK number written nationally (seven digits at least; the UK strips
 * prefixes but adds no digits), or another country's after the UK's international prefix 00.
 */
export const FEWEST_DIGITS_WITHOUT_A_PLUS = 7;

type CandidateCheck = (candidate: string, offset: number, text: string) => unknown;

/**
 * libphonenumber-js's matcher parses every candidate its pattern finds — dates, prices, times, a
 * lone "2" after a bracket — and nine in ten of those in real mail have fewer digits than any
 * possible number, so each ends in a thrown `ParseError`. The matcher checks each candidate with its
 * `parseAndVerify` method; where that exists, a matcher here skips the candidates too short to be a
 * number before it is called. What it finds is the same: a skipped candidate is one it would have
 * rejected, and with no `maxTries` a rejection has no other effect.
 */
const PARSE_AND_VERIFY = (PhoneNumberMatcher.prototype as unknown as { parseAndVerify?: CandidateCheck })
  .parseAndVerify;

function findNumbers(text: string): NumberFound[] {
  const matcher = new PhoneNumberMatcher(text, FIND_OPTIONS);
  if (typeof PARSE_AND_VERIFY === 'function') {
    const check = PARSE_AND_VERIFY;
    (matcher as unknown as { parseAndVerify: CandidateCheck }).parseAndVerify = function (candidate, offset, text) {
      const fewest =
        candidate.includes('+') || candidate.includes('＋')
          ? FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER
          : FEWEST_DIGITS_WITHOUT_A_PLUS;
      return hasDigits(candidate, fewest) && couldBePossible(candidate)
        ? check.call(this, candidate, offset, text)
        : undefined;
    };
  }
  const found: NumberFound[] = [];
  while (matcher.hasNext()) found.push(matcher.next()!);
  return found;
}

/** As the matcher parses a candidate (after checking the text around it, which this does not need). */
const PARSE_OPTIONS = { extended: true, defaultCountry: 'GB' } as const;
const possibleCandidates = new Map<string, boolean>();

/**
 * Whether the candidate parses as a possible number, which the matcher requires of it wherever it
 * stands: one parse per distinct candidate, kept across messages (the same dates, times and
 * reference numbers recur from mail to mail), and at most 20,000 kept. An unexpected error says
 * "maybe", so the matcher's own check runs and fails as it would have.
 */
function couldBePossible(candidate: string): boolean {
  let possible = possibleCandidates.get(candidate);
  if (possible === undefined) {
    try {
      possible = parsePhoneNumber(candidate, PARSE_OPTIONS as never)?.isPossible() ?? false;
    } catch {
      return true;
    }
    if (possibleCandidates.size >= 20_000) possibleCandidates.clear();
    possibleCandidates.set(candidate, possible);
  }
  return possible;
}

const DIGIT = /\p{Nd}/u;

/**
 * At least `count` decimal digits, counted in UTF-16 units: every digit libphonenumber-js reads
 * (ASCII, full-width, Arabic-Indic and Eastern Arabic-Indic, all in the BMP) counts, so the count is
 * never below the number of digits it would parse.
 */
function hasDigits(text: string, count: number): boolean {
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 48 && code <= 57 ? true : code > 127 && DIGIT.test(text[i]!)) {
      if (++digits >= count) return true;
    }
  }
  return false;
}

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
    matches = findNumbers(sample);
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
