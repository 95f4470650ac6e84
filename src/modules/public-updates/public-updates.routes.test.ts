import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyAuditChain } from '../../platform/audit/audit.service.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import type { TestClient } from '../../platform/testing/test-app.ts';
import { child, childrenNamed, parseXml } from './xml-tree.test-support.ts';

describeEachDatabase('public updates with sign-off', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let incidentId: string;
  let comms: TestClient;
  let manager: TestClient;
  let secondManager: TestClient;
  /** The update comms writes; approved, then corrected, through the suite. */
  let updateId = '';
  /** The update an incident manager writes and cannot approve; later sent back. */
  let managersUpdateId = '';

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    incidentId = t.incidentId;
    [comms, manager, secondManager] = await Promise.all([
      staffClient('comms'),
      staffClient('incident-manager'),
      staffClient('incident-manager'),
    ]);
  });
  after(async () => t.close());

  const base = () => `/staff/incidents/${incidentId}/updates`;
  const hidden = (body: string, name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(body)?.[1] ?? '';
  /** Approves as a browser would: open the approval page, then press the button on it. */
  const approve = async (client: TestClient, id: string) => {
    const page = await client.get(`${base()}/${id}/approve`);
    assert.equal(page.statusCode, 200, page.body.slice(0, 200));
    return client.post(`${base()}/${id}/approve`, {
      versionId: hidden(page.body, 'versionId'),
      seen: hidden(page.body, 'seen'),
    });
  };
  const auditActions = async (id: string) =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', id)
        .orderBy('seq')
        .execute()
    ).map((a) => a.action);

  test('comms drafts an update: errors are explained and what was typed is kept', async () => {
    const form = await comms.get(`${base()}/new`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Westminster City Council/);
    assert.doesNotMatch(form.body, /Kensington and Chelsea/, 'only councils the person writes for are offered');

    const invalid = await comms.post(`${base()}/new`, { title: '', body: 'Bins <b>are</b> late.', councils: null });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /There is a problem/);
    assert.match(invalid.body, /<a href="#title">Enter a title<\/a>/);
    assert.match(invalid.body, /<a href="#councils">Select at least one council<\/a>/);
    assert.match(invalid.body, /id="title-error"/);
    assert.match(invalid.body, /Bins &lt;b&gt;are&lt;\/b&gt; late./, 'what was typed is kept, escaped');

    const tooLong = await comms.post(`${base()}/new`, { title: 'x'.repeat(121), body: '', councils: wcc });
    assert.equal(tooLong.statusCode, 400);
    assert.match(tooLong.body, /Title must be 120 characters or fewer/);
    assert.match(tooLong.body, /Enter the update/);
    assert.match(tooLong.body, new RegExp(`value="${wcc}" checked`), 'the council chosen stays chosen');

    const created = await comms.post(`${base()}/new`, {
      title: 'Bin collections this week',
      body: 'Collections are running a day late.\r\n\r\nCall Veolia on 020 7641 6180.',
      councils: wcc,
    });
    assert.equal(created.statusCode, 303);
    updateId = /\/updates\/([0-9a-f-]{36})\?done=created$/.exec(String(created.headers.location))?.[1] ?? '';
    assert.ok(updateId, String(created.headers.location));

    await comms.get(`${base()}/${updateId}/edit`);
    const edited = await comms.post(`${base()}/${updateId}/edit`, {
      title: 'Bin collections this week',
      body: 'Collections are running two days late.\n\nCall Veolia on 020 7641 6180.',
      councils: wcc,
    });
    assert.equal(edited.statusCode, 303);
    const page = await comms.get(`${base()}/${updateId}`);
    assert.match(page.body, /data-qa="state">Draft</);
    assert.match(page.body, /<p class="govuk-body">Collections are running two days late.<\/p>/);
  });

  test('comms sends it for approval, and cannot approve it', async () => {
    const submitted = await comms.post(`${base()}/${updateId}/submit`);
    assert.equal(submitted.statusCode, 303);
    const page = await comms.get(`${base()}/${updateId}`);
    assert.match(page.body, /data-qa="state">Waiting for approval</);
    assert.doesNotMatch(page.body, /data-qa="edit"/, 'a submitted version cannot be changed');
    assert.equal((await comms.get(`${base()}/${updateId}/approve`)).statusCode, 403);
    assert.equal((await comms.post(`${base()}/${updateId}/approve`, { versionId: '', seen: '' })).statusCode, 403);
    const edit = await comms.post(`${base()}/${updateId}/edit`, { title: 'Sneaky', body: 'Change', councils: wcc });
    assert.equal(edit.statusCode, 409);
    assert.doesNotMatch((await t.app.inject('/westminster/cyber-incident/updates')).body, /Bin collections/);
  });

  test('an incident manager who wrote an update cannot approve it', async () => {
    await manager.get(`${base()}/new`);
    const created = await manager.post(`${base()}/new`, {
      title: 'Libraries are open',
      body: 'You can borrow and return books.',
      councils: wcc,
    });
    managersUpdateId = /\/updates\/([0-9a-f-]{36})/.exec(String(created.headers.location))?.[1] ?? '';
    await manager.get(`${base()}/${managersUpdateId}`);
    assert.equal((await manager.post(`${base()}/${managersUpdateId}/submit`)).statusCode, 303);
    const page = await manager.get(`${base()}/${managersUpdateId}`);
    assert.match(page.body, /another incident manager must approve it/);
    const approval = await manager.get(`${base()}/${managersUpdateId}/approve`);
    assert.equal(approval.statusCode, 403);
    assert.match(approval.body, /You cannot approve this update/);
    const rows = await database()
      .db.selectFrom('public_update_versions')
      .select(['id', 'updated_at'])
      .where('update_id', '=', managersUpdateId)
      .executeTakeFirstOrThrow();
    const forced = await manager.post(`${base()}/${managersUpdateId}/approve`, {
      versionId: rows.id,
      seen: rows.updated_at,
    });
    assert.equal(forced.statusCode, 403, 'posting the form directly is refused too');
  });

  test('a second incident manager sends an update back with a reason', async () => {
    await secondManager.get(`${base()}/${managersUpdateId}/approve`);
    const page = await secondManager.get(`${base()}/${managersUpdateId}/approve`);
    const seen = { versionId: hidden(page.body, 'versionId'), seen: hidden(page.body, 'seen') };
    const noReason = await secondManager.post(`${base()}/${managersUpdateId}/reject`, { ...seen, reason: ' ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /<a href="#reason">Enter why you are sending the update back<\/a>/);
    const rejected = await secondManager.post(`${base()}/${managersUpdateId}/reject`, {
      ...seen,
      reason: 'Say which libraries.',
    });
    assert.equal(rejected.statusCode, 303);
    const authorView = await manager.get(`${base()}/${managersUpdateId}`);
    assert.match(authorView.body, /data-qa="state">Draft</);
    assert.match(authorView.body, /Say which libraries./);
    assert.deepEqual(await auditActions(managersUpdateId), [
      'public-update.draft-created',
      'public-update.submitted',
      'public-update.rejected',
    ]);
  });

  test('another incident manager approves exactly what they saw; it is published on the page, the feed and the API', async () => {
    const page = await secondManager.get(`${base()}/${updateId}/approve`);
    assert.match(page.body, /data-qa="to-publish"[\s\S]*Collections are running two days late./);
    const stale = await secondManager.post(`${base()}/${updateId}/approve`, {
      versionId: hidden(page.body, 'versionId'),
      seen: '2000-01-01T00:00:00.000Z',
    });
    assert.equal(stale.statusCode, 409, 'approval applies only to the text on the page');

    const approved = await approve(secondManager, updateId);
    assert.equal(approved.statusCode, 303);
    assert.match(String(approved.headers.location), /done=published$/);

    const list = await t.app.inject('/westminster/cyber-incident/updates');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Bin collections this week/);
    assert.match(list.body, /<p class="govuk-body">Collections are running two days late.<\/p>/);
    assert.doesNotMatch(list.body, /Updated /, 'a first publication is not an update');
    assert.doesNotMatch(list.body, /Libraries are open/, 'drafts are never public');
    const incidentPage = await t.app.inject('/westminster/cyber-incident');
    assert.match(incidentPage.body, /Latest updates/);
    assert.match(incidentPage.body, /Bin collections this week/, 'the incident page lists the latest updates');
    assert.doesNotMatch(
      (await t.app.inject('/kensington-chelsea/cyber-incident/updates')).body,
      /Bin collections/,
      "one council's update is not on another's page",
    );
    const one = await t.app.inject(`/westminster/cyber-incident/updates/${updateId}`);
    assert.equal(one.statusCode, 200);
    assert.match(one.body, /Call Veolia on 020 7641 6180./);
    assert.equal((await t.app.inject(`/kensington-chelsea/cyber-incident/updates/${updateId}`)).statusCode, 404);
    assert.equal((await t.app.inject(`/westminster/cyber-incident/updates/${managersUpdateId}`)).statusCode, 404);

    const atom = await t.app.inject('/westminster/cyber-incident/updates.atom');
    assert.equal(atom.statusCode, 200);
    assert.equal(atom.headers['content-type'], 'application/atom+xml; charset=utf-8');
    const feed = parseXml(atom.body);
    assert.equal(feed.name, 'feed');
    assert.equal(feed.attributes['xmlns'], 'http://www.w3.org/2005/Atom');
    for (const name of ['id', 'title', 'updated', 'author']) assert.ok(child(feed, name), name);
    const links = childrenNamed(feed, 'link').map((l) => `${l.attributes['rel']} ${l.attributes['href']}`);
    assert.ok(links.includes('self http://localhost:3000/westminster/cyber-incident/updates.atom'), String(links));
    assert.ok(links.includes('alternate http://localhost:3000/westminster/cyber-incident/updates'), String(links));
    const entries = childrenNamed(feed, 'entry');
    assert.equal(entries.length, 1);
    const entry = entries[0]!;
    assert.equal(child(entry, 'id')?.text, `urn:uuid:${updateId}`);
    assert.equal(child(entry, 'title')?.text, 'Bin collections this week');
    assert.ok(!Number.isNaN(Date.parse(child(entry, 'updated')?.text ?? '')));
    assert.equal(
      child(entry, 'link')?.attributes['href'],
      `http://localhost:3000/westminster/cyber-incident/updates/${updateId}`,
    );
    assert.match(child(entry, 'content')?.text ?? '', /two days late/);

    const api = await t.app.inject('/api/v1/councils/westminster/updates');
    assert.equal(api.statusCode, 200);
    const body = api.json();
    assert.equal(body.updates.length, 1);
    assert.equal(body.updates[0].title, 'Bin collections this week');
    assert.equal(body.updates[0].corrected, false);
    assert.equal((await t.app.inject('/api/v1/councils/met-police/updates')).statusCode, 404);
    const spec = (await t.app.inject('/api/openapi.json')).json();
    assert.ok(spec.paths['/api/v1/councils/{council}/updates']?.get);

    const timeline = await database()
      .db.selectFrom('timeline_entries')
      .select(['kind', 'title'])
      .where('incident_id', '=', incidentId)
      .where('title', 'like', 'Public update published:%')
      .execute();
    assert.deepEqual(timeline, [{ kind: 'event', title: 'Public update published: Bin collections this week' }]);
  });

  test('a correction is a new version: the page says Updated and shows only the new text, the old is kept', async () => {
    const start = await comms.post(`${base()}/${updateId}/correction`);
    assert.equal(start.statusCode, 303);
    assert.equal(start.headers.location, `${base()}/${updateId}/edit`);
    const form = await comms.get(`${base()}/${updateId}/edit`);
    assert.match(form.body, /Collections are running two days late./, 'the correction starts from the published text');
    assert.match(form.body, /data-qa="fixed-councils">Westminster City Council</);
    await comms.post(`${base()}/${updateId}/edit`, {
      title: 'Bin collections this week',
      body: 'Collections are running three days late.\n\nCall Veolia on 020 7641 6180.',
    });
    await comms.post(`${base()}/${updateId}/submit`);
    assert.match(
      (await t.app.inject('/westminster/cyber-incident/updates')).body,
      /two days late/,
      'the published version stays until the correction is approved',
    );

    assert.equal((await approve(secondManager, updateId)).statusCode, 303);
    for (const url of ['/westminster/cyber-incident/updates', `/westminster/cyber-incident/updates/${updateId}`]) {
      const page = (await t.app.inject(url)).body;
      assert.match(page, /three days late/, url);
      assert.doesNotMatch(page, /two days late/, url);
      assert.match(page, /<strong>Updated \d{1,2} \w+ \d{4} at /, url);
      assert.match(page, /Published \d{1,2} \w+ \d{4} at /, url);
    }
    const versions = await database()
      .db.selectFrom('public_update_versions')
      .select(['version_number', 'state', 'body'])
      .where('update_id', '=', updateId)
      .orderBy('version_number')
      .execute();
    assert.deepEqual(
      versions.map((v) => [Number(v.version_number), v.state, /two days/.test(v.body)]),
      [
        [1, 'published', true],
        [2, 'published', false],
      ],
    );
    const entry = childrenNamed(
      parseXml((await t.app.inject('/westminster/cyber-incident/updates.atom')).body),
      'entry',
    );
    assert.equal(entry.length, 1, 'a correction replaces the entry rather than adding one');
    assert.equal(child(entry[0]!, 'id')?.text, `urn:uuid:${updateId}`);
    assert.ok((child(entry[0]!, 'updated')?.text ?? '') > (child(entry[0]!, 'published')?.text ?? ''));
    assert.equal((await t.app.inject('/api/v1/councils/westminster/updates')).json().updates[0].corrected, true);
  });

  test("staff of another council cannot see or write Westminster's updates; agents cannot draft", async () => {
    const other = await staffClient('comms', rbkc);
    const list = await other.get(base());
    assert.equal(list.statusCode, 200, 'the incident affects their council too');
    assert.doesNotMatch(list.body, /Libraries are open/);
    assert.equal((await other.get(`${base()}/${managersUpdateId}`)).statusCode, 404);
    assert.equal((await other.get(`${base()}/${managersUpdateId}/edit`)).statusCode, 404);
    const edit = await other.post(`${base()}/${managersUpdateId}/edit`, { title: 'x', body: 'y', councils: rbkc });
    assert.equal(edit.statusCode, 404);
    assert.equal((await other.post(`${base()}/${managersUpdateId}/submit`)).statusCode, 404);
    await other.get(`${base()}/new`);
    const forWestminster = await other.post(`${base()}/new`, { title: 'Hello', body: 'Text', councils: wcc });
    assert.equal(forWestminster.statusCode, 400);
    assert.match(forWestminster.body, /Select only councils you write updates for/);

    const agent = await staffClient('agent');
    assert.equal((await agent.get(`${base()}/new`)).statusCode, 403);
    assert.equal((await agent.post(`${base()}/new`, { title: 'Hi', body: 'There', councils: wcc })).statusCode, 403);
    assert.equal((await agent.get(base())).statusCode, 403);
  });

  test('every step is in the audit log, and the chain still verifies', async () => {
    assert.deepEqual(await auditActions(updateId), [
      'public-update.draft-created',
      'public-update.draft-edited',
      'public-update.submitted',
      'public-update.published',
      'public-update.correction-started',
      'public-update.draft-edited',
      'public-update.submitted',
      'public-update.published',
    ]);
    const count = await database()
      .db.selectFrom('public_updates')
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count.n), 2, 'refused attempts created nothing');
    assert.equal((await verifyAuditChain(database().db)).ok, true);
  });
});
