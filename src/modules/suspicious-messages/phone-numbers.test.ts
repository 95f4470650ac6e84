import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findNumbers, type CountryCode } from 'libphonenumber-js';
import { Metadata } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/min/metadata';
import { FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER, findPhoneNumbers } from './phone-numbers.ts';

describe('phone numbers', () => {
  test('no number libphonenumber-js calls possible has fewer digits than the finder skips', () => {
    const plans = new Metadata(metadata);
    const json = metadata as unknown as { country_calling_codes: Record<string, string[]> };
    let fewest = Infinity;
    for (const [callingCode, countries] of Object.entries(json.country_calling_codes))
      for (const country of countries) {
        if (country === '001') continue;
        plans.selectNumberingPlan(country as CountryCode);
        const shortest = Math.min(...plans.numberingPlan!.possibleLengths());
        // Written with its calling code, or (the UK's, the default country) nationally.
        fewest = Math.min(fewest, callingCode.length + shortest, callingCode === '44' ? shortest : Infinity);
      }
    assert.ok(fewest >= FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER, `a possible number has ${fewest} digits`);
  });

  test('finds what libphonenumber-js finds, short candidates, other scripts and extensions included', () => {
    const text = [
      'Ring +43 1234 or +49 8912, not 12:30 on 01/02/2003 (ref 12345) or £1,234.56.',
      'Call 020 7641 1919, +44 (0)20 3807 5521 ext. 12, ０２０ ７６４１ １９２０ or ٠٢٠٧٦٤١١٩٢١.',
      'Text 07700 900123 - 2 or 0800-123-4567 / 09061234567; (5) 1-2-3 +1 650 253 0000.',
      'Dates 2002-08-22 14:02:33 +0100, IP 192.168.1.20, serial 1234567 890.',
    ].join('\n');
    const expected = findNumbers(text, { defaultCountry: 'GB', v2: true, leniency: 'POSSIBLE' } as never) as Array<{
      startsAt: number;
      endsAt: number;
      number: { number: string };
    }>;
    const found = findPhoneNumbers(text, new Map()); // (each number once: the finder keeps the first of each)
    assert.ok(expected.length >= 8, `${expected.length} numbers in the sample`);
    assert.deepEqual(
      found.map((n) => [n.text, n.e164]),
      expected.map((m) => [text.slice(m.startsAt, m.endsAt), m.number.number]),
    );
  });
});
