import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EMPTY_CALL, parseTime, validateCall } from './enquiry-calls.ts';
import { buildDashboard, volumeChartSvg } from './enquiry-dashboard.ts';
import { EMPTY_ANSWERS, normaliseUkPhone, validateEnquiry } from './enquiry-form.ts';
import {
  newReference,
  normaliseReference,
  prefixFromName,
  REFERENCE_ALPHABET,
  referencesIn,
} from './enquiry-reference.ts';
import { dueAtFor, targetState } from './enquiry-targets.ts';
import { triage } from './enquiry-triage.ts';
import { parseSearch } from './enquiries.service.ts';

test('a message with a safeguarding word, declared needs, age or social care makes a case urgent, with each reason', () => {
  assert.deepEqual(triage({ text: 'How do I pay my council tax?' }), { priority: 'standard', reasons: [] });
  for (const [text, concern] of [
    ['I have no food in the house since my benefits stopped', 'no food'],
    ['The heating is not working and I am freezing', 'no heating'],
    ['I ran out of medication and the pharmacy cannot reach you', 'no medication'],
    ['My partner is abusive and has my login', 'abuse'],
    ['I feel like I want to end my life', 'self-harm'],
    ['Thinking about self harm again', 'self-harm'],
  ] as const) {
    const result = triage({ text });
    assert.equal(result.priority, 'urgent', text);
    assert.ok(
      result.reasons.some((r) => r.startsWith(`Safeguarding: mentions ${concern}`)),
      `${text}: ${result.reasons.join('; ')}`,
    );
  }
  const all = triage({ text: 'hello', supportNeeds: 'I use a wheelchair', agedOver75: true, socialCare: true });
  assert.deepEqual(all.reasons, [
    'Said they need extra help: I use a wheelchair',
    'Aged 75 or over',
    'Gets social care, or cares for someone who does',
  ]);
  // Words that merely contain a trigger are not a match.
  assert.equal(triage({ text: 'Please send my abusers list... no, the abstract' }).priority, 'standard');
  assert.equal(triage({ text: 'My medication review letter' }).priority, 'standard');
});

