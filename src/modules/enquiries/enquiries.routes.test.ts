import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createStaff, signIn, TestClient } from '../../platform/testing/test-app.ts';
import { openCase } from './enquiries.service.ts';

const FORM = '/westminster/cyber-incident/contact';
const REFERENCE = /WCC-[ACDEFGHJKMNPQRTWXY34679]{4}-[ACDEFGHJKMNPQRTWXY34679]{4}/;

const goodAnswers = {
  topic: 'affected',
  message: 'I got a letter saying my data may have been taken. What should I do?',
  name: 'Jo Bloggs',
  replyBy: 'email',
  email: 'Jo.Bloggs@Example.com',
  phone: '',
  address: '',
  extraHelp: 'no',
  supportNeeds: '',
};

describeEachDatabase('resident enquiries', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
  });
  after(() => t.close());

  const staff = (organisationId: string, role: Role) => t.staffClient(role, organisationId);
  const caseByReference = (reference: string) =>
    database().db.selectFrom('enquiry_cases').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  const countCases = async () =>
    Number(
      (
        await database()
          .db.selectFrom('enquiry_cases')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  /** Fills the form and checks the answers; returns the resident's browser on the check page. */
  const fillForm = async (answers: Record<string, string | string[]>) => {
    const resident = new TestClient(t.app);
    await resident.get(FORM);
    const posted = await resident.post(FORM, answers);
    assert.equal(posted.statusCode, 303, posted.body.slice(0, 2000));
    assert.equal(posted.headers.location, `${FORM}/check`);
    // The answers are kept for this form's pages only, out of scripts' reach, for two hours.
    const cookie = ([posted.headers['set-cookie']].flat() as string[]).find((c) => c.startsWith('wardroom_enquiry='));
    assert.match(
      cookie ?? '',
      new RegExp(`^wardroom_enquiry=[\\w-]{20,}; Max-Age=7200; Path=${FORM}; HttpOnly; SameSite=Lax$`),
    );
    return resident;
  };
  const send = async (resident: TestClient) => {
    await resident.get(`${FORM}/check`);
    const sent = await resident.post(`${FORM}/check`, { consent: 'yes' });
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, `${FORM}/sent`);
    const page = await resident.get(`${FORM}/sent`);
    const reference = REFERENCE.exec(page.body)?.[0];
    assert.ok(reference, page.body);
    return { page, reference };
  };

  test('a wrong form says what to fix, keeps what was typed and stores nothing', async () => {
    const before = await countCases();
    const resident = new TestClient(t.app);
    const form = await resident.get(FORM);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1 class="govuk-heading-l">Contact us about the cyber incident<\/h1>/);
    const wrong = await resident.post(FORM, { ...goodAnswers, topic: '', email: 'jo at example', replyBy: 'email' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /There is a problem/);
    assert.match(wrong.body, /<a href="#topic">Select what your enquiry is about<\/a>/);
    assert.match(wrong.body, /<a href="#email">Enter an email address in the correct format/);
    assert.match(wrong.body, /value="jo at example"/);
    assert.match(wrong.body, /I got a letter saying my data may have been taken/);
    assert.equal(await countCases(), before);
    assert.equal((await resident.post(FORM, { _csrf: 'forged', ...goodAnswers })).statusCode, 403);
    assert.equal((await resident.get('/no-such-council/cyber-incident/contact')).statusCode, 404);
    // No answers kept: the check page sends people back to the form.
    const check = await new TestClient(t.app).get(`${FORM}/check`);
    assert.equal(check.statusCode, 303);
    assert.equal(check.headers.location, FORM);
  });

  test('check your answers, agree, send: one case with a reference, and an acknowledgement email', async () => {
    const resident = await fillForm(goodAnswers);
    const check = await resident.get(`${FORM}/check`);
    assert.equal(check.statusCode, 200);
    assert.match(check.body, /Check your answers before sending your enquiry/);
    assert.match(check.body, /Jo\.Bloggs@Example\.com/);
    assert.match(check.body, new RegExp(`href="${FORM}#message"`));
    // The Change link brings back the form with the answers in it.
    assert.match((await resident.get(FORM)).body, /value="Jo Bloggs"/);

    const refused = await resident.post(`${FORM}/check`, {});
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /<a href="#consent">Select that you agree/);

    const before = await countCases();
    const { page, reference } = await send(resident);
    assert.match(page.body, /Enquiry sent/);
    assert.equal(await countCases(), before + 1);
    const stored = await caseByReference(reference);
    assert.equal(stored.organisation_id, wcc);
    assert.equal(stored.status, 'new');
    assert.equal(stored.priority, 'standard');
    assert.equal(stored.resident_email, 'jo.bloggs@example.com');
    assert.equal(stored.opened_via, 'web');
    assert.ok(stored.incident_id, 'the case belongs to the council’s current incident');

    // Sending again (double click, back button) makes no second case.
    const again = await resident.post(`${FORM}/check`, { consent: 'yes' });
    assert.equal(again.statusCode, 303);
    assert.equal(await countCases(), before + 1);
    assert.match((await resident.get(`${FORM}/sent`)).body, new RegExp(reference));

    const jobs = await database().db.selectFrom('jobs').select('payload').where('kind', '=', 'mail.send').execute();
    const ack = jobs
      .map(
        (j) =>
          JSON.parse(j.payload) as { to: string; subject: string; text: string; replyTo?: string; messageId?: string },
      )
      .find((m) => m.to === 'jo.bloggs@example.com');
    assert.ok(ack, 'the acknowledgement email is queued');
    assert.equal(ack.subject, `We have received your enquiry (reference ${reference})`);
    assert.match(ack.text, /^Dear Jo Bloggs,/);
    assert.equal(ack.replyTo, 'cyberenquiry@westminster.gov.uk');
    assert.doesNotMatch(ack.text, /my data may have been taken/, 'what the resident wrote is not repeated back');
    const entries = await database()
      .db.selectFrom('enquiry_entries')
      .selectAll()
      .where('case_id', '=', stored.id)
      .orderBy('created_at')
      .execute();
    assert.deepEqual(entries.map((e) => e.kind).sort(), ['message', 'reply']);
    assert.equal(
      entries.find((e) => e.kind === 'reply')?.email_message_id,
      ack.messageId,
      'replies to it will find the case',
    );
  });

  test('a resident who needs help or writes a safeguarding word lands as urgent, and the reason is shown', async () => {
    const resident = await fillForm({
      ...goodAnswers,
      topic: 'service',
      message: 'My benefit has not been paid and I have no food left.',
      replyBy: 'phone',
      phone: '07700 900 982',
      email: '',
      extraHelp: 'yes',
      supportNeeds: 'I am partially sighted',
      circumstances: ['aged-75-or-over'],
    });
    const { reference } = await send(resident);
    const stored = await caseByReference(reference);
    assert.equal(stored.priority, 'urgent');
    assert.deepEqual(JSON.parse(stored.priority_reasons), [
      'Said they need extra help: I am partially sighted',
      'Aged 75 or over',
      'Safeguarding: mentions no food (“no food”)',
    ]);
    assert.equal(stored.resident_phone, '07700900982');
    const agent = await staff(wcc, 'agent');
    const page = await agent.get(`/staff/enquiries/${stored.id}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-qa="urgent"/);
    assert.match(page.body, /Safeguarding: mentions no food/);
    // The queue puts it first.
    const queue = await agent.get('/staff/enquiries');
    const firstListed = /data-qa="case-link">([^<]+)</.exec(queue.body)?.[1];
    const urgentFirst = await database()
      .db.selectFrom('enquiry_cases')
      .select('priority')
      .where('reference', '=', firstListed ?? '')
      .executeTakeFirstOrThrow();
    assert.equal(urgentFirst.priority, 'urgent');
  });

  test('one council’s staff cannot see, search or open another council’s cases', async () => {
    const { reference } = await send(await fillForm({ ...goodAnswers, message: 'Only Westminster should see this' }));
    const stored = await caseByReference(reference);
    const theirs = await staff(rbkc, 'agent');
    assert.equal((await theirs.get(`/staff/enquiries/${stored.id}`)).statusCode, 404);
    const search = await theirs.get(`/staff/enquiries?q=${reference}&status=all`);
    assert.equal(search.statusCode, 200);
    assert.doesNotMatch(search.body, /data-qa="case-link"/);
    assert.match(search.body, /No enquiries match/);
    const byEmail = await theirs.get('/staff/enquiries?q=jo.bloggs%40example.com&status=all');
    assert.doesNotMatch(byEmail.body, /data-qa="case-link"/);
    assert.equal(
      (await theirs.post(`/staff/enquiries/${stored.id}/notes`, { note: 'x', seen: stored.updated_at })).statusCode,
      404,
    );

    const ours = await staff(wcc, 'agent');
    const found = await ours.get(`/staff/enquiries?q=${reference.toLowerCase()}&status=all`);
    assert.match(found.body, new RegExp(`data-qa="case-link">${reference}<`));
    const words = await ours.get('/staff/enquiries?q=only+westminster&status=all');
    assert.match(words.body, new RegExp(`data-qa="case-link">${reference}<`));
    // Staff with no part in enquiries are refused the queue.
    const comms = await staff(wcc, 'comms');
    assert.equal((await comms.get('/staff/enquiries')).statusCode, 403);
  });

  test('the queue pages by 50, and its page links keep the search and filters', async () => {
    const db = database().db;
    for (let i = 0; i < 51; i += 1) {
      await db.transaction().execute((trx) =>
        openCase(trx, {
          organisationId: wcc,
          openedVia: 'phone',
          topic: 'service',
          summary: `Bulky waste booking lost ${i}`,
          residentName: `Caller ${i}`,
          residentEmail: null,
          residentPhone: '07700900123',
          residentAddress: null,
          replyBy: 'phone',
          supportNeeds: null,
          agedOver75: false,
          socialCare: false,
          first: {
            kind: 'call',
            channel: 'phone',
            subject: null,
            body: `My bulky waste booking was lost (${i}).`,
            emailMessageId: null,
            authorUserId: null,
            authorLabel: 'Helpline',
          },
        }),
      );
    }
    const agent = await staff(wcc, 'agent');
    const links = (body: string) => body.match(/data-qa="case-link"/g)?.length ?? 0;
    const first = await agent.get('/staff/enquiries?q=bulky+waste&topic=service&status=open');
    assert.equal(links(first.body), 50);
    assert.match(first.body, /href="\?q=bulky\+waste&amp;status=open&amp;topic=service&amp;page=2"/);
    const second = await agent.get('/staff/enquiries?q=bulky+waste&topic=service&status=open&page=2');
    assert.equal(links(second.body), 1);
    assert.match(second.body, /href="\?q=bulky\+waste&amp;status=open&amp;topic=service&amp;page=1"/);
    assert.doesNotMatch(second.body, /page=3/);
  });

  test('an agent assigns, notes and closes a case; every view and change is audited; a stale form is refused', async () => {
    const { reference } = await send(await fillForm(goodAnswers));
    const stored = await caseByReference(reference);
    const agentUser = await createStaff(database(), { roles: [{ organisationId: wcc, role: 'agent' }] });
    const agent = new TestClient(t.app);
    await signIn(agent, agentUser);
    const path = `/staff/enquiries/${stored.id}`;
    const seenOf = (body: string) => /name="seen" value="([^"]+)"/.exec(body)?.[1] ?? '';

    let page = await agent.get(path);
    const firstSeen = seenOf(page.body);
    const assigned = await agent.post(`${path}/assign`, { assignee: agentUser.id, seen: firstSeen });
    assert.equal(assigned.statusCode, 303);
    page = await agent.get(String(assigned.headers.location));
    assert.match(page.body, /Assignment changed/);
    assert.match(page.body, /In progress/);

    const stale = await agent.post(`${path}/notes`, { note: 'From an old page', seen: firstSeen });
    assert.equal(stale.statusCode, 409);

    const empty = await agent.post(`${path}/notes`, { note: '  ', seen: seenOf(page.body) });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /<a href="#note">Enter a note<\/a>/);
    page = await agent.get(path);
    assert.equal(
      (await agent.post(`${path}/notes`, { note: 'Called back, left a message', seen: seenOf(page.body) })).statusCode,
      303,
    );
    page = await agent.get(path);
    assert.equal((await agent.post(`${path}/status`, { status: 'closed', seen: seenOf(page.body) })).statusCode, 303);
    page = await agent.get(path);
    assert.match(page.body, /Called back, left a message/);
    assert.match(page.body, /Status changed from In progress to Closed/);
    const closed = await caseByReference(reference);
    assert.equal(closed.status, 'closed');
    assert.ok(closed.closed_at);

    const events = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'actor_user_id'])
      .where('target_id', '=', stored.id)
      .orderBy('seq')
      .execute();
    const actions = events.map((e) => e.action);
    for (const action of ['enquiry.viewed', 'enquiry.assigned', 'enquiry.note-added', 'enquiry.status-changed']) {
      assert.ok(actions.includes(action), `${action} in ${actions.join(', ')}`);
    }
    assert.ok(events.every((e) => e.actor_user_id === agentUser.id));
    assert.ok(actions.filter((a) => a === 'enquiry.viewed').length >= 4, 'every view is recorded');

    // An incident manager may read the case but not change it.
    const manager = await staff(wcc, 'incident-manager');
    const readOnly = await manager.get(path);
    assert.equal(readOnly.statusCode, 200);
    assert.doesNotMatch(readOnly.body, /data-qa="add-note"/);
    assert.equal((await manager.post(`${path}/notes`, { note: 'x', seen: seenOf(readOnly.body) })).statusCode, 403);
  });

  test('an agent logs a call as a new case, and a later call on the same case makes it urgent and books a call back', async () => {
    const agent = await staff(wcc, 'agent');
    await agent.get('/staff/enquiries/calls/new');
    const empty = await agent.post('/staff/enquiries/calls/new', {});
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /<a href="#callerName">Enter the caller’s name<\/a>/);

    const logged = await agent.post('/staff/enquiries/calls/new', {
      direction: 'incoming',
      callerName: 'Pat Caller',
      phone: '020 7946 0000',
      topic: 'service',
      notes: 'Asked how to order a bin. Told them Veolia 020 7641 6180.',
      outcome: 'answered',
      callback: 'none',
    });
    assert.equal(logged.statusCode, 303);
    const caseId = /\/staff\/enquiries\/([0-9a-f-]{36})\?done=call/.exec(String(logged.headers.location))?.[1];
    assert.ok(caseId, String(logged.headers.location));
    const opened = await database()
      .db.selectFrom('enquiry_cases')
      .selectAll()
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    assert.equal(opened.opened_via, 'phone');
    assert.equal(opened.status, 'resolved', 'answered on the call');
    assert.equal(opened.priority, 'standard');
    assert.equal(opened.resident_phone, '02079460000');
    assert.ok(opened.first_response_at, 'the call answered them');
    assert.equal(opened.callback_due_at, null);

    // They ring again: things are worse. The case becomes urgent and a call back is promised.
    await agent.get(`/staff/enquiries/calls/new?reference=${opened.reference}`);
    const again = await agent.post('/staff/enquiries/calls/new', {
      reference: opened.reference.toLowerCase(),
      direction: 'incoming',
      notes: 'Bins still not collected and now the heating is not working; they are 80.',
      outcome: 'follow-up',
      callback: 'soon',
      circumstances: ['aged-75-or-over'],
    });
    assert.equal(again.statusCode, 303);
    const after = await database()
      .db.selectFrom('enquiry_cases')
      .selectAll()
      .where('id', '=', caseId)
      .executeTakeFirstOrThrow();
    assert.equal(after.priority, 'urgent');
    assert.equal(after.status, 'in-progress');
    assert.ok(after.callback_due_at && after.callback_due_at > new Date().toISOString());
    assert.deepEqual(JSON.parse(after.priority_reasons), [
      'Aged 75 or over',
      'Safeguarding: mentions no heating (“heating is not working”)',
    ]);
    const page = await agent.get(`/staff/enquiries/${caseId}?done=call`);
    assert.match(page.body, /Call logged/);
    assert.match(page.body, /They called us: Needs follow-up; call back by/);
    const queue = await agent.get('/staff/enquiries');
    assert.match(queue.body, /data-qa="callback">Call back by/);
    const events = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', caseId)
      .execute();
    assert.equal(events.filter((e) => e.action === 'enquiry.call-logged').length, 2);

    // Another council's agent cannot log a call on it, and is not told it exists.
    const theirs = await staff(rbkc, 'agent');
    await theirs.get('/staff/enquiries/calls/new');
    const refused = await theirs.post('/staff/enquiries/calls/new', {
      reference: opened.reference,
      direction: 'incoming',
      notes: 'Trying',
      outcome: 'answered',
      callback: 'none',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /There is no case with that reference in your council’s enquiries/);
  });

  test('an agent merges a duplicate: its history moves to the case kept, which keeps the urgency; the duplicate points to it', async () => {
    const first = await send(
      await fillForm({ ...goodAnswers, email: 'dup@example.com', message: 'First message about my data' }),
    );
    const second = await send(
      await fillForm({ ...goodAnswers, email: 'dup@example.com', message: 'Second message: I have no heating' }),
    );
    const keep = await caseByReference(first.reference);
    const duplicate = await caseByReference(second.reference);
    assert.equal(duplicate.priority, 'urgent');
    const agent = await staff(wcc, 'agent');
    const page = await agent.get(`/staff/enquiries/${duplicate.id}`);
    const seen = /name="seen" value="([^"]+)"/.exec(page.body)?.[1] ?? '';

    const wrong = await agent.post(`/staff/enquiries/${duplicate.id}/merge`, { into: second.reference, seen });
    assert.equal(wrong.statusCode, 400, /<h1[^>]*>([^<]*)/.exec(wrong.body)?.[1]);
    assert.match(wrong.body, /Enter the reference of a different case/);
    const confirm = await agent.post(`/staff/enquiries/${duplicate.id}/merge`, {
      into: first.reference.toLowerCase(),
      seen,
    });
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, new RegExp(`Merge ${second.reference} into ${first.reference}\\?`));
    assert.equal(
      (await caseByReference(second.reference)).merged_into_case_id,
      null,
      'nothing merged before confirming',
    );

    const merged = await agent.post(`/staff/enquiries/${duplicate.id}/merge`, {
      into: first.reference,
      seen,
      confirm: 'yes',
    });
    assert.equal(merged.statusCode, 303);
    assert.equal(merged.headers.location, `/staff/enquiries/${keep.id}?done=merged`);
    const kept = await caseByReference(first.reference);
    assert.equal(kept.priority, 'urgent');
    assert.ok(JSON.parse(kept.priority_reasons).some((r: string) => r.includes('no heating')));
    const gone = await caseByReference(second.reference);
    assert.equal(gone.merged_into_case_id, keep.id);
    assert.equal(gone.status, 'closed');
    const keptPage = await agent.get(`/staff/enquiries/${keep.id}`);
    assert.match(keptPage.body, /Second message: I have no heating/);
    assert.match(keptPage.body, new RegExp(`${second.reference} merged into this case`));
    // The duplicate's own reference still finds it, and its page leads to the case kept.
    const search = await agent.get(`/staff/enquiries?q=${second.reference}`);
    assert.match(search.body, new RegExp(`data-qa="case-link">${second.reference}<`));
    const goneP = await agent.get(`/staff/enquiries/${duplicate.id}`);
    assert.match(goneP.body, new RegExp(`data-qa="merged-into">${first.reference}<`));
    assert.doesNotMatch(goneP.body, /data-qa="merge"/);
    // The open queue no longer lists it.
    const queue = await agent.get('/staff/enquiries?status=all');
    assert.doesNotMatch(queue.body, new RegExp(`data-qa="case-link">${second.reference}<`));
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'enquiry.merged')
      .where('target_id', '=', keep.id)
      .executeTakeFirstOrThrow();
    assert.match(audit.details, new RegExp(second.reference));
  });

  test('an incident manager changes the council’s enquiry settings; clashes with another council are refused; audited', async () => {
    const manager = await staff(wcc, 'incident-manager');
    const list = await manager.get('/staff/enquiries/settings');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /cyberenquiry@westminster.gov.uk/);
    const path = `/staff/enquiries/settings/${wcc}`;
    await manager.get(path);
    const bad = await manager.post(path, {
      referencePrefix: 'W1',
      enquiryAddresses: 'not an address',
      retentionDays: '5',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /<a href="#referencePrefix">Enter 2 to 5 letters/);
    assert.match(bad.body, /<a href="#enquiryAddresses">These are not email addresses: not, an, address<\/a>/);
    assert.match(
      bad.body,
      /<a href="#retentionDays">Enter the retention period as a whole number of days from 30 to 3,650<\/a>/,
    );
    const clash = await manager.post(path, {
      referencePrefix: 'rbkc',
      enquiryAddresses: 'cyberenquiry@westminster.gov.uk',
      retentionDays: '365',
    });
    assert.equal(clash.statusCode, 400);
    assert.match(clash.body, /Another council’s references start with these letters/);
    // An address that takes reports of suspicious messages cannot also take enquiries.
    const otherMailbox = await manager.post(path, {
      referencePrefix: 'WCC',
      enquiryAddresses: 'report-a-scam@westminster.gov.uk',
      retentionDays: '365',
    });
    assert.equal(otherMailbox.statusCode, 400);
    assert.match(
      otherMailbox.body,
      /<a href="#enquiryAddresses">report-a-scam@westminster.gov.uk already takes mail for suspicious reports: choose another<\/a>/,
    );
    const saved = await manager.post(path, {
      referencePrefix: 'wcc',
      enquiryAddresses: 'cyberenquiry@westminster.gov.uk\nCyber.Help@Westminster.gov.uk',
      retentionDays: '365',
    });
    assert.equal(saved.statusCode, 303);
    const settings = await database()
      .db.selectFrom('enquiry_settings')
      .selectAll()
      .where('organisation_id', '=', wcc)
      .executeTakeFirstOrThrow();
    assert.deepEqual(JSON.parse(settings.enquiry_addresses), [
      'cyberenquiry@westminster.gov.uk',
      'cyber.help@westminster.gov.uk',
    ]);
    assert.equal(Number(settings.retention_days), 365);
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'enquiry.settings-changed')
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(audit.details).after.retentionDays, 365);

    const agent = await staff(wcc, 'agent');
    assert.equal((await agent.get('/staff/enquiries/settings')).statusCode, 403);
    const otherManager = await staff(rbkc, 'incident-manager');
    await otherManager.get('/staff/enquiries/settings');
    assert.equal((await otherManager.get(path)).statusCode, 404);
    assert.equal(
      (await otherManager.post(path, { referencePrefix: 'XYZ', enquiryAddresses: '', retentionDays: '30' })).statusCode,
      404,
    );
  });

  test('the dashboard shows the council’s counts to those who read its enquiries', async () => {
    const agent = await staff(wcc, 'agent');
    const page = await agent.get('/staff/enquiries/dashboard');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Enquiries dashboard/);
    assert.match(page.body, /<svg [^>]*role="img"/);
    assert.match(page.body, /data-qa="volume"/);
    const overdue = Number(/data-qa="overdue">(\d+)</.exec(page.body)?.[1]);
    assert.ok(Number.isInteger(overdue));
    const theirs = await staff(rbkc, 'agent');
    const other = await theirs.get('/staff/enquiries/dashboard');
    assert.match(other.body, /data-qa="open-by-age"/);
    // RBKC has no cases in these tests: every count on its dashboard is 0.
    assert.doesNotMatch(/data-qa="open-by-age"[\s\S]*?<\/table>/.exec(other.body)?.[0] ?? '', />[1-9]\d*</);
    assert.equal((await (await staff(wcc, 'comms')).get('/staff/enquiries/dashboard')).statusCode, 403);
  });

  test('residents sending at the same moment each get their own case and reference; a double send makes one', async () => {
    const before = await countCases();
    const residents = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        fillForm({ ...goodAnswers, name: `Resident ${i}`, email: `resident.${i}@example.com` }),
      ),
    );
    await Promise.all(residents.map((r) => r.get(`${FORM}/check`)));
    // The last one presses the button twice, before the first answer comes back.
    const sent = await Promise.all([
      ...residents.map((r) => r.post(`${FORM}/check`, { consent: 'yes' })),
      (residents.at(-1) as TestClient).post(`${FORM}/check`, { consent: 'yes' }),
    ]);
    assert.deepEqual(
      sent.map((s) => [s.statusCode, s.headers.location]),
      sent.map(() => [303, `${FORM}/sent`]),
    );
    assert.equal(await countCases(), before + 12);
    const references = await Promise.all(
      residents.map(async (r) => REFERENCE.exec((await r.get(`${FORM}/sent`)).body)?.[0]),
    );
    assert.equal(new Set(references).size, 12);
    for (const [i, reference] of references.entries()) {
      const stored = await caseByReference(reference as string);
      assert.equal(stored.resident_name, `Resident ${i}`);
    }
  });

  test('when a case cannot be stored, the resident is not told it was sent, and sending again works', async () => {
    const { db } = database();
    const failEntries =
      database().dialect === 'sqlite'
        ? [
            sql`create trigger entries_fail before insert on enquiry_entries begin select raise(abort, 'disk full'); end`,
          ]
        : [
            sql`create function entries_fail() returns trigger language plpgsql as $$ begin raise exception 'disk full'; end $$`,
            sql`create trigger entries_fail before insert on enquiry_entries for each row execute function entries_fail()`,
          ];
    const resident = await fillForm({ ...goodAnswers, name: 'Sam Unlucky' });
    await resident.get(`${FORM}/check`);
    const before = await countCases();
    for (const statement of failEntries) await statement.execute(db);
    try {
      const failed = await resident.post(`${FORM}/check`, { consent: 'yes' });
      assert.equal(failed.statusCode, 500);
      assert.match(failed.body, /Sorry, there is a problem with the service/);
      assert.equal(await countCases(), before);
    } finally {
      await sql`drop trigger entries_fail${sql.raw(database().dialect === 'postgres' ? ' on enquiry_entries' : '')}`.execute(
        db,
      );
      if (database().dialect === 'postgres') await sql`drop function entries_fail()`.execute(db);
    }
    // The answers were kept, not marked sent: the same button works now.
    const again = await resident.post(`${FORM}/check`, { consent: 'yes' });
    assert.equal(again.headers.location, `${FORM}/sent`);
    assert.equal(await countCases(), before + 1);
    const reference = REFERENCE.exec((await resident.get(`${FORM}/sent`)).body)?.[0];
    assert.equal((await caseByReference(reference as string)).resident_name, 'Sam Unlucky');
  });
});
