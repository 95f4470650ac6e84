import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { before, beforeEach, test, type TestContext } from 'node:test';
import nodemailer from 'nodemailer';
import type { MailInSmtpConfig } from '../config.ts';
import { describeEachDatabase } from '../db/test-databases.ts';
import { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { startJobWorker } from '../jobs/job-worker.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { createMemoryLogger } from '../jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../jobs/test-fixtures/wait-for.ts';
import { registerMailInProcessing } from './inbound-mail-processing.ts';
import { findInboundMail, listInboundMail } from './inbound-mail.repository.ts';
import { InboundMailboxes } from './inbound-mailboxes.ts';
import type { SmtpListener } from './smtp-listener.ts';
import { startTestSmtpListener } from './test-fixtures/test-smtp-listener.ts';
import {
  createTestMailbox,
  createTestMailboxTable,
  testMailboxRecords,
  type TestMailbox,
} from './test-fixtures/test-mailbox.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** A bare SMTP client: sends one line at a time and reads each whole reply, for exact reply codes. */
class RawSmtp {
  #buffer = '';
  #waiting: Array<(reply: string) => void> = [];

  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (data: string) => {
      this.#buffer += data;
      // A reply ends at a line whose code is followed by a space (or the end of the line).
      for (let match = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.#buffer); match;) {
        this.#buffer = this.#buffer.slice(match[0].length);
        this.#waiting.shift()?.(match[0]);
        match = /^(?:\d{3}-[^\r\n]*\r\n)*\d{3}(?: [^\r\n]*)?\r\n/.exec(this.#buffer);
      }
    });
  }

  static async open(port: number): Promise<{ client: RawSmtp; greeting: string }> {
    const socket = connect(port, '127.0.0.1');
    const client = new RawSmtp(socket);
    const greeting = await client.next();
    return { client, greeting };
  }

  next(): Promise<string> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async send(line: string | Buffer): Promise<string> {
    const reply = this.next();
    this.socket.write(line);
    return reply;
  }

  close(): void {
    this.socket.destroy();
  }
}

