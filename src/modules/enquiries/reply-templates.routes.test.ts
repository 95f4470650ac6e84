import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import type { TestClient } from '../../platform/testing/test-app.ts';

const NEW = '/staff/reply-templates/new';

describeEachDatabase('reply templates', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let caseId: string;

  const db = () => database().db;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    // A Westminster case to reply to: the demo resident who asked about a suspicious call.
    caseId = (
      await db()
        .selectFrom('enquiry_cases')
        .select('id')
        .where('resident_email', '=', 'tom.okafor@example.com')
        .executeTakeFirstOrThrow()
    ).id;
  });
  after(() => t.close());

  const staff = async (organisationId: string, role: Role) => {
    const member = await t.staffMember(role, organisationId);
    // A form token made for the signed-in session, as a page after sign-in would give.
    await member.client.get('/staff');
    return member;
  };
  const template = {
    name: 'Council tax refunds are not being phoned through',
    topics: ['suspicious-contact'],
    subject: 'We are not phoning about council tax refunds',
    body: 'We are not phoning anyone about council tax refunds, ((name)).\n\nFor more, go to https://www.westminster.gov.uk/cyber',
  };
  const templateIdFrom = (location: unknown) =>
    /\/staff\/reply-templates\/([0-9a-f-]{36})/.exec(String(location))?.[1] ?? '';
  const replyPage = async (agent: TestClient) => (await agent.get(`/staff/enquiries/${caseId}/reply`)).body;

  test('a template with unknown placeholders or a link off the council’s domains is refused, naming them, and nothing is saved', async () => {
    const { client: comms } = await staff(wcc, 'comms');
    const form = await comms.get(NEW);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /\(\(incident page\)\)/, 'the placeholders are listed');
    const wrong = await comms.post(NEW, {
      ...template,
      council: wcc,
      body: 'Hello ((first name)), see ((ref)) and http://westminster.gov.uk',
    });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /There is a problem/);
    assert.match(wrong.body, /Leave out the greeting/);
    assert.match(wrong.body, /The text has placeholders we do not know: \(\(first name\)\), \(\(ref\)\)/);
    assert.match(wrong.body, /The text links to http:\/\/westminster\.gov\.uk/);
    assert.match(wrong.body, /value="Council tax refunds are not being phoned through"/, 'what was typed is kept');
    const named = await db().selectFrom('reply_templates').select('id').where('name', '=', template.name).execute();
    assert.equal(named.length, 0);
    const duplicate = await comms.post(NEW, { ...template, council: wcc, name: 'is my data AFFECTED?' });
    assert.equal(duplicate.statusCode, 400);
    assert.match(duplicate.body, /There is already a template called is my data AFFECTED\?/);
  });

  test('a template reaches agents only once a second comms officer approves it; a change waits for approval too', async () => {
    const { client: author, user: authorUser } = await staff(wcc, 'comms');
    const { client: approver, user: approverUser } = await staff(wcc, 'comms');
    const { client: agent } = await staff(wcc, 'agent');

    await author.get(NEW);
    const created = await author.post(NEW, { ...template, council: wcc });
    assert.equal(created.statusCode, 303);
    const id = templateIdFrom(created.headers.location);
    const path = `/staff/reply-templates/${id}`;
    let page = await author.get(String(created.headers.location));
    assert.match(page.body, /Another comms officer must approve it/);
    assert.match(page.body, /data-qa="template-state">Waiting for approval/);
    assert.match(page.body, /data-qa="needs-other-approver"/);
    assert.doesNotMatch(page.body, /data-qa="approve"/);
    const v1 = await db()
      .selectFrom('reply_template_versions')
      .selectAll()
      .where('template_id', '=', id)
      .executeTakeFirstOrThrow();

    // Its author cannot approve it, and agents do not see it yet.
    const own = await author.post(`${path}/approve`, { versionId: v1.id });
    assert.equal(own.statusCode, 403);
    assert.match(own.body, /another comms officer must approve it/);
    assert.doesNotMatch(await replyPage(agent), new RegExp(template.name));

    page = await approver.get(path);
    assert.match(page.body, /data-qa="approve"/);
    const approved = await approver.post(`${path}/approve`, { versionId: v1.id });
    assert.equal(approved.statusCode, 303);
    assert.match((await approver.get(String(approved.headers.location))).body, /data-qa="template-state">Approved/);
    assert.match(await replyPage(agent), new RegExp(template.name));

    // The second officer changes the wording: version 2 waits, and agents keep version 1.
    const edit = await approver.get(`${path}/edit`);
    assert.match(edit.body, /name="seenVersion" value="1"/);
    const unchanged = await approver.post(`${path}/edit`, { ...template, seenVersion: '1' });
    assert.equal(unchanged.statusCode, 400);
    assert.match(unchanged.body, /Change the name, topics, subject line or text before saving/);
    const changed = await approver.post(`${path}/edit`, {
      ...template,
      subject: 'Nobody from the council is phoning about refunds',
      seenVersion: '1',
    });
    assert.equal(changed.statusCode, 303);
    page = await approver.get(path);
    assert.match(page.body, /data-qa="template-state">Change waiting for approval/);
    assert.match(page.body, /Version 1, which agents send now/);
    assert.match(await replyPage(agent), /Subject: We are not phoning about council tax refunds/);
    // A form from before the change is refused rather than overwriting it.
    assert.equal(
      (await author.post(`${path}/edit`, { ...template, body: 'Older.', seenVersion: '1' })).statusCode,
      409,
    );
    assert.equal((await author.post(`${path}/approve`, { versionId: v1.id })).statusCode, 409);

    // The first author did not write version 2, so may approve it.
    const v2 = await db()
      .selectFrom('reply_template_versions')
      .selectAll()
      .where('template_id', '=', id)
      .where('version', '=', 2)
      .executeTakeFirstOrThrow();
    assert.equal((await author.post(`${path}/approve`, { versionId: v2.id })).statusCode, 303);
    assert.match(await replyPage(agent), /Subject: Nobody from the council is phoning about refunds/);

    // Withdrawn, it is gone from agents at once.
    assert.equal((await author.post(`${path}/withdraw`)).statusCode, 303);
    assert.match((await author.get(path)).body, /data-qa="template-state">Withdrawn/);
    assert.doesNotMatch(await replyPage(agent), new RegExp(template.name));

    const events = await db()
      .selectFrom('audit_events')
      .select(['action', 'actor_user_id', 'details'])
      .where('target_id', '=', id)
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      events.map((e) => [e.action, e.actor_user_id]),
      [
        ['reply-template.created', authorUser.id],
        ['reply-template.approved', approverUser.id],
        ['reply-template.changed', approverUser.id],
        ['reply-template.approved', authorUser.id],
        ['reply-template.withdrawn', authorUser.id],
      ],
    );
    assert.match(events[3]?.details ?? '', /"replaces":\{"versionId":"[^"]+","version":1\}/);
  });

  test('another council’s comms staff cannot see or approve a template, and agents cannot manage them', async () => {
    const { client: ours } = await staff(wcc, 'comms');
    await ours.get(NEW);
    const created = await ours.post(NEW, { ...template, name: 'Only Westminster’s', council: wcc });
    const id = templateIdFrom(created.headers.location);
    const version = await db()
      .selectFrom('reply_template_versions')
      .select('id')
      .where('template_id', '=', id)
      .executeTakeFirstOrThrow();

    const { client: theirs } = await staff(rbkc, 'comms');
    assert.equal((await theirs.get(`/staff/reply-templates/${id}`)).statusCode, 404);
    assert.equal((await theirs.get(`/staff/reply-templates/${id}/edit`)).statusCode, 404);
    assert.equal(
      (await theirs.post(`/staff/reply-templates/${id}/approve`, { versionId: version.id })).statusCode,
      404,
    );
    assert.equal((await theirs.post(`/staff/reply-templates/${id}/withdraw`)).statusCode, 404);
    const list = await theirs.get('/staff/reply-templates');
    assert.equal(list.statusCode, 200);
    assert.doesNotMatch(list.body, /Only Westminster’s|Is my data affected/);
    // Nor can they write one for Westminster.
    await theirs.get(NEW);
    const forged = await theirs.post(NEW, { ...template, name: 'Forged', council: wcc });
    assert.equal(forged.statusCode, 400);
    assert.match(forged.body, /Select a council/);

    const { client: agent } = await staff(wcc, 'agent');
    assert.equal((await agent.get('/staff/reply-templates')).statusCode, 403);
    assert.equal((await agent.post(`/staff/reply-templates/${id}/approve`, { versionId: version.id })).statusCode, 403);
    const stored = await db()
      .selectFrom('reply_template_versions')
      .select('approved_at')
      .where('id', '=', version.id)
      .executeTakeFirstOrThrow();
    assert.equal(stored.approved_at, null);
  });

  test('the demo has Westminster’s approved templates, and one waiting for approval', async () => {
    const { client: comms } = await staff(wcc, 'comms');
    const list = await comms.get('/staff/reply-templates');
    for (const name of [
      'Is my data affected?',
      'Suspicious call: it was not us',
      'Paying council tax during the disruption',
    ]) {
      assert.match(list.body, new RegExp(`${name.replace(/[?]/g, '\\?')}</a>`));
    }
    assert.match(list.body, /Housing applications<\/a>[\s\S]*?Waiting for approval/);
  });
});
