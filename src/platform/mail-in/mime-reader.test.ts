import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseInboundMail, type ParsedInboundMail } from './inbound-mail-parser.ts';
import { readInboundMail } from './mime-reader.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-fixtures');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const crlf = (text: string, encoding: BufferEncoding = 'latin1') =>
  Buffer.from(text.replace(/\r?\n/g, '\r\n'), encoding);

const NESTED = crlf(`From: "Council Tax" <refunds@example.org>
To: resident@example.net
Subject: Your refund
Message-ID: <nested-1@example.org>
Content-Type: multipart/mixed; boundary="outer"

This is a multi-part message in MIME format.
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=utf-8

You are owed a refund.
--inner
Content-Type: multipart/related; boundary="related"

--related
Content-Type: text/html; charset=utf-8

<p>You are owed a <b>refund</b>.</p>
--related
Content-Type: image/png
Content-ID: <logo@example.org>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--related--
--inner--
--outer
Content-Type: application/pdf; name="claim form.pdf"
Content-Disposition: attachment
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--outer--
Epilogue, not part of any part.
`);

test('nested multiparts: the text part is the text, parts in related and mixed are attachments', () => {
  const mail = readInboundMail(NESTED);
  assert.equal(mail.subject, 'Your refund');
  assert.deepEqual(mail.from, { name: 'Council Tax', address: 'refunds@example.org' });
  assert.equal(mail.text, 'You are owed a refund.');
  assert.equal(mail.textSource, 'text');
  assert.deepEqual(
    mail.attachments.map((a) => [a.filename, a.contentType, a.disposition, a.contentId, a.size]),
    [
      [undefined, 'image/png', undefined, '<logo@example.org>', 8],
      ['claim form.pdf', 'application/pdf', 'attachment', undefined, 9],
    ],
  );
  assert.equal(mail.attachments[1]!.sha256, sha256(Buffer.from('%PDF-1.4\n')));
});

test('encoded words in headers are decoded, adjacent ones joined; 8-bit headers are read as UTF-8', () => {
  const mail = readInboundMail(
    crlf(
      `From: =?utf-8?B?V2VzdG1pbnN0ZXIg?= =?utf-8?B?Q291bmNpbA==?= <no-reply@example.org>
Reply-To: =?iso-8859-1?Q?Caf=E9_Services?= <help@example.net>
Subject: =?utf-8?Q?Refund_of_=C2=A3248?= now
To: Résident <resident@example.net>

Body
`,
      'utf8',
    ),
  );
  assert.deepEqual(mail.from, { name: 'Westminster Council', address: 'no-reply@example.org' });
  assert.deepEqual(mail.replyTo, [{ name: 'Café Services', address: 'help@example.net' }]);
  assert.equal(mail.subject, 'Refund of £248 now');
  assert.equal(mail.to[0]!.name, 'Résident');
});

test('quoted-printable: soft line breaks joined, escapes decoded, trailing blanks dropped', () => {
  const mail = readInboundMail(
    crlf(`From: a@example.org
Subject: QP
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Pay the =C2=A3248 fee at https://example.org/a-very-long-=
path today.  \t
Half an escape =4 stays; a lone = stays too.
`),
  );
  assert.equal(
    mail.text,
    'Pay the £248 fee at https://example.org/a-very-long-path today.\nHalf an escape =4 stays; a lone = stays too.\n',
  );
});

test('base64 with junk and padding in the middle is decoded as far as it goes', () => {
  const mail = readInboundMail(
    crlf(`From: a@example.org
Subject: Base64
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGVs bG8s*!
IHdv=
cmxk
`),
  );
  assert.equal(mail.text, 'Hello, world');
});

