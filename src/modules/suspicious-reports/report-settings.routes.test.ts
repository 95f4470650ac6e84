// A council's report addresses, set by its staff over HTTP: who may, what is refused and why, what
// is stored and audited, and that mail to a new address is then taken as a report.
import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import { loadConfig } from '../../platform/config.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createInboundMailboxes } from '../../platform/mail-in-runtime.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import * as repo from './suspicious-reports.repository.ts';

describeEachDatabase('report addresses', (database) => {
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

  test('an incident manager sets the council’s report addresses; wrong and taken addresses are refused; audited', async () => {
    const manager = await staff(wcc, 'incident-manager');
    const list = await manager.get('/staff/reports/settings');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /report-a-scam@westminster.gov.uk/);
    assert.doesNotMatch(list.body, /report-a-scam@rbkc.gov.uk/, 'only the councils the person may set');
    const path = `/staff/reports/settings/${wcc}`;
    const form = await manager.get(path);
    assert.equal(form.statusCode, 200);
    assert.match(
      form.body,
      /<textarea[^>]*name="reportAddresses"[^>]*>\s*report-a-scam@westminster.gov.uk<\/textarea>/,
    );

    const wrong = await manager.post(path, { reportAddresses: 'scams@westminster.gov.uk\nnot-an-address' });
    assert.equal(wrong.statusCode, 400);
    assert.match(wrong.body, /There is a problem/);
    assert.match(wrong.body, /<a href="#reportAddresses">These are not email addresses: not-an-address<\/a>/);
    const tooMany = await manager.post(path, {
      reportAddresses: Array.from({ length: 21 }, (_, i) => `scams${i}@westminster.gov.uk`).join('\n'),
    });
    assert.equal(tooMany.statusCode, 400);
    assert.match(tooMany.body, /Enter 20 addresses or fewer/);
    const otherCouncil = await manager.post(path, { reportAddresses: 'report-a-scam@rbkc.gov.uk' });
    assert.equal(otherCouncil.statusCode, 400);
    assert.match(otherCouncil.body, /Another council already takes reports sent to report-a-scam@rbkc.gov.uk/);
    const enquiryAddress = await manager.post(path, { reportAddresses: 'CyberEnquiry@westminster.gov.uk' });
    assert.equal(enquiryAddress.statusCode, 400);
    assert.match(
      enquiryAddress.body,
      /cyberenquiry@westminster.gov.uk already takes mail for enquiries: choose another/,
    );
    assert.deepEqual(await repo.councilReportAddresses(database().db, wcc), ['report-a-scam@westminster.gov.uk']);

    const saved = await manager.post(path, {
      reportAddresses: 'report-a-scam@westminster.gov.uk, Scams@Westminster.gov.uk\nscams@westminster.gov.uk',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, '/staff/reports/settings?done=saved');
    assert.match((await manager.get('/staff/reports/settings?done=saved')).body, /Report addresses saved/);
    assert.deepEqual(await repo.councilReportAddresses(database().db, wcc), [
      'report-a-scam@westminster.gov.uk',
      'scams@westminster.gov.uk',
    ]);
    const audit = await database()
      .db.selectFrom('audit_events')
      .select(['details', 'organisation_id'])
      .where('action', '=', 'report.settings-changed')
      .executeTakeFirstOrThrow();
    assert.equal(audit.organisation_id, wcc);
    assert.deepEqual(JSON.parse(audit.details), {
      before: ['report-a-scam@westminster.gov.uk'],
      after: ['report-a-scam@westminster.gov.uk', 'scams@westminster.gov.uk'],
    });
    // Mail to the new address is now taken for reports.
    const config = loadConfig({ SESSION_SECRET: TEST_SESSION_SECRET }, '/tmp');
    const mailbox = await createInboundMailboxes(config).forAddress('scams@westminster.gov.uk', database().db);
    assert.equal(mailbox?.name, 'suspicious-reports');
  });

  test('only admins and incident managers of the council may set its report addresses', async () => {
    const path = `/staff/reports/settings/${wcc}`;
    for (const role of ['analyst', 'agent', 'comms'] as const) {
      const someone = await staff(wcc, role);
      assert.equal((await someone.get('/staff')).statusCode, 200, 'a page with a fresh form token');
      assert.equal((await someone.get('/staff/reports/settings')).statusCode, 403, role);
      assert.equal((await someone.post(path, { reportAddresses: 'x@westminster.gov.uk' })).statusCode, 403, role);
    }
    const admin = await staff(wcc, 'admin');
    assert.equal((await admin.get(path)).statusCode, 200);
    const otherManager = await staff(rbkc, 'incident-manager');
    assert.equal((await otherManager.get(path)).statusCode, 404);
    await otherManager.get('/staff/reports/settings');
    assert.equal((await otherManager.post(path, { reportAddresses: 'x@rbkc.gov.uk' })).statusCode, 404);
    assert.equal((await otherManager.get('/staff/reports/settings/not-an-id')).statusCode, 404);
    assert.deepEqual(await repo.councilReportAddresses(database().db, wcc), [
      'report-a-scam@westminster.gov.uk',
      'scams@westminster.gov.uk',
    ]);
  });
});
