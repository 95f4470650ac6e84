import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validInput } from './breach-record.test-support.ts';
import {
  assessRisk,
  hasCriminalOffenceData,
  recordInputFrom,
  specialCategories,
  validateRecord,
  validateRisk,
  type Likelihood,
  type Severity,
} from './breach-record.ts';

const NOW = '2026-02-10T12:00:00.000Z';

describe('breach record: the risk assessment', () => {
  const expected: Record<Likelihood, Record<Severity, string>> = {
    remote: { minimal: 'none', significant: 'none', severe: 'risk' },
    possible: { minimal: 'none', significant: 'risk', severe: 'high' },
    likely: { minimal: 'risk', significant: 'high', severe: 'high' },
  };
  for (const [likelihood, row] of Object.entries(expected) as Array<[Likelihood, Record<Severity, string>]>) {
    for (const [severity, overall] of Object.entries(row) as Array<[Severity, string]>) {
      test(`${likelihood} × ${severity} is ${overall}`, () => {
        const risk = assessRisk(likelihood, severity, { categories: ['contact'], dataExfiltrated: 'no' });
        assert.equal(risk.overall, overall);
      });
    }
  }

  test('the reasoning shows the scores and what the answer means, and names special category data', () => {
    const risk = assessRisk('possible', 'severe', {
      categories: ['health', 'criminal', 'children'],
      dataExfiltrated: 'yes',
    });
    assert.equal(risk.score, 6);
    assert.match(risk.reasons[0]!, /Likelihood of harm: Possible \(2 of 3\). Severity of harm: Severe \(3 of 3\)/);
    assert.match(risk.reasons[1]!, /2 × 3 = 6/);
    assert.match(risk.reasons[2]!, /^High risk: .*tell the people affected without undue delay/);
    assert.ok(risk.reasons.some((r) => /special category data \(Health, including social care records\)/.test(r)));
    assert.ok(risk.reasons.some((r) => /criminal offence data/.test(r)));
    assert.ok(risk.reasons.some((r) => /children or vulnerable adults/.test(r)));
    assert.ok(risk.reasons.some((r) => /taken by the attackers/.test(r)));
  });

  test('special category and criminal offence data are derived from the categories', () => {
    assert.deepEqual(specialCategories(['contact', 'health', 'religious', 'criminal']), ['health', 'religious']);
    assert.equal(hasCriminalOffenceData(['contact', 'criminal']), true);
    assert.equal(hasCriminalOffenceData(['contact', 'health']), false);
  });

  test('a breach unlikely to result in a risk needs the reason it is not reported', () => {
    const facts = { categories: ['contact'] as const, dataExfiltrated: 'no' as const };
    const missing = validateRisk(
      { likelihood: 'remote', severity: 'minimal', reasoning: 'Encrypted laptop.', notReportingReason: '' },
      { ...facts, categories: [...facts.categories] },
    );
    assert.equal(missing.ok, false);
    assert.deepEqual(!missing.ok && missing.errors.map((e) => e.href), ['#notReportingReason']);
    const none = validateRisk(
      { likelihood: '', severity: 'huge', reasoning: '', notReportingReason: '' },
      {
        categories: ['contact'],
        dataExfiltrated: 'no',
      },
    );
    assert.deepEqual(!none.ok && none.errors.map((e) => e.href), ['#likelihood', '#severity', '#reasoning']);
  });
});

describe('breach record: checking the form', () => {
  test('a complete form gives the fields to store, tidied', () => {
    const checked = validateRecord(validInput(), NOW);
    assert.ok(checked.ok, JSON.stringify(!checked.ok && checked.errors));
    const { fields } = checked;
    assert.equal(fields.awareAt, '2025-11-24T09:00:00.000Z', 'UK time in winter is UTC');
    assert.deepEqual(fields.systemsAffected, ['Shared IT environment', 'Social care case records']);
    assert.deepEqual(fields.people, { basis: 'approximate', low: 100000, high: null });
    assert.deepEqual(fields.records, { basis: 'unknown', low: null, high: null });
    assert.equal(fields.tellPeopleOn, null);
    assert.deepEqual(recordInputFrom(fields).peopleLow, '100000', 'the form is filled in again from the record');
    assert.equal(recordInputFrom(fields).awareTime, '09:00');
  });

  test('summer time: what the DPO types is UK time', () => {
    const checked = validateRecord(validInput({ awareDay: '1', awareMonth: '7', awareYear: '2025' }), NOW);
    assert.ok(checked.ok);
    assert.equal(checked.fields.awareAt, '2025-07-01T08:00:00.000Z');
  });

  test('every problem is named, against its field', () => {
    const checked = validateRecord(
      validInput({
        description: ' ',
        awareDay: '30',
        awareMonth: '2',
        awareTime: '25:00',
        dataCategories: ['other'],
        peopleBasis: 'range',
        peopleLow: '500',
        peopleHigh: '100',
        recordsBasis: '',
        dataExfiltrated: 'maybe',
        bodiesInformed: ['other'],
        tellPeople: 'told',
        tellPeopleReason: '',
        dpoEmail: 'not an email',
        dpoPhone: 'call me',
      }),
      NOW,
    );
    assert.equal(checked.ok, false);
    assert.deepEqual(!checked.ok && checked.errors, [
      { text: 'Enter what happened', href: '#description' },
      { text: 'The date must be a real date, like 24 11 2025', href: '#awareAt-day' },
      {
        text: 'Enter the time the council became aware of the breach, like 14:30',
        href: '#awareTime',
      },
      { text: 'Enter the other kind of data', href: '#dataCategoriesOther' },
      { text: 'The highest number of people must be more than the lowest', href: '#peopleHigh' },
      { text: 'Select how many records are affected, or that it is not known yet', href: '#recordsBasis' },
      { text: 'Select whether personal data was taken, or that it is not known yet', href: '#dataExfiltrated' },
      { text: 'Enter which other organisation was told', href: '#bodiesInformedOther' },
      { text: 'Enter the date people were told', href: '#tellOn-day' },
      { text: 'Enter why the people affected are being told', href: '#tellPeopleReason' },
      { text: 'Enter an email address in the correct format, like dpo@council.gov.uk', href: '#dpoEmail' },
      { text: 'Enter a phone number, like 020 7641 6000', href: '#dpoPhone' },
    ]);
  });

  test('a time in the future and numbers that are not whole numbers are refused', () => {
    const checked = validateRecord(
      validInput({ awareYear: '2027', peopleBasis: 'exact', peopleLow: '12.5', dataCategories: [] }),
      NOW,
    );
    assert.deepEqual(!checked.ok && checked.errors.map((e) => e.text), [
      'The date and time the council became aware of the breach must be in the past',
      'Select the kinds of personal data involved',
      'Enter the number of people as a whole number between 1 and 100,000,000, like 1,500',
    ]);
  });
});
