import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { type TestClient } from '../../platform/testing/test-app.ts';
import { FAQ_LIMITS } from './faq.service.ts';

describeEachDatabase('questions and answers on the public incident page', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let incidentId: string;
  let comms: TestClient;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    incidentId = t.incidentId;
    comms = await staffClient('comms');
  });
  after(async () => t.close());

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);
  const base = (council = 'westminster') => `/staff/incidents/${incidentId}/councils/${council}/faq`;
  /** The questions on a council's public page, in order. */
  const publicQuestions = async (council = 'westminster') => {
    const body = (await t.app.inject(`/${council}/cyber-incident`)).body;
    const section = body.slice(body.indexOf('data-qa="faq"'), body.indexOf('id="services"'));
    return [...section.matchAll(/<h3 class="govuk-heading-m">([^<]+)<\/h3>/g)].map((m) => m[1]);
  };
  const entries = async (organisationId = wcc) =>
    database()
      .db.selectFrom('incident_faq_entries')
      .select(['id', 'question', 'position'])
      .where('organisation_id', '=', organisationId)
      .orderBy('position')
      .execute();
  const audit = async (action: string) =>
    database()
      .db.selectFrom('audit_events')
      .select(['organisation_id', 'target_id', 'details'])
      .where('action', '=', action)
      .orderBy('seq')
      .execute();

  test("each council's page shows its own demo questions in order, under a heading", async () => {
    const westminster = await publicQuestions();
    assert.deepEqual(westminster.slice(0, 3), [
      'Has my data been stolen?',
      'Will I be contacted by the council?',
      'How do I pay my council tax?',
    ]);
    const page = (await t.app.inject('/westminster/cyber-incident')).body;
    assert.match(page, /<h2 class="govuk-heading-l" id="questions">Questions and answers<\/h2>/);
    assert.match(page, /Direct Debits are still being collected/);
    assert.ok(
      (await publicQuestions('kensington-chelsea')).includes('My Housing Benefit payment is late. What should I do?'),
    );
    assert.ok(!(await publicQuestions('hammersmith-fulham')).includes('How do I pay my council tax?'));
    assert.match(
      page,
      /<a class="govuk-link" href="\/westminster\/cyber-incident\/get-updates">Get email updates<\/a>/,
      'the page offers email updates',
    );
  });

  test('comms reaches the questions from the incident, and sees only their own council', async () => {
    const incident = await comms.get(`/staff/incidents/${incidentId}`);
    assert.match(incident.body, /href="\/staff\/incidents\/[\w-]+\/public-content" data-qa="public-content-link"/);
    const landing = await comms.get(`/staff/incidents/${incidentId}/public-content`);
    assert.equal(landing.statusCode, 200);
    assert.match(landing.body, /data-qa="council-westminster"/);
    assert.doesNotMatch(landing.body, /data-qa="council-kensington-chelsea"/);
    assert.match(landing.body, /6 questions/);
    const agent = await staffClient('agent');
    assert.doesNotMatch((await agent.get(`/staff/incidents/${incidentId}`)).body, /public-content-link/);
    const list = await comms.get(base());
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Question 1 of 6/);
  });

  test('comms adds a question: errors are shown the GOV.UK way, and the saved one is on the public page at once, last', async () => {
    await publicQuestions(); // the page is cached now
    await comms.get(`${base()}/new`);
    const invalid = await comms.post(`${base()}/new`, {
      question: '',
      answer: `<i>${'x'.repeat(FAQ_LIMITS.answer)}</i>`,
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /<title>Error: /);
    assert.match(invalid.body, /govuk-error-summary[\s\S]*<a href="#question">Enter the question<\/a>/);
    assert.match(invalid.body, /<a href="#answer">The answer must be 5,000 characters or fewer<\/a>/);
    assert.match(invalid.body, /&lt;i&gt;xxxx/, 'what was typed is kept, escaped');
    const tooLong = await comms.post(`${base()}/new`, { question: 'q'.repeat(201), answer: 'An answer.' });
    assert.match(tooLong.body, /The question must be 200 characters or fewer/);

    const saved = await comms.post(`${base()}/new`, {
      question: 'Can I still get my bins collected?',
      answer: 'Yes. Collections are running.\n\nCall Veolia on 020 7641 6180 about a missed collection.',
    });
    assert.equal(saved.statusCode, 303);
    assert.match(String(saved.headers.location), /\/faq\?done=faq-added#entry-[\w-]+$/);
    const questions = await publicQuestions();
    assert.equal(questions.at(-1), 'Can I still get my bins collected?');
    const page = (await t.app.inject('/westminster/cyber-incident')).body;
    assert.match(page, /<p class="govuk-body">Call Veolia on 020 7641 6180 about a missed collection.<\/p>/);
    const added = await audit('incident.faq-added');
    assert.equal(added.length, 1);
    assert.equal(added[0]!.organisation_id, wcc);
    assert.deepEqual(JSON.parse(added[0]!.details), { incidentId, question: 'Can I still get my bins collected?' });
  });

  test('comms moves questions up and down with buttons; the order is kept and shown', async () => {
    const list = await comms.get(base());
    const last = (await entries()).at(-1)!;
    assert.match(list.body, new RegExp(`faq/${last.id}/move"[\\s\\S]*?name="direction" value="up"`));
    assert.match(list.body, /<input type="hidden" name="_csrf" value="[^"]+">\s*<input type="hidden" name="direction"/);
    const moved = await comms.post(`${base()}/${last.id}/move`, { direction: 'up' });
    assert.equal(moved.statusCode, 303);
    const questions = await publicQuestions();
    assert.equal(questions.at(-2), 'Can I still get my bins collected?');
    assert.equal(questions.at(-1), 'Who is investigating the attack?');
    assert.deepEqual(
      (await entries()).map((e) => Number(e.position)),
      [0, 1, 2, 3, 4, 5, 6],
    );
    assert.deepEqual(JSON.parse((await audit('incident.faq-moved'))[0]!.details), {
      incidentId,
      direction: 'up',
      from: 7,
      to: 6,
    });

    const first = (await entries())[0]!;
    await comms.post(`${base()}/${first.id}/move`, { direction: 'up' });
    assert.equal((await audit('incident.faq-moved')).length, 1, 'the first cannot move up: nothing changes');
    await comms.post(`${base()}/${first.id}/move`, { direction: 'down' });
    assert.deepEqual((await publicQuestions()).slice(0, 2), [
      'Will I be contacted by the council?',
      'Has my data been stolen?',
    ]);
    assert.equal((await comms.post(`${base()}/${first.id}/move`, { direction: 'sideways' })).statusCode, 400);
  });

  test('comms changes a question and removes one after confirming; the rest close up', async () => {
    const [entry] = await entries();
    const form = await comms.get(`${base()}/${entry!.id}/edit`);
    assert.match(form.body, /value="Will I be contacted by the council\?"/);
    const invalid = await comms.post(`${base()}/${entry!.id}/edit`, { question: 'Will you contact me?', answer: ' ' });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /value="Will you contact me\?"/);
    assert.equal(
      (await comms.post(`${base()}/${entry!.id}/edit`, { question: 'Will you contact me?', answer: 'Only by letter.' }))
        .statusCode,
      303,
    );
    assert.equal((await publicQuestions())[0], 'Will you contact me?');
    assert.deepEqual(JSON.parse((await audit('incident.faq-changed'))[0]!.details), {
      incidentId,
      fields: ['question', 'answer'],
      question: 'Will you contact me?',
    });

    const confirm = await comms.get(`${base()}/${entry!.id}/remove`);
    assert.match(confirm.body, /Remove this question\?/);
    assert.match(confirm.body, /Only by letter./);
    assert.equal((await comms.post(`${base()}/${entry!.id}/remove`)).statusCode, 303);
    assert.ok(!(await publicQuestions()).includes('Will you contact me?'));
    assert.deepEqual(
      (await entries()).map((e) => Number(e.position)),
      [0, 1, 2, 3, 4, 5],
    );
    assert.equal((await audit('incident.faq-removed'))[0]!.target_id, entry!.id);
    assert.equal((await comms.get(`${base()}/${entry!.id}/edit`)).statusCode, 404);
  });

  test('a council has at most 30 questions', async () => {
    const hf = t.organisationId('hammersmith-fulham');
    const hfComms = await staffClient('comms', hf);
    const at = nowIso();
    const existing = (await entries(hf)).length;
    await database()
      .db.insertInto('incident_faq_entries')
      .values(
        Array.from({ length: FAQ_LIMITS.entries - existing }, (_, i) => ({
          id: newId(),
          incident_id: incidentId,
          organisation_id: hf,
          position: existing + i,
          question: `Question ${i}?`,
          answer: 'Answer.',
          created_at: at,
          updated_at: at,
          updated_by_label: 'test',
        })),
      )
      .execute();
    const list = await hfComms.get(base('hammersmith-fulham'));
    assert.doesNotMatch(list.body, /data-qa="add-question"/);
    const refused = await hfComms.post(`${base('hammersmith-fulham')}/new`, { question: 'One more?', answer: 'No.' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /There are already 30 questions: remove one before adding another/);
    assert.equal((await entries(hf)).length, FAQ_LIMITS.entries);
  });

  test("comms of another council are refused Westminster's questions, and cannot reach them through their own council", async () => {
    const before = await entries();
    const rbkcComms = await staffClient('comms', rbkc);
    await rbkcComms.get(base('kensington-chelsea'));
    const [entry] = before;
    for (const url of [base(), `${base()}/new`, `${base()}/${entry!.id}/edit`, `${base()}/${entry!.id}/remove`]) {
      assert.equal((await rbkcComms.get(url)).statusCode, 403, `GET ${url}`);
    }
    assert.equal((await rbkcComms.post(`${base()}/new`, { question: 'Q?', answer: 'A.' })).statusCode, 403);
    assert.equal(
      (await rbkcComms.post(`${base()}/${entry!.id}/edit`, { question: 'Q?', answer: 'A.' })).statusCode,
      403,
    );
    assert.equal((await rbkcComms.post(`${base()}/${entry!.id}/move`, { direction: 'down' })).statusCode, 403);
    assert.equal((await rbkcComms.post(`${base()}/${entry!.id}/remove`)).statusCode, 403);
    // A Westminster entry under their own council's address is not theirs either.
    const own = base('kensington-chelsea');
    assert.equal((await rbkcComms.get(`${own}/${entry!.id}/edit`)).statusCode, 404);
    assert.equal((await rbkcComms.post(`${own}/${entry!.id}/remove`)).statusCode, 404);
    assert.equal((await rbkcComms.post(`${own}/${entry!.id}/move`, { direction: 'down' })).statusCode, 404);
    assert.deepEqual(await entries(), before);
    assert.equal((await rbkcComms.get(`/staff/incidents/${incidentId}/public-content`)).statusCode, 200);
  });

  test('the JSON API lists the questions in page order', async () => {
    const body = (await t.app.inject('/api/v1/councils/westminster/incident')).json();
    assert.deepEqual(
      body.faq.map((e: { question: string }) => e.question),
      await publicQuestions(),
    );
    assert.equal(typeof body.faq[0].answer, 'string');
  });
});
