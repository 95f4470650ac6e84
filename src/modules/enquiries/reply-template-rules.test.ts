import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseOutboundMessage } from '../../platform/mail/outbound-message.ts';
import { replyEmail } from './enquiry-reply-message.ts';
import {
  fillPlaceholders,
  unknownPlaceholders,
  validatePersonalParagraph,
  validateTemplate,
  type TemplateInput,
} from './reply-template-rules.ts';

const DOMAINS = ['westminster.gov.uk'];
const good: TemplateInput = {
  name: 'Suspicious call: it was not us',
  topics: ['suspicious-contact'],
  subject: 'The call you told us about was not from us',
  body: 'It was not from ((council)).\n\nSee ((Incident  Page)) or https://www.westminster.gov.uk/cyber.',
};
const messages = (input: TemplateInput) => {
  const result = validateTemplate(input, DOMAINS);
  return result.ok ? [] : result.errors.map((e) => `${e.href} ${e.text}`);
};

test('a good template is accepted, trimmed, with placeholders in any case and spacing', () => {
  const result = validateTemplate({ ...good, name: '  Suspicious call  ', body: `${good.body}  \r\n` }, DOMAINS);
  assert.ok(result.ok);
  assert.equal(result.fields.name, 'Suspicious call');
  assert.equal(result.fields.body, good.body);
  assert.deepEqual(result.fields.topics, ['suspicious-contact']);
});

test('unknown placeholders are an error that names each of them and lists the ones we know', () => {
  const errors = messages({ ...good, body: 'Text for ((nmae)) about ((ref)) and ((nmae)) again.' });
  assert.equal(errors.length, 1);
  assert.match(errors[0] ?? '', /^#body The text has placeholders we do not know: \(\(nmae\)\), \(\(ref\)\)\. Use/);
  assert.match(errors[0] ?? '', /\(\(name\)\), \(\(reference\)\), \(\(council\)\) or \(\(incident page\)\)/);
  assert.deepEqual(unknownPlaceholders('((name)) ((Reference)) ((ward))'), ['((ward))']);
  assert.match(messages({ ...good, body: 'Hello there ((name) and more' }).join(), /Leave out the greeting/);
  assert.match(messages({ ...good, body: 'For ((name) only' }).join(), /without two brackets on each side/);
});

test('names, subject lines and text have limits, and nothing required may be blank', () => {
  assert.deepEqual(messages({ name: ' ', topics: [], subject: '', body: '' }), [
    '#name Enter a name for the template',
    '#subject Enter a subject line',
    '#body Enter the text of the reply',
  ]);
  assert.deepEqual(messages({ ...good, name: 'n'.repeat(101), subject: 's'.repeat(151), body: 'b'.repeat(5001) }), [
    '#name The name must be 100 characters or fewer',
    '#subject The subject line must be 150 characters or fewer',
    '#body The text must be 5,000 characters or fewer',
  ]);
  assert.deepEqual(messages({ ...good, name: 'n'.repeat(100), subject: 's'.repeat(150), body: 'b'.repeat(5000) }), []);
  assert.deepEqual(messages({ ...good, topics: ['affected', 'made-up'] }), ['#topics Select topics from the list']);
});

test('the subject line takes no placeholders: a name there shows on lock screens', () => {
  assert.deepEqual(messages({ ...good, subject: 'For ((name))' }), [
    '#subject The subject line cannot have placeholders. The enquiry reference is added to it for you',
  ]);
});

test('links must be https on the council’s own domains or GOV.UK', () => {
  const errors = messages({
    ...good,
    body: 'Go to http://westminster.gov.uk/a, https://westminster-council.co.uk/pay or www.bit.ly/x. Or https://www.gov.uk/report-fraud.',
  });
  assert.equal(errors.length, 1);
  assert.match(
    errors[0] ?? '',
    /links to http:\/\/westminster\.gov\.uk\/a, https:\/\/westminster-council\.co\.uk\/pay, www\.bit\.ly\/x\. Links must start with https:\/\//,
  );
  const personal = validatePersonalParagraph('Pay at https://evil.example.com', DOMAINS);
  assert.ok(!personal.ok);
  assert.equal(personal.errors[0]?.href, '#personal');
});

test('an agent’s paragraph is optional, limited, and may use only known placeholders', () => {
  assert.deepEqual(validatePersonalParagraph('   ', DOMAINS), { ok: true, text: '' });
  assert.deepEqual(validatePersonalParagraph(' Thank you for calling, ((name)). ', DOMAINS), {
    ok: true,
    text: 'Thank you for calling, ((name)).',
  });
  const long = validatePersonalParagraph('x'.repeat(1001), DOMAINS);
  assert.ok(!long.ok);
  assert.match(long.errors[0]?.text ?? '', /1,000 characters or fewer/);
  assert.ok(!validatePersonalParagraph('Hi ((agent))', DOMAINS).ok);
});

test('placeholders are filled whatever their case and spacing', () => {
  assert.equal(
    fillPlaceholders('((Name)) at ((council)): (( incident page )) ((reference)).', {
      name: 'Jo',
      reference: 'WCC-7K4F-9QXD',
      council: 'Westminster City Council',
      'incident page': 'https://example.gov.uk/westminster/cyber-incident',
    }),
    'Jo at Westminster City Council: https://example.gov.uk/westminster/cyber-incident WCC-7K4F-9QXD.',
  );
});

test('a reply email carries the reference in its subject, threads under the case’s emails and ends with the safety lines', () => {
  const message = replyEmail({
    to: 'jo@example.com',
    name: 'Jo Bloggs',
    councilName: 'Westminster City Council',
    reference: 'WCC-7K4F-9QXD',
    subject: 'What we know',
    body: 'The approved text.',
    personal: 'Thanks for calling.',
    replyTo: 'cyberenquiry@westminster.gov.uk',
    messageId: '<wcc-7k4f-9qxd.2@example.gov.uk>',
    thread: ['<ack@example.gov.uk>', '<resident@example.com>'],
    verificationReference: 'WR-ABCDEFGH',
  });
  assert.equal(message.subject, 'Your enquiry WCC-7K4F-9QXD: What we know');
  assert.deepEqual(message.headers, {
    'In-Reply-To': '<resident@example.com>',
    References: '<ack@example.gov.uk> <resident@example.com>',
  });
  assert.equal(message.replyTo, 'cyberenquiry@westminster.gov.uk');
  assert.equal(message.reference, 'WR-ABCDEFGH');
  assert.equal(
    message.text,
    [
      'Dear Jo Bloggs,',
      '',
      'Thanks for calling.',
      '',
      'The approved text.',
      '',
      'Your reference is WCC-7K4F-9QXD. If you reply to this email, keep the reference in the subject line.',
      '',
      'We will never ask you for a password, bank details or a payment by email. If an email asks for these, it is not from us.',
      '',
      'Verification reference: WR-ABCDEFGH',
      '',
      'Westminster City Council',
      '',
    ].join('\n'),
  );
  // It is a message the mail queue accepts.
  assert.deepEqual(parseOutboundMessage(message), message);

  const first = replyEmail({
    ...message,
    to: 'x@example.com',
    name: null,
    councilName: 'C',
    reference: 'WCC-7K4F-9QXD',
    subject: 'S',
    body: 'B',
    personal: '',
    replyTo: undefined,
    messageId: '<a@b.uk>',
    thread: [],
    verificationReference: 'WR-ABCDEFGH',
  });
  assert.match(first.text, /^Dear resident,\n\nB\n/);
  assert.equal(first.headers, undefined, 'nothing to thread under');
  assert.equal(first.replyTo, undefined);
});
