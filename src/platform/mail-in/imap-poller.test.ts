import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, test, type TestContext } from 'node:test';
import type { ImapAccountConfig } from '../config.ts';
import { loadConfig } from '../config.ts';
import { describeEachDatabase } from '../db/test-databases.ts';
import { JobHandlerRegistry } from '../jobs/job-handlers.ts';
import { clearJobs } from '../jobs/test-fixtures/clear-jobs.ts';
import { MAIL_IN_PROCESS_JOB } from './inbound-mail-intake.ts';
import { MAIL_IN_IMAP_POLL_JOB, pollImapAccount, registerImapPolling, requestImapPolls } from './imap-poller.ts';
import { findInboundMail, listInboundMail } from './inbound-mail.repository.ts';
import { IMAP_TEST_PASSWORD, IMAP_TEST_USER, startImapTestServer } from './test-fixtures/imap-test-server.ts';

const message = (n: number) =>
  `From: resident${n}@example.org.uk\r\nTo: cyberenquiry@westminster.example.gov.uk\r\nSubject: Question ${n}\r\nMessage-ID: <imap-${n}@example.org.uk>\r\n\r\nIs my data safe? (${n})\r\n`;

function account(port: number, overrides: Partial<ImapAccountConfig> = {}): ImapAccountConfig {
  return {
    mailbox: 'enquiries',
    host: '127.0.0.1',
    port,
    secure: false,
    user: IMAP_TEST_USER,
    password: IMAP_TEST_PASSWORD,
    folder: 'INBOX',
    moveTo: undefined,
    key: `${IMAP_TEST_USER}@127.0.0.1:${port}/INBOX`,
    ...overrides,
  };
}

