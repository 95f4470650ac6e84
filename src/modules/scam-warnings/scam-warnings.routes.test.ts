import assert from 'node:assert/strict';
import { before, after, test } from 'node:test';
import type { Kysely } from 'kysely';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { DB } from '../../platform/db/schema.ts';
import { HttpProblem } from '../../platform/http/errors.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { readPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createStaff, TestClient } from '../../platform/testing/test-app.ts';
import { draftScamWarning, InvalidScamWarningError, type StaffAuthor } from './scam-warnings.service.ts';

const WARNING = {
  title: 'Texts about a council tax refund',
  summary: 'Texts saying you are owed a council tax refund and linking to a website.',
  howToSpot: 'We never text about refunds. The link is not to westminster.gov.uk.',
  whatToDo: 'Do not click the link. Report the text by forwarding it to 7726. Call us on 020 7641 1919.',
};

async function insertCampaign(db: Kysely<DB>, organisationId: string): Promise<string> {
  const id = newId();
  const at = nowIso();
  await db
    .insertInto('report_campaigns')
    .values({
      id,
      organisation_id: organisationId,
      title: 'Council tax refund texts',
      suggested_verdict: 'likely-scam',
      analyst_verdict: 'scam',
      analyst_note: '',
      verdict_at: at,
      verdict_by_label: 'analyst@example.gov.uk',
      representative_report_id: null,
      report_count: 12,
      first_reported_at: at,
      last_reported_at: at,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return id;
}

describeEachDatabase('scam warnings', (database) => {
  let t: DemoApp;
  let wcc: string;
  let incidentId: string;
  const base = () => `/staff/incidents/${incidentId}/scam-warnings`;

  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    incidentId = t.incidentId;
  });
  after(() => t.close());

  /** An author as the analyst console would pass one: a real account's principal and audit actor. */
  const author = async (role: Role, organisationId = wcc): Promise<StaffAuthor> => {
    const staff = await createStaff(database(), { roles: [{ organisationId, role }] });
    return {
      principal: { userId: staff.id, email: staff.email, memberships: [{ organisationId, role }] },
      actor: { userId: staff.id, label: staff.email },
    };
  };
  const publicPage = () => new TestClient(t.app).get('/westminster/cyber-incident');
  const auditFor = (warningId: string) =>
    database()
      .db.selectFrom('audit_events')
      .select(['action', 'actor_label'])
      .where('target_type', '=', 'scam-warning')
      .where('target_id', '=', warningId)
      .orderBy('seq')
      .execute();
  const approve = async (client: TestClient, warningId: string) => {
    const page = await client.get(`${base()}/${warningId}/approve`);
    assert.equal(page.statusCode, 200, page.body);
    const seen = /name="seen" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return client.post(`${base()}/${warningId}/approve`, { seen });
  };

  test('an analyst drafts a warning from a campaign; it is public only once another person approves it', async () => {
    const analyst = await author('analyst');
    const campaignId = await insertCampaign(database().db, wcc);
    const warningId = await draftScamWarning(database().db, {
      organisationId: wcc,
      incidentId,
      campaignId,
      ...WARNING,
      author: analyst,
    });
    const stored = await database()
      .db.selectFrom('scam_warnings')
      .selectAll()
      .where('id', '=', warningId)
      .executeTakeFirstOrThrow();
    assert.equal(stored.state, 'waiting');
    assert.equal(stored.campaign_id, campaignId);
    assert.doesNotMatch((await publicPage()).body, /Scams to look out for/);

    // The analyst cannot approve; an incident manager can, and the page shows it at once.
    const analystClient = await t.staffClient('analyst', wcc);
    assert.equal((await analystClient.get(`${base()}/${warningId}/approve`)).statusCode, 404);
    const manager = await t.staffClient('incident-manager', wcc);
    const versionBefore = await readPublicContentVersion(database().db);
    const approved = await approve(manager, warningId);
    assert.equal(approved.statusCode, 303);
    assert.ok((await readPublicContentVersion(database().db)) > versionBefore, 'the public content version moved on');

    const page = (await publicPage()).body;
    assert.match(page, /<h2 class="govuk-heading-l" id="scams">Scams to look out for<\/h2>/);
    assert.match(page, new RegExp(`id="scam-${warningId}"`));
    assert.match(page, /Texts about a council tax refund/);
    assert.match(page, /How to spot it/);
    assert.match(page, /Do not click the link/);
    assert.ok(page.indexOf('Scams to look out for') < page.indexOf('What happened'), 'high on the page');
    // Only on the council it is for.
    assert.doesNotMatch((await new TestClient(t.app).get('/kensington-chelsea/cyber-incident')).body, /refund/);

    const api = await t.app.inject({ method: 'GET', url: '/api/v1/councils/westminster/scam-warnings' });
    assert.equal(api.statusCode, 200);
    const body = api.json() as { warnings: Array<Record<string, string>> };
    assert.equal(body.warnings.length, 1);
    assert.deepEqual(
      { ...body.warnings[0], publishedAt: undefined },
      {
        id: warningId,
        title: WARNING.title,
        whatItLooksLike: WARNING.summary,
        howToSpot: WARNING.howToSpot,
        whatToDo: WARNING.whatToDo,
        publishedAt: undefined,
        pageUrl: `http://localhost:3000/westminster/cyber-incident#scam-${warningId}`,
      },
    );
    const openapi = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    assert.ok(openapi.paths['/api/v1/councils/{council}/scam-warnings']);

    assert.deepEqual(
      (await auditFor(warningId)).map((a) => a.action),
      ['scam-warning.drafted', 'scam-warning.published'],
    );
    const timeline = await database()
      .db.selectFrom('timeline_entries')
      .select('title')
      .where('incident_id', '=', incidentId)
      .where('title', 'like', 'Scam warning published:%')
      .execute();
    assert.equal(timeline.length, 1);

    // Comms withdraws it, with a reason; it leaves the page and the API at once.
    const comms = await t.staffClient('comms', wcc);
    await comms.get(`${base()}/${warningId}`);
    const noReason = await comms.post(`${base()}/${warningId}/withdraw`, { reason: ' ' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Enter why you are withdrawing the warning/);
    const withdrawn = await comms.post(`${base()}/${warningId}/withdraw`, { reason: 'The campaign has stopped.' });
    assert.equal(withdrawn.statusCode, 303);
    assert.doesNotMatch((await publicPage()).body, /Scams to look out for/);
    const after = await t.app.inject({ method: 'GET', url: '/api/v1/councils/westminster/scam-warnings' });
    assert.deepEqual((after.json() as { warnings: unknown[] }).warnings, []);
    assert.equal((await auditFor(warningId)).at(-1)?.action, 'scam-warning.withdrawn');
    const withdrawal = await database()
      .db.selectFrom('timeline_entries')
      .select(['body', 'organisation_id', 'details'])
      .where('incident_id', '=', incidentId)
      .where('title', 'like', 'Scam warning withdrawn:%')
      .execute();
    assert.equal(withdrawal.length, 1);
    assert.equal(withdrawal[0]?.body, 'The campaign has stopped.');
    assert.equal(withdrawal[0]?.organisation_id, wcc);
    assert.equal(JSON.parse(withdrawal[0]?.details ?? '{}').scamWarningId, warningId);
  });

  test('comms drafts through the staff pages; the author cannot approve their own; sent back, changed, approved', async () => {
    const manager = await t.staffClient('incident-manager', wcc);
    await manager.get(`${base()}/new`);
    const empty = await manager.post(`${base()}/new`, {
      council: wcc,
      title: '',
      summary: '',
      howToSpot: '',
      whatToDo: '',
    });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /There is a problem/);
    for (const message of [
      'Enter a title',
      'Enter what the scam looks like',
      'Enter how to spot it',
      'Enter what to do',
    ]) {
      assert.match(empty.body, new RegExp(message));
    }
    const created = await manager.post(`${base()}/new`, {
      council: wcc,
      ...WARNING,
      title: 'Calls about bin collections',
    });
    assert.equal(created.statusCode, 303);
    const warningId = /scam-warnings\/([0-9a-f-]{36})\?/.exec(String(created.headers.location))?.[1] ?? '';
    assert.ok(warningId);

    // The author is an incident manager, but may not approve what they wrote.
    const own = await manager.get(`${base()}/${warningId}/approve`);
    assert.equal(own.statusCode, 403);
    assert.match((await manager.get(`${base()}/${warningId}`)).body, /another incident manager must approve it/);

    const second = await t.staffClient('incident-manager', wcc);
    const decision = await second.get(`${base()}/${warningId}/approve`);
    const seen = /name="seen" value="([^"]+)"/.exec(decision.body)?.[1] ?? '';
    const noReason = await second.post(`${base()}/${warningId}/send-back`, { seen, reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.equal(
      (await second.post(`${base()}/${warningId}/send-back`, { seen, reason: 'Give the helpline number.' })).statusCode,
      303,
    );
    assert.match((await manager.get(`${base()}/${warningId}`)).body, /Give the helpline number/);

    await manager.get(`${base()}/${warningId}/edit`);
    const edited = await manager.post(`${base()}/${warningId}/edit`, {
      ...WARNING,
      title: 'Calls about bin collections',
      whatToDo: 'Hang up. Call us on 020 7641 1919.',
    });
    assert.equal(edited.statusCode, 303);
    // Approving against the text seen before the change is refused.
    assert.equal((await second.post(`${base()}/${warningId}/approve`, { seen })).statusCode, 409);
    assert.equal((await approve(second, warningId)).statusCode, 303);
    assert.match((await publicPage()).body, /Hang up\. Call us on 020 7641 1919\./);
    assert.deepEqual(
      (await auditFor(warningId)).map((a) => a.action),
      ['scam-warning.drafted', 'scam-warning.sent-back', 'scam-warning.edited', 'scam-warning.published'],
    );
  });

  test('draftScamWarning refuses people who may not draft, bad text and another council’s campaign', async () => {
    const input = { organisationId: wcc, incidentId, ...WARNING };
    await assert.rejects(
      draftScamWarning(database().db, { ...input, author: await author('agent') }),
      (e: unknown) => e instanceof HttpProblem && e.status === 404,
    );
    // An analyst of another council does not speak for Westminster.
    await assert.rejects(
      draftScamWarning(database().db, {
        ...input,
        author: await author('analyst', t.organisationId('kensington-chelsea')),
      }),
      (e: unknown) => e instanceof HttpProblem && e.status === 404,
    );
    const analyst = await author('analyst');
    await assert.rejects(
      draftScamWarning(database().db, { ...input, title: 'x'.repeat(121), whatToDo: '', author: analyst }),
      (e: unknown) => e instanceof InvalidScamWarningError && e.errors.map((x) => x.href).join() === '#title,#whatToDo',
    );
    const otherCampaign = await insertCampaign(database().db, t.organisationId('kensington-chelsea'));
    await assert.rejects(
      draftScamWarning(database().db, { ...input, campaignId: otherCampaign, author: analyst }),
      (e: unknown) => e instanceof InvalidScamWarningError && e.errors[0]?.href === '#campaignId',
    );
    const before = await database().db.selectFrom('scam_warnings').select('id').execute();
    // In the caller's transaction: rolled back with it.
    await assert.rejects(
      database()
        .db.transaction()
        .execute(async (trx) => {
          await draftScamWarning(trx, { ...input, author: analyst });
          throw new Error('the caller failed after drafting');
        }),
      /the caller failed/,
    );
    assert.equal((await database().db.selectFrom('scam_warnings').select('id').execute()).length, before.length);
  });
});
