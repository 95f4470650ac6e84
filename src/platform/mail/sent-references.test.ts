import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { createOrganisation } from '../testing/test-app.ts';
import { enqueueSms } from '../sms/sms-jobs.ts';
import { enqueueEmail } from './mail-jobs.ts';
import { recordSentReferenceCouncils, recordSentReferences, sentReferenceExists } from './sent-references.ts';
import {
  isVerificationReference,
  newVerificationReference,
  newVerificationReferences,
} from './verification-reference.ts';

test('references made in bulk each have the shape, and none repeats', () => {
  const references = newVerificationReferences(10_000);
  assert.equal(references.length, 10_000);
  assert.ok(references.every(isVerificationReference));
  assert.equal(new Set(references).size, 10_000);
  assert.deepEqual(newVerificationReferences(0), []);
});

describeEachDatabase('sent references', (database) => {
  const db = () => database().db;
  let orgId: string;
  beforeEach(async () => {
    orgId = (await createOrganisation(database(), 'refcheck')).id;
  });

  const email = (reference: string) => ({
    to: 'resident@example.org.uk',
    subject: 'Cyber incident update',
    text: 'We have published an update.\n',
    reference,
  });

  test('queueing an email or a text records its reference, council and channel, and nothing about the recipient', async () => {
    const mailRef = newVerificationReference();
    const smsRef = newVerificationReference();
    await db()
      .transaction()
      .execute(async (trx) => {
        await enqueueEmail(trx, email(mailRef), { idempotencyKey: `t:${mailRef}`, organisationId: orgId });
        await enqueueSms(
          trx,
          { to: '+447700900123', body: 'An update', reference: smsRef },
          { idempotencyKey: `t:${smsRef}`, organisationId: orgId },
        );
      });
    const rows = await db()
      .selectFrom('sent_references')
      .selectAll()
      .where('reference', 'in', [mailRef, smsRef])
      .orderBy('channel')
      .execute();
    assert.deepEqual(
      rows.map((r) => [r.reference, r.organisation_id, r.channel]),
      [
        [mailRef, orgId, 'email'],
        [smsRef, orgId, 'sms'],
      ],
    );
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['channel', 'organisation_id', 'queued_at', 'reference']);
    assert.equal(await sentReferenceExists(db(), orgId, mailRef), true);
  });

  test('an enqueue that is rolled back records no reference', async () => {
    const reference = newVerificationReference();
    await assert.rejects(
      db()
        .transaction()
        .execute(async (trx) => {
          await enqueueEmail(trx, email(reference), { idempotencyKey: `t:${reference}`, organisationId: orgId });
          throw new Error('the change the email reports failed');
        }),
      /failed/,
    );
    assert.equal(await sentReferenceExists(db(), orgId, reference), false);
    const job = await db()
      .selectFrom('jobs')
      .select('id')
      .where('idempotency_key', '=', `mail.send:t:${reference}`)
      .execute();
    assert.equal(job.length, 0);
  });

  test('a reference is confirmed only for the council that sent it, and case references are not recorded', async () => {
    const other = (await createOrganisation(database(), 'refcheck-other')).id;
    const reference = newVerificationReference();
    await enqueueEmail(db(), email(reference), { idempotencyKey: `t:${reference}`, organisationId: orgId });
    assert.equal(await sentReferenceExists(db(), orgId, reference), true);
    assert.equal(await sentReferenceExists(db(), other, reference), false);
    await enqueueEmail(db(), email('WCC-7K2F-9QXD'), { idempotencyKey: 't:case-ref', organisationId: orgId });
    assert.equal(await sentReferenceExists(db(), orgId, 'WCC-7K2F-9QXD'), false);
  });

  test('references recorded in bulk, with the councils named on their behalf, are confirmed for each and never twice', async () => {
    const other = (await createOrganisation(database(), 'refcheck-behalf')).id;
    const third = (await createOrganisation(database(), 'refcheck-third')).id;
    // 123 rows: statements of 100, 20 and 1 rows, so every fixed shape runs.
    const references = newVerificationReferences(123);
    const now = new Date().toISOString();
    const rows = references.map((reference, i) => ({
      reference,
      organisationId: orgId,
      channel: i % 3 === 0 ? ('letter' as const) : ('email' as const),
    }));
    await db()
      .transaction()
      .execute(async (trx) => {
        await recordSentReferences(trx, rows, now);
        await recordSentReferenceCouncils(
          trx,
          references.slice(0, 21).map((reference) => ({ reference, organisationId: other })),
        );
        // Recorded again (a resumed campaign): nothing changes and nothing fails.
        await recordSentReferences(trx, rows.slice(0, 5), now);
        await recordSentReferenceCouncils(trx, [{ reference: references[0]!, organisationId: other }]);
      });
    const stored = await db()
      .selectFrom('sent_references')
      .select(['reference', 'channel'])
      .where('reference', 'in', references)
      .execute();
    assert.equal(stored.length, 123);
    assert.equal(stored.filter((r) => r.channel === 'letter').length, 41);
    const behalf = await db()
      .selectFrom('sent_reference_councils')
      .selectAll()
      .where('reference', 'in', references)
      .execute();
    assert.equal(behalf.length, 21);
    assert.equal(await sentReferenceExists(db(), orgId, references[122]!), true);
    assert.equal(await sentReferenceExists(db(), other, references[20]!), true);
    assert.equal(await sentReferenceExists(db(), other, references[21]!), false);
    assert.equal(await sentReferenceExists(db(), third, references[0]!), false);
  });
});
