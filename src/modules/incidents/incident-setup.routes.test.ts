import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { readPublicContentVersion } from '../../platform/public-cache/public-content.repository.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { createOrganisation, createStaff, signIn, TestClient } from '../../platform/testing/test-app.ts';
import * as repo from './incidents.repository.ts';

describeEachDatabase('incident set-up: services, contacts, data categories and organisations', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let hf: string;
  let incidentId: string;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    hf = t.organisationId('hammersmith-fulham');
    incidentId = t.incidentId;
  });
  after(async () => t.close());

  const db = () => database().db;
  const staffClient = async (role: Role, organisationId = wcc) => {
    const client = new TestClient(t.app);
    await signIn(client, await createStaff(database(), { roles: [{ organisationId, role }] }));
    await client.get('/staff'); // a page with a form: the CSRF token for this session
    return client;
  };
  const publicPage = async (path: string) => t.app.inject(path);
  const services = (organisationId: string) =>
    db()
      .selectFrom('services')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('organisation_id', '=', organisationId)
      .execute();
  const contacts = (organisationId: string) =>
    db()
      .selectFrom('public_contacts')
      .selectAll()
      .where('incident_id', '=', incidentId)
      .where('organisation_id', '=', organisationId)
      .orderBy('position')
      .execute();
  const audit = (action: string) =>
    db().selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('seq').execute();
  const timeline = async (title: string) =>
    (await repo.listTimeline(db(), incidentId)).filter((e) => e.title === title);
  const errorSummary = (body: string) =>
    [...body.matchAll(/govuk-error-summary__list[\s\S]*?<\/ul>/g)]
      .flatMap((m) => [...m[0].matchAll(/<a href="(#[\w-]+)">([^<]+)<\/a>/g)])
      .map((m) => `${m[1]} ${m[2]}`);
  const contactRow = async (id: string) =>
    db().selectFrom('public_contacts').selectAll().where('id', '=', id).executeTakeFirst();
  const serviceRow = async (organisationId: string, slug: string) =>
    (await services(organisationId)).find((s) => s.slug === slug)!;

  test('comms adds a service for their council: bad input is refused with nothing stored, then residents see it at once', async () => {
    const comms = await staffClient('comms');
    // The page is cached before the change, so seeing the service proves the cache moved on.
    assert.doesNotMatch((await publicPage('/westminster/cyber-incident')).body, /Housing repairs/);
    const versionBefore = await readPublicContentVersion(db());
    const countBefore = (await services(wcc)).length;
    const form = await comms.get(`/staff/incidents/${incidentId}/councils/${wcc}/services/new`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Add a service/);

    const invalid = await comms.post(`/staff/incidents/${incidentId}/councils/${wcc}/services/new`, {
      name: 'x'.repeat(121),
      group: 'dragons',
      status: 'disrupted',
      workaround: '',
      expectedRestoration: '2026-02-30',
    });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(errorSummary(invalid.body), [
      '#name The name must be 120 characters or fewer',
      '#group Select the type of service',
      '#workaround Enter what residents can do instead',
      '#expectedRestoration Expected restoration must be a real date, like 2026-02-14',
    ]);
    assert.match(invalid.body, /value="2026-02-30"/, 'what was typed is kept');
    const duplicate = await comms.post(`/staff/incidents/${incidentId}/councils/${wcc}/services/new`, {
      name: 'libraries',
      group: 'libraries',
      status: 'working',
      workaround: '',
      expectedRestoration: '',
    });
    assert.deepEqual(errorSummary(duplicate.body), [
      '#name Westminster City Council already lists a service called libraries',
    ]);
    assert.equal((await services(wcc)).length, countBefore, 'nothing stored');
    assert.equal(await readPublicContentVersion(db()), versionBefore);

    const saved = await comms.post(`/staff/incidents/${incidentId}/councils/${wcc}/services/new`, {
      name: '  Housing repairs  <b>& homelessness</b> ',
      group: 'housing',
      status: 'disrupted',
      workaround: 'Report urgent repairs on 020 7641 3003.',
      expectedRestoration: '2026-03-31',
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/staff/incidents/${incidentId}?saved=1`);
    const row = await serviceRow(wcc, 'housing-repairs-b-and-homelessness-b');
    assert.equal(row.name, 'Housing repairs <b>& homelessness</b>');
    assert.equal(row.expected_restoration, '2026-03-31');
    assert.equal(await readPublicContentVersion(db()), versionBefore + 1);

    const page = (await publicPage('/westminster/cyber-incident')).body;
    assert.match(page, /Housing repairs &lt;b&gt;&amp; homelessness&lt;\/b&gt;/, 'shown, escaped');
    assert.match(page, /Report urgent repairs on 020 7641 3003./);
    const own = await publicPage('/westminster/cyber-incident/services/housing-repairs-b-and-homelessness-b');
    assert.equal(own.statusCode, 200);
    assert.match(own.body, /31 March 2026/);
    assert.doesNotMatch((await publicPage('/kensington-chelsea/cyber-incident')).body, /Housing repairs/);
    const api = (await publicPage('/api/v1/councils/westminster/incident')).json();
    assert.ok(
      api.services.some((s: { group: string; status: string }) => s.group === 'housing' && s.status === 'disrupted'),
    );

    const [entry] = await timeline('Housing repairs <b>& homelessness</b> added to the service list: Disrupted');
    assert.ok(entry, 'on the timeline');
    assert.equal(entry.kind, 'service-change');
    assert.equal(entry.organisationId, wcc);
    const [event] = await audit('incident.service-added');
    assert.equal(event?.target_id, row.id);
    assert.equal(event?.organisation_id, wcc);
    const staffPage = (await comms.get(`/staff/incidents/${incidentId}`)).body;
    assert.match(staffPage, /added to the service list/);
    assert.match(staffPage, /Add a service for Westminster City Council/);
    assert.doesNotMatch(staffPage, /Add a service for Royal Borough/);
    assert.doesNotMatch(staffPage, /\/data-categories"/, 'comms does not change the record');
  });

  test('a service is renamed or moved to another group; its address stays; a stale form changes nothing', async () => {
    const manager = await staffClient('incident-manager');
    const before = await serviceRow(wcc, 'libraries');
    const form = await manager.get(`/staff/services/${before.id}/name`);
    assert.equal(form.statusCode, 200);
    const seen = /name="seen" value="([^"]+)"/.exec(form.body)![1]!;
    const token = manager.csrfToken;

    const empty = await manager.post(`/staff/services/${before.id}/name`, { name: ' ', group: 'libraries', seen });
    assert.deepEqual(errorSummary(empty.body), ['#name Enter the name of the service']);
    const taken = await manager.post(`/staff/services/${before.id}/name`, {
      name: 'PARKING PERMITS',
      group: 'libraries',
      seen,
    });
    assert.deepEqual(errorSummary(taken.body), ['#name There is already a service called PARKING PERMITS']);

    const saved = await manager.post(`/staff/services/${before.id}/name`, {
      _csrf: token,
      name: 'Libraries and archives',
      group: 'contact',
      seen,
    });
    assert.equal(saved.statusCode, 303);
    const after = await serviceRow(wcc, 'libraries');
    assert.equal(after.name, 'Libraries and archives');
    assert.equal(after.service_group, 'contact');
    const page = await publicPage('/westminster/cyber-incident/services/libraries');
    assert.match(page.body, /Libraries and archives/);
    assert.match(page.body, /Contacting the council/);
    assert.equal(
      (await timeline('Libraries renamed Libraries and archives'))[0]?.body,
      'Moved from Libraries to Contacting the council.',
    );
    assert.deepEqual(JSON.parse((await audit('incident.service-renamed'))[0]!.details).fields, ['name', 'group']);

    // The same (now stale) form again: someone else's change is not overwritten.
    const stale = await manager.post(`/staff/services/${before.id}/name`, {
      _csrf: token,
      name: 'Libraries',
      group: 'libraries',
      seen,
    });
    assert.equal(stale.statusCode, 409);
    assert.match(errorSummary(stale.body)[0]!, /Someone else changed this service/);
    assert.match(stale.body, /Saved now: Libraries and archives, in Contacting the council./);
    assert.equal((await serviceRow(wcc, 'libraries')).name, 'Libraries and archives');
    assert.equal((await audit('incident.service-renamed')).length, 1);
  });

  test('a service is removed only with a reason; it leaves the public pages, and the timeline and audit log keep it', async () => {
    const comms = await staffClient('comms');
    const service = await serviceRow(wcc, 'land-charges');
    assert.equal((await publicPage('/westminster/cyber-incident/services/land-charges')).statusCode, 200);
    const confirm = await comms.get(`/staff/services/${service.id}/remove`);
    assert.match(confirm.body, /change its status to Restored instead/);
    const noReason = await comms.post(`/staff/services/${service.id}/remove`, { reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.deepEqual(errorSummary(noReason.body), ['#reason Enter why the service is being removed']);
    const tooLong = await comms.post(`/staff/services/${service.id}/remove`, { reason: 'x'.repeat(501) });
    assert.equal(tooLong.statusCode, 400);
    assert.ok(await serviceRow(wcc, 'land-charges'), 'still there');

    const removed = await comms.post(`/staff/services/${service.id}/remove`, { reason: 'Listed twice by mistake.' });
    assert.equal(removed.statusCode, 303);
    assert.equal(await serviceRow(wcc, 'land-charges'), undefined);
    assert.equal((await publicPage('/westminster/cyber-incident/services/land-charges')).statusCode, 404);
    assert.doesNotMatch((await publicPage('/westminster/cyber-incident')).body, /Local land charge searches/);
    assert.match((await publicPage('/kensington-chelsea/cyber-incident')).body, /Local land charge searches/);
    const [entry] = await timeline('Local land charge searches removed from the service list');
    assert.equal(entry?.body, 'Listed twice by mistake.');
    const [event] = await audit('incident.service-removed');
    const details = JSON.parse(event!.details);
    assert.equal(details.reason, 'Listed twice by mistake.');
    assert.equal(details.removed.workaround, service.workaround);
    assert.equal((await comms.post(`/staff/services/${service.id}/remove`, { reason: 'again' })).statusCode, 404);
  });

  test("one council's staff never change another council's services or contacts (403), nor see an incident they are not on (404)", async () => {
    const comms = await staffClient('comms');
    const manager = await staffClient('incident-manager');
    const rbkcService = await serviceRow(rbkc, 'planning');
    const rbkcContact = (await contacts(rbkc))[0]!;
    const versionBefore = await readPublicContentVersion(db());
    const auditBefore = (await db().selectFrom('audit_events').select('seq').execute()).length;

    for (const client of [comms, manager]) {
      assert.equal((await client.get(`/staff/incidents/${incidentId}/councils/${rbkc}/services/new`)).statusCode, 403);
      const add = await client.post(`/staff/incidents/${incidentId}/councils/${rbkc}/services/new`, {
        name: 'Sneaky service',
        group: 'housing',
        status: 'working',
        workaround: '',
        expectedRestoration: '',
      });
      assert.equal(add.statusCode, 403);
      assert.match(add.body, /You cannot change another council(&#39;|')s services/);
      assert.equal((await client.get(`/staff/services/${rbkcService.id}/name`)).statusCode, 403);
      assert.equal(
        (await client.post(`/staff/services/${rbkcService.id}/name`, { name: 'Renamed', group: 'planning', seen: 'x' }))
          .statusCode,
        403,
      );
      assert.equal((await client.get(`/staff/services/${rbkcService.id}/remove`)).statusCode, 403);
      assert.equal((await client.post(`/staff/services/${rbkcService.id}/remove`, { reason: 'x' })).statusCode, 403);
    }
    assert.equal(
      (await manager.get(`/staff/incidents/${incidentId}/councils/${rbkc}/contacts/new/phone`)).statusCode,
      403,
    );
    assert.equal(
      (
        await manager.post(`/staff/incidents/${incidentId}/councils/${rbkc}/contacts/new/phone`, {
          label: 'Fake helpline',
          phone: '020 7946 0000',
        })
      ).statusCode,
      403,
    );
    assert.equal((await manager.get(`/staff/contacts/${rbkcContact.id}/edit`)).statusCode, 403);
    assert.equal(
      (
        await manager.post(`/staff/contacts/${rbkcContact.id}/edit`, {
          kind: 'email',
          label: 'x',
          email: 'a@rbkc.gov.uk',
        })
      ).statusCode,
      403,
    );
    assert.equal((await manager.post(`/staff/contacts/${rbkcContact.id}/remove`)).statusCode, 403);

    // Roles without the permission, in their own council.
    const ownContact = (await contacts(wcc))[0]!;
    assert.equal(
      (await comms.get(`/staff/incidents/${incidentId}/councils/${wcc}/contacts/new/email`)).statusCode,
      403,
    );
    assert.equal((await comms.post(`/staff/contacts/${ownContact.id}/remove`)).statusCode, 403);
    assert.equal((await comms.get(`/staff/incidents/${incidentId}/organisations`)).statusCode, 403);
    assert.equal((await comms.get(`/staff/incidents/${incidentId}/data-categories`)).statusCode, 403);
    const agent = await staffClient('agent');
    assert.equal((await agent.get(`/staff/incidents/${incidentId}/councils/${wcc}/services/new`)).statusCode, 403);
    assert.equal((await agent.get(`/staff/incidents/${incidentId}/contacts`)).statusCode, 200, 'agents read contacts');

    // A council that is not on the incident does not learn what is on it.
    const camden = await createOrganisation(database(), 'camden');
    const outsider = await staffClient('incident-manager', camden.id);
    assert.equal((await outsider.get(`/staff/incidents/${incidentId}/organisations`)).statusCode, 404);
    assert.equal(
      (await outsider.get(`/staff/incidents/${incidentId}/councils/${camden.id}/services/new`)).statusCode,
      404,
    );
    assert.equal((await outsider.get(`/staff/contacts/${ownContact.id}/edit`)).statusCode, 404);
    assert.equal((await outsider.get(`/staff/services/${rbkcService.id}/name`)).statusCode, 404);

    assert.equal((await serviceRow(rbkc, 'planning')).name, rbkcService.name);
    assert.equal((await contacts(rbkc)).length, 1);
    assert.equal(await readPublicContentVersion(db()), versionBefore, 'nothing public changed');
    const audited = await db()
      .selectFrom('audit_events')
      .select('action')
      .where('seq', '>', auditBefore)
      .where('action', 'not like', 'auth.%')
      .execute();
    assert.deepEqual(audited, [], 'nothing but sign-ins was audited');
  });

  test('an incident manager adds, changes and removes public contacts; residents see each change at once', async () => {
    const manager = await staffClient('incident-manager');
    const list = await manager.get(`/staff/incidents/${incidentId}/contacts`);
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /Add a phone number<span class="govuk-visually-hidden"> for Westminster City Council/);
    assert.doesNotMatch(list.body, /for Royal Borough/, 'only for their own council');
    assert.match(list.body, /benefits@rbkc.gov.uk/, "other councils' contacts are shown, read-only");
    const newUrl = (kind: string) => `/staff/incidents/${incidentId}/councils/${wcc}/contacts/new/${kind}`;
    assert.equal((await manager.get(newUrl('fax'))).statusCode, 404);
    assert.match((await manager.get(newUrl('phone'))).body, /Add a phone number/);
    const before = (await contacts(wcc)).length;
    assert.doesNotMatch((await publicPage('/westminster/cyber-incident')).body, /Textphone/);

    const cases: Array<[string, Record<string, string>, string[]]> = [
      [
        'phone',
        { label: '', phone: '' },
        [
          '#label Enter what the contact is for, like &quot;Cyber incident helpline&quot;',
          '#phone Enter a phone number',
        ],
      ],
      ['phone', { label: 'Textphone', phone: '12345' }, ['#phone Enter a UK phone number, like 020 7641 1919']],
      ['phone', { label: 'x'.repeat(81), phone: '101' }, ['#label This must be 80 characters or fewer']],
      [
        'email',
        { label: 'Email', email: 'help@westminster-council.co.uk' },
        ['#email Enter an email address on the council&#39;s own domain (westminster.gov.uk, gov.uk)'],
      ],
      [
        'email',
        { label: 'Email', email: 'help@' },
        ['#email Enter an email address in the correct format, like name@council.gov.uk'],
      ],
      [
        'web',
        { label: 'Web', web: 'http://www.westminster.gov.uk/cyber' },
        ['#web Enter a web address that starts with https://'],
      ],
    ];
    for (const [kind, form, errors] of cases) {
      const response = await manager.post(newUrl(kind), form);
      assert.equal(response.statusCode, 400, JSON.stringify(form));
      assert.deepEqual(errorSummary(response.body), errors);
    }
    assert.equal((await contacts(wcc)).length, before, 'nothing stored');

    const phone = await manager.post(newUrl('phone'), {
      kind: 'email',
      label: 'Textphone',
      phone: '18001 020 7641 1919',
      hours: 'Monday to Friday, 9am to 5pm',
      email: 'ignored@example.com',
    });
    assert.equal(phone.statusCode, 303);
    assert.equal(phone.headers.location, `/staff/incidents/${incidentId}/contacts?saved=1`);
    const web = await manager.post(newUrl('web'), {
      label: 'Cyber incident page',
      web: 'https://www.westminster.gov.uk/cyber',
    });
    assert.equal(web.statusCode, 303);
    const stored = await contacts(wcc);
    assert.deepEqual(
      stored.slice(-2).map((c) => [c.kind, c.label, c.value, c.hours, Number(c.position)]),
      [
        ['phone', 'Textphone', '18001 020 7641 1919', 'Monday to Friday, 9am to 5pm', before],
        ['web', 'Cyber incident page', 'https://www.westminster.gov.uk/cyber', null, before + 1],
      ],
    );
    let page = (await publicPage('/westminster/cyber-incident')).body;
    assert.match(page, /Textphone[\s\S]*18001 020 7641 1919[\s\S]*Monday to Friday, 9am to 5pm/);
    assert.match(page, /href="https:\/\/www.westminster.gov.uk\/cyber"/);
    assert.equal((await timeline('Public contact added for Westminster City Council')).length, 2);

    const textphone = stored.at(-2)!;
    const edit = await manager.get(`/staff/contacts/${textphone.id}/edit`);
    assert.match(edit.body, /Change a phone number/);
    assert.match(edit.body, /value="18001 020 7641 1919"/);
    const seen = /name="seen" value="([^"]+)"/.exec(edit.body)![1]!;
    const changed = await manager.post(`/staff/contacts/${textphone.id}/edit`, {
      kind: 'email',
      label: 'Relay UK textphone',
      phone: '18001 020 7641 2000',
      hours: '',
      seen,
    });
    assert.equal(changed.statusCode, 303);
    page = (await publicPage('/westminster/cyber-incident')).body;
    assert.match(page, /Relay UK textphone[\s\S]*18001 020 7641 2000/);
    assert.doesNotMatch(page, /18001 020 7641 1919/);
    const stale = await manager.post(`/staff/contacts/${textphone.id}/edit`, {
      label: 'Textphone',
      phone: '18001 020 7641 1919',
      seen,
    });
    assert.equal(stale.statusCode, 409, 'the form was made before the last change');
    assert.match(errorSummary(stale.body)[0]!, /^#label Someone else changed this contact/);
    assert.match(stale.body, /Saved now: Relay UK textphone: 18001 020 7641 2000./);
    const row = await contactRow(textphone.id);
    assert.deepEqual(
      [row?.kind, row?.value, row?.hours],
      ['phone', '18001 020 7641 2000', null],
      'a phone number stays one',
    );
    const [changeEvent] = await audit('incident.contact-changed');
    assert.equal(JSON.parse(changeEvent!.details).from.value, '18001 020 7641 1919');
    const [changeEntry] = await timeline('Public contact changed for Westminster City Council');
    assert.equal(
      changeEntry!.body,
      'Was Textphone: 18001 020 7641 1919 (Monday to Friday, 9am to 5pm). Now Relay UK textphone: 18001 020 7641 2000.',
    );

    assert.match((await manager.get(`/staff/contacts/${textphone.id}/remove`)).body, /Remove Relay UK textphone\?/);
    assert.equal((await manager.post(`/staff/contacts/${textphone.id}/remove`)).statusCode, 303);
    assert.doesNotMatch((await publicPage('/westminster/cyber-incident')).body, /Relay UK/);
    assert.equal((await audit('incident.contact-removed')).length, 1);
    assert.equal((await timeline('Public contact removed for Westminster City Council')).length, 1);
    assert.equal((await manager.post(`/staff/contacts/${textphone.id}/remove`)).statusCode, 404);
  });

  test('a council lists at most 20 contacts', async () => {
    const manager = await staffClient('incident-manager', hf);
    const url = `/staff/incidents/${incidentId}/councils/${hf}/contacts/new/phone`;
    await manager.get(url);
    for (let i = 0; i < 20; i += 1) {
      const r = await manager.post(url, { label: `Line ${i}`, phone: `020 8748 ${String(3020 + i)}` });
      assert.equal(r.statusCode, 303);
    }
    const over = await manager.post(url, { label: 'One more', phone: '020 8748 3999' });
    assert.equal(over.statusCode, 400);
    assert.deepEqual(errorSummary(over.body), ['#label A council can list up to 20 contacts']);
    assert.equal((await contacts(hf)).length, 20);
  });

  test('an incident manager changes the categories of data affected: from the list and other, audited, on the timeline', async () => {
    const manager = await staffClient('incident-manager');
    assert.match((await manager.get(`/staff/incidents/${incidentId}`)).body, /\/data-categories">\s*Change/);
    const form = await manager.get(`/staff/incidents/${incidentId}/data-categories`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /value="contact details" checked/);
    const seen = /name="seen" value="([^"]+)"/.exec(form.body)![1]!;
    const token = manager.csrfToken;
    const versionBefore = await readPublicContentVersion(db());

    const invalid = await manager.post(`/staff/incidents/${incidentId}/data-categories`, {
      categories: ['contact details', 'made up'],
      other: 'x'.repeat(101),
      seen,
    });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(errorSummary(invalid.body), [
      '#categories Select categories from the list',
      '#other Each other category must be 100 characters or fewer',
    ]);

    const saved = await manager.post(`/staff/incidents/${incidentId}/data-categories`, {
      _csrf: token,
      categories: ['dates of birth', 'contact details', 'social care records'],
      other: 'Vehicle registration numbers',
      seen,
    });
    assert.equal(saved.statusCode, 303);
    const incident = await repo.findIncident(db(), incidentId);
    assert.deepEqual(incident?.dataCategories, [
      'contact details',
      'social care records',
      'dates of birth',
      'Vehicle registration numbers',
    ]);
    const staffPage = await manager.get(`/staff/incidents/${incidentId}`);
    assert.match(staffPage.body, /contact details, social care records, dates of birth, Vehicle registration numbers/);
    const [entry] = await timeline('Categories of data affected changed');
    assert.equal(
      entry?.body,
      'Added: dates of birth, Vehicle registration numbers. Removed: council tax and benefits records.',
    );
    assert.equal((await audit('incident.data-categories-changed')).length, 1);
    assert.equal(await readPublicContentVersion(db()), versionBefore, 'the categories are not on public pages');

    const stale = await manager.post(`/staff/incidents/${incidentId}/data-categories`, {
      _csrf: token,
      categories: ['contact details'],
      other: '',
      seen,
    });
    assert.equal(stale.statusCode, 409);
    assert.match(
      stale.body,
      /Saved now: contact details, social care records, dates of birth, Vehicle registration numbers./,
    );
    assert.equal((await repo.findIncident(db(), incidentId))?.dataCategories.length, 4);
  });

  test('incident managers add and remove agencies and councils; public pages follow at once', async () => {
    const manager = await staffClient('incident-manager');
    const ico = (await findOrganisationBySlug(db(), 'ico'))!;
    const nca = (await findOrganisationBySlug(db(), 'nca'))!;
    const page = await manager.get(`/staff/incidents/${incidentId}/organisations`);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Information Commissioner(&#39;|')s Office \(investigating agency\)/);
    // The sentence that names the agencies (the questions and answers name some of them too).
    const agencies = async () =>
      /data-qa="agencies">([^<]*)</.exec((await publicPage('/westminster/cyber-incident')).body)?.[1] ?? '';
    assert.doesNotMatch(await agencies(), /Information Commissioner/);

    const none = await manager.post(`/staff/incidents/${incidentId}/organisations`, { organisation: '' });
    assert.equal(none.statusCode, 400);
    assert.deepEqual(errorSummary(none.body), ['#organisation Select an organisation to add']);
    const again = await manager.post(`/staff/incidents/${incidentId}/organisations`, { organisation: nca.id });
    assert.deepEqual(errorSummary(again.body), ['#organisation Select an organisation to add'], 'already on it');

    assert.equal(
      (await manager.post(`/staff/incidents/${incidentId}/organisations`, { organisation: ico.id })).statusCode,
      303,
    );
    assert.match(await agencies(), /Information Commissioner(&#39;|')s Office/);
    assert.equal((await timeline("Information Commissioner's Office added as an investigating agency")).length, 1);

    assert.match(
      (await manager.get(`/staff/incidents/${incidentId}/organisations/${nca.id}/remove`)).body,
      /named on the public incident pages/,
    );
    assert.equal((await manager.post(`/staff/incidents/${incidentId}/organisations/${nca.id}/remove`)).statusCode, 303);
    assert.doesNotMatch(await agencies(), /National Crime Agency/);
    assert.equal((await timeline('National Crime Agency is no longer an investigating agency')).length, 1);

    // A new council gets the incident page as soon as it is added.
    const brent = await createOrganisation(database(), 'brent');
    assert.equal((await publicPage('/brent/cyber-incident')).statusCode, 404);
    assert.equal(
      (await manager.post(`/staff/incidents/${incidentId}/organisations`, { organisation: brent.id })).statusCode,
      303,
    );
    const brentPage = await publicPage('/brent/cyber-incident');
    assert.equal(brentPage.statusCode, 200);
    assert.match(brentPage.body, /Cyber attack on shared IT systems/);
    const added = await audit('incident.organisation-added');
    assert.deepEqual(
      added.map((e) => [JSON.parse(e.details).organisation, e.organisation_id]),
      [
        ['ico', rbkc],
        ['brent', brent.id],
      ],
    );

    // Westminster's manager neither leads the incident nor works for Brent: they cannot take Brent off it.
    assert.equal(
      (await manager.get(`/staff/incidents/${incidentId}/organisations/${brent.id}/remove`)).statusCode,
      403,
    );
    assert.equal(
      (await manager.post(`/staff/incidents/${incidentId}/organisations/${brent.id}/remove`)).statusCode,
      403,
    );
    const brentManager = await staffClient('incident-manager', brent.id);
    const left = await brentManager.post(`/staff/incidents/${incidentId}/organisations/${brent.id}/remove`);
    assert.equal(left.statusCode, 303);
    assert.equal(left.headers.location, '/staff/incidents', 'they can no longer see the incident');
    assert.equal((await publicPage('/brent/cyber-incident')).statusCode, 404);
    assert.equal((await audit('incident.organisation-removed')).length, 2);
  });

  test('the lead is never removed, only the lead hands it on, and an incident always affects a council', async () => {
    const wccManager = await staffClient('incident-manager');
    const rbkcManager = await staffClient('incident-manager', rbkc);
    const lead = await wccManager.get(`/staff/incidents/${incidentId}/organisations`);
    assert.match(lead.body, /Only its incident managers can hand the lead to another council/);
    assert.equal((await wccManager.post(`/staff/incidents/${incidentId}/lead`, { lead: wcc })).statusCode, 403);
    assert.equal((await repo.findIncident(db(), incidentId))?.leadOrganisationId, rbkc);

    const confirm = await rbkcManager.get(`/staff/incidents/${incidentId}/organisations/${rbkc}/remove`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /It leads the incident. Make another council the lead first./);
    assert.doesNotMatch(confirm.body, /data-qa="remove-organisation"/);
    assert.equal(
      (await rbkcManager.post(`/staff/incidents/${incidentId}/organisations/${rbkc}/remove`)).statusCode,
      409,
    );

    const invalid = await rbkcManager.post(`/staff/incidents/${incidentId}/lead`, { lead: 'nobody' });
    assert.equal(invalid.statusCode, 400);
    assert.deepEqual(errorSummary(invalid.body), ['#lead Select the council that leads the incident']);
    const met = (await findOrganisationBySlug(db(), 'met-police'))!;
    assert.equal(
      (await rbkcManager.post(`/staff/incidents/${incidentId}/lead`, { lead: met.id })).statusCode,
      400,
      'only a council leads',
    );
    const versionBefore = await readPublicContentVersion(db());
    assert.equal((await rbkcManager.post(`/staff/incidents/${incidentId}/lead`, { lead: wcc })).statusCode, 303);
    assert.equal((await repo.findIncident(db(), incidentId))?.leadOrganisationId, wcc);
    assert.equal(
      (
        await timeline(
          'Lead organisation changed from Royal Borough of Kensington and Chelsea to Westminster City Council',
        )
      ).length,
      1,
    );
    assert.equal((await audit('incident.lead-changed')).length, 1);
    assert.equal(await readPublicContentVersion(db()), versionBefore, 'the lead is not on public pages');
    assert.equal(
      (await rbkcManager.post(`/staff/incidents/${incidentId}/lead`, { lead: rbkc })).statusCode,
      403,
      'no longer the lead',
    );

    // An incident led by the shared IT provider, affecting one council: that council cannot be removed.
    const sharedIt = (await findOrganisationBySlug(db(), 'shared-it'))!;
    const otherId = newId();
    const at = nowIso();
    await repo.insertIncident(db(), {
      id: otherId,
      reference: 'INC-TEST-1',
      title: 'An older incident',
      status: 'closed',
      severity: 'low',
      lead_organisation_id: sharedIt.id,
      detected_at: '2020-01-01T00:00:00.000Z',
      declared_at: null,
      summary: 's',
      data_affected: 'd',
      data_categories: '[]',
      advice: 'a',
      restoration_outlook: 'r',
      created_at: at,
      updated_at: at,
    });
    await repo.linkOrganisation(db(), otherId, sharedIt.id, 'provider');
    await repo.linkOrganisation(db(), otherId, hf, 'affected');
    const providerManager = await staffClient('incident-manager', sharedIt.id);
    const lastCouncil = await providerManager.post(`/staff/incidents/${otherId}/organisations/${hf}/remove`);
    assert.equal(lastCouncil.statusCode, 409);
    assert.match(lastCouncil.body, /An incident must affect at least one council./);
    assert.equal((await repo.findIncident(db(), otherId))?.organisations.length, 2);

    // Two people removing the two affected councils at the same moment: one of them is refused.
    await repo.linkOrganisation(db(), otherId, rbkc, 'affected');
    const both = await Promise.all(
      [hf, rbkc].map((id) => providerManager.post(`/staff/incidents/${otherId}/organisations/${id}/remove`)),
    );
    assert.deepEqual(both.map((r) => r.statusCode).sort(), [303, 409]);
    const left = (await repo.findIncident(db(), otherId))!.organisations.filter((o) => o.relationship === 'affected');
    assert.equal(left.length, 1);
  });
});
