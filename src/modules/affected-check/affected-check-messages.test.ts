import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SMS_LENGTH } from '../../platform/sms/outbound-sms.ts';
import { answerEmail, answerSms, councilList } from './affected-check-messages.ts';
import { checkableEmail, lookupKeys } from './contact-normalisation.ts';

const answer = {
  to: '+447700900123',
  councilName: 'Westminster City Council',
  foundIn: ['Westminster City Council'],
  incidentUrl: 'https://incident.example.gov.uk/westminster/cyber-incident',
  checkUrl: 'https://incident.example.gov.uk/westminster/is-this-really-us',
  reference: 'WR-ABCDEFGH',
};

test('councils are named as a sentence names them', () => {
  assert.equal(councilList(['A']), 'A');
  assert.equal(councilList(['A', 'B']), 'A and B');
  assert.equal(councilList(['A', 'B', 'C']), 'A, B and C');
});

test('an address is matched as the import stores it: trimmed, its key in lower case', () => {
  assert.equal(checkableEmail('  Jo.Bloggs@Example.ORG '), 'Jo.Bloggs@example.org');
  assert.deepEqual(lookupKeys({ channel: 'email', address: 'Jo.Bloggs@example.org' }), [
    'email:jo.bloggs@example.org',
    'email:jo.bloggs@example.org',
  ]);
  assert.deepEqual(lookupKeys({ channel: 'sms', address: '+447700900123' }), [
    'phone:+447700900123',
    'phone:+447700900123',
  ]);
  assert.equal(checkableEmail('not an address'), undefined);
});

test('a text always fits and always keeps its reference, however long the councils’ names', () => {
  const long = answerSms({
    ...answer,
    foundIn: Array.from({ length: 6 }, (_, i) => `${'Royal Borough '.repeat(4)}${i}`),
  });
  assert.ok(long.body.length <= MAX_SMS_LENGTH, `${long.body.length}`);
  assert.match(long.body, /found your number/);
  assert.match(long.body, /Ref WR-ABCDEFGH$/);
  const short = answerSms(answer);
  assert.match(short.body, /We found it in the data copied from Westminster City Council\./);
});

test('both emails have the same subject and carry no link but the council’s', () => {
  const found = answerEmail({ ...answer, to: 'jo@example.org' });
  const notFound = answerEmail({ ...answer, to: 'jo@example.org', foundIn: [] });
  assert.equal(found.subject, notFound.subject);
  for (const mail of [found, notFound]) {
    for (const link of mail.text.match(/https?:\/\/\S+/g) ?? []) {
      assert.match(link, /^https:\/\/incident\.example\.gov\.uk\/westminster\//);
    }
    assert.match(mail.text, /jo@example\.org/, 'names the address it went to');
  }
});