test('IMAP_MAILBOXES names the mailbox each account feeds; the password never appears in a problem', () => {
  const config = loadConfig({
    NODE_ENV: 'test',
    SESSION_SECRET: 'x'.repeat(40),
    WARDROOM_DATA_DIR: '/tmp/wardroom-config-test',
    IMAP_MAILBOXES:
      'enquiries=imaps://cyber%40westminster.gov.uk:p%40ss%2Cword@outlook.office365.com/INBOX?move-to=Processed, reports=imap://reports:secret@127.0.0.1:1143/Reports',
  });
  assert.deepEqual(config.mailIn.imap, [
    {
      mailbox: 'enquiries',
      host: 'outlook.office365.com',
      port: 993,
      secure: true,
      user: 'cyber@westminster.gov.uk',
      password: 'p@ss,word',
      folder: 'INBOX',
      moveTo: 'Processed',
      key: 'cyber@westminster.gov.uk@outlook.office365.com/INBOX',
    },
    {
      mailbox: 'reports',
      host: '127.0.0.1',
      port: 1143,
      secure: false,
      user: 'reports',
      password: 'secret',
      folder: 'Reports',
      moveTo: undefined,
      key: 'reports@127.0.0.1:1143/Reports',
    },
  ]);
  assert.throws(
    () =>
      loadConfig({
        NODE_ENV: 'test',
        SESSION_SECRET: 'x'.repeat(40),
        IMAP_MAILBOXES: 'enquiries=pop3://user:hunter2@host/INBOX, =imaps://a:hunter2@b',
      }),
    (error: Error) => {
      assert.match(error.message, /must start with imaps:\/\/ or imap:\/\//);
      assert.match(error.message, /with a mailbox name such as "enquiries"/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    },
  );
});

describeEachDatabase('IMAP polling', (database) => {
  beforeEach(async () => {
    await clearJobs(database().db);
    await database().db.deleteFrom('inbound_mail').where('source', '=', 'imap').execute();
  });

  async function server(t: TestContext, inbox: Array<{ raw: string; seen?: boolean }>, uidValidity = 7) {
    const imap = await startImapTestServer(inbox, { uidValidity });
    t.after(() => imap.close());
    return imap;
  }

  const storedImapMail = async () =>
    (await listInboundMail(database().db, { visibleTo: [] }, { limit: 100, offset: 0 })).mail
      .filter((m) => m.source === 'imap')
      .sort((a, b) => (a.sourceRef ?? '').localeCompare(b.sourceRef ?? ''));

  test('unseen messages are stored raw for the mailbox the account feeds, then flagged seen; seen ones are left', async (t) => {
    const imap = await server(t, [{ raw: message(1) }, { raw: message(2), seen: true }, { raw: message(3) }]);
    const result = await pollImapAccount({ db: database().db, account: account(imap.port), maxBytes: 1024 * 1024 });
    assert.deepEqual(result, { unseen: 2, stored: 2, alreadyStored: 0, oversize: 0 });

    const stored = await storedImapMail();
    assert.deepEqual(
      stored.map((m) => [m.sourceRef, m.mailbox, m.status]),
      [
        [`imap:${account(imap.port).key}:7:1`, 'enquiries', 'received'],
        [`imap:${account(imap.port).key}:7:3`, 'enquiries', 'received'],
      ],
    );
    for (const [i, n] of [1, 3].entries()) {
      const row = await findInboundMail(database().db, stored[i]!.id);
      assert.equal(row?.raw.toString('utf8'), message(n), 'stored exactly as the server holds it');
      assert.equal(row?.sha256, createHash('sha256').update(message(n)).digest('hex'));
    }
    const jobs = await database()
      .db.selectFrom('jobs')
      .select('idempotency_key')
      .where('kind', '=', MAIL_IN_PROCESS_JOB)
      .execute();
    assert.equal(jobs.length, 2, 'each stored message is queued for processing');
    assert.deepEqual(
      imap.folder('INBOX').map((m) => m.flags.includes('\\Seen')),
      [true, true, true],
    );

    const again = await pollImapAccount({ db: database().db, account: account(imap.port), maxBytes: 1024 * 1024 });
    assert.deepEqual(again, { unseen: 0, stored: 0, alreadyStored: 0, oversize: 0 });
  });

  test('a poll that stopped before flagging stores nothing twice when it runs again', async (t) => {
    const imap = await server(t, [{ raw: message(1) }, { raw: message(2) }]);
    // As if a poll had stored both and died before flagging them: store them, leave them unseen.
    const first = await pollImapAccount({
      db: database().db,
      account: account(imap.port, { moveTo: 'Nowhere/Missing' }),
      maxBytes: 1024 * 1024,
    }).catch((error: unknown) => error);
    assert.ok(
      first instanceof Error,
      'moving to a folder that does not exist fails after the first message was stored',
    );
    assert.equal((await storedImapMail()).length, 1);
    assert.equal(imap.folder('INBOX').filter((m) => !m.flags.includes('\\Seen')).length, 2, 'nothing was flagged');

    const second = await pollImapAccount({ db: database().db, account: account(imap.port), maxBytes: 1024 * 1024 });
    assert.deepEqual(second, { unseen: 2, stored: 1, alreadyStored: 1, oversize: 0 });
    assert.equal((await storedImapMail()).length, 2, 'each message once');
    assert.ok(imap.folder('INBOX').every((m) => m.flags.includes('\\Seen')));
  });

  test('processed messages can be moved to a folder; a new UIDVALIDITY makes new references', async (t) => {
    const imap = await server(t, [{ raw: message(1) }], 42);
    await pollImapAccount({
      db: database().db,
      account: account(imap.port, { moveTo: 'Processed' }),
      maxBytes: 1024 * 1024,
    });
    assert.equal(imap.folder('INBOX').length, 0);
    assert.equal(imap.folder('Processed').length, 1);
    assert.equal((await storedImapMail())[0]?.sourceRef, `imap:${account(imap.port).key}:42:1`);
  });

  test('a message over the size limit keeps its start and is rejected; the poll job stores through the queue', async (t) => {
    const big = `From: big@example.org\r\nSubject: Big\r\n\r\n${'y'.repeat(200 * 1024)}\r\n`;
    const imap = await server(t, [{ raw: big }]);
    const handlers = new JobHandlerRegistry();
    const acct = account(imap.port);
    registerImapPolling(handlers, { accounts: [acct], maxBytes: 64 * 1024 });
    await requestImapPolls(database().db, [acct], 60);
    await requestImapPolls(database().db, [acct], 60);
    const polls = await database()
      .db.selectFrom('jobs')
      .select(['id', 'payload'])
      .where('kind', '=', MAIL_IN_IMAP_POLL_JOB)
      .execute();
    assert.equal(polls.length, 1, 'one poll per account per interval');
    assert.deepEqual(JSON.parse(polls[0]!.payload), { account: acct.key }, 'no password in the job');

    const handler = handlers.get(MAIL_IN_IMAP_POLL_JOB)!;
    const progress: Array<[number, number | undefined]> = [];
    await handler({
      job: {
        id: polls[0]!.id,
        kind: MAIL_IN_IMAP_POLL_JOB,
        payload: { account: acct.key },
        attempt: 1,
        maxAttempts: 1,
        organisationId: null,
      },
      db: database().db,
      signal: new AbortController().signal,
      progress: async (done, total) => {
        progress.push([done, total]);
      },
      once: async () => false,
      finishOnce: async () => false,
      wasRecorded: async () => false,
    });
    assert.deepEqual(progress, [[1, 1]]);
    const [row] = await storedImapMail();
    assert.equal(row?.status, 'rejected');
    assert.equal(row?.size, Buffer.byteLength(big));
    assert.equal(row?.truncated, true);
    assert.match(row?.reason ?? '', /^The message is 200 KB; the limit is 64 KB\./);
    const full = await findInboundMail(database().db, row!.id);
    assert.equal(full?.raw.toString(), big.slice(0, 64 * 1024));
  });

  test('a server that cannot be reached fails the poll with a message naming the account, not its password', async () => {
    const error = await pollImapAccount({
      db: database().db,
      account: account(1, { password: 'hunter2' }),
      maxBytes: 1024,
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof Error);
    assert.match(error.message, /^Polling testuser@127\.0\.0\.1:1\/INBOX over IMAP failed: /);
    assert.doesNotMatch(error.message, /hunter2/);
  });
});
