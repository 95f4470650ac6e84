import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { PermanentDeliveryError, TemporaryDeliveryError } from './mail-sender.ts';
import { InvalidMessageError, type OutboundMessage } from './outbound-message.ts';
import { createSmtpSender as createSender, type SmtpSenderOptions } from './smtp-sender.ts';
import type { SmtpConfig } from '../config.ts';
import type { MailSender } from './mail-sender.ts';
import { startSmtpTestServer, type SmtpTestServer } from './test-fixtures/smtp-test-server.ts';

let smtp: SmtpTestServer;
before(async () => {
  smtp = await startSmtpTestServer();
});
after(() => smtp.close());
beforeEach(() => smtp.reset());

/** Every sender a test makes is closed after it, as the job worker closes its own when it stops. */
const opened: MailSender[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((sender) => sender.close?.()));
});
function createSmtpSender(config: SmtpConfig, options?: SmtpSenderOptions): MailSender {
  const sender = createSender(config, options);
  opened.push(sender);
  return sender;
}

const update: OutboundMessage = {
  to: 'resident@example.org.uk',
  subject: 'Cyber incident – what has changed this week',
  text: 'Dear resident,\n\nCouncil tax payments of £0 or more can be made again.\nRead more at https://www.westminster.gov.uk/cyber-incident\n',
  reference: 'WCC-7K2F-9QXD',
  headers: {
    'List-Unsubscribe': '<https://www.westminster.gov.uk/updates/unsubscribe/0196f1c2>',
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  },
};

