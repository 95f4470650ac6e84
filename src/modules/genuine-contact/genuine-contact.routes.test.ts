import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { enqueueEmail } from '../../platform/mail/mail-jobs.ts';
import { newVerificationReference } from '../../platform/mail/verification-reference.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createTestApp, TestClient } from '../../platform/testing/test-app.ts';

const CHECK = '/westminster/is-this-really-us';

describeEachDatabase('is this really from the council?', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  const db = () => database().db;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
  });
  after(() => t.close());

  const staff = async (organisationId: string, role: Role) => {
    const member = await t.staffMember(role, organisationId);
    // A form token made for the signed-in session, as a page after sign-in would give.
    await member.client.get('/staff');
    return member;
  };

  /** The answer the check page gives, and its text without tags. */
  const check = async (contact: string, path = CHECK) => {
    const resident = new TestClient(t.app, '198.51.100.7');
    await resident.get(path);
    const response = await resident.post(path, { contact });
    const answer = /data-answer="([a-z-]+)"/.exec(response.body)?.[1];
    const text = response.body
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ')
      .replace(/&#39;|&rsquo;/g, '’');
    return { response, answer, text };
  };

  test('the page shows how the council will contact people and what it will never ask for, and works without JavaScript', async () => {
    const page = await new TestClient(t.app).get(CHECK);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /How we will contact you/);
    assert.match(page.body, /020 7641 1919/);
    assert.match(page.body, /Cyber incident helpline/);
    assert.match(page.body, /What we will never ask for/);
    assert.match(page.body, /never ask for your bank details/);
    assert.match(page.body, /<form method="post"/);
    assert.equal((await new TestClient(t.app).get('/nowhere-council/is-this-really-us')).statusCode, 404);
  });

  test('the public incident page links to the check', async () => {
    const page = await new TestClient(t.app).get('/westminster/cyber-incident');
    assert.match(page.body, /href="\/westminster\/is-this-really-us"/);
  });

  test('a number, address, domain or sender name on the register is a genuine contact, with what it is', async () => {
    for (const [typed, what] of [
      ['020 7641 1919', 'Cyber incident helpline'],
      ['+44 20 7641 6000', 'General enquiries'],
      ['cyberenquiry@westminster.gov.uk', 'Cyber incident enquiries'],
      ['https://www.westminster.gov.uk/cyber-incident', 'Our website'],
      ['WCCouncil', 'Cyber incident update texts'],
    ] as const) {
      const { response, answer, text } = await check(typed);
      assert.equal(response.statusCode, 200, typed);
      assert.equal(answer, 'genuine', typed);
      assert.match(text, /This is a genuine Westminster City Council contact/, typed);
      assert.ok(text.includes(what), `${typed}: ${what}`);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
  });

  test('a lookalike domain, or a number not on the register, is not a council contact', async () => {
    for (const typed of [
      'https://westminster-gov.uk/refund',
      'refunds@westminster.gov.uk.example.com',
      'www.westminsterr.gov.uk',
      '020 7641 9999',
      '07700 900123',
      'https://bit.ly/abc',
    ]) {
      const { answer, text } = await check(typed);
      assert.equal(answer, 'not-us', typed);
      assert.match(text, /This is not a Westminster City Council contact/, typed);
      assert.match(text, /Do not reply, and report it/, typed);
    }
    assert.match((await check('westminster-gov.uk')).text, /looks like our domain westminster\.gov\.uk/);
  });

  test('anything the register cannot settle is "we cannot confirm this — call us" with the published helpline', async () => {
    for (const typed of ['Westminster Council Tax Team', 'WR-AAAAAAAA', '123456']) {
      const { answer, text } = await check(typed);
      assert.equal(answer, 'cannot-confirm', typed);
      assert.match(text, /We cannot confirm this/, typed);
      assert.match(text, /Call us on 020 7641 1919/, typed);
    }
  });

  test('a verification reference the council’s messages carried is confirmed; for another council it is not', async () => {
    const reference = newVerificationReference();
    await enqueueEmail(
      db(),
      { to: 'resident@example.org.uk', subject: 'Update', text: 'An update.\n', reference },
      { idempotencyKey: `check:${reference}`, organisationId: wcc },
    );
    const genuine = await check(reference.toLowerCase().replace('-', ' '));
    assert.equal(genuine.answer, 'genuine');
    assert.match(genuine.text, /A message we sent/);
    assert.doesNotMatch(genuine.text, /resident@example/);
    assert.equal((await check(reference, '/kensington-chelsea/is-this-really-us')).answer, 'cannot-confirm');
  });

  test('a case reference gets the same answer whether or not a case has it, and says nothing about a case', async () => {
    const existing = (
      await db()
        .selectFrom('enquiry_cases')
        .select('reference')
        .where('organisation_id', '=', wcc)
        .executeTakeFirstOrThrow()
    ).reference;
    const made = 'WCC-AAAA-AAAA' === existing ? 'WCC-CCCC-CCCC' : 'WCC-AAAA-AAAA';
    const a = await check(existing);
    const b = await check(made);
    assert.equal(a.answer, 'cannot-confirm');
    assert.equal(a.text.replace(existing, 'REF'), b.text.replace(made, 'REF'));
    assert.match(a.text, /References like WCC-XXXX-XXXX are ours/);
  });

  test('no answer ever calls anything safe', async () => {
    for (const typed of ['020 7641 1919', 'westminster-gov.uk', 'Someone', 'WCC-AAAA-AAAA']) {
      const { text } = await check(typed);
      const panel = text.slice(text.indexOf('Is this really from us?'), text.indexOf('Check something else'));
      assert.doesNotMatch(panel, /\bsafe\b/i, typed);
    }
  });

  test('nothing typed is refused with the error summary; what was typed is kept on a too-long entry', async () => {
    const { response } = await check('   ');
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /There is a problem/);
    assert.match(response.body, /Enter a phone number, email address, link, sender name or reference/);
  });

  test('the check is rate limited with the public-form limit', async () => {
    assert.ok(
      t.app.registeredRoutes.some((r) => r.method === 'POST' && r.url === '/:council/is-this-really-us' && r.csrf),
    );
    const limited = await createTestApp(database(), {
      rateLimitPolicies: { 'public-form': { max: 2, windowMs: 60_000 } },
    });
    try {
      const resident = new TestClient(limited.app, '203.0.113.9');
      await resident.get(CHECK);
      const codes = [];
      for (let i = 0; i < 3; i += 1) codes.push((await resident.post(CHECK, { contact: '123456' })).statusCode);
      assert.deepEqual(codes, [200, 200, 429]);
    } finally {
      await limited.close();
    }
  });

  test('a call code confirms once, within 10 minutes, and only its hash is stored', async () => {
    const { client: agent } = await staff(wcc, 'agent');
    const form = await agent.get('/staff/genuine-contact/call-code');
    assert.equal(form.statusCode, 200);
    const issued = await agent.post('/staff/genuine-contact/call-code', { organisationId: wcc });
    assert.equal(issued.statusCode, 200);
    assert.equal(issued.headers['cache-control'], 'no-store');
    const code = (/data-qa="call-code">([\d ]+)</.exec(issued.body)?.[1] ?? '').replace(/\s/g, '');
    assert.match(code, /^\d{6}$/);

    const rows = await db().selectFrom('call_codes').selectAll().where('organisation_id', '=', wcc).execute();
    assert.equal(rows.length, 1);
    assert.ok(!JSON.stringify(rows).includes(code) || rows[0]!.code_hash.length === 64);
    assert.notEqual(rows[0]!.code_hash, code);
    const audit = await db()
      .selectFrom('audit_events')
      .select(['action', 'details'])
      .where('action', '=', 'genuine-contact.call-code.issued')
      .execute();
    assert.equal(audit.length, 1);
    assert.doesNotMatch(JSON.stringify(audit), new RegExp(code));

    // For another council the code is nothing.
    assert.equal((await check(code, '/kensington-chelsea/is-this-really-us')).answer, 'cannot-confirm');
    const first = await check(code.replace(/^(\d{3})/, '$1 '));
    assert.equal(first.answer, 'genuine');
    assert.match(first.text, /the person who gave it to you is from Westminster City Council/);
    assert.equal((await check(code)).answer, 'cannot-confirm', 'a code works once');

    // A code past its 10 minutes does not work.
    const second = await agent.post('/staff/genuine-contact/call-code', { organisationId: wcc });
    const late = (/data-qa="call-code">([\d ]+)</.exec(second.body)?.[1] ?? '').replace(/\s/g, '');
    const newest = await db()
      .selectFrom('call_codes')
      .select(['id', 'created_at', 'expires_at'])
      .where('used_at', 'is', null)
      .executeTakeFirstOrThrow();
    assert.equal(Date.parse(newest.expires_at) - Date.parse(newest.created_at), 10 * 60_000);
    await db()
      .updateTable('call_codes')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', newest.id)
      .execute();
    assert.equal((await check(late)).answer, 'cannot-confirm');
  });

  test('a call code for another council is refused; staff with no incident role cannot give one', async () => {
    const { client: agent } = await staff(wcc, 'agent');
    await agent.get('/staff/genuine-contact/call-code');
    assert.equal((await agent.post('/staff/genuine-contact/call-code', { organisationId: rbkc })).statusCode, 404);
    const { client: admin } = await staff(wcc, 'admin');
    assert.equal((await admin.get('/staff/genuine-contact/call-code')).statusCode, 403);
    const anonymous = new TestClient(t.app);
    const signedOut = await anonymous.get('/staff/genuine-contact/call-code');
    assert.equal(signedOut.statusCode, 303);
  });

  test('comms adds an entry to their council’s register, audited, and the check answers from it at once', async () => {
    const { client: comms } = await staff(wcc, 'comms');
    const list = await comms.get('/staff/genuine-contact');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /020 7641 1919/);
    assert.doesNotMatch(list.body, /benefits@rbkc\.gov\.uk/, 'only their own council');
    await comms.get(`/staff/genuine-contact/${wcc}/new`);
    const saved = await comms.post(`/staff/genuine-contact/${wcc}/new`, {
      channel: 'phone',
      kind: 'phone',
      value: '020 7641 3000',
      description: 'Council tax',
      activeFrom: '2025-11-24',
      activeTo: '',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal((await check('02076413000')).answer, 'genuine');
    const audit = await db()
      .selectFrom('audit_events')
      .select(['action', 'organisation_id', 'details'])
      .where('action', '=', 'genuine-contact.entry.added')
      .execute();
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.organisation_id, wcc);
    assert.match(JSON.stringify(audit[0]!.details), /020 7641 3000/);

    // Ending it: after its last day the check says we no longer use it.
    const entry = await db()
      .selectFrom('genuine_contacts')
      .select('id')
      .where('value', '=', '020 7641 3000')
      .executeTakeFirstOrThrow();
    await comms.get(`/staff/genuine-contact/${wcc}/entries/${entry.id}`);
    const ended = await comms.post(`/staff/genuine-contact/${wcc}/entries/${entry.id}`, {
      channel: 'phone',
      kind: 'phone',
      value: '020 7641 3000',
      description: 'Council tax',
      activeFrom: '2025-11-24',
      activeTo: '2025-12-31',
    });
    assert.equal(ended.statusCode, 303);
    const after = await check('020 7641 3000');
    assert.equal(after.answer, 'not-us');
    assert.match(after.text, /We stopped using this number on 2025-12-31/);
  });

  test('an entry that does not fit its kind is refused with each field’s message and nothing is saved', async () => {
    const { client: manager } = await staff(wcc, 'incident-manager');
    await manager.get(`/staff/genuine-contact/${wcc}/new`);
    const before = await db().selectFrom('genuine_contacts').select('id').execute();
    const refused = await manager.post(`/staff/genuine-contact/${wcc}/new`, {
      channel: 'phone',
      kind: 'phone',
      value: 'not a number',
      description: '',
      activeFrom: '2025-02-30',
      activeTo: '2024-01-01',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /There is a problem/);
    assert.match(refused.body, /Enter a UK phone number/);
    assert.match(refused.body, /Enter what this contact is for/);
    assert.match(refused.body, /Enter the date it is in use from/);
    assert.match(refused.body, /value="not a number"/);
    assert.equal((await db().selectFrom('genuine_contacts').select('id').execute()).length, before.length);
  });

  test('the register is scoped: another council’s register is not found, and roles without the action are refused', async () => {
    const { client: comms } = await staff(wcc, 'comms');
    assert.equal((await comms.get(`/staff/genuine-contact/${rbkc}/new`)).statusCode, 404);
    assert.equal((await comms.get(`/staff/genuine-contact/${rbkc}/never-ask`)).statusCode, 404);
    const rbkcEntry = await db()
      .selectFrom('genuine_contacts')
      .select('id')
      .where('organisation_id', '=', rbkc)
      .executeTakeFirstOrThrow();
    assert.equal((await comms.get(`/staff/genuine-contact/${wcc}/entries/${rbkcEntry.id}`)).statusCode, 404);
    assert.equal((await comms.get(`/staff/genuine-contact/${rbkc}/entries/${rbkcEntry.id}`)).statusCode, 404);
    await comms.get('/staff/genuine-contact');
    const posted = await comms.post(`/staff/genuine-contact/${rbkc}/new`, {
      channel: 'phone',
      kind: 'phone',
      value: '020 7361 3000',
      description: 'Fake',
      activeFrom: '2025-11-24',
      activeTo: '',
    });
    assert.equal(posted.statusCode, 404);
    const { client: agent } = await staff(wcc, 'agent');
    assert.equal((await agent.get('/staff/genuine-contact')).statusCode, 403);
    assert.equal((await agent.get(`/staff/genuine-contact/${wcc}/new`)).statusCode, 403);
  });

  test('what the council will never ask for is changed by its staff, audited, and shown on the check page', async () => {
    const { client: comms } = await staff(wcc, 'comms');
    await comms.get(`/staff/genuine-contact/${wcc}/never-ask`);
    const saved = await comms.post(`/staff/genuine-contact/${wcc}/never-ask`, {
      neverAsk: 'We will never ask for your bank details.\n\nWe will never ask you to buy gift cards.',
    });
    assert.equal(saved.statusCode, 303);
    const page = await new TestClient(t.app).get(CHECK);
    assert.match(page.body, /We will never ask you to buy gift cards\./);
    const audit = await db()
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'genuine-contact.never-ask.changed')
      .execute();
    assert.equal(audit.length, 1);
  });
});