test('charsets: single-byte ones decoded, an unknown one read as UTF-8, format=flowed unwrapped', () => {
  const latin = Buffer.concat([
    crlf('From: a@example.org\nSubject: Latin\nContent-Type: text/plain; charset=windows-1252\n\n'),
    Buffer.from([0x93, 0x50, 0x61, 0x79, 0x94, 0x20, 0xa3, 0x35]),
  ]);
  assert.equal(readInboundMail(latin).text, '“Pay” £5');

  const unknown = Buffer.concat([
    crlf('From: a@example.org\nSubject: Unknown\nContent-Type: text/plain; charset=x-no-such-charset\n\n'),
    Buffer.from('Licence £5 ✓', 'utf8'),
  ]);
  assert.equal(readInboundMail(unknown).text, 'Licence £5 ✓');

  const flowed = crlf(
    'From: a@example.org\nSubject: Flowed\nContent-Type: text/plain; format=flowed\n\nThis line was \nwrapped by the sender.\n',
  );
  assert.equal(readInboundMail(flowed).text, 'This line was wrapped by the sender.');
});

test('HTML-only mail is turned into text with each link address beside its words', () => {
  const mail = readInboundMail(
    crlf(`From: a@example.org
Subject: HTML
Content-Type: text/html; charset=utf-8

<html><head><style>p{}</style><script>alert(1)</script></head>
<body><p>Claim at <a href="https://evil.example/claim">westminster.gov.uk</a></p></body></html>
`),
  );
  assert.equal(mail.textSource, 'html');
  assert.equal(mail.text, 'Claim at westminster.gov.uk [https://evil.example/claim]');
});

test('a forwarded message: inline rfc822 is read into the text under its headers, attached rfc822 kept whole', () => {
  const inner =
    'From: Scammer <scam@example.com>\nSubject: Pay now\nDate: Tue, 3 Nov 2026 10:00:00 +0000\n\nPay the fee.\n';
  const forward = (disposition: string) =>
    crlf(`From: resident@example.net
Subject: Fwd: Pay now
Content-Type: multipart/mixed; boundary="fwd"

--fwd
Content-Type: text/plain

Is this real?
--fwd
Content-Type: message/rfc822
Content-Disposition: ${disposition}

${inner}
--fwd--
`);
  const inline = readInboundMail(forward('inline'));
  assert.equal(
    inline.text,
    'Is this real?\n\nFrom: "Scammer" <scam@example.com>\nSubject: Pay now\nDate: Tue, 03 Nov 2026 10:00:00 GMT\n\nPay the fee.\n',
  );
  assert.deepEqual(inline.attachments, []);

  const attached = readInboundMail(forward('attachment; filename="original.eml"'));
  assert.equal(attached.text, 'Is this real?');
  assert.equal(attached.attachments[0]!.contentType, 'message/rfc822');
  assert.equal(attached.attachments[0]!.content!.toString('latin1'), crlf(inner).toString('latin1'));
});

test('truncated and broken structure: what was read is kept', () => {
  // Cut off in the middle of the second part's body, with no closing delimiter.
  const truncated = readInboundMail(
    crlf(`From: a@example.org
Subject: Truncated
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain

First part.
--b
Content-Type: text/plain

Second part, cut off mid`),
  );
  assert.equal(truncated.text, 'First part.\nSecond part, cut off mid');

  // Cut off inside a part's header section.
  const inHeader = readInboundMail(
    crlf('From: a@example.org\nSubject: Cut\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/pl'),
  );
  assert.equal(inHeader.subject, 'Cut');
  assert.equal(inHeader.text, '');

  // A delimiter of the outer multipart ends an inner one that never closes.
  const unclosed = readInboundMail(
    crlf(`From: a@example.org
Subject: Unclosed
Content-Type: multipart/mixed; boundary=outer

--outer
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain

Inner text.
--outer
Content-Type: text/plain

After the inner part.
--outer--
`),
  );
  assert.equal(unclosed.text, 'Inner text.\nAfter the inner part.');

  // A mangled multipart type still splits by its boundary, as other readers do.
  const mangled = readInboundMail(
    crlf(`From: a@example.org
Subject: Mangled
Content-Type: multipar/mixed; boundary=b

--b
Content-Type: text/plain

Still found.
--b--
`),
  );
  assert.equal(mangled.text, 'Still found.');
});

