import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, beforeEach, test, type TestContext } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { startJobWorker } from '../jobs/job-worker.ts';
import { findJob } from '../jobs/jobs.repository.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { createMemoryLogger } from '../jobs/test-fixtures/memory-logger.ts';
import { waitFor } from '../jobs/test-fixtures/wait-for.ts';
import { MAIL_IN_PROCESS_JOB, storeInboundMail } from './inbound-mail-intake.ts';
import { parseInboundMail } from './inbound-mail-parser.ts';
import { processInboundMail, registerMailInProcessing } from './inbound-mail-processing.ts';
import { findInboundMail, resetFailedInboundMail } from './inbound-mail.repository.ts';
import { InboundMailboxes } from './inbound-mailboxes.ts';
import {
  createTestMailbox,
  createTestMailboxTable,
  testMailboxRecords,
  type TestMailbox,
} from './test-fixtures/test-mailbox.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-fixtures');
const fixture = (name: string) => readFileSync(path.join(fixtures, name));
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MAX = 25 * 1024 * 1024;

test('a reply is read into addresses, threading headers, text and its authentication headers', async () => {
  const mail = await parseInboundMail(fixture('reply-with-authentication.eml'));
  assert.deepEqual(mail.from, { name: 'Ann Resident', address: 'ann.resident@example.org.uk' });
  assert.deepEqual(
    mail.to.map((a) => a.address),
    ['cyberenquiry@westminster.example.gov.uk'],
  );
  assert.deepEqual(
    mail.cc.map((a) => a.address),
    ['neighbour@example.org.uk'],
  );
  assert.equal(mail.subject, 'Re: Your enquiry WCC-7K2F-9QXD – was my data taken?');
  assert.equal(mail.date, '2025-11-25T09:14:03.000Z');
  assert.equal(mail.messageId, '<reply-1@example.org.uk>');
  assert.equal(mail.inReplyTo, '<enq-0196f1c2@westminster.example.gov.uk>');
  assert.deepEqual(mail.references, ['<question-1@example.org.uk>', '<enq-0196f1c2@westminster.example.gov.uk>']);
  assert.equal(mail.returnPath, 'ann.resident@example.org.uk');
  assert.deepEqual(mail.deliveredTo, ['cyberenquiry@westminster.example.gov.uk']);
  assert.equal(mail.textSource, 'text');
  assert.match(mail.text, /My neighbour is 82 and cannot get her medication delivered – please help\.\n/);
  assert.equal(mail.authentication.results.length, 1);
  assert.match(
    mail.authentication.results[0]!,
    /^mx\.westminster\.example\.gov\.uk; spf=pass .* dmarc=pass header\.from=example\.org\.uk$/,
  );
  assert.match(mail.authentication.receivedSpf[0]!, /^pass \(/);
  assert.deepEqual(mail.authentication.dkimSignatures, [{ domain: 'example.org.uk', selector: 'mail2024' }]);
  assert.deepEqual(
    mail.headers.slice(0, 3).map((h) => h.name),
    ['Return-Path', 'Delivered-To', 'Authentication-Results'],
  );
  assert.equal(mail.headers.find((h) => h.name === 'Subject')?.value.startsWith('=?UTF-8?Q?Re:'), true);
  assert.deepEqual(mail.problems, []);
});

test('HTML-only mail becomes text without scripts, styles, frames, forms or images; no HTML is kept', async () => {
  const mail = await parseInboundMail(fixture('html-only-script.eml'));
  assert.equal(mail.textSource, 'html');
  assert.match(mail.text, /Dear resident,/);
  assert.match(mail.text, /You are owed £312\.40\./);
  // The link keeps its real address beside its words, so the mismatch stays visible.
  assert.match(mail.text, /Claim at westminster\.gov\.uk \[https:\/\/evil\.example\/claim\]/);
  for (const hidden of [
    'document',
    'cookie',
    'alert',
    'fetch',
    'localStorage',
    'pixel.gif',
    'frame',
    'card',
    'display:none',
    '<',
  ]) {
    assert.ok(!mail.text.includes(hidden), `the text has no "${hidden}"`);
  }
  assert.ok(!('html' in mail), 'the parsed message has no HTML to render');
});

test('hostile messages are read without crashing, and say what was wrong with them', async () => {
  const broken = await parseInboundMail(fixture('broken-boundary.eml'));
  assert.equal(broken.subject, 'Broken boundary');
  assert.equal(broken.messageId, '<broken-1@example.org>');

  const charset = await parseInboundMail(fixture('unknown-charset.eml'));
  assert.match(charset.subject, /licence/);
  assert.match(charset.text, /licence renewal was lost in the outage/);

  const headless = await parseInboundMail(fixture('no-headers.eml'));
  assert.match(
    headless.text,
    /^I got a text saying my council tax refund is waiting, is it real\?\nPlease call me back\.\n$/,
  );
  assert.deepEqual(headless.headers, []);
  assert.match(headless.problems.join(), /no header section/);

  const nul = await parseInboundMail(fixture('nul-bytes.eml'));
  assert.equal(nul.subject, 'Nul byte subject');
  assert.equal(nul.text, 'Text with a NUL  in the middle.\n');

  const empty = await parseInboundMail(Buffer.alloc(0));
  assert.equal(empty.text, '');
  assert.equal(empty.from, undefined);

  const longLine = Buffer.concat([
    Buffer.from('From: long@example.org\r\nSubject: Long\r\n\r\n'),
    Buffer.alloc(3 * 1024 * 1024, 'a'),
  ]);
  const long = await parseInboundMail(longLine, { maxTextChars: 100_000 });
  assert.equal(long.text.length, 100_000);
  assert.equal(long.textTruncated, true);

  const deep = `From: deep@example.org\r\nSubject: Deep\r\nContent-Type: text/html\r\n\r\n${'<div>'.repeat(5000)}deep text${'</div>'.repeat(5000)}`;
  const nested = await parseInboundMail(Buffer.from(deep));
  assert.equal(nested.subject, 'Deep');
});

test('attachments over the caps keep their details and a reason, not their content', async () => {
  const attachment = (name: string, bytes: number) =>
    `--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="${name}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.alloc(bytes, 7).toString('base64')}\r\n`;
  const raw = Buffer.from(
    `From: a@example.org\r\nSubject: Files\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n${attachment('small.bin', 1000)}${attachment('big.bin', 3000)}${attachment('second.bin', 1500)}--b--\r\n`,
  );
  const mail = await parseInboundMail(raw, { maxAttachmentBytes: 2000, maxTotalAttachmentBytes: 2000 });
  assert.deepEqual(
    mail.attachments.map((a) => [a.filename, a.size, a.content?.length ?? null, a.omittedReason ?? null]),
    [
      ['small.bin', 1000, 1000, null],
      ['big.bin', 3000, null, 'It is 3 KB; the limit for one attachment is 2 KB'],
      ['second.bin', 1500, null, "The message's attachments are over the 2 KB limit for one message"],
    ],
  );
  assert.equal(mail.attachments[1]!.sha256, sha256(Buffer.alloc(3000, 7)), 'the checksum is of the whole attachment');
  // The line break before a boundary belongs to the boundary.
  assert.equal(mail.text, 'See attached.');
});

describeEachDatabase('inbound mail processing', (database) => {
  let enquiries: TestMailbox;
  let reports: TestMailbox;
  let mailboxes: InboundMailboxes;

  before(async () => {
    await createTestMailboxTable(database().db);
  });
  beforeEach(async () => {
    await clearJobs(database().db);
    enquiries = createTestMailbox('enquiries', 'westminster.example.gov.uk');
    reports = createTestMailbox('reports', 'report.example.gov.uk');
    mailboxes = new InboundMailboxes().register(enquiries).register(reports);
  });

  const store = (raw: Buffer, input: { envelopeTo?: string[]; mailbox?: string } = {}) =>
    storeInboundMail(database().db, { source: 'import', raw, ...input }, { maxBytes: MAX });

  test('storing a message keeps it byte for byte and queues its processing with the row id as key', async () => {
    const raw = fixture('nul-bytes.eml');
    const stored = await store(raw);
    const row = await findInboundMail(database().db, stored.id);
    assert.ok(row);
    assert.ok(Buffer.isBuffer(row.raw));
    assert.ok(row.raw.equals(raw));
    assert.equal(row.sha256, sha256(raw));
    assert.equal(row.size, raw.length);
    assert.equal(row.status, 'received');
    const job = await database()
      .db.selectFrom('jobs')
      .select(['kind', 'payload', 'idempotency_key'])
      .where('idempotency_key', '=', `${MAIL_IN_PROCESS_JOB}:${stored.id}`)
      .executeTakeFirstOrThrow();
    assert.equal(job.kind, MAIL_IN_PROCESS_JOB);
    assert.deepEqual(JSON.parse(job.payload), { mailId: stored.id });
  });

  test('each fixture ends processed, or rejected or failed with a reason, and the raw is always kept', async () => {
    const expectations: Array<[string, string]> = [
      ['reply-with-authentication.eml', 'processed'],
      ['broken-boundary.eml', 'processed'],
      ['unknown-charset.eml', 'processed'],
      ['html-only-script.eml', 'processed'],
      ['nul-bytes.eml', 'processed'],
      // No headers: nothing says who it is for.
      ['no-headers.eml', 'rejected'],
    ];
    for (const [name, status] of expectations) {
      const raw = fixture(name);
      const stored = await store(raw);
      const outcome = await processInboundMail({ db: database().db, mailboxes }, stored.id);
      assert.equal(outcome.status, status, `${name}: ${outcome.reason}`);
      const row = await findInboundMail(database().db, stored.id);
      assert.ok(row?.raw.equals(raw), `${name} is kept byte for byte`);
      assert.equal(row?.sha256, sha256(raw));
      if (status === 'rejected') assert.equal(row?.reason, 'The message names no recipient');
      if (status === 'processed') {
        assert.equal(row?.handledBy, 'enquiries');
        assert.equal(row?.produced.length, 1);
        assert.equal(row?.produced[0]?.kind, 'test-record');
        assert.equal((await testMailboxRecords(database().db, stored.id)).length, 1);
      }
    }
    // The same message with a recipient given (as `mail import --to` does) is taken.
    const stored = await store(fixture('no-headers.eml'), { envelopeTo: ['CyberEnquiry@Westminster.example.gov.uk'] });
    const outcome = await processInboundMail({ db: database().db, mailboxes }, stored.id);
    assert.equal(outcome.status, 'processed');
    assert.deepEqual(enquiries.calls.at(-1)?.delivery.recipients, ['cyberenquiry@westminster.example.gov.uk']);
  });

  test('a message that cannot be parsed is marked failed with the reason, kept, and can be retried', async () => {
    // More child parts than the MIME splitter allows in one message.
    const parts = Array.from({ length: 1100 }, () => '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n').join('');
    const raw = Buffer.from(
      `From: a@example.org\r\nTo: x@westminster.example.gov.uk\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n${parts}--b--\r\n`,
    );
    const stored = await store(raw);
    const outcome = await processInboundMail({ db: database().db, mailboxes }, stored.id);
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.reason ?? '', /^The message could not be read: /);
    const row = await findInboundMail(database().db, stored.id);
    assert.equal(row?.status, 'failed');
    assert.ok(row?.raw.equals(raw));
    assert.equal(enquiries.calls.length, 0);
    assert.equal(await resetFailedInboundMail(database().db, stored.id, new Date().toISOString()), 1);
    assert.equal((await findInboundMail(database().db, stored.id))?.status, 'received');
  });

  test('a message for two mailboxes goes to each, with its own recipients; unknown recipients are left out', async () => {
    const raw = Buffer.from(
      'From: a@example.org\r\nTo: cyberenquiry@westminster.example.gov.uk, report@report.example.gov.uk\r\nCc: someone@elsewhere.example\r\nSubject: Both\r\n\r\nHello\r\n',
    );
    const stored = await store(raw);
    const outcome = await processInboundMail({ db: database().db, mailboxes }, stored.id);
    assert.equal(outcome.status, 'processed');
    assert.deepEqual(
      outcome.produced.map((p) => p.mailbox),
      ['enquiries', 'reports'],
    );
    assert.deepEqual(enquiries.calls[0]?.delivery.recipients, ['cyberenquiry@westminster.example.gov.uk']);
    assert.deepEqual(reports.calls[0]?.delivery.recipients, ['report@report.example.gov.uk']);
    assert.ok(reports.calls[0]?.delivery.raw.equals(raw), 'each mailbox gets the raw message');
    const row = await findInboundMail(database().db, stored.id);
    assert.equal(row?.handledBy, 'enquiries, reports');
    assert.equal(row?.subject, 'Both');
    assert.equal(row?.headerFrom, 'a@example.org');
  });

  test('a named mailbox takes the message whatever its headers say; a mailbox can turn one down', async () => {
    const raw = Buffer.from(
      'From: a@example.org\r\nTo: someone@elsewhere.example\r\nSubject: Forwarded scam\r\n\r\nx\r\n',
    );
    const named = await store(raw, { mailbox: 'reports' });
    assert.equal((await processInboundMail({ db: database().db, mailboxes }, named.id)).status, 'processed');
    assert.deepEqual(reports.calls[0]?.delivery.recipients, []);

    reports.rejectSubject('Forwarded');
    const again = await store(raw, { mailbox: 'reports' });
    const outcome = await processInboundMail({ db: database().db, mailboxes }, again.id);
    assert.equal(outcome.status, 'rejected');
    assert.equal(outcome.reason, 'reports: not for this mailbox');

    const unknown = await store(raw, { mailbox: 'nobody' });
    const rejected = await processInboundMail({ db: database().db, mailboxes }, unknown.id);
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.reason, 'No mailbox called "nobody" is set up on this platform');

    const nobody = await store(raw);
    assert.equal(
      (await processInboundMail({ db: database().db, mailboxes }, nobody.id)).reason,
      'No mailbox on this platform takes mail for someone@elsewhere.example',
    );
  });

  test('processing twice hands the message over once', async () => {
    const stored = await store(fixture('reply-with-authentication.eml'));
    const [first, second] = await Promise.all([
      processInboundMail({ db: database().db, mailboxes }, stored.id),
      processInboundMail({ db: database().db, mailboxes }, stored.id),
    ]);
    assert.equal(first.status, 'processed');
    assert.equal(second.status, 'processed');
    assert.equal((await testMailboxRecords(database().db, stored.id)).length, 1);
    assert.equal((await processInboundMail({ db: database().db, mailboxes }, stored.id)).status, 'processed');
    assert.equal((await testMailboxRecords(database().db, stored.id)).length, 1);
  });

  /** A worker with the mail-in handler and quick retries, stopped when the test ends. */
  function startWorker(t: TestContext) {
    const handlers = new JobHandlerRegistry();
    registerMailInProcessing(handlers, { mailboxes });
    const worker = startJobWorker({
      database: database(),
      handlers,
      logger: createMemoryLogger(),
      pollIntervalMs: 20,
      retryDelayMs: () => 20,
    });
    t.after(() => worker.stop());
    return worker;
  }

  test('when a mailbox throws, its records roll back, the message is failed with the reason, and the job tries again', async (t) => {
    enquiries.failNext(2, 'database of cases is locked');
    const raw = fixture('reply-with-authentication.eml');
    const stored = await store(raw);
    startWorker(t);
    const row = await waitFor(
      'the message to be processed',
      async () => {
        const r = await findInboundMail(database().db, stored.id);
        return r?.status === 'processed' ? r : undefined;
      },
      { timeoutMs: 10_000 },
    );
    assert.equal(enquiries.calls.length, 3, 'handed over three times: two failures, then success');
    const records = await testMailboxRecords(database().db, stored.id);
    assert.equal(records.length, 1, 'only the run that committed left a record');
    assert.deepEqual(row.produced, [{ mailbox: 'enquiries', kind: 'test-record', id: records[0]!.id }]);
    assert.ok(row.raw.equals(raw));
    assert.equal(row.sha256, sha256(raw));
    assert.equal(row.reason, null);
    const job = await database()
      .db.selectFrom('jobs')
      .select('id')
      .where('idempotency_key', '=', `${MAIL_IN_PROCESS_JOB}:${stored.id}`)
      .executeTakeFirstOrThrow();
    const finished = await findJob(database().db, job.id);
    assert.equal(finished?.status, 'succeeded');
    assert.equal(finished?.attempts, 3);
  });

  test('while it waits for the next attempt, the failed message says why and that it will be tried again', async () => {
    enquiries.failNext(1, 'cases table busy');
    const stored = await store(fixture('reply-with-authentication.eml'));
    await assert.rejects(processInboundMail({ db: database().db, mailboxes }, stored.id, { number: 1, of: 5 }));
    const row = await findInboundMail(database().db, stored.id);
    assert.equal(row?.status, 'failed');
    assert.equal(
      row?.reason,
      'The enquiries mailbox could not take the message: cases table busy. It will be tried again automatically (attempt 1 of 5).',
    );
    assert.equal(row?.subject, 'Re: Your enquiry WCC-7K2F-9QXD – was my data taken?');
    assert.equal((await testMailboxRecords(database().db, stored.id)).length, 0);
  });

  test('an oversize message keeps its first megabyte and its size, and is rejected without processing', async () => {
    const raw = Buffer.concat([
      Buffer.from('From: big@example.org\r\nSubject: Big\r\n\r\n'),
      Buffer.alloc(3 * 1024 * 1024, 'x'),
    ]);
    const stored = await storeInboundMail(database().db, { source: 'import', raw }, { maxBytes: 2 * 1024 * 1024 });
    assert.equal(stored.status, 'rejected');
    const row = await findInboundMail(database().db, stored.id);
    assert.equal(row?.size, raw.length);
    assert.equal(row?.truncated, true);
    assert.equal(row?.raw.length, 1024 * 1024);
    assert.ok(row?.raw.equals(raw.subarray(0, 1024 * 1024)));
    assert.equal(row?.reason, 'The message is 3 MB; the limit is 2 MB. Only its first 1 MB was kept.');
    const jobs = await database()
      .db.selectFrom('jobs')
      .select('id')
      .where('idempotency_key', '=', `${MAIL_IN_PROCESS_JOB}:${stored.id}`)
      .execute();
    assert.equal(jobs.length, 0, 'nothing to process');
  });
});
