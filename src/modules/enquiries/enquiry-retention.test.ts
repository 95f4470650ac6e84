import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { storeInboundMail } from '../../platform/mail-in/inbound-mail-intake.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import { applyRetention, requestRetention } from './enquiry-retention.ts';
import * as repo from './enquiries.repository.ts';
import { openCase } from './enquiries.service.ts';

describeEachDatabase('enquiry retention', (database) => {
  test('finished cases past the council’s period lose their personal data and stored emails; the rest are untouched', async () => {
    const { db } = database();
    await seedDemo(db, { sessionSecret: TEST_SESSION_SECRET });
    const wcc = (await findOrganisationBySlug(db, 'westminster'))!.id;
    const rbkc = (await findOrganisationBySlug(db, 'kensington-chelsea'))!.id;
    const settings = (await repo.findSettings(db, wcc))!;
    await repo.upsertSettings(db, { ...settings, retentionDays: 30 }, new Date().toISOString());

    const now = new Date('2026-11-27T12:00:00Z');
    const make = async (organisationId: string, name: string, closedAt: string | null) => {
      const mail = await storeInboundMail(
        db,
        { source: 'import', raw: Buffer.from(`Subject: hi\r\n\r\n${name}\r\n`) },
        { maxBytes: 1e6 },
      );
      const opened = await db.transaction().execute((trx) =>
        openCase(trx, {
          organisationId,
          openedVia: 'email',
          topic: 'data-worry',
          summary: `${name} worried`,
          residentName: name,
          residentEmail: `${name.toLowerCase()}@example.com`,
          residentPhone: '07700900123',
          residentAddress: '1 Example Street',
          replyBy: 'email',
          supportNeeds: 'Large print',
          agedOver75: false,
          socialCare: false,
          first: {
            kind: 'message',
            channel: 'email',
            subject: `From ${name}`,
            body: `I am ${name}`,
            emailMessageId: `<${name}@example.com>`,
            authorUserId: null,
            authorLabel: name,
            details: { inboundMailId: mail.id },
          },
        }),
      );
      if (closedAt)
        await repo.updateCase(db, opened.id, { status: 'closed', closed_at: closedAt, updated_at: closedAt });
      return { caseId: opened.id, mailId: mail.id };
    };
    const old = await make(wcc, 'Olive', '2026-09-01T00:00:00.000Z');
    const recent = await make(wcc, 'Rita', '2026-11-20T00:00:00.000Z');
    const open = await make(wcc, 'Otto', null);
    const elsewhere = await make(rbkc, 'Eve', '2026-09-01T00:00:00.000Z'); // RBKC keeps them 730 days

    const result = await applyRetention(db, now);
    assert.deepEqual(result, { anonymised: 1, emailsDeleted: 1 });
    const gone = (await repo.findCase(db, old.caseId))!;
    assert.equal(gone.residentName, null);
    assert.equal(gone.residentEmail, null);
    assert.equal(gone.residentPhone, null);
    assert.equal(gone.residentAddress, null);
    assert.equal(gone.supportNeeds, null);
    assert.equal(gone.summary, repo.REMOVED);
    assert.ok(gone.anonymisedAt);
    assert.equal(gone.topic, 'data-worry', 'what statistics need is kept');
    const entries = await repo.listEntries(db, old.caseId);
    assert.ok(entries.every((e) => e.body === repo.REMOVED && e.subject === null && e.emailMessageId === null));
    assert.equal(
      await db.selectFrom('inbound_mail').select('id').where('id', '=', old.mailId).executeTakeFirst(),
      undefined,
    );
    for (const kept of [recent, open, elsewhere]) {
      assert.notEqual((await repo.findCase(db, kept.caseId))!.residentName, null);
      assert.ok(await db.selectFrom('inbound_mail').select('id').where('id', '=', kept.mailId).executeTakeFirst());
    }
    const audit = await db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'enquiry.retention-applied')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(JSON.parse(audit[0]!.details).cases, 1);

    // Running again finds nothing more to do.
    assert.deepEqual(await applyRetention(db, now), { anonymised: 0, emailsDeleted: 0 });
    // Every instance asking on the same day makes one job.
    assert.equal(
      await requestRetention(db, '2026-11-27T01:00:00.000Z'),
      await requestRetention(db, '2026-11-27T23:00:00.000Z'),
    );
  });
});