test('header-only messages, no headers at all, mbox separators, NUL bytes and bare line ends', () => {
  const headerOnly = readInboundMail(Buffer.from('From: a@example.org\r\nSubject: Only headers'));
  assert.equal(headerOnly.subject, 'Only headers');
  assert.equal(headerOnly.text, '');
  assert.equal(headerOnly.from?.address, 'a@example.org');

  const headless = readInboundMail(Buffer.from('From what I can tell this is a scam.\nIs it?\n'));
  assert.equal(headless.text, 'From what I can tell this is a scam.\nIs it?\n');
  assert.match(headless.problems.join(), /no header section/);

  const mbox = readInboundMail(
    Buffer.from('From scam@example.com Wed Jul  4 16:46:05 2001\nFrom: scam@example.com\nSubject: Mbox\n\nText\n'),
  );
  assert.equal(mbox.subject, 'Mbox');
  assert.equal(mbox.from?.address, 'scam@example.com');

  const nul = readInboundMail(Buffer.from('From: a@example.org\r\nSubject: Nul\0byte\r\n\r\nA NUL\0here.\r\n'));
  assert.equal(nul.subject, 'Nul byte');
  assert.equal(nul.text, 'A NULhere.\n');

  for (const ending of ['\n', '\n\r']) {
    const raw = NESTED.toString('latin1').replace(/\r\n/g, ending);
    // A body line after LF CR starts with the CR, which the text keeps as a line break.
    assert.equal(
      readInboundMail(Buffer.from(raw, 'latin1')).text.trim(),
      'You are owed a refund.',
      JSON.stringify(ending),
    );
  }
  assert.equal(readInboundMail(Buffer.alloc(0)).text, '');
});

test('hostile structure stays bounded: 2,000 parts read up to 1,000, 300 levels of nesting read to the bottom', () => {
  const many = Buffer.from(
    'From: a@example.org\r\nSubject: Many\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n' +
      Array.from({ length: 2000 }, (_, i) => `--b\r\nContent-Type: text/plain\r\n\r\npart ${i}\r\n`).join('') +
      '--b--\r\n',
  );
  const mail = readInboundMail(many);
  assert.match(mail.problems.join(), /Only the first 1000 parts/);
  assert.ok(mail.text.startsWith('part 0\npart 1\n'));
  assert.ok(!mail.text.includes('part 1500'));

  let deep = 'Content-Type: text/plain\r\n\r\nAt the bottom.\r\n';
  for (let level = 300; level > 0; level--)
    deep = `Content-Type: multipart/mixed; boundary=b${level}\r\n\r\n--b${level}\r\n${deep}--b${level}--\r\n`;
  assert.equal(readInboundMail(Buffer.from(`From: a@example.org\r\nSubject: Deep\r\n${deep}`)).text, 'At the bottom.');
});

/** What mailparser and the reader both give, the date aside (mailparser gives the time of reading for a bad one). */
function comparable(mail: ParsedInboundMail) {
  return { ...mail, date: undefined };
}

test('the reader gives what mailparser gives for the mail-in fixtures and these samples', async () => {
  const samples: Array<[string, Buffer]> = readdirSync(fixtures)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => [name, readFileSync(path.join(fixtures, name))]);
  samples.push(['nested', NESTED]);
  for (const ending of ['\n', '\n\r'])
    samples.push([JSON.stringify(ending), Buffer.from(NESTED.toString('latin1').replace(/\r\n/g, ending), 'latin1')]);
  for (const [name, raw] of samples) {
    assert.deepEqual(comparable(readInboundMail(raw)), comparable(await parseInboundMail(raw)), name);
  }
});
