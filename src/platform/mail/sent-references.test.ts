import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { createOrganisation } from '../testing/test-app.ts';
import { enqueueSms } from '../sms/sms-jobs.ts';
import { enqueueEmail } from './mail-jobs.ts';
import { sentReferenceExists } from './sent-references.ts';
import { newVerificationReference } from './verification-reference.ts';

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
});
