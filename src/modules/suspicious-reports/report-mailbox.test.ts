import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { JobHandlerRegistry } from '../../platform/jobs/job-handlers.ts';
import type { JobWorker } from '../../platform/jobs/job-worker.ts';
import { startTestWorker } from '../../platform/jobs/test-fixtures/test-worker.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { registerMailJobs } from '../../platform/mail/mail-jobs.ts';
import { sentReferenceExists } from '../../platform/mail/sent-references.ts';
import { createSmtpSender } from '../../platform/mail/smtp-sender.ts';
import { startSmtpTestServer, type SmtpTestServer } from '../../platform/mail/test-fixtures/smtp-test-server.ts';
import { InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import { registerMailInProcessing } from '../../platform/mail-in/inbound-mail-processing.ts';
import type { SmtpListener } from '../../platform/mail-in/smtp-listener.ts';
import { startTestSmtpListener } from '../../platform/mail-in/test-fixtures/test-smtp-listener.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { registerReportGroupingJob } from '../report-campaigns/report-grouping-job.ts';
import { createReportMailbox } from './report-mailbox.ts';
import { queueReportOutcome } from './suspicious-reports.service.ts';

const MAILBOX = 'report-a-scam@westminster.gov.uk';
const corpus = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../suspicious-messages/test-fixtures/corpus/${name}`, import.meta.url)));

// Residents forwarding suspicious email to the report address, over a real SMTP exchange with the
// platform's listener; the acknowledgement goes out over another real SMTP exchange.
describeEachDatabase('the report mailbox', (database) => {
  let t: DemoApp;
  let listener: SmtpListener;
  let outbound: SmtpTestServer;
  let worker: JobWorker;
  let wcc: string;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    const mailboxes = new InboundMailboxes().register(createReportMailbox({ publicBaseUrl: 'http://localhost:3000' }));
    listener = await startTestSmtpListener(database().db, mailboxes);
    outbound = await startSmtpTestServer();
    const handlers = new JobHandlerRegistry();
    registerMailInProcessing(handlers, { mailboxes });
    registerMailJobs(handlers, { sender: createSmtpSender(outbound.config) });
    registerReportGroupingJob(handlers, {});
    worker = startTestWorker(database(), handlers);
  });
  after(async () => {
    await worker.stop();
    await listener.stop();
    await outbound.close();
    await t.close();
  });

  const db = () => database().db;
  const send = async (message: SendMailOptions, envelope?: { from: string; to: string[] }) => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: listener.port,
      secure: false,
      ignoreTLS: true,
    });
    const info = await transport.sendMail({ to: MAILBOX, ...message, ...(envelope ? { envelope } : {}) });
    return waitFor(`the message ${info.messageId} to be processed`, async () => {
      const row = await db()
        .selectFrom('inbound_mail')
        .select(['id', 'status', 'reason', 'produced'])
        .where('message_id', '=', info.messageId)
        .executeTakeFirst();
      return row && row.status !== 'received' ? row : undefined;
    });
  };
  const reportOf = async (inbound: { id: string; produced: string | null }) => {
    const id = (JSON.parse(inbound.produced ?? '[]') as Array<{ id: string }>)[0]?.id;
    assert.ok(id, `produced ${inbound.produced}`);
    const row = await db().selectFrom('suspicious_reports').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(row.inbound_mail_id, inbound.id);
    return row;
  };
  const ackTo = (address: string, reference: string) =>
    waitFor(`the acknowledgement to ${address}`, () =>
      outbound.received.find((m) => m.envelopeTo.includes(address) && (m.header('subject') ?? '').includes(reference)),
    );

  test('a message forwarded as an attachment: the original is analysed and kept, the forwarder acknowledged over SMTP', async () => {
    const original = corpus('scam/lookalike-westminster-omission.eml');
    const inbound = await send({
      from: '"Sam Resident" <sam@example.com>',
      subject: 'Fwd: Council tax refund: action required',
      text: 'Is this really from you?',
      attachments: [{ filename: 'Council tax refund.eml', content: original, contentType: 'message/rfc822' }],
    });
    assert.equal(inbound.status, 'processed', inbound.reason ?? '');
    const report = await reportOf(inbound);
    assert.equal(report.organisation_id, wcc);
    assert.equal(report.channel, 'email');
    assert.equal(report.kind, 'email');
    assert.equal(report.sender, 'Westminster City Council <no-reply@wetminster.co.uk>');
    assert.equal(report.subject, 'Council tax refund: action required');
    assert.deepEqual(
      Buffer.from(report.original_message!).toString('utf8').replace(/\r\n/g, '\n'),
      original.toString('utf8').replace(/\r\n/g, '\n'),
    );
    assert.equal(report.suggested_verdict, 'likely-scam');
    assert.equal(JSON.parse(report.reasons)[0].code, 'forwarded-attachment');
    assert.equal(report.reporter_email, 'sam@example.com');
    assert.ok(report.acknowledged_at);

    const ack = await ackTo('sam@example.com', report.reference);
    assert.equal(ack.header('auto-submitted'), 'auto-replied');
    assert.match(ack.text, /Thank you for reporting a suspicious email to Westminster City Council/);
    assert.match(ack.text, /report@phishing\.gov\.uk/);
    assert.match(ack.text, /020 7641 1919/);
    const verification = /Verification reference: (WR-[A-Z2-7]{8})/.exec(ack.text)?.[1];
    assert.ok(verification);
    assert.ok(await sentReferenceExists(db(), wcc, verification), 'the "is this really us" check confirms it');
    assert.ok(!ack.text.includes('wetminster'), 'nothing of the scam is repeated');
  });

  test('a message forwarded inline: the original headers are recovered and analysed, and the report says so', async () => {
    const inbound = await send({
      from: 'pat@example.org',
      subject: 'Fwd: Your data was exposed - call us now',
      text: [
        'This came today, looks dodgy.',
        '',
        '---------- Forwarded message ---------',
        'From: Westminster City Council Cyber Helpline <westminster.cyberhelp@outlook.com>',
        'Date: Tue, 2 Dec 2025 at 10:00',
        'Subject: Your data was exposed - call us now',
        'To: <pat@example.org>',
        '',
        'Dear Pat,',
        'Your personal information was stolen in the recent data breach at Westminster City Council.',
        'To secure your bank account please call our dedicated cyber helpline urgently on 020 3807 5521.',
        'Our fraud team will ask you to confirm your card number so we can protect it.',
      ].join('\n'),
    });
    assert.equal(inbound.status, 'processed', inbound.reason ?? '');
    const report = await reportOf(inbound);
    assert.equal(report.sender, 'Westminster City Council Cyber Helpline <westminster.cyberhelp@outlook.com>');
    assert.equal(report.subject, 'Your data was exposed - call us now');
    assert.doesNotMatch(report.body_text, /looks dodgy/, 'the forwarder’s own words are not the message');
    assert.match(report.body_text, /020 3807 5521/);
    const reasons = JSON.parse(report.reasons) as Array<{ code: string }>;
    assert.equal(reasons[0]!.code, 'forwarded-inline');
    assert.ok(reasons.some((r) => r.code === 'display-name-impersonation'));
    assert.ok(['likely-scam', 'suspicious'].includes(report.suggested_verdict));
    assert.ok(JSON.parse(report.indicators).phoneNumbers.includes('+442038075521'));
    assert.match(
      Buffer.from(report.original_message!).toString('utf8'),
      /^From: .*westminster\.cyberhelp@outlook\.com/m,
    );
    await ackTo('pat@example.org', report.reference);
  });

  test('automatic mail, no-reply and council addresses are never acknowledged; bounces are turned away', async () => {
    const forwarded = {
      subject: 'Fwd: refund',
      attachments: [{ filename: 'x.eml', content: corpus('scam/fake-helpline-2.eml'), contentType: 'message/rfc822' }],
    };
    const cases: Array<[SendMailOptions, string]> = [
      [{ ...forwarded, from: 'robot@example.com', headers: { 'Auto-Submitted': 'auto-forwarded' } }, 'Auto-Submitted'],
      [{ ...forwarded, from: 'list@example.com', headers: { Precedence: 'bulk' } }, 'Precedence'],
      [{ ...forwarded, from: 'no-reply@example.com' }, 'no-reply'],
      [{ ...forwarded, from: 'officer@westminster.gov.uk' }, 'own addresses'],
    ];
    for (const [message, why] of cases) {
      const inbound = await send(message);
      assert.equal(inbound.status, 'processed', why);
      const report = await reportOf(inbound);
      assert.equal(report.reporter_email, null, why);
      assert.equal(report.acknowledged_at, null, why);
      assert.ok(
        JSON.parse(report.reasons).some((r: { code: string }) => r.code === 'not-acknowledged'),
        why,
      );
      const ack = await db()
        .selectFrom('jobs')
        .select('id')
        .where('idempotency_key', '=', `mail.send:suspicious-report-ack:${report.id}`)
        .executeTakeFirst();
      assert.equal(ack, undefined, why);
    }
    // The null envelope sender: a bounce.
    const bounce = await send(
      { from: 'mailer-daemon@example.com', subject: 'Undelivered Mail Returned to Sender', text: 'delivery failed' },
      { from: '', to: [MAILBOX] },
    );
    assert.equal(bounce.status, 'rejected');
    assert.match(bounce.reason ?? '', /bounce/);
  });

  test('a message that is not a forward is analysed as it came, and its sender is not answered', async () => {
    const inbound = await send({
      from: '"Westminster Council" <refunds@westminster-council-refunds.com>',
      subject: 'Refund waiting',
      text: 'Claim your council tax refund at https://westminster-council-refunds.com/claim today.',
    });
    const report = await reportOf(inbound);
    assert.equal(report.reporter_email, null);
    assert.equal(report.sender, 'Westminster Council <refunds@westminster-council-refunds.com>');
    assert.equal(JSON.parse(report.reasons)[0].code, 'forwarded-none');
    assert.ok(!outbound.received.some((m) => m.envelopeTo.includes('refunds@westminster-council-refunds.com')));
  });

  test('the outcome goes once, and only to a reporter who asked for it', async () => {
    const asked = await db()
      .transaction()
      .execute(async (trx) => {
        const { recordSuspiciousReport } = await import('./suspicious-reports.service.ts');
        return recordSuspiciousReport(
          trx,
          {
            organisationId: wcc,
            channel: 'api',
            kind: 'text',
            claimedSender: 'Council',
            receivedOn: null,
            sender: '07700900123',
            subject: '',
            text: 'Pay your parking fine now at https://pcn-westminster.top/pay',
            reporterEmail: 'lee@example.com',
            wantsOutcome: true,
          },
          { publicBaseUrl: 'http://localhost:3000' },
        );
      });
    const first = await db()
      .transaction()
      .execute((trx) => queueReportOutcome(trx, asked.id, 'scam', { publicBaseUrl: 'http://localhost:3000' }));
    const again = await db()
      .transaction()
      .execute((trx) => queueReportOutcome(trx, asked.id, 'scam', { publicBaseUrl: 'http://localhost:3000' }));
    assert.deepEqual([first, again], [true, false]);
    const outcome = await waitFor('the outcome email', () =>
      outbound.received.find(
        (m) => m.envelopeTo.includes('lee@example.com') && /What we found/.test(m.header('subject') ?? ''),
      ),
    );
    assert.match(outcome.text, /It is a scam\. It did not come from us\./);
    assert.match(outcome.header('subject') ?? '', new RegExp(asked.reference));
    const row = await db()
      .selectFrom('suspicious_reports')
      .select('outcome_sent_at')
      .where('id', '=', asked.id)
      .executeTakeFirstOrThrow();
    assert.ok(row.outcome_sent_at);
  });
});
