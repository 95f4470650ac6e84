import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp } from '../../platform/testing/demo-app.ts';
import { csvCell, TLP_MARKINGS } from './report-exports.ts';
import { recordCorpusReport } from './report-fixtures.test-support.ts';

test('CSV cells that a spreadsheet would run are quoted as text', () => {
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('+447700900123'), `'+447700900123`);
  assert.equal(csvCell('-1'), `'-1`);
  assert.equal(csvCell('@SUM(A1)'), `'@SUM(A1)`);
  assert.equal(csvCell('\tx'), `'\tx`);
  assert.equal(csvCell('claimnow-uk.top'), 'claimnow-uk.top');
});

const STIX_ID = /^[a-z][a-z0-9-]+--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describeEachDatabase('analyst console', (database) => {
  test('an analyst opens a campaign, marks it a scam, exports its indicators and drafts a warning', async (t) => {
    const told: Array<{ ids: string[]; verdict: string }> = [];
    const demo = await createDemoApp(database(), {
      reportCampaigns: {
        onOutcome: async (_trx, ids, verdict) => {
          told.push({ ids, verdict });
        },
      },
    });
    t.after(() => demo.close());
    const { db } = database();
    const westminster = demo.organisationId('westminster');
    const wanting = await recordCorpusReport(
      db,
      westminster,
      { eml: 'scam/refund-campaign-1.eml' },
      {
        reporterEmail: 'resident@example.org.uk',
        wantsOutcome: true,
      },
    );
    await recordCorpusReport(db, westminster, { eml: 'scam/refund-campaign-2.eml' });
    const quiet = await recordCorpusReport(
      db,
      westminster,
      { eml: 'scam/refund-campaign-3.eml' },
      {
        reporterEmail: 'other@example.org.uk',
        wantsOutcome: false,
      },
    );
    const campaignId = wanting.campaignId;

    const analyst = await demo.staffClient('analyst', westminster);
    const queue = await analyst.get('/staff/reports');
    assert.equal(queue.statusCode, 200);
    assert.match(queue.body, new RegExp(`/staff/reports/campaigns/${campaignId}`));

    const page = await analyst.get(`/staff/reports/campaigns/${campaignId}`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /You are owed a council tax rebate/);
    assert.match(page.body, /hxxps:\/\/claimnow-uk\[\.\]top/);
    assert.doesNotMatch(page.body, /href="https?:\/\/claimnow/);
    assert.doesNotMatch(page.body, /https:\/\/claimnow-uk\.top/);

    const bad = await analyst.post(`/staff/reports/campaigns/${campaignId}/verdict`, {
      verdict: 'maybe',
      note: '',
      title: 'x',
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /Select a verdict/);

    const saved = await analyst.post(`/staff/reports/campaigns/${campaignId}/verdict`, {
      verdict: 'scam',
      note: 'Refund lure on a lookalike domain',
      title: 'Council tax refund texts',
    });
    assert.equal(saved.statusCode, 303);
    const statuses = await db
      .selectFrom('suspicious_reports')
      .select('status')
      .where('campaign_id', '=', campaignId)
      .execute();
    assert.deepEqual(
      statuses.map((s) => s.status),
      ['triaged', 'triaged', 'triaged'],
    );
    assert.deepEqual(told, [{ ids: [wanting.id], verdict: 'scam' }]);
    assert.ok(!told[0]!.ids.includes(quiet.id));
    const after = await analyst.get(`/staff/reports/campaigns/${campaignId}`);
    assert.match(after.body, /Council tax refund texts/);
    const audit = await db.selectFrom('audit_events').select('action').where('target_id', '=', campaignId).execute();
    assert.ok(audit.some((a) => a.action === 'report.campaign-verdict'));
    assert.ok(audit.some((a) => a.action === 'report.campaign-viewed'));

    // STIX 2.1: required common properties, id formats, patterns and the TLP marking.
    const stix = await analyst.get(`/staff/reports/campaigns/${campaignId}/indicators.json`);
    assert.equal(stix.statusCode, 200);
    const bundle = JSON.parse(stix.body) as { type: string; id: string; objects: Array<Record<string, unknown>> };
    assert.equal(bundle.type, 'bundle');
    assert.match(bundle.id, STIX_ID);
    const identity = bundle.objects.find((o) => o['type'] === 'identity')!;
    assert.equal(identity['name'], 'Westminster City Council');
    const indicators = bundle.objects.filter((o) => o['type'] === 'indicator');
    assert.ok(indicators.length >= 2);
    for (const o of bundle.objects) {
      assert.equal(o['spec_version'], '2.1');
      assert.match(String(o['id']), STIX_ID);
      assert.ok(String(o['id']).startsWith(`${String(o['type'])}--`));
      assert.match(String(o['created']), TIMESTAMP);
    }
    for (const i of indicators) {
      assert.match(String(i['modified']), TIMESTAMP);
      assert.match(String(i['valid_from']), TIMESTAMP);
      assert.equal(i['pattern_type'], 'stix');
      assert.match(String(i['pattern']), /^\[[a-z0-9-]+:[a-z_.'A-Z0-9-]+ = '.*'\]$/);
      assert.equal(i['created_by_ref'], identity['id']);
      assert.deepEqual(i['object_marking_refs'], [TLP_MARKINGS.amber]);
    }
    assert.ok(indicators.some((i) => i['pattern'] === "[domain-name:value = 'claimnow-uk.top']"));
    assert.ok(bundle.objects.some((o) => o['type'] === 'marking-definition' && o['id'] === TLP_MARKINGS.amber));
    const again = JSON.parse(
      (await analyst.get(`/staff/reports/campaigns/${campaignId}/indicators.json`)).body,
    ) as typeof bundle;
    assert.deepEqual(
      again.objects.filter((o) => o['type'] === 'indicator').map((o) => o['id']),
      indicators.map((o) => o['id']),
    );
    const csv = await analyst.get(`/staff/reports/campaigns/${campaignId}/indicators.csv`);
    assert.match(csv.body, /^type,value,reports,campaign,tlp\r\n/);
    assert.match(csv.body, /Domain,claimnow-uk\.top,3,Council tax refund texts,TLP:AMBER/);

    // The warning form: checked, then drafted for sign-off by the scam-warnings module.
    const warnings = () => db.selectFrom('scam_warnings').selectAll().execute();
    const form = await analyst.get(`/staff/reports/campaigns/${campaignId}/warning`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /claimnow-uk\[\.\]top/);
    const missing = await analyst.post(`/staff/reports/campaigns/${campaignId}/warning`, {
      incidentId: demo.incidentId,
      title: '',
      summary: 'x',
      howToSpot: 'y',
      whatToDo: 'z',
    });
    assert.equal(missing.statusCode, 400);
    assert.match(missing.body, /Enter a title/);
    assert.equal((await warnings()).length, 0);
    const drafted = await analyst.post(`/staff/reports/campaigns/${campaignId}/warning`, {
      incidentId: demo.incidentId,
      title: 'Scam: council tax refund texts',
      summary: 'They are not from us.',
      howToSpot: 'It links to claimnow-uk[.]top.',
      whatToDo: 'Delete it.',
    });
    assert.equal(drafted.statusCode, 303);
    const [warning, ...others] = await warnings();
    assert.equal(others.length, 0);
    assert.deepEqual(
      {
        organisation: warning!.organisation_id,
        incident: warning!.incident_id,
        campaign: warning!.campaign_id,
        state: warning!.state,
        title: warning!.title,
        summary: warning!.summary,
        howToSpot: warning!.how_to_spot,
        whatToDo: warning!.what_to_do,
      },
      {
        organisation: westminster,
        incident: demo.incidentId,
        campaign: campaignId,
        state: 'waiting',
        title: 'Scam: council tax refund texts',
        summary: 'They are not from us.',
        howToSpot: 'It links to claimnow-uk[.]top.',
        whatToDo: 'Delete it.',
      },
    );

    // Other staff: no permission is a 403; another council's analyst does not learn it exists.
    const agent = await demo.staffClient('agent', westminster);
    assert.equal((await agent.get(`/staff/reports/campaigns/${campaignId}`)).statusCode, 403);
    const elsewhere = await demo.staffClient('analyst', demo.organisationId('kensington-chelsea'));
    assert.equal((await elsewhere.get(`/staff/reports/campaigns/${campaignId}`)).statusCode, 404);
    assert.equal((await elsewhere.get(`/staff/reports/${wanting.id}`)).statusCode, 404);
    const manager = await demo.staffClient('incident-manager', westminster);
    assert.equal((await manager.get(`/staff/reports/${wanting.id}`)).statusCode, 200);
    assert.equal(
      (await manager.post(`/staff/reports/campaigns/${campaignId}/verdict`, { verdict: 'scam' })).statusCode,
      403,
    );
  });

  test('an analyst moves a mis-grouped report out into a campaign of its own', async (t) => {
    const demo = await createDemoApp(database());
    t.after(() => demo.close());
    const { db } = database();
    const westminster = demo.organisationId('westminster');
    const a = await recordCorpusReport(db, westminster, { eml: 'scam/fake-helpline-1.eml' });
    const b = await recordCorpusReport(db, westminster, { eml: 'scam/fake-helpline-2.eml' });
    assert.equal(a.campaignId, b.campaignId);
    const before = Number(
      (
        await db
          .selectFrom('report_campaigns')
          .select('report_count')
          .where('id', '=', a.campaignId)
          .executeTakeFirstOrThrow()
      ).report_count,
    );
    const analyst = await demo.staffClient('analyst', westminster);
    const report = await analyst.get(`/staff/reports/${b.id}`);
    assert.equal(report.statusCode, 200);
    assert.ok(
      (await db.selectFrom('audit_events').select('action').where('target_id', '=', b.id).execute()).some(
        (e) => e.action === 'report.viewed',
      ),
    );
    const moved = await analyst.post(`/staff/reports/${b.id}/move`, { target: 'new' });
    assert.equal(moved.statusCode, 303);
    const row = await db
      .selectFrom('suspicious_reports')
      .select('campaign_id')
      .where('id', '=', b.id)
      .executeTakeFirstOrThrow();
    assert.notEqual(row.campaign_id, a.campaignId);
    const count = async (id: string) =>
      Number(
        (await db.selectFrom('report_campaigns').select('report_count').where('id', '=', id).executeTakeFirstOrThrow())
          .report_count,
      );
    assert.equal(await count(row.campaign_id!), 1);
    assert.equal(await count(a.campaignId), before - 1);
  });
});
