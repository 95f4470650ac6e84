// The rules for what staff type into the set-up forms, without a database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DATA_CATEGORIES,
  isUkPhoneNumber,
  normaliseCategories,
  onOfficialDomain,
  serviceSlug,
  validateContact,
  type ContactInput,
} from './incident-setup.service.ts';

const blank: ContactInput = { kind: '', label: 'Helpline', phone: '', hours: '', email: '', web: '' };
const WCC = ['westminster.gov.uk'];

describe('incident set-up: what staff type', () => {
  test('UK phone numbers are accepted loosely, and anything else is refused', () => {
    for (const ok of [
      '020 7641 1919',
      '0207 641 1919',
      '02076411919',
      '0800 358 3783',
      '+44 20 7641 1919',
      '+44 (0)20 7641 1919',
      '(020) 7641-1919',
      '01632 960 001',
      '18001 020 7641 1919',
      '101',
      '116 123',
    ]) {
      assert.equal(isUkPhoneNumber(ok), true, ok);
    }
    for (const bad of [
      '020 7641 19',
      '+1 212 555 0100',
      '0207 641 1919 ext 2',
      'call 020 7641 1919',
      '44 20 7641 1919',
      '020+7641 1919',
      '123456',
      '',
    ]) {
      assert.equal(isUkPhoneNumber(bad), false, bad);
    }
  });

  test('a phone contact keeps its opening hours; other kinds have none', () => {
    const phone = validateContact(
      { ...blank, kind: 'phone', phone: ' 020  7641 1919 ', hours: 'Monday to Friday, 9am to 5pm', email: 'x@y.z' },
      WCC,
    );
    assert.deepEqual(phone.errors, []);
    assert.deepEqual(phone.contact, {
      kind: 'phone',
      label: 'Helpline',
      value: '020 7641 1919',
      hours: 'Monday to Friday, 9am to 5pm',
    });
    const email = validateContact(
      { ...blank, kind: 'email', email: 'CyberEnquiry@Westminster.gov.uk', hours: 'x' },
      WCC,
    );
    assert.deepEqual(email.contact, {
      kind: 'email',
      label: 'Helpline',
      value: 'cyberenquiry@westminster.gov.uk',
      hours: null,
    });
  });

  test("email and web addresses must be well formed and on the council's own domains or gov.uk", () => {
    const message = (input: Partial<ContactInput>) =>
      validateContact({ ...blank, ...input }, WCC).errors.map((e) => `${e.href} ${e.text}`);
    assert.deepEqual(message({ kind: 'email', email: 'enquiries@westminster.gov.uk' }), []);
    assert.deepEqual(message({ kind: 'email', email: 'help@ncsc.gov.uk' }), []);
    assert.match(
      message({ kind: 'email', email: 'not an email' })[0]!,
      /^#email Enter an email address in the correct/,
    );
    assert.match(message({ kind: 'email', email: 'a@westminster' })[0]!, /correct format/);
    assert.match(
      message({ kind: 'email', email: 'help@westminster-gov.uk' })[0]!,
      /^#email .*westminster\.gov\.uk, gov\.uk/,
    );
    assert.deepEqual(message({ kind: 'web', web: 'https://www.westminster.gov.uk/cyber' }), []);
    assert.match(message({ kind: 'web', web: 'http://www.westminster.gov.uk' })[0]!, /^#web .*https:\/\//);
    assert.match(message({ kind: 'web', web: 'javascript:alert(1)' })[0]!, /https:\/\//);
    assert.match(message({ kind: 'web', web: 'https://user:pw@westminster.gov.uk' })[0]!, /https:\/\//);
    assert.match(message({ kind: 'web', web: 'https://westminster.gov.uk.evil.example' })[0]!, /own website/);
    assert.match(message({ kind: 'phone', phone: '555-0100' })[0]!, /^#phone Enter a UK phone number/);
    assert.match(message({ kind: 'fax' })[0]!, /^#kind /);
    assert.match(message({ kind: 'phone', phone: '101', label: '' })[0]!, /^#label /);
    assert.match(message({ kind: 'phone', phone: '101', label: 'x'.repeat(81) })[0]!, /80 characters/);
    assert.match(message({ kind: 'phone', phone: '101', hours: 'x'.repeat(201) })[0]!, /^#hours /);
    assert.equal(
      validateContact(
        { ...blank, kind: 'web', web: 'https://www.gov.uk/report-suspicious-emails-websites-phishing' },
        WCC,
      ).contact.value,
      'https://www.gov.uk/report-suspicious-emails-websites-phishing',
    );
  });

  test('official domains match whole labels only', () => {
    assert.equal(onOfficialDomain('www.westminster.gov.uk', WCC), true);
    assert.equal(onOfficialDomain('WESTMINSTER.GOV.UK', WCC), true);
    assert.equal(onOfficialDomain('notwestminster.gov.uk', ['westminster.gov.uk']), true, 'still under gov.uk');
    assert.equal(onOfficialDomain('rbkc.gov.uk.example.com', ['rbkc.gov.uk']), false);
    assert.equal(onOfficialDomain('fakegov.uk', []), false);
  });

  test('a service page address comes from its name and never repeats one the council uses', () => {
    assert.equal(serviceSlug('Housing repairs & homelessness', []), 'housing-repairs-and-homelessness');
    assert.equal(serviceSlug("Children's services referrals", []), 'children-s-services-referrals');
    assert.equal(serviceSlug('Café licences', []), 'cafe-licences');
    assert.equal(serviceSlug('Parking permits', ['parking-permits', 'parking-permits-2']), 'parking-permits-3');
    assert.equal(serviceSlug('   ', []), 'service');
    assert.equal(serviceSlug('ウェブサイト', ['service']), 'service-2');
    assert.ok(serviceSlug('x'.repeat(300), []).length <= 50);
  });

  test('data categories: the list in its own order, then others as typed, without repeats', () => {
    const { errors, categories } = normaliseCategories({
      selected: ['social care records', 'contact details'],
      other: 'Vehicle registration numbers\r\n\r\n  Contact Details \nvehicle registration numbers\n',
    });
    assert.deepEqual(errors, []);
    assert.deepEqual(categories, ['contact details', 'social care records', 'Vehicle registration numbers']);
    assert.equal(DATA_CATEGORIES.includes('contact details'), true);
    assert.match(normaliseCategories({ selected: ['<script>'], other: '' }).errors[0]!.text, /from the list/);
    assert.match(normaliseCategories({ selected: [], other: 'x'.repeat(101) }).errors[0]!.text, /100 characters/);
    const many = Array.from({ length: 21 }, (_, i) => `category ${i}`).join('\n');
    assert.match(normaliseCategories({ selected: [], other: many }).errors[0]!.text, /20 other categories/);
    assert.deepEqual(normaliseCategories({ selected: [], other: '' }).categories, []);
  });
});
