import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  checkAgainstRegister,
  lookalikeOf,
  readCheckInput,
  validateEntry,
  validateNeverAsk,
  valueKey,
  type RegisterEntry,
} from './genuine-contact-register.ts';

const entry = (over: Partial<RegisterEntry>): RegisterEntry => ({
  channel: 'phone',
  kind: 'phone',
  value: '020 7641 1919',
  valueKey: '02076411919',
  description: 'Cyber incident helpline',
  activeFrom: '2025-11-24',
  activeTo: null,
  ...over,
});

const facts = (entries: RegisterEntry[]) => ({
  councilName: 'Westminster City Council',
  officialDomains: ['westminster.gov.uk'],
  entries,
  today: '2025-12-01',
});

describe('genuine contact register rules', () => {
  test('each kind of value has one spelling that checks compare against', () => {
    assert.equal(valueKey('phone', '+44 (0)20 7641 1919'), undefined);
    assert.equal(valueKey('phone', '+44 20 7641 1919'), '02076411919');
    assert.equal(valueKey('email-address', 'CyberEnquiry@Westminster.gov.uk'), 'cyberenquiry@westminster.gov.uk');
    assert.equal(valueKey('domain', 'Westminster.gov.uk.'), 'westminster.gov.uk');
    assert.equal(valueKey('domain', 'www.gov.uk'), 'www.gov.uk', 'www. is kept, so it cannot stand for all of gov.uk');
    assert.equal(valueKey('email-domain', '@rbkc.gov.uk'), 'rbkc.gov.uk');
    assert.equal(valueKey('sms-sender', 'WCC Council'), 'wcccouncil');
    assert.equal(valueKey('sms-sender', 'TwelveLetters'), undefined, 'sender IDs are at most 11 characters');
    assert.equal(valueKey('reference-format', 'wcc-xxxx-xxxx'), 'WCC-XXXX-XXXX');
    assert.equal(valueKey('reference-format', 'WCC-1234'), undefined);
  });

  test('an entry needs a channel, a kind, a value of that kind, a description and real dates in order', () => {
    const bad = validateEntry({
      channel: 'fax',
      kind: 'phone',
      value: '12',
      description: '',
      activeFrom: '2025-02-30',
      activeTo: 'soon',
    });
    assert.equal(bad.ok, false);
    assert.deepEqual(!bad.ok && bad.errors.map((e) => e.href), [
      '#channel',
      '#value',
      '#description',
      '#activeFrom',
      '#activeTo',
    ]);
    const backwards = validateEntry({
      channel: 'phone',
      kind: 'phone',
      value: '020 7641 1919',
      description: 'Helpline',
      activeFrom: '2025-11-24',
      activeTo: '2025-11-01',
    });
    assert.equal(!backwards.ok && backwards.errors[0]?.href, '#activeTo');
    const good = validateEntry({
      channel: 'phone',
      kind: 'phone',
      value: ' 020 7641 1919 ',
      description: 'Helpline',
      activeFrom: '2025-11-24',
      activeTo: '',
    });
    assert.deepEqual(good.ok && good.entry, {
      channel: 'phone',
      kind: 'phone',
      value: '020 7641 1919',
      valueKey: '02076411919',
      description: 'Helpline',
      activeFrom: '2025-11-24',
      activeTo: null,
    });
    assert.deepEqual(validateNeverAsk(' a \n\n b '), { ok: true, items: ['a', 'b'] });
    assert.equal(validateNeverAsk('x\n'.repeat(21)).ok, false);
  });

  test('what a resident typed is read as the one thing it can be', () => {
    assert.deepEqual(readCheckInput('123 456'), { type: 'call-code', code: '123456' });
    assert.deepEqual(readCheckInput('wr-abcd2345'), { type: 'verification-reference', reference: 'WR-ABCD2345' });
    assert.deepEqual(readCheckInput('wcc 7k4f 9qxd'), { type: 'case-reference', reference: 'WCC-7K4F-9QXD' });
    assert.deepEqual(readCheckInput('020 7641 1919'), { type: 'phone', phone: '02076411919' });
    assert.deepEqual(readCheckInput('mailto:Refunds@Westminster-Gov.uk'), {
      type: 'email',
      address: 'refunds@westminster-gov.uk',
      domain: 'westminster-gov.uk',
    });
    assert.deepEqual(readCheckInput('https://westminster.gov.uk.example.com/pay?x=1'), {
      type: 'domain',
      domain: 'westminster.gov.uk.example.com',
    });
    assert.deepEqual(readCheckInput('Westminster Council'), { type: 'sender-name', name: 'Westminster Council' });
    assert.equal(readCheckInput('   '), undefined);
    assert.equal(readCheckInput('x'.repeat(501)), undefined);
  });

  test('lookalikes of an official domain are spotted; the domain and its subdomains are not lookalikes', () => {
    const official = ['westminster.gov.uk'];
    assert.equal(lookalikeOf('westminster-gov.uk', official), 'westminster.gov.uk');
    assert.equal(lookalikeOf('westminster.gov.uk.example.com', official), 'westminster.gov.uk');
    assert.equal(lookalikeOf('westminstr.gov.uk', official), 'westminster.gov.uk');
    assert.equal(lookalikeOf('www.westminster.gov.uk', official), undefined);
    assert.equal(lookalikeOf('example.com', official), undefined);
  });

  test('the register answers genuine, not us, or cannot confirm, and never about a case', () => {
    const register = [
      entry({}),
      entry({ value: '020 7641 3000', valueKey: '02076413000', description: 'Old line', activeTo: '2025-11-30' }),
      entry({ channel: 'website', kind: 'domain', value: 'westminster.gov.uk', valueKey: 'westminster.gov.uk' }),
      entry({ channel: 'letter', kind: 'reference-format', value: 'WCC-XXXX-XXXX', valueKey: 'WCC-XXXX-XXXX' }),
    ];
    const answer = (typed: string, entries = register) => checkAgainstRegister(readCheckInput(typed)!, facts(entries));
    assert.equal(answer('020 7641 1919').answer, 'genuine');
    assert.deepEqual(answer('020 7641 3000'), {
      answer: 'not-us',
      why: 'We stopped using this number on 2025-11-30.',
    });
    assert.equal(answer('020 7946 0000').answer, 'not-us');
    assert.equal(
      answer('020 7946 0000', []).answer,
      'cannot-confirm',
      'with no numbers published, nothing is ruled out',
    );
    assert.equal(answer('https://www.westminster.gov.uk/x').answer, 'genuine');
    assert.equal(answer('https://example.com').answer, 'not-us');
    assert.equal(answer('https://westminster-gov.uk', []).answer, 'not-us', 'a lookalike is never ours');
    assert.equal(answer('https://example.com', []).answer, 'cannot-confirm');
    assert.equal(answer('Westminster Council').answer, 'cannot-confirm');
    const a = answer('WCC-7K4F-9QXD');
    const b = answer('WCC-ACDE-FGHJ');
    assert.equal(a.answer, 'cannot-confirm');
    assert.equal(JSON.stringify(a).replace('WCC-7K4F-9QXD', ''), JSON.stringify(b).replace('WCC-ACDE-FGHJ', ''));
  });
});
