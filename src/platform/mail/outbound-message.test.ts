import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  InvalidMessageError,
  MAX_BODY_BYTES,
  parseMailbox,
  parseOutboundMessage,
  referenceProblems,
  type OutboundMessage,
} from './outbound-message.ts';

const valid: OutboundMessage = {
  to: 'resident@example.org.uk',
  subject: 'Update on the cyber incident',
  text: 'Dear resident,\n\nWe have published an update at https://www.westminster.gov.uk/cyber-incident.\n',
  reference: 'WCC-7K2F-9QXD',
};

/** The problems a message is refused for; fails the test if it is accepted. */
function problemsOf(input: unknown): string[] {
  try {
    parseOutboundMessage(input);
  } catch (error) {
    assert.ok(error instanceof InvalidMessageError, `expected InvalidMessageError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('the message was accepted');
}

test('a plain message is accepted as it is, and header names take their usual spelling', () => {
  assert.deepEqual(parseOutboundMessage(valid), valid);
  const withHeaders = parseOutboundMessage({
    ...valid,
    html: '<p>Dear resident,</p>',
    from: 'Westminster City Council <cyber-incident@westminster.gov.uk>',
    replyTo: 'cyberenquiry@westminster.gov.uk',
    messageId: '<0196f1c2-enquiry@westminster.gov.uk>',
    headers: {
      'list-unsubscribe': '<https://www.westminster.gov.uk/unsubscribe/abc>',
      'LIST-UNSUBSCRIBE-POST': 'List-Unsubscribe=One-Click',
      'in-reply-to': '<original@example.org.uk>',
    },
  });
  assert.deepEqual(withHeaders.headers, {
    'List-Unsubscribe': '<https://www.westminster.gov.uk/unsubscribe/abc>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'In-Reply-To': '<original@example.org.uk>',
  });
});

test('a line break in the subject, a header, the sender or the reply-to address is refused', () => {
  assert.deepEqual(problemsOf({ ...valid, subject: 'Update\r\nBcc: everyone@example.org.uk' }), [
    'subject must not contain a line break',
  ]);
  assert.deepEqual(problemsOf({ ...valid, subject: 'Update\u2028more' }), ['subject must not contain a line break']);
  assert.deepEqual(problemsOf({ ...valid, headers: { References: '<a@b.uk>\nBcc: x@example.org.uk' } }), [
    'the header References must not contain a line break',
  ]);
  assert.equal(problemsOf({ ...valid, from: 'Council <a@westminster.gov.uk>\r\nBcc: x@example.org.uk' }).length, 1);
  assert.equal(problemsOf({ ...valid, replyTo: 'a@westminster.gov.uk\nCc: x@example.org.uk' }).length, 1);
  assert.deepEqual(problemsOf({ ...valid, subject: 'Update\u0000' }), ['subject must not contain control characters']);
});

test('only one bare recipient address is accepted', () => {
  for (const to of [
    'a@example.org.uk, b@example.org.uk',
    'a@example.org.uk;b@example.org.uk',
    'Resident <a@example.org.uk>',
    'a@example',
    'a@@example.org.uk',
    '.a@example.org.uk',
    'a..b@example.org.uk',
    'a b@example.org.uk',
    'a@-example.org.uk',
    `${'a'.repeat(65)}@example.org.uk`,
    '',
  ]) {
    assert.equal(problemsOf({ ...valid, to }).length, 1, `expected "${to}" to be refused`);
  }
  for (const to of ["o'brien+updates@example.org.uk", 'A.Resident@Sub.Example.CO.UK', 'x@xn--bcher-kva.example']) {
    assert.equal(parseOutboundMessage({ ...valid, to }).to, to);
  }
});

test('an error names the field but never repeats what was in it', () => {
  const [problem] = problemsOf({ ...valid, to: 'jane.smith.private@@example.org.uk' });
  assert.equal(problem, 'to must be one email address, such as name@example.gov.uk');
  assert.ok(!JSON.stringify(problemsOf({ ...valid, subject: 'Jane Smith\r\nX' })).includes('Jane'));
});

test('attachments and fields that are not part of a message are refused', () => {
  assert.deepEqual(problemsOf({ ...valid, attachments: [{ filename: 'notice.pdf' }] }), [
    'attachments are not allowed: link to a page on the council’s own website instead',
  ]);
  assert.deepEqual(problemsOf({ ...valid, cc: 'x@example.org.uk' }), ['"cc" is not a message field']);
  assert.deepEqual(problemsOf('not a message'), ['a message must be an object']);
});

test('only list and threading headers may be added', () => {
  const [problem] = problemsOf({ ...valid, headers: { Bcc: 'everyone@example.org.uk' } });
  assert.match(problem as string, /^the header "Bcc" is not allowed \(allowed: List-Unsubscribe, .*References/);
  assert.equal(problemsOf({ ...valid, headers: { 'Content-Type': 'text/html' } }).length, 1);
  assert.deepEqual(problemsOf({ ...valid, headers: { References: '' } }), [
    'the header References must have a non-empty string value',
  ]);
  assert.deepEqual(problemsOf({ ...valid, headers: { references: '<a@b.uk>', References: '<c@d.uk>' } }), [
    'the header References is given more than once',
  ]);
});

test('the subject and body have limits, and every problem is reported at once', () => {
  assert.equal(parseOutboundMessage({ ...valid, subject: '£'.repeat(200) }).subject.length, 200);
  assert.deepEqual(problemsOf({ ...valid, subject: 'x'.repeat(201) }), ['subject must be at most 200 characters']);
  assert.deepEqual(problemsOf({ ...valid, subject: '   ' }), ['subject must not be blank']);
  assert.deepEqual(problemsOf({ ...valid, text: 'x'.repeat(MAX_BODY_BYTES - 10), html: 'y'.repeat(11) }), [
    `the text and HTML together must be at most 256 KiB, not ${MAX_BODY_BYTES + 1} bytes`,
  ]);
  assert.deepEqual(problemsOf({ to: 'nobody', subject: '', reference: 'x' }), [
    'to must be one email address, such as name@example.gov.uk',
    'subject must be given as a non-empty string',
    'text must be given as a non-empty string',
    'reference must be 4 to 64 letters, digits and hyphens',
  ]);
  assert.deepEqual(problemsOf({ ...valid, messageId: 'no-angle-brackets@westminster.gov.uk' }), [
    'messageId must look like <unique-part@domain>',
  ]);
});

test('a reference that could hold personal data is refused', () => {
  assert.deepEqual(referenceProblems('WCC-7K2F-9QXD'), []);
  assert.deepEqual(referenceProblems('breach-2025-11-0001'), []);
  for (const reference of ['jane@example.org.uk', 'Jane Smith', 'ref_1', 'abc', 'x'.repeat(65), 'ref\r\nX: y']) {
    assert.deepEqual(referenceProblems(reference), ['reference must be 4 to 64 letters, digits and hyphens']);
  }
  for (const reference of ['07700900123', 'call-447700900123', 'nhs-9434765919', 'QQ123456C', 'ni-QQ123456C-x']) {
    assert.deepEqual(referenceProblems(reference), [
      'reference looks like it holds personal data (a long number or a National Insurance number)',
    ]);
  }
});

test('a sender is an address with an optional name', () => {
  assert.deepEqual(parseMailbox('cyber@westminster.gov.uk'), { name: undefined, address: 'cyber@westminster.gov.uk' });
  assert.deepEqual(parseMailbox('Westminster City Council <cyber@westminster.gov.uk>'), {
    name: 'Westminster City Council',
    address: 'cyber@westminster.gov.uk',
  });
  assert.deepEqual(parseMailbox('"Kensington & Chelsea" <rbkc@rbkc.gov.uk>'), {
    name: 'Kensington & Chelsea',
    address: 'rbkc@rbkc.gov.uk',
  });
  assert.equal(parseMailbox('Council <a@b.gov.uk>, Other <c@d.gov.uk>'), undefined);
  assert.equal(parseMailbox('Council <not an address>'), undefined);
});