test('a message arrives with its sender, recipient, subject, reference, list headers and text', async () => {
  const sender = createSmtpSender(smtp.config);
  const { providerId } = await sender.send(update);

  assert.equal(smtp.received.length, 1);
  const mail = smtp.received[0]!;
  assert.equal(mail.envelopeFrom, 'cyber-incident@westminster.example.gov.uk');
  assert.deepEqual(mail.envelopeTo, ['resident@example.org.uk']);
  assert.equal(mail.header('From'), 'Westminster City Council <cyber-incident@westminster.example.gov.uk>');
  assert.equal(mail.header('To'), 'resident@example.org.uk');
  assert.equal(mail.header('Subject'), 'Cyber incident – what has changed this week');
  assert.equal(mail.header('X-Wardroom-Reference'), 'WCC-7K2F-9QXD');
  assert.equal(mail.header('List-Unsubscribe'), '<https://www.westminster.gov.uk/updates/unsubscribe/0196f1c2>');
  assert.equal(mail.header('List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
  assert.equal(mail.header('Message-ID'), providerId);
  assert.equal(mail.text, update.text);
  assert.equal(mail.html, undefined);
  // No copy goes anywhere else, and nothing is attached.
  for (const name of ['cc', 'bcc', 'reply-to']) assert.ok(!mail.headerNames.includes(name), name);
  assert.doesNotMatch(mail.raw, /Content-Disposition: attachment/i);
});

test('a reply can name its own sender, reply-to address, message id and thread, with an HTML part', async () => {
  const sender = createSmtpSender(smtp.config);
  const { providerId } = await sender.send({
    to: 'resident@example.org.uk',
    from: 'Westminster enquiries <cyberenquiry@westminster.example.gov.uk>',
    replyTo: 'cyberenquiry@westminster.example.gov.uk',
    messageId: '<enq-0196f1c2@westminster.example.gov.uk>',
    subject: 'Re: Was my data taken?',
    text: 'Thank you for your enquiry.\n',
    html: '<p>Thank you for your enquiry.</p>',
    reference: 'ENQ-4HD8-PQ2M',
    headers: { 'In-Reply-To': '<question-1@example.org.uk>', References: '<question-1@example.org.uk>' },
  });

  const mail = smtp.received[0]!;
  assert.equal(providerId, '<enq-0196f1c2@westminster.example.gov.uk>');
  assert.equal(mail.header('Message-ID'), '<enq-0196f1c2@westminster.example.gov.uk>');
  assert.equal(mail.envelopeFrom, 'cyberenquiry@westminster.example.gov.uk');
  assert.equal(mail.header('From'), 'Westminster enquiries <cyberenquiry@westminster.example.gov.uk>');
  assert.equal(mail.header('Reply-To'), 'cyberenquiry@westminster.example.gov.uk');
  assert.equal(mail.header('In-Reply-To'), '<question-1@example.org.uk>');
  assert.equal(mail.header('References'), '<question-1@example.org.uk>');
  assert.equal(mail.text, 'Thank you for your enquiry.\n');
  assert.equal(mail.html, '<p>Thank you for your enquiry.</p>');
});

test('a recipient refused with 550 is a permanent failure', async () => {
  smtp.refuseRecipient('gone@example.org.uk', 550);
  const sender = createSmtpSender(smtp.config);
  await assert.rejects(sender.send({ ...update, to: 'gone@example.org.uk' }), (error: unknown) => {
    assert.ok(error instanceof PermanentDeliveryError, String(error));
    assert.equal(error.provider, 'smtp');
    assert.equal(error.status, 550);
    assert.match(error.message, /refused the message.*550 Mailbox unavailable/);
    return true;
  });
  assert.equal(smtp.received.length, 0);
});

test('a recipient refused with 451 is a temporary failure', async () => {
  smtp.refuseRecipient('busy@example.org.uk', 451);
  const sender = createSmtpSender(smtp.config);
  await assert.rejects(sender.send({ ...update, to: 'busy@example.org.uk' }), (error: unknown) => {
    assert.ok(error instanceof TemporaryDeliveryError, String(error));
    assert.equal(error.status, 451);
    assert.match(error.message, /451 Mailbox busy/);
    return true;
  });
  assert.equal(smtp.received.length, 0);
  // The refusal was for one attempt only: the same message then goes through.
  await sender.send({ ...update, to: 'busy@example.org.uk' });
  assert.equal(smtp.received.length, 1);
});

test('a mail server that cannot be reached is a temporary failure', async () => {
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const sender = createSmtpSender({ ...smtp.config, port: closedPort }, { timeoutMs: 2000 });
  await assert.rejects(sender.send(update), (error: unknown) => {
    assert.ok(error instanceof TemporaryDeliveryError, String(error));
    assert.equal(error.status, undefined);
    assert.match(error.message, /could not be reached/);
    return true;
  });
});

test('a message with a header injection is refused before anything is sent', async () => {
  const sender = createSmtpSender(smtp.config);
  await assert.rejects(
    sender.send({ ...update, subject: 'Update\r\nBcc: everyone@example.org.uk' }),
    InvalidMessageError,
  );
  await assert.rejects(
    sender.send({ ...update, headers: { 'List-Unsubscribe': '<https://x.gov.uk>\r\nBcc: everyone@example.org.uk' } }),
    InvalidMessageError,
  );
  assert.equal(smtp.received.length, 0);
});

test('messages one after another share one connection, which close() ends', async () => {
  const sender = createSmtpSender(smtp.config);
  for (const to of ['one@example.org.uk', 'two@example.org.uk', 'three@example.org.uk']) {
    await sender.send({ ...update, to });
  }
  assert.deepEqual(
    smtp.received.map((mail) => mail.envelopeTo),
    [['one@example.org.uk'], ['two@example.org.uk'], ['three@example.org.uk']],
  );
  assert.equal(smtp.sessions.opened, 1);
  assert.equal(smtp.sessions.closed, 0);

  await sender.close?.();
  await waitFor(() => smtp.sessions.closed === 1);
  await assert.rejects(sender.send(update));
});

test("messages sent at once go over at most the pool's connections, and all arrive", async () => {
  const sender = createSmtpSender(smtp.config, { maxConnections: 2 });
  const recipients = Array.from({ length: 10 }, (_, i) => `resident.${i}@example.org.uk`);
  await Promise.all(recipients.map((to) => sender.send({ ...update, to })));
  assert.deepEqual(smtp.received.map((mail) => mail.envelopeTo[0]).sort(), [...recipients].sort());
  assert.equal(smtp.sessions.opened, 2);
});

test('a connection the server dropped is not used again: the next message opens another', async () => {
  const sender = createSmtpSender(smtp.config);
  await sender.send(update);
  smtp.dropSessions();
  await waitFor(() => smtp.sessions.closed === 1);
  await sender.send({ ...update, to: 'again@example.org.uk' });
  assert.equal(smtp.received.length, 2);
  assert.equal(smtp.sessions.opened, 2);
});

async function waitFor(condition: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a sender address in the settings that is not an address fails at once', () => {
  assert.throws(() => createSmtpSender({ ...smtp.config, from: 'Westminster City Council' }), InvalidMessageError);
});
