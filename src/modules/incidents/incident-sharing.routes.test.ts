import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';

describeEachDatabase('sharing an incident’s enquiries', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let path: string;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    path = `/staff/incidents/${t.incidentId}/sharing`;
  });
  after(() => t.close());

  const demoCase = () =>
    database()
      .db.selectFrom('enquiry_cases')
      .select(['id', 'reference', 'updated_at'])
      .where('organisation_id', '=', wcc)
      .where('summary', 'like', 'How do I pay my council tax%')
      .executeTakeFirstOrThrow();

  test('a Westminster incident manager shares its enquiries with Kensington and Chelsea, whose agents then work them, until it stops', async () => {
    const c = await demoCase();
    const rbkcAgent = await t.staffClient('agent', rbkc);
    assert.equal((await rbkcAgent.get(`/staff/enquiries/${c.id}`)).statusCode, 404, 'not shared yet');

    const manager = await t.staffClient('incident-manager', wcc);
    const page = await manager.get(path);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Nothing is shared/);
    const wrong = await manager.post(path, { owner: wcc, organisation: wcc });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /Select another council or the shared IT service/);
    const shared = await manager.post(path, { owner: wcc, organisation: rbkc });
    assert.equal(shared.statusCode, 303);
    assert.match((await manager.get(String(shared.headers.location))).body, /Enquiries shared/);

    // Kensington and Chelsea's agents now see Westminster's cases about the incident, and work them.
    const queue = await rbkcAgent.get('/staff/enquiries?status=all');
    assert.match(queue.body, new RegExp(`data-qa="case-link">${c.reference}<`));
    const casePage = await rbkcAgent.get(`/staff/enquiries/${c.id}`);
    assert.equal(casePage.statusCode, 200);
    const seen = /name="seen" value="([^"]+)"/.exec(casePage.body)?.[1] ?? '';
    assert.equal(
      (await rbkcAgent.post(`/staff/enquiries/${c.id}/notes`, { note: 'Helped by RBKC', seen })).statusCode,
      303,
    );
    // Their comms staff still cannot: sharing gives nothing a role does not.
    assert.equal((await (await t.staffClient('comms', rbkc)).get(`/staff/enquiries/${c.id}`)).statusCode, 403);

    // Kensington and Chelsea's incident manager cannot share or unshare Westminster's enquiries.
    const theirManager = await t.staffClient('incident-manager', rbkc);
    await theirManager.get(path);
    const notTheirs = await theirManager.post(`${path}/remove`, { owner: wcc, organisation: rbkc });
    assert.equal(notTheirs.statusCode, 400);
    assert.match(notTheirs.body, /Select the council whose enquiries to share/);

    await manager.get(path);
    assert.equal((await manager.post(`${path}/remove`, { owner: wcc, organisation: rbkc })).statusCode, 303);
    assert.equal((await rbkcAgent.get(`/staff/enquiries/${c.id}`)).statusCode, 404, 'no longer shared');
    const queueAfter = await rbkcAgent.get('/staff/enquiries?status=all');
    assert.doesNotMatch(queueAfter.body, new RegExp(`data-qa="case-link">${c.reference}<`));

    const actions = (
      await database().db.selectFrom('audit_events').select('action').where('target_id', '=', t.incidentId).execute()
    ).map((a) => a.action);
    assert.ok(actions.includes('incident.enquiries-shared'));
    assert.ok(actions.includes('incident.enquiries-unshared'));
    const timeline = await database()
      .db.selectFrom('timeline_entries')
      .select('title')
      .where('incident_id', '=', t.incidentId)
      .where('title', 'like', '%enquiries%shared%')
      .execute();
    assert.equal(timeline.length, 2);
    assert.equal((await (await t.staffClient('comms', wcc)).get(path)).statusCode, 403);
  });
});
