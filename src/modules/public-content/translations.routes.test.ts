import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { type TestClient } from '../../platform/testing/test-app.ts';

const ARABIC_SUMMARY = 'هاجم مجرمون أنظمة تكنولوجيا المعلومات المشتركة.\n\nأوقفنا الأنظمة لحمايتها.';
const ARABIC_ADVICE = 'كن حذراً من المكالمات والرسائل غير المتوقعة.';

describeEachDatabase('translations of what happened and what to do', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let met: string;
  let incidentId: string;
  let comms: TestClient;
  before(async () => {
    t = await createDemoApp(database());
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    met = t.organisationId('met-police');
    incidentId = t.incidentId;
    comms = await staffClient('comms');
  });
  after(async () => t.close());

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);
  const base = (council = 'westminster') => `/staff/incidents/${incidentId}/councils/${council}/translations`;
  const publicPage = async (url: string) => (await t.app.inject(url)).body;
  const auditActions = async (action: string) =>
    database()
      .db.selectFrom('audit_events')
      .select(['action', 'organisation_id', 'details'])
      .where('action', '=', action)
      .execute();

  test('comms adds a translation; errors are shown the GOV.UK way and keep what was typed', async () => {
    const list = await comms.get(base());
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /There are no translations yet/);
    const form = await comms.get(`${base()}/new`);
    assert.match(form.body, /<option value="ar">Arabic<\/option>/);
    assert.match(form.body, /dir="auto"/, 'the text runs in the direction it is typed in');
    assert.match(
      form.body,
      /Criminals attacked|In November 2025 criminals attacked/,
      'the English is shown to translate',
    );

    const noLanguage = await comms.post(`${base()}/new`, { language: 'xx', summary: 'a', advice: 'b' });
    assert.equal(noLanguage.statusCode, 400);
    assert.match(noLanguage.body, /<title>Error: /);
    assert.match(noLanguage.body, /govuk-error-summary[\s\S]*<a href="#language">Select a language<\/a>/);

    const invalid = await comms.post(`${base()}/new`, {
      language: 'ar',
      summary: '   ',
      advice: `<b>${'ا'.repeat(5001)}</b>`,
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /<a href="#summary">Enter the Arabic translation of what happened<\/a>/);
    assert.match(invalid.body, /The translation of what you should do must be 5,000 characters or fewer/);
    assert.match(invalid.body, /id="summary-error"/);
    assert.match(invalid.body, /&lt;b&gt;ا{10}/, 'what was typed is kept, escaped');
    assert.match(invalid.body, /<option value="ar" selected>Arabic<\/option>/);

    const saved = await comms.post(`${base()}/new`, { language: 'ar', summary: ARABIC_SUMMARY, advice: ARABIC_ADVICE });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `${base()}?done=translation-added`);
    const after = await comms.get(String(saved.headers.location));
    assert.match(after.body, /Translation added. It is on the public page now./);
    assert.match(after.body, /Arabic <span lang="ar" dir="rtl">\(العربية\)<\/span>/);
    assert.match(after.body, /Matches the English/);

    const audit = await auditActions('incident.translation-added');
    assert.equal(audit.length, 1);
    assert.equal(audit[0]!.organisation_id, wcc);
    assert.deepEqual(JSON.parse(audit[0]!.details), { incidentId, language: 'ar' });
  });

  test('the public page offers the translation in its own language and shows it with lang and dir, the rest in English', async () => {
    const english = await publicPage('/westminster/cyber-incident');
    assert.match(english, /<html lang="en"/);
    assert.match(english, /<nav aria-label="Languages" data-qa="language-picker">/);
    assert.match(
      english,
      /<span class="govuk-!-font-weight-bold" aria-current="true" lang="en" dir="ltr">English<\/span>/,
    );
    assert.match(
      english,
      /<a class="govuk-link" href="\/westminster\/cyber-incident\?lang=ar" lang="ar" hreflang="ar" dir="rtl">العربية<\/a>/,
    );
    assert.doesNotMatch(english, /translated-summary/);

    const arabic = await t.app.inject('/westminster/cyber-incident?lang=ar');
    assert.equal(arabic.statusCode, 200);
    assert.match(arabic.body, /<html lang="en"/, 'the page as a whole stays English');
    assert.match(
      arabic.body,
      /<div lang="ar" dir="rtl" data-qa="translated-summary"><p class="govuk-body">هاجم مجرمون أنظمة تكنولوجيا المعلومات المشتركة.<\/p>\n<p class="govuk-body">أوقفنا الأنظمة لحمايتها.<\/p><\/div>/,
    );
    assert.match(arabic.body, /<div lang="ar" dir="rtl" data-qa="translated-advice"><p class="govuk-body">كن حذراً/);
    assert.doesNotMatch(arabic.body, /In November 2025 criminals attacked/, 'the English summary is replaced');
    assert.match(
      arabic.body,
      /Westminster City Council provides this translation. The rest of this page is in English./,
    );
    assert.match(
      arabic.body,
      /<a class="govuk-link" href="\/westminster\/cyber-incident" lang="en" hreflang="en">Read this page in English<\/a>/,
    );
    assert.match(arabic.body, /aria-current="true" lang="ar" dir="rtl">العربية<\/span>/);
    assert.match(arabic.body, /What data is affected[\s\S]*The data taken is believed to be mostly historical/);
    assert.match(
      arabic.body,
      /href="\/westminster\/cyber-incident\?lang=ar&amp;group=waste#services"/,
      'filtering services keeps the language',
    );
    const filtered = await t.app.inject('/westminster/cyber-incident?lang=ar&group=waste');
    assert.match(filtered.body, /translated-summary/);
    assert.doesNotMatch(filtered.body, /Report It \(FixMyStreet\)<\/a>/);
    assert.match(
      await publicPage('/westminster/cyber-incident?lang=AR'),
      /translated-summary/,
      'codes match in any case',
    );
  });

  test("another council's page does not show it; an unlisted code is a 404 and a listed one without a translation says so", async () => {
    const rbkcPage = await publicPage('/kensington-chelsea/cyber-incident');
    assert.doesNotMatch(rbkcPage, /language-picker/, 'no picker without translations');
    const fallback = await t.app.inject('/kensington-chelsea/cyber-incident?lang=ar');
    assert.equal(fallback.statusCode, 200);
    assert.match(
      fallback.body,
      /There is no Arabic \(<span lang="ar" dir="rtl">العربية<\/span>\) translation of this page, so it is shown in English./,
    );
    assert.match(fallback.body, /Criminals|criminals attacked IT systems/);
    assert.equal((await t.app.inject('/westminster/cyber-incident?lang=xx')).statusCode, 404);
    assert.equal((await t.app.inject('/westminster/cyber-incident?lang=%3Cscript%3E')).statusCode, 404);

    await t.app.publicCache.checkVersion();
    await t.app.inject('/westminster/cyber-incident?lang=ar');
    const size = t.app.publicCache.size();
    for (let i = 0; i < 10; i += 1) await t.app.inject(`/westminster/cyber-incident?lang=zz${i}`);
    assert.equal(t.app.publicCache.size(), size, 'made-up language codes are not cached');
  });

  test('a change is on the public page at the next request; when the English changes, residents and staff are told until it is checked', async () => {
    await publicPage('/westminster/cyber-incident?lang=ar'); // cached now
    await comms.get(`${base()}/ar/edit`);
    const changed = await comms.post(`${base()}/ar/edit`, { summary: 'نص جديد عن الهجوم.', advice: ARABIC_ADVICE });
    assert.equal(changed.statusCode, 303);
    assert.match(await publicPage('/westminster/cyber-incident?lang=ar'), /نص جديد عن الهجوم./);
    const audit = await auditActions('incident.translation-changed');
    assert.deepEqual(JSON.parse(audit.at(-1)!.details), { incidentId, language: 'ar', fields: ['summary'] });

    const manager = await staffClient('incident-manager');
    await manager.get(`/staff/incidents/${incidentId}/edit`);
    const incident = await database()
      .db.selectFrom('incidents')
      .selectAll()
      .where('id', '=', incidentId)
      .executeTakeFirstOrThrow();
    const edited = await manager.post(`/staff/incidents/${incidentId}/edit`, {
      title: incident.title,
      status: incident.status,
      severity: incident.severity,
      summary: incident.summary,
      dataAffected: incident.data_affected,
      advice: `${incident.advice}\n\nA new paragraph of advice.`,
      restorationOutlook: incident.restoration_outlook,
    });
    assert.equal(edited.statusCode, 303);
    assert.match(
      await publicPage('/westminster/cyber-incident?lang=ar'),
      /The English has changed since this translation was written./,
    );
    assert.match((await comms.get(base())).body, /The English has changed: check it/);
    const api = (await t.app.inject('/api/v1/councils/westminster/incident')).json();
    assert.equal(api.translations[0].englishChangedSince, true);
    const form = await comms.get(`${base()}/ar/edit`);
    assert.match(form.body, /The English has changed since this translation was saved/);
    assert.match(form.body, /A new paragraph of advice./, 'the new English is shown to check against');
    assert.match(form.body, /<textarea[^>]*lang="ar" dir="rtl"/);

    const checked = await comms.post(`${base()}/ar/edit`, { summary: 'نص جديد عن الهجوم.', advice: ARABIC_ADVICE });
    assert.equal(checked.statusCode, 303);
    assert.doesNotMatch(await publicPage('/westminster/cyber-incident?lang=ar'), /translation-out-of-date/);
    assert.deepEqual(JSON.parse((await auditActions('incident.translation-changed')).at(-1)!.details), {
      incidentId,
      language: 'ar',
      fields: [],
      checkedAgainstNewEnglish: true,
    });
  });

  test('a second translation into the same language is refused, and one into a left-to-right language has dir="ltr"', async () => {
    await comms.get(`${base()}/new`);
    assert.equal(
      (
        await comms.post(`${base()}/new`, {
          language: 'cy',
          summary: 'Ymosododd troseddwyr.',
          advice: 'Byddwch yn ofalus.',
        })
      ).statusCode,
      303,
    );
    const form = await comms.get(`${base()}/new`);
    assert.doesNotMatch(form.body, /<option value="cy">/, 'only languages not yet translated are offered');
    const again = await comms.post(`${base()}/new`, { language: 'cy', summary: 'Eto.', advice: 'Eto.' });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /There is already a Welsh translation: change that one instead/);
    const welsh = await publicPage('/westminster/cyber-incident?lang=cy');
    assert.match(
      welsh,
      /<div lang="cy" dir="ltr" data-qa="translated-summary"><p class="govuk-body">Ymosododd troseddwyr.<\/p><\/div>/,
    );
    assert.match(
      welsh,
      /hreflang="ar" dir="rtl">العربية<\/a>[\s\S]*aria-current="true" lang="cy" dir="ltr">Cymraeg<\/span>/,
    );
  });

  test('comms removes a translation after confirming, and it leaves the public page', async () => {
    const confirm = await comms.get(`${base()}/cy/remove`);
    assert.equal(confirm.statusCode, 200);
    assert.match(confirm.body, /Remove the Welsh translation\?/);
    assert.match(confirm.body, /<div lang="cy" dir="ltr">/);
    const removed = await comms.post(`${base()}/cy/remove`);
    assert.equal(removed.statusCode, 303);
    assert.match(await publicPage('/westminster/cyber-incident?lang=cy'), /There is no Welsh/);
    assert.doesNotMatch(await publicPage('/westminster/cyber-incident'), /Cymraeg/);
    assert.equal((await comms.get(`${base()}/cy/edit`)).statusCode, 404);
    const audit = await auditActions('incident.translation-removed');
    assert.deepEqual(JSON.parse(audit[0]!.details), { incidentId, language: 'cy' });
  });

  test("staff of another council are refused Westminster's translations, and roles without the permission anything", async () => {
    const before = await database().db.selectFrom('incident_translations').selectAll().execute();
    const rbkcComms = await staffClient('comms', rbkc);
    await rbkcComms.get(base('kensington-chelsea'));
    for (const url of [base(), `${base()}/new`, `${base()}/ar/edit`, `${base()}/ar/remove`]) {
      assert.equal((await rbkcComms.get(url)).statusCode, 403, `GET ${url}`);
    }
    const form = { language: 'pl', summary: 'Przestępcy.', advice: 'Uważaj.' };
    assert.equal((await rbkcComms.post(`${base()}/new`, form)).statusCode, 403);
    assert.equal((await rbkcComms.post(`${base()}/ar/edit`, form)).statusCode, 403);
    assert.equal((await rbkcComms.post(`${base()}/ar/remove`)).statusCode, 403);
    assert.deepEqual(await database().db.selectFrom('incident_translations').selectAll().execute(), before);

    assert.equal((await comms.get(base('met-police'))).statusCode, 404, 'an agency has no public page');
    assert.equal((await comms.get(base('nowhere'))).statusCode, 404);
    assert.equal(
      (await comms.get(`/staff/incidents/01a2b3c4-0000-7000-8000-000000000000/councils/westminster/translations`))
        .statusCode,
      404,
    );
    assert.equal((await comms.get(`${base()}/xx/edit`)).statusCode, 404);

    const agent = await staffClient('agent');
    assert.equal((await agent.get(base())).statusCode, 403);
    const partner = await staffClient('partner', met);
    assert.equal((await partner.get(base())).statusCode, 403);
    const manager = await staffClient('incident-manager');
    assert.equal((await manager.get(base())).statusCode, 200, 'incident managers may change it too');
  });

  test('the JSON API includes the translations, described in the OpenAPI document', async () => {
    const body = (await t.app.inject('/api/v1/councils/westminster/incident')).json();
    assert.equal(body.translations.length, 1);
    const [arabic] = body.translations;
    assert.equal(arabic.language, 'ar');
    assert.equal(arabic.nativeName, 'العربية');
    assert.equal(arabic.dir, 'rtl');
    assert.equal(arabic.whatHappened, 'نص جديد عن الهجوم.');
    assert.equal(arabic.whatToDo, ARABIC_ADVICE);
    assert.equal(arabic.englishChangedSince, false);
    assert.equal(arabic.pageUrl, 'http://localhost:3000/westminster/cyber-incident?lang=ar');
    assert.deepEqual((await t.app.inject('/api/v1/councils/kensington-chelsea/incident')).json().translations, []);
    const spec = (await t.app.inject('/api/openapi.json')).json();
    const schema =
      spec.paths['/api/v1/councils/{council}/incident'].get.responses['200'].content['application/json'].schema;
    assert.ok(schema.properties.translations.items.properties.whatHappened);
    assert.ok(schema.properties.faq.items.properties.question);
  });
});
