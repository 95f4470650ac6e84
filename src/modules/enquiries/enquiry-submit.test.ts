// Sending the web form reads the kept answers before it takes the write lock (see submit in
// enquiries.service.ts). These tests change the answers in that gap, as a second tab or a second
// press of the button would, and check that what is stored is what the resident last sent, once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { before, test } from 'node:test';
import { findOrganisationBySlug, type Organisation } from '../../platform/accounts/accounts.repository.ts';
import { loadConfig } from '../../platform/config.ts';
import { createGroupCommit, defaultGroupCommitOptions, type GroupCommit } from '../../platform/db/group-commit.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { createInboundMailboxes } from '../../platform/mail-in-runtime.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import { createEnquiriesService } from './enquiries.service.ts';
import { EMPTY_ANSWERS, type EnquiryAnswers } from './enquiry-form.ts';

const answers = (message: string, name: string): EnquiryAnswers => ({
  ...EMPTY_ANSWERS,
  topic: 'affected',
  message,
  name,
  replyBy: 'email',
  email: 'sam.resident@example.com',
  extraHelp: 'no',
});

describeEachDatabase('sending the web form', (database) => {
  let council: Organisation;
  const config = () =>
    loadConfig({
      NODE_ENV: 'test',
      WARDROOM_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'wardroom-submit-')),
      SESSION_SECRET: TEST_SESSION_SECRET,
      PUBLIC_BASE_URL: 'http://localhost:3000',
    });

  before(async () => {
    await seedDemo(database().db, { sessionSecret: TEST_SESSION_SECRET });
    council = (await findOrganisationBySlug(database().db, 'westminster'))!;
  });

  /** The service, with something done just before each of its first `times` batches is written. */
  const serviceWith = (beforeWriting: () => Promise<void>, times: number) => {
    const { db, dialect } = database();
    const real = createGroupCommit(db, defaultGroupCommitOptions(dialect));
    let left = times;
    const writes: GroupCommit = {
      async run(work) {
        if (left > 0) {
          left -= 1;
          await beforeWriting();
        }
        return real.run(work);
      },
      drain: () => real.drain(),
    };
    const settings = config();
    const service = createEnquiriesService(db, {
      publicBaseUrl: settings.publicBaseUrl,
      writes: createGroupCommit(db, defaultGroupCommitOptions(dialect)),
      mailboxes: () => createInboundMailboxes(settings),
    });
    const racing = createEnquiriesService(db, {
      publicBaseUrl: settings.publicBaseUrl,
      writes,
      mailboxes: () => createInboundMailboxes(settings),
    });
    return {
      service,
      racing,
      close: () => rmSync(settings.dataDir, { recursive: true, force: true }),
    };
  };

  const casesNamed = (name: string) =>
    database()
      .db.selectFrom('enquiry_cases as c')
      .innerJoin('enquiry_entries as e', (j) => j.onRef('e.case_id', '=', 'c.id').on('e.kind', '=', 'message'))
      .select(['c.reference', 'c.resident_name', 'e.body'])
      .where('c.resident_name', '=', name)
      .execute();

  test('answers changed in another tab after they were read: the case holds the changed answers', async () => {
    let token = '';
    const { service, racing, close } = serviceWith(async () => {
      // The other tab sends changed answers after this submission read the first ones.
      await service.saveDraft(council, answers('Second thoughts: my bank details too.', 'Sam Changed'), token);
    }, 1);
    try {
      token = await service.saveDraft(council, answers('First thoughts.', 'Sam Changed'), undefined);
      const sent = await racing.submit(council, token, true);
      assert.equal(sent.ok, true);
      const stored = await casesNamed('Sam Changed');
      assert.equal(stored.length, 1, 'one case');
      assert.equal(stored[0]?.body, 'Second thoughts: my bank details too.');
      assert.equal(sent.ok && sent.reference, stored[0]?.reference);
    } finally {
      close();
    }
  });

  test('answers sent by another request after they were read: one case, and both are told its reference', async () => {
    let token = '';
    let first: Awaited<ReturnType<ReturnType<typeof serviceWith>['service']['submit']>> | undefined;
    const { service, racing, close } = serviceWith(async () => {
      // A second press of the button is answered first.
      first = await service.submit(council, token, true);
    }, 1);
    try {
      token = await service.saveDraft(council, answers('Is my council tax account safe?', 'Sam Twice'), undefined);
      const second = await racing.submit(council, token, true);
      const stored = await casesNamed('Sam Twice');
      assert.equal(stored.length, 1, 'one case');
      assert.deepEqual(
        [first, second],
        [
          { ok: true, reference: stored[0]?.reference },
          { ok: true, reference: stored[0]?.reference },
        ],
      );
      const acknowledgements = await database()
        .db.selectFrom('jobs')
        .select('id')
        .where('idempotency_key', 'like', 'mail.send:enquiry-ack:%')
        .where('payload', 'like', '%' + (stored[0]?.reference ?? 'none') + '%')
        .execute();
      assert.equal(acknowledgements.length, 1, 'one acknowledgement queued');
    } finally {
      close();
    }
  });
});
