import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { registerMailInProcessing } from '../../platform/mail-in/inbound-mail-processing.ts';
import { importMailFile } from '../../platform/mail-in/mail-import.ts';
import { InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import type { SmtpListener } from '../../platform/mail-in/smtp-listener.ts';
import { startTestSmtpListener } from '../../platform/mail-in/test-fixtures/test-smtp-listener.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createEnquiryMailbox } from './enquiry-mailbox.ts';

const MAILBOX = 'cyberenquiry@westminster.gov.uk';

// Mail to a council's enquiry address, over a real SMTP exchange with the platform's listener, and
// the platform's processing job: new cases, replies that join them, and what is turned away.
describeEachDatabase('the enquiry mailbox', (database) => {
  let t: DemoApp;
  let listener: SmtpListener;
  let worker: JobWorker;
  let wcc: string;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    const mailboxes = new InboundMailboxes().register(createEnquiryMailbox({ publicBaseUrl: 'http://localhost:3000' }));
    listener = await startTestSmtpListener(database().db, mailboxes);
    const handlers = new JobHandlerRegistry();
    registerMailInProcessing(handlers, { mailboxes });
    worker = startTestWorker(database(), handlers);
  });
  after(async () => {
    await worker.stop();
    await listener.stop();
    await t.close();
  });

  const transport = () =>
    nodemailer.createTransport({ host: '127.0.0.1', port: listener.port, secure: false, ignoreTLS: true });
  const send = async (message: SendMailOptions) => {
    const info = await transport().sendMail({ to: MAILBOX, ...message });
    const messageId = info.messageId;
    return waitFor(`the message ${messageId} to be processed`, async () => {
      const row = await database()
        .db.selectFrom('inbound_mail')
        .select(['id', 'status', 'reason', 'produced'])
        .where('message_id', '=', messageId)
        .executeTakeFirst();
      return row && row.status !== 'received' ? { ...row, messageId } : undefined;
    });
  };
  const caseOf = async (produced: string | null) => {
    const id = (JSON.parse(produced ?? '[]') as Array<{ id: string }>)[0]?.id;
    assert.ok(id, `produced ${produced}`);
    return database().db.selectFrom('enquiry_cases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  };
  const entriesOf = (caseId: string) =>
    database()
      .db.selectFrom('enquiry_entries')
      .selectAll()
      .where('case_id', '=', caseId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();

  test('an email opens a case with an acknowledgement; a reply to it and a reply quoting the reference join the case', async () => {
    const first = await send({
      from: '"Alex Resident" <alex@example.com>',
      subject: 'Was my council tax account hacked?',
      text: 'I pay by Direct Debit. Is my bank information safe?',
    });
    assert.equal(first.status, 'processed');
    const opened = await caseOf(first.produced);
    assert.equal(opened.organisation_id, wcc);
    assert.equal(opened.opened_via, 'email');
    assert.equal(opened.resident_email, 'alex@example.com');
    assert.equal(opened.resident_name, 'Alex Resident');
    assert.equal(opened.summary, 'Was my council tax account hacked?');
    let entries = await entriesOf(opened.id);
    assert.deepEqual(
      entries.map((e) => e.kind),
      ['message', 'reply'],
    );
    const ack = entries.find((e) => e.kind === 'reply')!;
    assert.match(ack.subject ?? '', new RegExp(opened.reference));
    const ackJob = await database()
      .db.selectFrom('jobs')
      .select('payload')
      .where('idempotency_key', '=', `mail.send:enquiry-ack:${opened.id}`)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(ackJob.payload).replyTo, MAILBOX, 'replies come back to the mailbox');

    // A reply to the acknowledgement (its mail program keeps the threading headers, not the subject).
    const reply = await send({
      from: 'alex@example.com',
      subject: 'Re: my question',
      text: 'Also, I have no heating since last week.',
      inReplyTo: ack.email_message_id!,
      references: [ack.email_message_id!],
    });
    assert.deepEqual(JSON.parse(reply.produced ?? '[]')[0].id, opened.id);
    const after = await caseOf(reply.produced);
    assert.equal(after.priority, 'urgent', 'the new message is triaged too');

    // The reference in the subject is enough, even from another address: staff are told.
    const other = await send({
      from: 'neighbour@example.com',
      subject: `About ${opened.reference.toLowerCase()}`,
      text: 'I am writing for Alex.',
    });
    assert.equal((await caseOf(other.produced)).id, opened.id);
    entries = await entriesOf(opened.id);
    assert.equal(entries.filter((e) => e.kind === 'message').length, 3);
    const fromOther = entries.find((e) => e.body.includes('writing for Alex'))!;
    assert.equal(JSON.parse(fromOther.details).differentSender, 'neighbour@example.com');
    const agent = await t.staffClient('agent', wcc);
    const page = await agent.get(`/staff/enquiries/${opened.id}`);
    assert.match(page.body, /Sent from neighbour@example.com, not the resident’s address/);
    assert.equal(
      (
        await database()
          .db.selectFrom('jobs')
          .select('id')
          .where('idempotency_key', 'like', 'mail.send:enquiry-ack:%')
          .execute()
      ).filter(Boolean).length >= 1,
      true,
    );
  });

  test('HTML mail is kept as text without its scripts; automatic replies and bounces are turned away, the raw kept', async () => {
    const html = await send({
      from: 'html@example.com',
      subject: 'HTML only',
      html: '<p>Hello <b>council</b></p><script>alert("x")</script><a href="https://evil.example/login">Click</a>',
    });
    assert.equal(html.status, 'processed');
    const htmlCase = await caseOf(html.produced);
    const [message] = await entriesOf(htmlCase.id);
    assert.match(message!.body, /Hello council/);
    assert.doesNotMatch(message!.body, /alert|<script|<p>/);
    assert.match(message!.body, /evil\.example\/login/, 'a link’s real address is shown');

    const casesBefore = (await database().db.selectFrom('enquiry_cases').select('id').execute()).length;
    const auto = await send({
      from: 'away@example.com',
      subject: 'Out of office',
      text: 'I am away until Monday.',
      headers: { 'Auto-Submitted': 'auto-replied' },
    });
    assert.equal(auto.status, 'rejected');
    assert.match(auto.reason ?? '', /automatic message \(Auto-Submitted: auto-replied\)/);
    const daemon = await send({
      from: 'MAILER-DAEMON@example.com',
      subject: 'Undelivered Mail',
      text: 'Delivery failed',
    });
    assert.equal(daemon.status, 'rejected');
    assert.equal((await database().db.selectFrom('enquiry_cases').select('id').execute()).length, casesBefore);
    const raw = await database()
      .db.selectFrom('inbound_mail')
      .select('raw')
      .where('id', '=', auto.id)
      .executeTakeFirstOrThrow();
    assert.match(Buffer.from(raw.raw).toString('utf8'), /I am away until Monday/);
  });

  test('malformed mail (broken MIME, unknown charset, NUL bytes, no headers, a 20 MB attachment) becomes a case or a rejection with a reason, and the raw message is always kept', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-mail-'));
    const big = Buffer.concat([
      Buffer.from(
        'From: big@example.com\r\nTo: cyberenquiry@westminster.gov.uk\r\nSubject: Scans of my letters\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nPlease see the attached scans.\r\n--b\r\nContent-Type: application/pdf; name="scans.pdf"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="scans.pdf"\r\n\r\n',
      ),
      Buffer.from(
        randomBytes(15 * 1024 * 1024)
          .toString('base64')
          .replace(/.{76}/g, '$&\r\n'),
      ),
      Buffer.from('\r\n--b--\r\n'),
    ]);
    writeFileSync(path.join(dir, 'big.eml'), big);
    const fixtures = [
      'broken-boundary.eml',
      'unknown-charset.eml',
      'nul-bytes.eml',
      'no-headers.eml',
      'html-only-script.eml',
    ].map((f) => fileURLToPath(new URL(`../../platform/mail-in/test-fixtures/${f}`, import.meta.url)));
    const mailboxes = new InboundMailboxes().register(createEnquiryMailbox({ publicBaseUrl: 'http://localhost:3000' }));
    for (const file of [...fixtures, path.join(dir, 'big.eml')]) {
      const result = await importMailFile({ db: database().db, mailboxes, maxBytes: 25 * 1024 * 1024 }, file, {
        to: [MAILBOX],
      });
      assert.ok(!('error' in result), `${file}: ${'error' in result ? result.error : ''}`);
      if ('error' in result) continue;
      assert.ok(
        ['processed', 'rejected'].includes(result.status),
        `${path.basename(file)}: ${result.status} ${result.reason}`,
      );
      if (result.status === 'rejected') assert.ok(result.reason, `${path.basename(file)} says why`);
      else assert.equal(result.produced[0]?.kind, 'enquiry-case');
      const stored = await database()
        .db.selectFrom('inbound_mail')
        .select(['raw', 'size'])
        .where('id', '=', result.mailId)
        .executeTakeFirstOrThrow();
      const original = readFileSync(file);
      assert.ok(Buffer.from(stored.raw).equals(original), `${path.basename(file)} kept byte for byte`);
    }
    const bigCase = await database()
      .db.selectFrom('enquiry_cases')
      .select('id')
      .where('summary', '=', 'Scans of my letters')
      .executeTakeFirstOrThrow();
    const [entry] = await entriesOf(bigCase.id);
    const attachment = JSON.parse(entry!.details).attachments[0];
    assert.equal(attachment.filename, 'scans.pdf');
    assert.equal(attachment.kept, false, 'over the cap: listed, its content left in the raw message');
    assert.match(attachment.reason, /\w/);
    rmSync(dir, { recursive: true, force: true });
  });

  test('an attachment is a download for the council’s staff only, never shown in the page, and audited', async () => {
    const pdf = Buffer.from('%PDF-1.4 pretend letter scan');
    const sent = await send({
      from: 'scan@example.com',
      subject: 'My letter',
      text: 'Attached is the letter I got.',
      attachments: [{ filename: 'letter <script>.pdf', content: pdf, contentType: 'text/html' }],
    });
    const opened = await caseOf(sent.produced);
    const [message] = await entriesOf(opened.id);
    const agent = await t.staffClient('agent', wcc);
    const page = await agent.get(`/staff/enquiries/${opened.id}`);
    const link = /href="(\/staff\/enquiries\/[^"]+\/attachments\/[^"]+)" download/.exec(page.body)?.[1];
    assert.equal(link, `/staff/enquiries/${opened.id}/attachments/${message!.id}/0`);
    const download = await agent.get(link!);
    assert.equal(download.statusCode, 200);
    assert.equal(download.headers['content-type'], 'application/octet-stream', 'the sender’s type is not trusted');
    assert.match(String(download.headers['content-disposition']), /^attachment; filename="letter _script_.pdf"/);
    assert.ok(download.rawPayload.equals(pdf));
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', opened.id)
      .where('action', '=', 'enquiry.attachment-downloaded')
      .execute();
    assert.equal(audit.length, 1);
    const theirs = await t.staffClient('agent', t.organisationId('kensington-chelsea'));
    assert.equal((await theirs.get(link!)).statusCode, 404);
    assert.equal((await agent.get(`/staff/enquiries/${opened.id}/attachments/${message!.id}/5`)).statusCode, 404);
  });
});