describeEachDatabase('the inbound SMTP listener', (database) => {
  let enquiries: TestMailbox;
  let mailboxes: InboundMailboxes;

  before(async () => {
    await createTestMailboxTable(database().db);
  });
  beforeEach(async () => {
    await clearJobs(database().db);
    enquiries = createTestMailbox('enquiries', 'westminster.example.gov.uk');
    mailboxes = new InboundMailboxes().register(enquiries);
  });

  async function listen(
    t: TestContext,
    config: Partial<MailInSmtpConfig> = {},
    maxBytes = 25 * 1024 * 1024,
  ): Promise<SmtpListener> {
    const listener = await startTestSmtpListener(database().db, mailboxes, config, maxBytes);
    t.after(() => listener.stop());
    return listener;
  }

  function startWorker(t: TestContext): void {
    const handlers = new JobHandlerRegistry();
    registerMailInProcessing(handlers, { mailboxes });
    const worker = startJobWorker({ database: database(), handlers, logger: createMemoryLogger(), pollIntervalMs: 20 });
    t.after(() => worker.stop());
  }

  test('a message sent with nodemailer is stored byte for byte and handed to the mailbox; a stranger is refused with 550', async (t) => {
    const listener = await listen(t);
    startWorker(t);
    const raw = Buffer.from(
      [
        'From: Ann Resident <ann@example.org.uk>',
        'To: cyberenquiry@westminster.example.gov.uk, stranger@elsewhere.example',
        'Subject: Was my data taken?',
        'Message-ID: <smtp-1@example.org.uk>',
        '',
        'Hello,',
        '.A line that starts with a dot survives dot-stuffing.',
        'Ann',
        '',
      ].join('\r\n'),
    );
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: listener.port,
      secure: false,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({
      envelope: {
        from: 'ann@example.org.uk',
        to: ['CyberEnquiry@Westminster.example.gov.uk', 'stranger@elsewhere.example'],
      },
      raw,
    });
    assert.deepEqual(info.accepted, ['CyberEnquiry@westminster.example.gov.uk']);
    assert.deepEqual(info.rejected, ['stranger@elsewhere.example']);
    const rejection = (info as unknown as { rejectedErrors?: Array<{ responseCode: number; response: string }> })
      .rejectedErrors?.[0];
    assert.equal(rejection?.responseCode, 550);
    assert.match(rejection?.response ?? '', /No such mailbox here/);
    const mailId = /Queued as ([0-9a-f-]{36})/.exec(info.response)?.[1];
    assert.ok(mailId, info.response);

    const row = await waitFor('the message to be processed', async () => {
      const r = await findInboundMail(database().db, mailId);
      return r?.status === 'processed' ? r : undefined;
    });
    assert.equal(row.source, 'smtp');
    assert.equal(row.envelopeFrom, 'ann@example.org.uk');
    assert.deepEqual(row.envelopeTo, ['cyberenquiry@westminster.example.gov.uk']);
    assert.ok(row.raw.equals(raw), 'stored exactly as sent');
    assert.equal(row.sha256, sha256(raw));
    assert.equal(row.subject, 'Was my data taken?');
    assert.equal((await testMailboxRecords(database().db, mailId)).length, 1);
    assert.deepEqual(enquiries.calls[0]?.delivery.recipients, ['cyberenquiry@westminster.example.gov.uk']);
    assert.match(enquiries.calls[0]?.mail.text ?? '', /^\.A line that starts with a dot/m);
  });

  test('no AUTH and no STARTTLS are offered; SIZE is; with no accepted recipient DATA is refused', async (t) => {
    const listener = await listen(t, {}, 2 * 1024 * 1024);
    const before = await listInboundMail(database().db, { visibleTo: [] }, { limit: 1, offset: 0 });
    const { client, greeting } = await RawSmtp.open(listener.port);
    t.after(() => client.close());
    assert.match(greeting, /^220 .*Wardroom inbound mail/);
    const ehlo = await client.send('EHLO relay.example\r\n');
    assert.match(ehlo, /^250-.*\r\n/);
    assert.match(ehlo, /SIZE 2097152/);
    assert.doesNotMatch(ehlo, /AUTH|STARTTLS/);
    assert.match(await client.send('MAIL FROM:<a@example.org>\r\n'), /^250 /);
    assert.match(await client.send('RCPT TO:<nobody@elsewhere.example>\r\n'), /^550 5\.1\.1 /);
    assert.match(await client.send('RCPT TO:<not an address>\r\n'), /^5\d\d /);
    assert.match(await client.send('DATA\r\n'), /^503 /);
    client.close();
    const stored = await listInboundMail(database().db, { visibleTo: [] }, { limit: 1, offset: 0 });
    assert.equal(stored.total, before.total, 'nothing is stored for mail nobody takes');
  });

  test('a message over the size limit is refused with 552 during DATA; its start is kept as a rejected record', async (t) => {
    const maxBytes = 100 * 1024;
    const listener = await listen(t, {}, maxBytes);
    const { client } = await RawSmtp.open(listener.port);
    t.after(() => client.close());
    await client.send('EHLO relay.example\r\n');
    assert.match(await client.send('MAIL FROM:<big@example.org>\r\n'), /^250 /);
    assert.match(await client.send('RCPT TO:<cyberenquiry@westminster.example.gov.uk>\r\n'), /^250 /);
    assert.match(await client.send('DATA\r\n'), /^354 /);
    const line = `${'x'.repeat(998)}\r\n`;
    const body = `From: big@example.org\r\nSubject: Too big\r\n\r\n${line.repeat(200)}`;
    const reply = await client.send(`${body}.\r\n`);
    assert.match(reply, /^552 5\.3\.4 The message is too big: the limit is 100 KB/);
    const { mail } = await listInboundMail(
      database().db,
      { visibleTo: [], status: 'rejected' },
      { limit: 10, offset: 0 },
    );
    const record = mail.find((m) => m.envelopeFrom === 'big@example.org');
    assert.ok(record);
    assert.equal(record.size, Buffer.byteLength(body));
    assert.equal(record.truncated, true);
    assert.match(
      record.reason ?? '',
      /^The message is 19\d KB; the limit is 100 KB\. Only its first 100 KB was kept\.$/,
    );
    const full = await findInboundMail(database().db, record.id);
    assert.ok(full?.raw.equals(Buffer.from(body).subarray(0, maxBytes)));
    // The connection can carry on with a message that fits.
    assert.match(await client.send('MAIL FROM:<small@example.org>\r\n'), /^250 /);
    client.close();
  });

  test('a sender that declares a size over the limit is refused at MAIL FROM', async (t) => {
    const listener = await listen(t, {}, 100 * 1024);
    const { client } = await RawSmtp.open(listener.port);
    t.after(() => client.close());
    await client.send('EHLO relay.example\r\n');
    assert.match(await client.send('MAIL FROM:<big@example.org> SIZE=200000\r\n'), /^552 /);
    client.close();
  });

  test('only allowed clients may connect, and each client is limited to so many messages a minute', async (t) => {
    const closed = await listen(t, { allowedClients: ['192.0.2.0/24'] });
    const refused = await RawSmtp.open(closed.port);
    t.after(() => refused.client.close());
    assert.match(refused.greeting, /^554 5\.7\.1 /);

    const open = await listen(t, { allowedClients: ['127.0.0.1'], maxMessagesPerMinute: 2 });
    const { client } = await RawSmtp.open(open.port);
    t.after(() => client.close());
    await client.send('EHLO relay.example\r\n');
    for (let i = 0; i < 2; i += 1) {
      assert.match(await client.send('MAIL FROM:<a@example.org>\r\n'), /^250 /);
      assert.match(await client.send('RSET\r\n'), /^250 /);
    }
    assert.match(await client.send('MAIL FROM:<a@example.org>\r\n'), /^451 4\.7\.1 /);
    client.close();
    refused.client.close();
  });
});
