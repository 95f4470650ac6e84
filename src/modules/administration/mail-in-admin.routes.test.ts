import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { MAIL_IN_PROCESS_JOB, storeInboundMail } from '../../platform/mail-in/inbound-mail-intake.ts';
import { processInboundMail } from '../../platform/mail-in/inbound-mail-processing.ts';
import { findInboundMail } from '../../platform/mail-in/inbound-mail.repository.ts';
import { InboundMailboxes } from '../../platform/mail-in/inbound-mailboxes.ts';
import {
  createOrganisation,
  createStaff,
  createTestApp,
  signIn,
  TestClient,
  type TestApp,
} from '../../platform/testing/test-app.ts';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../platform/mail-in/test-fixtures');

describeEachDatabase('the Mail in page', (database) => {
  let t: TestApp;
  let wcc: string;
  let admin: TestClient;
  const ids: Record<string, string> = {};

  before(async () => {
    t = await createTestApp(database());
    wcc = (await createOrganisation(database(), 'westminster')).id;
    const rbkc = (await createOrganisation(database(), 'kensington-chelsea')).id;
    const { db } = database();
    const store = async (raw: Buffer) =>
      (await storeInboundMail(db, { source: 'import', raw }, { maxBytes: 1024 * 1024 })).id;

    // A message another council's mailbox took (so only its admins see it), one nobody took, one
    // whose mailbox failed, and one hostile HTML message taken for this council.
    const mailboxes = new InboundMailboxes().register({
      name: 'enquiries',
      accepts: (address) => address.endsWith('@westminster.example.gov.uk'),
      handle: async (_trx, mail) => {
        if (mail.subject.includes('fail')) throw new Error('the case store is down');
        return {
          produced: { kind: 'enquiry-case', id: 'case-1' },
          organisationId: mail.subject.startsWith('Re:') ? rbkc : wcc,
        };
      },
    });
    ids['taken'] = await store(readFileSync(path.join(fixtures, 'reply-with-authentication.eml')));
    ids['nobody'] = await store(
      Buffer.from('From: a@example.org\r\nTo: x@elsewhere.example\r\nSubject: Lost\r\n\r\nx\r\n'),
    );
    ids['failing'] = await store(
      Buffer.from(
        'From: b@example.org\r\nTo: q@westminster.example.gov.uk\r\nSubject: Please fail <b>now</b>\r\n\r\nx\r\n',
      ),
    );
    ids['hostile'] = await store(readFileSync(path.join(fixtures, 'html-only-script.eml')));
    for (const id of Object.values(ids)) {
      await processInboundMail({ db, mailboxes }, id).catch(() => undefined);
    }

    admin = new TestClient(t.app);
    await signIn(admin, await createStaff(database(), { roles: [{ organisationId: wcc, role: 'admin' }] }));
  });
  after(async () => t.close());

  test('an admin sees counts, each message with its status and reason, and a Try again button for failed ones', async () => {
    const page = await admin.get('/staff/admin/inbound-mail');
    assert.equal(page.statusCode, 200);
    // The reply went to another council's mailbox: its admins see it, these do not.
    assert.match(page.body, /Processed: 1/);
    assert.match(page.body, /Rejected: 1/);
    assert.match(page.body, /Failed: 1/);
    assert.match(page.body, /No mailbox on this platform takes mail for x@elsewhere\.example/);
    assert.match(page.body, /The enquiries mailbox could not take the message: the case store is down\./);
    assert.match(page.body, /Please fail &lt;b&gt;now&lt;\/b&gt;/, 'subjects are escaped');
    assert.doesNotMatch(page.body, /Was my data taken/);
    assert.equal([...page.body.matchAll(/>Try again</g)].length, 1);
    assert.equal((await admin.get(`/staff/admin/inbound-mail/${ids['taken']}`)).statusCode, 404);
  });

  test('a message shows its text escaped in a <pre>, never its HTML, and opening it is audited', async () => {
    const page = await admin.get(`/staff/admin/inbound-mail/${ids['hostile']}`);
    assert.equal(page.statusCode, 200);
    const text = /<pre class="wardroom-mail-text" data-qa="mail-text">([\s\S]*?)<\/pre>/.exec(page.body)?.[1];
    assert.ok(text);
    assert.match(text, /Claim at westminster\.gov\.uk \[https:\/\/evil\.example\/claim\]/);
    assert.doesNotMatch(page.body, /evil\.example\/steal|<script>document|<iframe|onload=|pixel\.gif/);
    assert.match(page.body, /This message had only HTML/);
    assert.match(page.body, /refunds@westminster-gov-refund\.example/, 'headers are listed');
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', ids['hostile']!)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['admin.inbound-mail.viewed'],
    );
  });

  test('trying a failed message again queues it, is audited, and cannot be done twice', async () => {
    await admin.get('/staff/admin/inbound-mail?status=failed');
    const retried = await admin.post(`/staff/admin/inbound-mail/${ids['failing']}/retry`);
    assert.equal(retried.statusCode, 303);
    assert.equal(retried.headers.location, '/staff/admin/inbound-mail?status=failed&retried=1');
    assert.equal((await findInboundMail(database().db, ids['failing']!))?.status, 'received');
    const job = await database()
      .db.selectFrom('jobs')
      .select('status')
      .where('idempotency_key', '=', `${MAIL_IN_PROCESS_JOB}:${ids['failing']}:retry-1`)
      .executeTakeFirst();
    assert.equal(job?.status, 'queued');
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', ids['failing']!)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['admin.inbound-mail.retried'],
    );
    assert.equal((await admin.post(`/staff/admin/inbound-mail/${ids['failing']}/retry`)).statusCode, 409);
  });

  test('only admins may see inbound mail', async () => {
    const agent = new TestClient(t.app);
    await signIn(agent, await createStaff(database(), { roles: [{ organisationId: wcc, role: 'agent' }] }));
    const page = await agent.get('/staff/admin/inbound-mail');
    assert.equal(page.statusCode, 403);
    assert.equal((await agent.get(`/staff/admin/inbound-mail/${ids['nobody']}`)).statusCode, 403);
    const anonymous = await new TestClient(t.app).get('/staff/admin/inbound-mail');
    assert.equal(anonymous.statusCode, 303);
  });
});
