import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidMessageError } from '../mail/outbound-message.ts';
import { MAX_SMS_LENGTH, normaliseUkMobile, parseOutboundSms } from './outbound-sms.ts';

test('UK mobile numbers in their usual spellings become one form; anything else is refused', () => {
  for (const typed of [
    '07700 900982',
    '07700900982',
    '+44 7700 900 982',
    '0044 7700 900982',
    '(07700) 900-982',
    '447700900982',
  ]) {
    assert.equal(normaliseUkMobile(typed), '+447700900982', typed);
  }
  for (const typed of [
    '020 7641 6000',
    '0770090098',
    '077009009821',
    '+33 6 12 34 56 78',
    '07700 9OO 982',
    '',
    '+44',
  ]) {
    assert.equal(normaliseUkMobile(typed), undefined, typed);
  }
});

test('a text message to queue must have a normalised number, a body within the limit and a clean reference', () => {
  const good = { to: '+447700900982', body: 'Hello', reference: 'WR-ABCDEFGH' };
  assert.deepEqual(parseOutboundSms(good), good);
  assert.throws(() => parseOutboundSms({ ...good, to: '07700900982' }), InvalidMessageError);
  assert.throws(() => parseOutboundSms({ ...good, body: ' ' }), InvalidMessageError);
  assert.throws(() => parseOutboundSms({ ...good, body: 'x'.repeat(MAX_SMS_LENGTH + 1) }), InvalidMessageError);
  assert.throws(() => parseOutboundSms({ ...good, reference: 'SW1A 1AA 07700900982' }), InvalidMessageError);
  assert.throws(() => parseOutboundSms(null), InvalidMessageError);
});