test('references are easy to read aloud, found in subjects, and typed back in any spelling', () => {
  let i = 0;
  const ref = newReference('WCC', (n) => (i++ * 7) % n);
  assert.match(ref, /^WCC-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
  for (const ch of ref.slice(4).replace('-', '')) assert.ok(REFERENCE_ALPHABET.includes(ch), ch);
  for (const ambiguous of ['0', 'O', '1', 'I', 'L', '2', 'Z', '5', 'S', '8', 'B', 'U', 'V']) {
    assert.ok(!REFERENCE_ALPHABET.includes(ambiguous), ambiguous);
  }
  assert.equal(normaliseReference(' wcc 7k4f 9qxd '), 'WCC-7K4F-9QXD');
  assert.equal(normaliseReference('WCC-7K4F-9QXD'), 'WCC-7K4F-9QXD');
  assert.equal(normaliseReference('WCC-7K4F-9QX0'), undefined, '0 is not in the alphabet');
  assert.equal(normaliseReference('hello'), undefined);
  assert.deepEqual(referencesIn('Re: We have received your enquiry (reference wcc-7k4f-9qxd) RE: WCC-7K4F-9QXD'), [
    'WCC-7K4F-9QXD',
  ]);
  assert.equal(prefixFromName('Westminster City Council'), 'WCC');
  assert.equal(prefixFromName('Royal Borough of Kensington and Chelsea'), 'RBKC');
  assert.equal(prefixFromName('London Borough of Hammersmith & Fulham'), 'LBHF');
});

test('the form explains every missing or wrong answer, and cleans the good ones', () => {
  const empty = validateEnquiry(EMPTY_ANSWERS);
  assert.equal(empty.ok, false);
  assert.deepEqual(!empty.ok && empty.errors.map((e) => e.href), [
    '#topic',
    '#message',
    '#name',
    '#replyBy',
    '#extraHelp',
  ]);
  const byPhoneWithoutNumber = validateEnquiry({
    ...EMPTY_ANSWERS,
    topic: 'other',
    message: 'Hello',
    name: 'A B',
    replyBy: 'phone',
    extraHelp: 'yes',
    email: 'not-an-address',
  });
  assert.deepEqual(!byPhoneWithoutNumber.ok && byPhoneWithoutNumber.errors.map((e) => e.text), [
    'Enter an email address in the correct format, like name@example.com',
    'Enter your phone number',
    'Tell us what extra help you need',
  ]);
  const good = validateEnquiry({
    ...EMPTY_ANSWERS,
    topic: 'affected',
    message: 'Was my data taken?',
    name: 'Jo Bloggs',
    replyBy: 'email',
    email: 'Jo@Example.COM',
    phone: '+44 20 7641 1919',
    extraHelp: 'no',
    circumstances: ['aged-75-or-over'],
  });
  assert.ok(good.ok);
  assert.equal(good.enquiry.email, 'jo@example.com');
  assert.equal(good.enquiry.phone, '02076411919');
  assert.equal(good.enquiry.agedOver75, true);
  assert.equal(good.enquiry.supportNeeds, null);
  assert.equal(normaliseUkPhone('07700 900 982'), '07700900982');
  assert.equal(normaliseUkPhone('12345'), undefined);
});

test('search understands references, addresses, numbers and words', () => {
  assert.deepEqual(parseSearch('wcc-7k4f-9qxd'), { reference: 'WCC-7K4F-9QXD' });
  assert.deepEqual(parseSearch('Jo@Example.com'), { email: 'jo@example.com' });
  assert.deepEqual(parseSearch('020 7641 1919'), { phone: '02076411919' });
  assert.deepEqual(parseSearch('heating'), { text: 'heating' });
  assert.equal(parseSearch('  '), undefined);
});

test('a case is on track, then due soon, then overdue; once answered, in time or late', () => {
  const created = new Date('2026-11-27T09:00:00Z');
  const c = { createdAt: created.toISOString(), dueAt: dueAtFor('urgent', created), firstResponseAt: null };
  assert.equal(c.dueAt, '2026-11-27T13:00:00.000Z');
  assert.equal(targetState(c, new Date('2026-11-27T10:00:00Z')), 'on-track');
  assert.equal(targetState(c, new Date('2026-11-27T12:30:00Z')), 'due-soon');
  assert.equal(targetState(c, new Date('2026-11-27T13:00:01Z')), 'overdue');
  assert.equal(targetState({ ...c, firstResponseAt: '2026-11-27T12:00:00.000Z' }, new Date()), 'met');
  assert.equal(targetState({ ...c, firstResponseAt: '2026-11-27T14:00:00.000Z' }, new Date()), 'missed');
  assert.equal(dueAtFor('standard', created), '2026-11-30T09:00:00.000Z');
});

test('a call needs notes and an outcome; a new case also needs a name, a way to reach them and a topic', () => {
  const now = new Date('2026-11-27T10:00:00Z');
  const empty = validateCall(EMPTY_CALL, now);
  assert.deepEqual(!empty.ok && empty.errors.map((e) => e.href), [
    '#callerName',
    '#phone',
    '#topic',
    '#notes',
    '#outcome',
  ]);
  const onCase = validateCall(
    { ...EMPTY_CALL, reference: 'wcc 7k4f 9qxd', notes: 'Rang back', outcome: 'answered' },
    now,
  );
  assert.ok(onCase.ok);
  assert.equal(onCase.call.reference, 'WCC-7K4F-9QXD');
  assert.equal(onCase.call.callbackDueAt, null);

  const base = {
    ...EMPTY_CALL,
    callerName: 'Pat',
    phone: '020 7641 1919',
    topic: 'service',
    notes: 'Bins',
    outcome: 'follow-up',
  };
  const soon = validateCall({ ...base, callback: 'soon' }, now);
  assert.ok(soon.ok);
  assert.equal(soon.call.callbackDueAt, '2026-11-27T14:00:00.000Z');
  const tomorrow = validateCall({ ...base, callback: 'tomorrow' }, now);
  assert.ok(tomorrow.ok);
  assert.equal(tomorrow.call.callbackDueAt, '2026-11-28T09:00:00.000Z', '9am UK time (GMT in November)');
  const agreed = validateCall(
    { ...base, callback: 'at', callbackDay: '1', callbackMonth: '6', callbackYear: '2027', callbackTime: '2:30pm' },
    now,
  );
  assert.ok(agreed.ok);
  assert.equal(agreed.call.callbackDueAt, '2027-06-01T13:30:00.000Z', '2:30pm UK time (BST in June)');
  const past = validateCall(
    { ...base, callback: 'at', callbackDay: '1', callbackMonth: '1', callbackYear: '2020', callbackTime: '9am' },
    now,
  );
  assert.deepEqual(!past.ok && past.errors.map((e) => e.text), ['The time to call back must be in the future']);
  const badTime = validateCall(
    { ...base, callback: 'at', callbackDay: '31', callbackMonth: '2', callbackYear: '2027', callbackTime: '25:00' },
    now,
  );
  assert.deepEqual(!badTime.ok && badTime.errors.map((e) => e.href), ['#callbackDay']);
  assert.deepEqual(parseTime('14:30'), { hour: 14, minute: 30 });
  assert.deepEqual(parseTime('12am'), { hour: 0, minute: 0 });
  assert.deepEqual(parseTime('9.05'), { hour: 9, minute: 5 });
  assert.equal(parseTime('13pm'), undefined);
});

test('the dashboard counts open cases by priority and age, the targets, and each day’s cases by channel', () => {
  const now = new Date('2026-11-27T12:00:00Z');
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * 3_600_000).toISOString();
  const data = buildDashboard(
    [
      { priority: 'urgent', status: 'new', openedVia: 'web', createdAt: at(2), dueAt: at(-2), firstResponseAt: null },
      {
        priority: 'urgent',
        status: 'in-progress',
        openedVia: 'phone',
        createdAt: at(30),
        dueAt: at(26),
        firstResponseAt: null,
      },
      {
        priority: 'standard',
        status: 'waiting',
        openedVia: 'email',
        createdAt: at(24 * 10),
        dueAt: at(24 * 7),
        firstResponseAt: at(24 * 6),
      },
      {
        priority: 'standard',
        status: 'closed',
        openedVia: 'web',
        createdAt: at(48),
        dueAt: at(-24),
        firstResponseAt: at(47),
      },
    ],
    now,
  );
  assert.deepEqual(data.open, [
    { priority: 'urgent', counts: [1, 1, 0, 0], total: 2 },
    { priority: 'standard', counts: [0, 0, 0, 1], total: 1 },
  ]);
  assert.deepEqual(data.targets, { overdueNow: 1, answeredInTime: 1, answeredLate: 1, days: 30 });
  assert.equal(data.days.length, 14);
  assert.deepEqual(data.days.at(-1), {
    date: '2026-11-27',
    label: '27 Nov',
    counts: { web: 1, email: 0, phone: 0 },
    total: 1,
  });
  assert.deepEqual(data.days.at(-2)?.counts, { web: 0, email: 0, phone: 1 });
  const svg = volumeChartSvg(data.days);
  assert.match(svg, /^<svg [^>]*role="img" aria-labelledby="volume-title volume-desc"/);
  assert.match(svg, /<desc id="volume-desc">4 enquiries in the last 14 days/);
  assert.equal((svg.match(/<rect /g) ?? []).length, 4, 'one bar part per day and channel with cases');
  assert.doesNotMatch(svg, /style=/, 'no style attributes: the CSP forbids them');
});
