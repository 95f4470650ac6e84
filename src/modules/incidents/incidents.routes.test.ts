import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import type { Role } from '../../platform/policy/policy.ts';

describeEachDatabase('incident record and public incident pages', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let met: string;
  let incidentId: string;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    met = t.organisationId('met-police');
    incidentId = t.incidentId;
  });
  after(async () => t.close());

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);
  const serviceId = async (organisationId: string, slug: string) =>
    (
      await database()
        .db.selectFrom('services')
        .select('id')
        .where('organisation_id', '=', organisationId)
        .where('slug', '=', slug)
        .executeTakeFirstOrThrow()
    ).id;

  test("each affected council's page says what happened, what to do, who to call and which services work", async () => {
    const page = await t.app.inject('/westminster/cyber-incident');
    assert.equal(page.statusCode, 200);
    for (const text of [
      'Cyber attack on shared IT systems',
      'What happened',
      'What data is affected',
      'What you should do',
      '020 7641 1919',
      'cyberenquiry@westminster.gov.uk',
      'Report It (FixMyStreet)',
      'Not available',
      'We are working with Metropolitan Police Cyber Crime Unit, National Crime Agency, National Cyber Security Centre.',
    ]) {
      assert.ok(page.body.includes(text), text);
    }
    const hf = await t.app.inject('/hammersmith-fulham/cyber-incident');
    assert.match(hf.body, /My Account/);
    assert.doesNotMatch(hf.body, /Report It/, "another council's services are not shown");
    assert.equal((await t.app.inject('/met-police/cyber-incident')).statusCode, 404, 'agencies have no incident page');
    assert.equal((await t.app.inject('/nowhere/cyber-incident')).statusCode, 404);
  });

  test('services can be filtered by group without JavaScript, and each has its own page', async () => {
    const waste = await t.app.inject('/westminster/cyber-incident?group=waste');
    assert.match(waste.body, /Waste: bags, missed and bulky collections/);
    assert.doesNotMatch(waste.body, /Report It \(FixMyStreet\)<\/a>/);
    const unknownGroup = await t.app.inject('/westminster/cyber-incident?group=%3Cscript%3E');
    assert.match(unknownGroup.body, /Report It/, 'an unknown group shows every service');
    const service = await t.app.inject('/westminster/cyber-incident/services/certificates');
    assert.equal(service.statusCode, 200);
    assert.match(service.body, /General Register Office on 0300 123 1837/);
    assert.match(service.body, /Not known yet/);
    assert.equal((await t.app.inject('/westminster/cyber-incident/services/no-such-service')).statusCode, 404);
  });

  test('the JSON API gives the same information and is described in the OpenAPI document', async () => {
    const response = await t.app.inject('/api/v1/councils/westminster/incident');
    assert.equal(response.statusCode, 200);
    const body = response.json();
    assert.equal(body.incident.status, 'recovering');
    assert.ok(body.contacts.some((c: { value: string }) => c.value === '020 7641 1919'));
    const reportIt = body.services.find((s: { slug: string }) => s.slug === 'report-it');
    assert.equal(reportIt.status, 'unavailable');
    assert.equal(reportIt.expectedRestoration, null);
    assert.match(reportIt.pageUrl, /\/westminster\/cyber-incident\/services\/report-it$/);
    const spec = (await t.app.inject('/api/openapi.json')).json();
    assert.ok(spec.paths['/api/v1/councils/{council}/incident']);
    assert.equal((await t.app.inject('/api/v1/councils/met-police/incident')).statusCode, 404);
  });

  test('an incident manager changes the record: errors keep what was typed, the change is audited and on the timeline and the public page', async () => {
    const manager = await staffClient('incident-manager');
    await manager.get(`/staff/incidents/${incidentId}/edit`);
    const invalid = await manager.post(`/staff/incidents/${incidentId}/edit`, {
      title: 'Cyber attack on shared IT systems',
      status: 'recovering',
      severity: 'critical',
      summary: '',
      dataAffected: 'Some data <b>was</b> taken.',
      advice: 'Be careful.',
      restorationOutlook: 'By summer.',
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Enter what happened/);
    assert.match(invalid.body, /Some data &lt;b&gt;was&lt;\/b&gt; taken./, 'what was typed is kept, escaped');

    const saved = await manager.post(`/staff/incidents/${incidentId}/edit`, {
      title: 'Cyber attack on shared IT systems',
      status: 'contained',
      severity: 'critical',
      summary: 'Criminals attacked shared IT.\n\nThe attack has been contained.',
      dataAffected: 'Some data <b>was</b> taken.',
      advice: 'Be careful with unexpected messages.',
      restorationOutlook: 'Most services will be back by summer 2026.',
    });
    assert.equal(saved.statusCode, 303);
    const page = (await t.app.inject('/westminster/cyber-incident')).body;
    assert.match(page, /<p class="govuk-body">The attack has been contained.<\/p>/);
    assert.match(page, /Some data &lt;b&gt;was&lt;\/b&gt; taken./, 'staff text is never rendered as HTML');
    const staffPage = await manager.get(`/staff/incidents/${incidentId}`);
    assert.match(staffPage.body, /Status changed from Recovering to Contained/);
    const audit = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', incidentId)
      .execute();
    assert.deepEqual(
      audit.map((a) => a.action),
      ['incident.record-updated'],
    );
  });

  test("comms changes a service's status; the change is on the timeline and the public page", async () => {
    const comms = await staffClient('comms');
    const id = await serviceId(wcc, 'report-it');
    await comms.get(`/staff/services/${id}/edit`);
    const invalid = await comms.post(`/staff/services/${id}/edit`, {
      status: 'disrupted',
      workaround: '',
      expectedRestoration: '2026-02-30',
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /Enter what residents can do instead/);
    assert.match(invalid.body, /Expected restoration must be a real date/);
    const saved = await comms.post(`/staff/services/${id}/edit`, {
      status: 'restored',
      workaround: 'You can report problems online again.',
      expectedRestoration: '',
    });
    assert.equal(saved.statusCode, 303);
    const service = await t.app.inject('/westminster/cyber-incident/services/report-it');
    assert.match(service.body, /Restored/);
    const timeline = await database()
      .db.selectFrom('timeline_entries')
      .select('title')
      .where('kind', '=', 'service-change')
      .execute();
    assert.ok(timeline.some((e) => e.title === 'Report It (FixMyStreet): Not available to Restored'));
  });

  test("staff cannot change another council's services, and roles without the permission cannot change anything", async () => {
    const comms = await staffClient('comms');
    const rbkcService = await serviceId(rbkc, 'planning');
    assert.equal((await comms.get(`/staff/services/${rbkcService}/edit`)).statusCode, 404);
    await comms.get('/staff/incidents');
    assert.equal(
      (
        await comms.post(`/staff/services/${rbkcService}/edit`, {
          status: 'working',
          workaround: '',
          expectedRestoration: '',
        })
      ).statusCode,
      404,
    );
    assert.equal(
      (await comms.get(`/staff/incidents/${incidentId}/edit`)).statusCode,
      403,
      'comms cannot change the record',
    );

    const agent = await staffClient('agent');
    assert.equal((await agent.get(`/staff/services/${await serviceId(wcc, 'waste')}/edit`)).statusCode, 403);
    const partner = await staffClient('partner', met);
    assert.equal((await partner.get('/staff/incidents')).statusCode, 403, 'partners see only what is shared with them');
  });
});
