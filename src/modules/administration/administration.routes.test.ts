import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { recordAudit } from '../../platform/audit/audit.service.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import {
  createOrganisation,
  createStaff,
  createTestApp,
  signIn,
  TestClient,
  type TestApp,
  type TestStaff,
} from '../../platform/testing/test-app.ts';

describeEachDatabase('staff administration', (database) => {
  let t: TestApp;
  let wcc: string;
  let rbkc: string;
  let admin: TestStaff;
  let client: TestClient;
  before(async () => {
    t = await createTestApp(database());
    wcc = (await createOrganisation(database(), 'westminster')).id;
    rbkc = (await createOrganisation(database(), 'kensington-chelsea')).id;
    admin = await createStaff(database(), { roles: [{ organisationId: wcc, role: 'admin' }] });
    client = new TestClient(t.app);
    await signIn(client, admin);
  });
  after(async () => t.close());

  const actions = async (targetId: string) =>
    await database()
      .db.selectFrom('audit_events')
      .select(['action', 'actor_user_id'])
      .where('target_id', '=', targetId)
      .orderBy('seq')
      .execute();

  test('an admin invites someone and sees a one-time set-up link once; the invite is audited', async () => {
    await client.get('/staff/admin/users/invite');
    const invalid = await client.post('/staff/admin/users/invite', {
      displayName: 'Ann Agent',
      email: 'not-an-email',
      organisationId: wcc,
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /There is a problem/);
    assert.match(invalid.body, /Enter an email address in the correct format/);
    assert.match(invalid.body, /Select at least one role/);
    assert.match(invalid.body, /value="Ann Agent"/, 'what was typed is kept');
    const fieldMessage = () =>
      /<p id="([\w-]+)-error" class="govuk-error-message">\s*<span class="govuk-visually-hidden">Error:<\/span>([^<]+)<\/p>/g;
    const messages = Object.fromEntries(
      [...invalid.body.matchAll(fieldMessage())].map((m) => [m[1], (m[2] ?? '').trim()]),
    );
    assert.deepEqual(
      messages,
      {
        email: 'Enter an email address in the correct format, like name@westminster.gov.uk',
        roles: 'Select at least one role',
      },
      'each field shows its own message, and only fields with a problem show one',
    );

    const created = await client.post('/staff/admin/users/invite', {
      displayName: 'Ann Agent',
      email: 'Ann.Agent@Westminster.gov.uk',
      organisationId: wcc,
      roles: ['agent', 'comms'],
    });
    assert.equal(created.statusCode, 303);
    const userPath = String(created.headers.location).split('?')[0] as string;
    const page = await client.get(String(created.headers.location));
    const link = /(http:\/\/localhost:3000\/sign-in\/set-up\/[A-Za-z0-9_-]{43})/.exec(page.body)?.[1];
    assert.ok(link, 'the set-up link is shown');
    assert.match(page.body, /ann.agent@westminster.gov.uk/);
    assert.doesNotMatch((await client.get(userPath)).body, /sign-in\/set-up\//, 'the link is shown only once');

    const userId = userPath.split('/').pop() as string;
    const row = await database().db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    assert.equal(row.status, 'invited');
    const roles = await database()
      .db.selectFrom('memberships')
      .select('role')
      .where('user_id', '=', userId)
      .orderBy('role')
      .execute();
    assert.deepEqual(
      roles.map((r) => r.role),
      ['agent', 'comms'],
    );
    assert.deepEqual(
      (await actions(userId)).map((a) => a.action),
      ['admin.user.invited'],
    );
    assert.equal((await actions(userId))[0]?.actor_user_id, admin.id);

    const setup = await new TestClient(t.app).get(new URL(link).pathname);
    assert.equal(setup.statusCode, 200);
  });

  test('roles change, disable signs the person out everywhere, reset MFA sends them back to enrolment', async () => {
    const agent = await createStaff(database(), { roles: [{ organisationId: wcc, role: 'agent' }] });
    const agentClient = new TestClient(t.app);
    await signIn(agentClient, agent);
    assert.equal((await agentClient.get('/staff')).statusCode, 200);

    await client.get(`/staff/admin/users/${agent.id}`);
    await client.post(`/staff/admin/users/${agent.id}/roles`, { organisationId: wcc, roles: ['agent', 'analyst'] });
    const roles = await database()
      .db.selectFrom('memberships')
      .select('role')
      .where('user_id', '=', agent.id)
      .orderBy('role')
      .execute();
    assert.deepEqual(
      roles.map((r) => r.role),
      ['agent', 'analyst'],
    );

    await client.post(`/staff/admin/users/${agent.id}/disable`);
    assert.equal((await agentClient.get('/staff')).statusCode, 303, 'a disabled account is signed out');
    const again = new TestClient(t.app);
    await again.get('/sign-in');
    assert.equal((await again.post('/sign-in', { email: agent.email, password: agent.password })).statusCode, 400);

    await client.post(`/staff/admin/users/${agent.id}/enable`);
    const reset = await client.post(`/staff/admin/users/${agent.id}/reset-mfa`);
    const resetPage = await client.get(String(reset.headers.location));
    const link = /(http:\/\/localhost:3000\/sign-in\/set-up\/[A-Za-z0-9_-]{43})/.exec(resetPage.body)?.[1];
    assert.ok(link, 'a reset shows a new set-up link');
    const withPassword = new TestClient(t.app);
    await withPassword.get('/sign-in');
    const refused = await withPassword.post('/sign-in', { email: agent.email, password: agent.password });
    assert.equal(
      refused.statusCode,
      400,
      'after a reset the old password does not work: no enrolment with a password alone',
    );
    const viaLink = new TestClient(t.app);
    await viaLink.get(new URL(link).pathname);
    const set = await viaLink.post(new URL(link).pathname, {
      password: 'kettle-orchard-violin',
      confirmPassword: 'kettle-orchard-violin',
    });
    assert.equal(set.headers.location, '/sign-in/mfa/set-up');
    assert.deepEqual(
      (await actions(agent.id)).map((a) => a.action).filter((a) => a.startsWith('admin.')),
      ['admin.user.roles-changed', 'admin.user.disabled', 'admin.user.enabled', 'admin.user.mfa-reset'],
    );
  });

  test('an admin cannot take over an account that also belongs to an organisation they do not administer', async () => {
    const rbkcAdmin = await createStaff(database(), { roles: [{ organisationId: rbkc, role: 'admin' }] });
    await client.get('/staff/admin/users/invite');
    const grab = await client.post('/staff/admin/users/invite', {
      displayName: 'X',
      email: rbkcAdmin.email,
      organisationId: wcc,
      roles: ['agent'],
    });
    assert.equal(grab.statusCode, 409, 'inviting an existing account of another organisation is refused');
    const roles = await database()
      .db.selectFrom('memberships')
      .select('organisation_id')
      .where('user_id', '=', rbkcAdmin.id)
      .execute();
    assert.deepEqual(
      roles.map((r) => r.organisation_id),
      [rbkc],
    );

    const both = await createStaff(database(), {
      roles: [
        { organisationId: wcc, role: 'agent' },
        { organisationId: rbkc, role: 'admin' },
      ],
    });
    const page = await client.get(`/staff/admin/users/${both.id}`);
    assert.equal(page.statusCode, 200, 'visible: they work for Westminster too');
    assert.match(page.body, /You cannot change this account/);
    assert.doesNotMatch(page.body, /reset-mfa/);
    await client.get('/staff/admin/users');
    for (const action of ['reset-mfa', 'set-up-link', 'disable', 'sign-out-everywhere']) {
      assert.equal((await client.post(`/staff/admin/users/${both.id}/${action}`)).statusCode, 403, action);
    }
    assert.equal(
      (await client.post(`/staff/admin/users/${both.id}/roles`, { organisationId: wcc, roles: [] })).statusCode,
      403,
    );
  });

  test('an admin cannot see or change staff of an organisation where they are not an admin', async () => {
    const other = await createStaff(database(), { roles: [{ organisationId: rbkc, role: 'agent' }] });
    assert.equal((await client.get(`/staff/admin/users/${other.id}`)).statusCode, 404);
    await client.get('/staff/admin/users');
    assert.equal((await client.post(`/staff/admin/users/${other.id}/disable`)).statusCode, 404);
    const list = await client.get('/staff/admin/users');
    assert.doesNotMatch(list.body, new RegExp(other.email));
    const invite = await client.post('/staff/admin/users/invite', {
      displayName: 'X',
      email: 'x@rbkc.gov.uk',
      organisationId: rbkc,
      roles: ['agent'],
    });
    assert.equal(invite.statusCode, 400, 'cannot invite into another organisation');
  });

  test('staff without the admin role get 403 on admin pages', async () => {
    const comms = await createStaff(database(), { roles: [{ organisationId: wcc, role: 'comms' }] });
    const c = new TestClient(t.app);
    await signIn(c, comms);
    for (const url of ['/staff/admin/users', '/staff/admin/audit', '/staff/admin/users/invite']) {
      assert.equal((await c.get(url)).statusCode, 403, url);
    }
    const home = await c.get('/staff');
    assert.doesNotMatch(home.body, /Staff accounts/, 'the navigation shows only what the role may do');
  });

  test('the audit log lists and filters events, and viewing it is itself audited', async () => {
    const page = await client.get('/staff/admin/audit?action=admin.user');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /admin.user.invited/);
    assert.doesNotMatch(page.body, /auth.sign-in.completed/);
    const viewed = await database()
      .db.selectFrom('audit_events')
      .select('actor_user_id')
      .where('action', '=', 'audit.viewed')
      .execute();
    assert.ok(viewed.some((v) => v.actor_user_id === admin.id));
  });

  test("an admin sees only their own organisations' audit events and jobs", async () => {
    const rbkcAgent = await createStaff(database(), { roles: [{ organisationId: rbkc, role: 'agent' }] });
    await database()
      .db.transaction()
      .execute(async (trx) => {
        await recordAudit(
          trx,
          { userId: rbkcAgent.id, label: rbkcAgent.email },
          { action: 'test.rbkc-only', organisationId: rbkc },
        );
      });
    const rbkcJob = await enqueueJob(database().db, { kind: 'test.rbkc-job', payload: {}, organisationId: rbkc });
    const wccJob = await enqueueJob(database().db, { kind: 'test.wcc-job', payload: {}, organisationId: wcc });
    const audit = await client.get('/staff/admin/audit');
    assert.doesNotMatch(audit.body, /test.rbkc-only/);
    assert.match(audit.body, /auth.sign-in.completed/, 'sign-ins of their own staff are there');
    const jobs = await client.get('/staff/admin/jobs');
    assert.doesNotMatch(jobs.body, /test.rbkc-job/);
    assert.match(jobs.body, /test.wcc-job/);
    assert.ok(rbkcJob && wccJob);
  });

  test('the jobs page shows a stopped job and an admin can try it again', async () => {
    const id = await enqueueJob(database().db, {
      kind: 'test.never-handled',
      payload: { secret: 'resident@example.com' },
    });
    await database()
      .db.updateTable('jobs')
      .set({ status: 'dead', last_error: 'no handler for test.never-handled', attempts: 5 })
      .where('id', '=', id)
      .execute();
    const page = await client.get('/staff/admin/jobs?status=dead');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /test.never-handled/);
    assert.match(page.body, /no handler for test.never-handled/);
    assert.doesNotMatch(page.body, /resident@example.com/, 'payloads are not shown');
    const retried = await client.post(`/staff/admin/jobs/${id}/retry`);
    assert.equal(retried.statusCode, 303);
    const row = await database()
      .db.selectFrom('jobs')
      .select(['status', 'attempts'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    assert.equal(row.status, 'queued');
    assert.equal(
      (await client.post(`/staff/admin/jobs/${id}/retry`)).statusCode,
      409,
      'only a stopped job can be retried',
    );
  });

  // Last, because its events fill the first page of the unfiltered log.
  test('the audit log pages by 50, and its page links keep the filter', async () => {
    await database()
      .db.transaction()
      .execute(async (trx) => {
        for (let i = 0; i < 60; i += 1) {
          await recordAudit(
            trx,
            { userId: admin.id, label: admin.email },
            { action: 'test.paged', organisationId: wcc },
          );
        }
      });
    const first = await client.get('/staff/admin/audit?action=test.paged');
    assert.equal(first.statusCode, 200);
    const rows = (body: string) => body.match(/<td class="govuk-table__cell">test\.paged<\/td>/g)?.length;
    assert.equal(rows(first.body), 50);
    assert.match(first.body, /href="\?action=test\.paged&amp;page=2"/);
    assert.doesNotMatch(first.body, /page=0|rel="prev"/);
    const second = await client.get('/staff/admin/audit?action=test.paged&page=2');
    assert.equal(rows(second.body), 10);
    assert.match(second.body, /href="\?action=test\.paged&amp;page=1"/);
    assert.doesNotMatch(second.body, /page=3/);
  });
});
