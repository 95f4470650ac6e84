import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { MAIL_IN_PROCESS_JOB } from './inbound-mail-intake.ts';
import { findInboundMail } from './inbound-mail.repository.ts';
import { InboundMailboxes } from './inbound-mailboxes.ts';
import { describeImport, importMailFile } from './mail-import.ts';
import {
  createTestMailbox,
  createTestMailboxTable,
  testMailboxRecords,
  type TestMailbox,
} from './test-fixtures/test-mailbox.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-fixtures');
const MB = 1024 * 1024;

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wardroom-mail-import-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A message with a 20 MB attachment, made here rather than kept in the repository. */
function messageWithBigAttachment(): string {
  const file = path.join(dir, 'big-attachment.eml');
  const base64 = Buffer.alloc(20 * MB, 0x5a)
    .toString('base64')
    .replace(/.{76}/g, '$&\r\n');
  writeFileSync(
    file,
    `From: scanner@example.org\r\nTo: cyberenquiry@westminster.example.gov.uk\r\nSubject: Scanned letters\r\nContent-Type: multipart/mixed; boundary="sep"\r\n\r\n--sep\r\nContent-Type: text/plain\r\n\r\nMy letters are attached.\r\n--sep\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="letters.pdf"\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64}\r\n--sep--\r\n`,
  );
  return file;
}

describeEachDatabase('wardroom mail import', (database) => {
  let enquiries: TestMailbox;
  let deps: { db: ReturnType<typeof database>['db']; mailboxes: InboundMailboxes; maxBytes: number };

  before(async () => {
    await createTestMailboxTable(database().db);
  });
  beforeEach(async () => {
    await clearJobs(database().db);
    enquiries = createTestMailbox('enquiries', 'westminster.example.gov.uk');
    deps = { db: database().db, mailboxes: new InboundMailboxes().register(enquiries), maxBytes: 25 * MB };
  });

  test('a file is stored raw, processed at once, and reported; the same file again is not imported twice', async () => {
    const file = path.join(fixtures, 'reply-with-authentication.eml');
    const result = await importMailFile(deps, file);
    assert.ok(!('error' in result));
    assert.equal(result.status, 'processed');
    const [record] = await testMailboxRecords(database().db, result.mailId);
    assert.equal(describeImport(result), `${file}: processed: enquiries made test-record ${record!.id}`);
    const row = await findInboundMail(database().db, result.mailId);
    assert.equal(row?.source, 'import');
    assert.ok(row?.raw.equals(readFileSync(file)));

    const again = await importMailFile(deps, file);
    assert.ok(!('error' in again));
    assert.equal(again.duplicate, true);
    assert.equal(again.mailId, result.mailId);
    assert.match(describeImport(again), /: processed \(already imported as [0-9a-f-]{36}\): /);
    assert.equal((await testMailboxRecords(database().db, result.mailId)).length, 1);

    assert.equal(
      describeImport(await importMailFile(deps, path.join(dir, 'missing.eml'))),
      `${path.join(dir, 'missing.eml')}: could not be read (ENOENT)`,
    );
  });

  test('a 20 MB attachment: over the 25 MB limit once encoded, so rejected with a reason and its start kept; under a higher limit, processed without the attachment content', async () => {
    const file = messageWithBigAttachment();
    const bytes = readFileSync(file);
    const rejected = await importMailFile(deps, file);
    assert.ok(!('error' in rejected));
    assert.equal(rejected.status, 'rejected');
    assert.match(
      rejected.reason ?? '',
      /^The message is 27\.\d MB; the limit is 25 MB\. Only its first 1 MB was kept\.$/,
    );
    const kept = await findInboundMail(database().db, rejected.mailId);
    assert.equal(kept?.size, bytes.length);
    assert.ok(kept?.raw.equals(bytes.subarray(0, MB)));
    assert.equal(enquiries.calls.length, 0);

    const accepted = await importMailFile({ ...deps, maxBytes: 40 * MB }, file);
    assert.ok(!('error' in accepted));
    assert.equal(accepted.status, 'processed', accepted.reason ?? '');
    const row = await findInboundMail(database().db, accepted.mailId);
    assert.equal(row?.sha256, createHash('sha256').update(bytes).digest('hex'), 'the whole message is kept');
    const attachment = enquiries.calls[0]?.mail.attachments[0];
    assert.equal(attachment?.filename, 'letters.pdf');
    assert.equal(attachment?.size, 20 * MB);
    assert.equal(attachment?.content, null);
    assert.equal(attachment?.omittedReason, 'It is 20 MB; the limit for one attachment is 10 MB');
    assert.equal(enquiries.calls[0]?.mail.text, 'My letters are attached.');
  });

  test('when the mailbox fails the file is reported failed with the reason, and its job is left to try again', async () => {
    enquiries.failNext(1, 'case store unavailable');
    const result = await importMailFile(deps, path.join(fixtures, 'unknown-charset.eml'));
    assert.ok(!('error' in result));
    assert.equal(result.status, 'failed');
    assert.match(
      describeImport(result),
      /: failed: The enquiries mailbox could not take the message: case store unavailable\./,
    );
    const job = await database()
      .db.selectFrom('jobs')
      .select(['status'])
      .where('idempotency_key', '=', `${MAIL_IN_PROCESS_JOB}:${result.mailId}`)
      .executeTakeFirst();
    assert.equal(job?.status, 'queued');
    assert.equal((await testMailboxRecords(database().db, result.mailId)).length, 0);
  });

  test('the command prints what became of each file and exits 1 when one was not processed', async () => {
    const connection = database().connection;
    const url = connection.schema
      ? `${connection.url}?options=${encodeURIComponent(`-c search_path=${connection.schema}`)}`
      : connection.url;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'mail', 'import', ...args], {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url, SESSION_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' },
      });
    const file = path.join(fixtures, 'html-only-script.eml');
    const result = run('--to', 'cyberenquiry@westminster.example.gov.uk', file);
    assert.equal(result.status, 1, result.stderr);
    // No capability has registered a mailbox yet, so nothing takes it; the message is kept all the same.
    const id = new RegExp(
      `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: rejected: No mailbox on this platform takes mail for cyberenquiry@westminster\\.example\\.gov\\.uk \\(kept as ([0-9a-f-]{36})\\)\\n$`,
    ).exec(result.stdout)?.[1];
    assert.ok(id, result.stdout);
    assert.ok((await findInboundMail(database().db, id))?.raw.equals(readFileSync(file)));

    const unknownMailbox = run('--mailbox', 'nobody', file);
    assert.equal(unknownMailbox.status, 2);
    assert.match(unknownMailbox.stderr, /No mailbox called "nobody"/);
  });
});
