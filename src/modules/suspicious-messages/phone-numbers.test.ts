import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findNumbers, type CountryCode, type NumberFound } from 'libphonenumber-js';
import { Metadata } from 'libphonenumber-js/core';
import metadata from 'libphonenumber-js/min/metadata';
import { FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER, FEWEST_DIGITS_WITHOUT_A_PLUS, findPhoneNumbers } from './phone-numbers.ts';

describe('phone numbers', () => {
  test('no number libphonenumber-js calls possible has fewer digits than the finder skips', () => {
    const plans = new Metadata(metadata);
    const json = metadata as unknown as { country_calling_codes: Record<string, string[]> };
    let withPlus = Infinity;
    let withoutPlus = Infinity;
    for (const [callingCode, countries] of Object.entries(json.country_calling_codes))
      for (const country of countries) {
        if (country === '001') continue;
        plans.selectNumberingPlan(country as CountryCode);
        const shortest = Math.min(...plans.numberingPlan!.possibleLengths());
        withPlus = Math.min(withPlus, callingCode.length + shortest);
        // Without a plus: after the UK's international prefix, or (a UK number) nationally.
        withoutPlus = Math.min(withoutPlus, 2 + callingCode.length + shortest);
        if (callingCode === '44') withoutPlus = Math.min(withoutPlus, shortest);
      }
    assert.ok(withPlus >= FEWEST_DIGITS_IN_A_POSSIBLE_NUMBER, `a possible number has ${withPlus} digits`);
    assert.ok(withoutPlus >= FEWEST_DIGITS_WITHOUT_A_PLUS, `one without a plus has ${withoutPlus} digits`);
    // A national number keeps its digits: the UK's plan strips prefixes and adds none.
    plans.selectNumberingPlan('GB');
    const plan = plans.numberingPlan as unknown as {
      nationalPrefixTransformRule(): string | undefined;
      IDDPrefix(): string;
    };
    assert.ok(!plan.nationalPrefixTransformRule());
    assert.equal(plan.IDDPrefix(), '00');
  });

  test('finds what libphonenumber-js finds, short candidates, other scripts and extensions included', () => {
    const text = [
      'Ring +43 1234 or +49 8912, not 12:30 on 01/02/2003 (ref 12345) or £1,234.56.',
      'Call 020 7641 1919, +44 (0)20 3807 5521 ext. 12, ０２０ ７６４１ １９２０ or ٠٢٠٧٦٤١١٩٢١.',
      'Text 07700 900123 - 2 or 0800-123-4567 / 09061234567; (5) 1-2-3 +1 650 253 0000.',
      'Dates 2002-08-22 14:02:33 +0100, IP 192.168.1.20, serial 1234567 890, 123456, 1234567, 00 43 1234.',
      'Local 641 1919, (020) 7641-1919, ＋44 20 7641 1921, 0044 20 7641 1922, 44 20 7641 1923.',
    ].join('\n');
    // libphonenumber-js's own finder, as the analyser called it before it skipped any candidate.
    const expected = findNumbers(text, {
      defaultCountry: 'GB',
      v2: true,
      leniency: 'POSSIBLE',
    } as never) as unknown as NumberFound[];
    const found = findPhoneNumbers(text, new Map());
    assert.ok(expected.length >= 8, `${expected.length} numbers in the sample`);
    // The finder keeps the first of each number.
    const seen = new Set<string>();
    const firsts = expected.filter((m) => !seen.has(m.number.number) && seen.add(m.number.number));
    assert.deepEqual(
      found.map((n) => [n.text, n.e164]),
      firsts.map((m) => [text.slice(m.startsAt, m.endsAt), m.number.number]),
    );
  });
});
