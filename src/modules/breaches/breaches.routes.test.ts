import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { verifyAuditChain } from '../../platform/audit/audit.service.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId } from '../../platform/ids.ts';
import type { Role } from '../../platform/policy/policy.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { type TestClient } from '../../platform/testing/test-app.ts';
import { insertIncident, linkOrganisation } from '../incidents/incidents.repository.ts';
import type { IcoReport } from './ico-report.ts';

/** The text pdfkit drew: each TJ array's hex strings, one line per array, from the inflated page streams. */
function pdfText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  const lines: string[] = [];
  const streams = /stream\r?\n/g;
  for (let m = streams.exec(raw); m; m = streams.exec(raw)) {
    const end = raw.indexOf('endstream', m.index);
    let content: string;
    try {
      content = inflateSync(Buffer.from(raw.slice(m.index + m[0].length, end), 'latin1')).toString('latin1');
    } catch {
      continue;
    }
    for (const tj of content.matchAll(/\[([^\]]*)\]\s*TJ/g)) {
      const hex = [...(tj[1] ?? '').matchAll(/<([0-9a-fA-F]*)>/g)].map((h) => h[1]).join('');
      lines.push(Buffer.from(hex, 'hex').toString('latin1'));
    }
  }
  return lines.join('\n');
}

/** The form a DPO fills in for a new record, as a browser posts it. */
function recordForm(
  overrides: Record<string, string | string[] | null> = {},
): Record<string, string | string[] | null> {
  return {
    description: 'A laptop with case notes was stolen from a car.',
    'awareAt-day': '3',
    'awareAt-month': '2',
    'awareAt-year': '2026',
    awareTime: '14:30',
    discovery: 'The officer reported it the same evening.',
    dataCategories: ['basic-identity', 'health', 'children'],
    dataCategoriesOther: '',
    systemsAffected: 'Laptop WCC-1234',
    peopleBasis: 'range',
    peopleLow: '40',
    peopleHigh: '60',
    recordsBasis: 'exact',
    recordsLow: '1,250',
    recordsHigh: '',
    dataExfiltrated: 'unknown',
    dataEncrypted: 'no',
    consequences: 'Distress if the case notes were read.',
    measuresTaken: 'Laptop wiped remotely.',
    measuresProposed: 'Full-disk encryption on every laptop.',
    bodiesInformed: ['met-police'],
    bodiesInformedOther: '',
    tellPeople: 'undecided',
    'tellOn-day': '',
    'tellOn-month': '',
    'tellOn-year': '',
    tellPeopleReason: '',
    dpoName: 'Dana Officer',
    dpoEmail: 'dana.officer@westminster.example',
    dpoPhone: '020 7641 6000',
    ...overrides,
  };
}

const hidden = (body: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(body)?.[1] ?? '';

describeEachDatabase('breach records, the 72-hour clock and the ICO report', (database) => {
  let t: DemoApp;
  let wcc: string;
  let rbkc: string;
  let demoIncidentId: string;
  let laptopIncidentId: string;
  let wccDemoBreach: string;
  let rbkcDemoBreach: string;
  /** The record a Westminster DPO starts in these tests. */
  let breachId = '';
  let dpo: TestClient;
  let secondDpo: TestClient;
  let rbkcDpo: TestClient;
  let manager: TestClient;
  let comms: TestClient;

  const staffClient = (role: Role, organisationId = wcc) => t.staffClient(role, organisationId);
  const auditActions = async (targetId: string) =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select(['action', 'details', 'organisation_id'])
        .where('target_id', '=', targetId)
        .orderBy('seq')
        .execute()
    ).map((a) => ({ action: a.action, details: JSON.parse(a.details) as Record<string, unknown> }));

  before(async () => {
    t = await createDemoApp(database());
    const db = database().db;
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
    demoIncidentId = t.incidentId;
    const breaches = await db.selectFrom('breach_records').select(['id', 'organisation_id']).execute();
    wccDemoBreach = breaches.find((b) => b.organisation_id === wcc)!.id;
    rbkcDemoBreach = breaches.find((b) => b.organisation_id === rbkc)!.id;
    // A second, smaller incident that affects Westminster only and has no breach record yet.
    laptopIncidentId = newId();
    await insertIncident(db, {
      id: laptopIncidentId,
      reference: 'INC-2026-02-LAPTOP',
      title: 'Stolen laptop',
      status: 'investigating',
      severity: 'medium',
      lead_organisation_id: wcc,
      detected_at: '2026-02-03T14:00:00.000Z',
      declared_at: null,
      summary: 'A council laptop was stolen.',
      data_affected: 'Case notes.',
      data_categories: '[]',
      advice: 'None yet.',
      restoration_outlook: 'Not affected.',
      created_at: '2026-02-03T15:00:00.000Z',
      updated_at: '2026-02-03T15:00:00.000Z',
    });
    await linkOrganisation(db, laptopIncidentId, wcc, 'affected');
    [dpo, secondDpo, rbkcDpo, manager, comms] = await Promise.all([
      staffClient('dpo'),
      staffClient('dpo'),
      staffClient('dpo', rbkc),
      staffClient('incident-manager'),
      staffClient('comms'),
    ]);
  });
  after(async () => t.close());

  test('the demo has a record for each council, each reported to the ICO within 72 hours', async () => {
    const rows = await database()
      .db.selectFrom('breach_records as b')
      .innerJoin('organisations as o', 'o.id', 'b.organisation_id')
      .innerJoin('breach_submissions as s', (j) => j.onRef('s.breach_id', '=', 'b.id').on('s.sequence', '=', 1))
      .select(['o.slug', 'b.aware_at', 's.submitted_at', 'b.bodies_informed'])
      .orderBy('o.slug')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.slug),
      ['hammersmith-fulham', 'kensington-chelsea', 'westminster'],
    );
    for (const r of rows) {
      const hours = (Date.parse(r.submitted_at) - Date.parse(r.aware_at)) / 3_600_000;
      assert.ok(hours > 0 && hours <= 72, `${r.slug}: ${hours} hours`);
      for (const body of ['met-police', 'ncsc']) assert.ok(JSON.parse(r.bodies_informed).includes(body), r.slug);
    }
  });

  test("the dashboard shows a DPO their own council's records with the clock, linked from the staff pages", async () => {
    const home = await dpo.get('/staff');
    assert.match(home.body, /href="\/staff\/breaches"/, 'the staff home and navigation link to it');
    const incident = await dpo.get(`/staff/incidents/${demoIncidentId}`);
    assert.match(incident.body, /data-qa="breaches-link"/);
    assert.doesNotMatch((await comms.get(`/staff/incidents/${demoIncidentId}`)).body, /data-qa="breaches-link"/);

    const page = await dpo.get('/staff/breaches');
    assert.equal(page.statusCode, 200);
    const councils = [...page.body.matchAll(/data-qa="council">([^<]+)</g)].map((m) => m[1]);
    assert.deepEqual(councils, ['Westminster City Council'], "another council's records are not listed");
    assert.match(page.body, new RegExp(`href="/staff/breaches/${wccDemoBreach}"`));
    assert.doesNotMatch(page.body, new RegExp(rbkcDemoBreach));
    assert.match(page.body, /data-qa="clock-state">Reported on time</);
    assert.match(page.body, /Reported to the ICO on 25 November 2025 at 4pm, within 72 hours./);
    assert.match(
      page.body,
      new RegExp(`href="/staff/breaches/new\\?incident=${laptopIncidentId}&amp;council=westminster"`),
      'an incident without a record can have one started',
    );
    const managerPage = await manager.get('/staff/breaches');
    assert.equal(managerPage.statusCode, 200, 'incident managers read breach records');
    assert.doesNotMatch(managerPage.body, /data-qa="start-record"/, 'but do not start them');
  });

  test("one council's DPO never sees another's record; other roles are refused", async () => {
    for (const path of ['', '/edit', '/risk', '/report', '/report.pdf', '/report.json', '/submissions/new']) {
      const response = await rbkcDpo.get(`/staff/breaches/${wccDemoBreach}${path}`);
      assert.equal(response.statusCode, 404, `GET ${path}`);
    }
    const ownForm = await rbkcDpo.get(`/staff/breaches/${rbkcDemoBreach}/edit`);
    assert.equal(ownForm.statusCode, 200);
    const post = await rbkcDpo.post(`/staff/breaches/${wccDemoBreach}/edit`, {
      ...recordForm(),
      version: hidden(ownForm.body, 'version'),
    });
    assert.equal(post.statusCode, 404);
    const risk = await rbkcDpo.post(`/staff/breaches/${wccDemoBreach}/risk`, { likelihood: 'remote', version: '1' });
    assert.equal(risk.statusCode, 404);
    assert.equal(
      (await rbkcDpo.get(`/staff/breaches/new?incident=${laptopIncidentId}&council=westminster`)).statusCode,
      404,
    );
    assert.equal((await rbkcDpo.get('/staff/breaches/register?council=westminster')).statusCode, 404);
    assert.equal((await rbkcDpo.get('/staff/breaches/register.csv?council=westminster')).statusCode, 404);

    assert.equal((await comms.get('/staff/breaches')).statusCode, 403);
    assert.equal((await comms.get(`/staff/breaches/${wccDemoBreach}`)).statusCode, 403);

    const read = await manager.get(`/staff/breaches/${wccDemoBreach}`);
    assert.equal(read.statusCode, 200);
    assert.doesNotMatch(read.body, /data-qa="edit-record"/, 'an incident manager reads but does not change');
    assert.equal((await manager.get(`/staff/breaches/${wccDemoBreach}/edit`)).statusCode, 403);
    assert.equal((await manager.post(`/staff/breaches/${wccDemoBreach}/edit`, recordForm())).statusCode, 403);
    assert.equal((await manager.get(`/staff/breaches/${rbkcDemoBreach}`)).statusCode, 404);
  });

  test('a DPO starts a record: problems are shown in a GOV.UK error summary and what was typed is kept', async () => {
    const url = `/staff/breaches/new?incident=${laptopIncidentId}&council=westminster`;
    const form = await dpo.get(url);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /A council laptop was stolen./, "the incident's summary is the starting point");

    const invalid = await dpo.post('/staff/breaches/new', {
      incidentId: laptopIncidentId,
      council: 'westminster',
      ...recordForm({
        description: '',
        'awareAt-day': '31',
        'awareAt-month': '2',
        dataCategories: ['other'],
        dataCategoriesOther: '',
        peopleLow: '90',
        dpoEmail: 'dana<script>',
        consequences: 'Names <b>and</b> notes.',
      }),
    });
    assert.equal(invalid.statusCode, 400);
    assert.match(invalid.body, /<title>Error: Start a breach record/);
    assert.match(invalid.body, /There is a problem/);
    for (const [href, text] of [
      ['#description', 'Enter what happened'],
      ['#awareAt-day', 'The date must be a real date, like 24 11 2025'],
      ['#dataCategoriesOther', 'Enter the other kind of data'],
      ['#peopleHigh', 'The highest number of people must be more than the lowest'],
      ['#dpoEmail', 'Enter an email address in the correct format, like dpo@council.gov.uk'],
    ]) {
      assert.ok(invalid.body.includes(`<a href="${href}">${text}</a>`), text);
    }
    assert.match(invalid.body, /id="description-error"/);
    assert.match(invalid.body, /Names &lt;b&gt;and&lt;\/b&gt; notes./, 'what was typed is kept, escaped');
    assert.match(invalid.body, /value="31"/);
    assert.match(invalid.body, /value="other" checked/);

    const created = await dpo.post('/staff/breaches/new', {
      incidentId: laptopIncidentId,
      council: 'westminster',
      ...recordForm(),
    });
    assert.equal(created.statusCode, 303, created.body.slice(0, 500));
    breachId = /^\/staff\/breaches\/([0-9a-f-]{36})\?done=created$/.exec(String(created.headers.location))?.[1] ?? '';
    assert.ok(breachId, String(created.headers.location));

    const page = await dpo.get(String(created.headers.location));
    assert.equal(page.statusCode, 200);
    for (const text of [
      'Breach record started.',
      'A laptop with case notes was stolen from a car.',
      '3 February 2026 at 2:30pm',
      'Yes: Health, including social care records',
      'Between 40 and 60',
      '1,250',
      'Laptop WCC-1234',
      'Metropolitan Police',
      'Not assessed yet.',
      'No report to the ICO has been recorded.',
    ]) {
      assert.ok(page.body.includes(text), text);
    }
    assert.match(page.body, /data-qa="clock-state">Overdue</, 'made in February 2026, it is long overdue now');

    const again = await dpo.get(`/staff/breaches/new?incident=${laptopIncidentId}&council=westminster`);
    assert.equal(again.statusCode, 303, 'a second record for the same council and incident is not started');
    assert.equal(again.headers.location, `/staff/breaches/${breachId}`);
    const stored = await database()
      .db.selectFrom('breach_records')
      .selectAll()
      .where('id', '=', breachId)
      .executeTakeFirstOrThrow();
    assert.equal(stored.aware_at, '2026-02-03T14:30:00.000Z');
    assert.deepEqual(JSON.parse(stored.data_categories), ['basic-identity', 'health', 'children']);
    assert.equal(Number(stored.records_low), 1250);
    assert.equal(Number(stored.version), 1);
  });

  test('two DPOs change the record at once: the second is told, keeps what they typed, and can save again', async () => {
    const first = await dpo.get(`/staff/breaches/${breachId}/edit`);
    const second = await secondDpo.get(`/staff/breaches/${breachId}/edit`);
    assert.equal(hidden(first.body, 'version'), '1');
    const saved = await dpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm({ measuresTaken: 'Laptop wiped remotely. Password reset for the officer.' }),
      version: hidden(first.body, 'version'),
    });
    assert.equal(saved.statusCode, 303);
    assert.equal(saved.headers.location, `/staff/breaches/${breachId}?done=saved`);

    const clash = await secondDpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm({ consequences: 'Possible distress to families.' }),
      version: hidden(second.body, 'version'),
    });
    assert.equal(clash.statusCode, 409);
    assert.match(clash.body, /changed this record on .* after you opened it. Your changes are not saved/);
    assert.match(clash.body, /Possible distress to families./);
    assert.equal(hidden(clash.body, 'version'), '2', 'the form now carries the version the person was told about');
    // Having looked at the record, they keep the other person's change and save theirs.
    const both = {
      consequences: 'Possible distress to families.',
      measuresTaken: 'Laptop wiped remotely. Password reset for the officer.',
    };
    const retried = await secondDpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm(both),
      version: hidden(clash.body, 'version'),
    });
    assert.equal(retried.statusCode, 303);

    const unchanged = await dpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm(both),
      version: '3',
    });
    assert.equal(unchanged.statusCode, 303, 'saving with nothing changed is fine and changes nothing');
    const updates = (await auditActions(breachId)).filter((a) => a.action === 'breach.record-updated');
    assert.deepEqual(
      updates.map((u) => u.details['fields']),
      [['measuresTaken'], ['consequences']],
    );
  });

  test('the risk assessment: ICO guidance as help, the overall risk with the reasoning shown', async () => {
    const form = await dpo.get(`/staff/breaches/${breachId}/risk`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /unless it is unlikely to result in a risk to people's rights and freedoms/);
    assert.match(form.body, /Harm is more likely than not/);
    const version = hidden(form.body, 'version');
    const noAnswers = await dpo.post(`/staff/breaches/${breachId}/risk`, { version, reasoning: '' });
    assert.equal(noAnswers.statusCode, 400);
    assert.match(noAnswers.body, /<a href="#likelihood">Select how likely it is that people will come to harm<\/a>/);
    assert.match(noAnswers.body, /<a href="#reasoning">Enter why you chose this likelihood and severity<\/a>/);

    const low = { likelihood: 'remote', severity: 'minimal', reasoning: 'The laptop was encrypted.' };
    const noReason = await dpo.post(`/staff/breaches/${breachId}/risk`, { version, ...low });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /Enter why the breach will not be reported to the ICO/);
    const notReported = await dpo.post(`/staff/breaches/${breachId}/risk`, {
      version,
      ...low,
      notReportingReason: 'Full-disk encryption: the data cannot be read.',
    });
    assert.equal(notReported.statusCode, 303);
    const page = await dpo.get(`/staff/breaches/${breachId}`);
    assert.match(page.body, /data-qa="overall-risk">Unlikely to result in a risk</);
    assert.match(page.body, /data-qa="clock-state">Not reportable</);
    assert.match(page.body, /Full-disk encryption: the data cannot be read./);

    const form2 = await dpo.get(`/staff/breaches/${breachId}/risk`);
    const high = await dpo.post(`/staff/breaches/${breachId}/risk`, {
      version: hidden(form2.body, 'version'),
      likelihood: 'likely',
      severity: 'severe',
      reasoning: 'It was not encrypted after all.',
      notReportingReason: 'ignored now',
    });
    assert.equal(high.statusCode, 303);
    const highPage = await dpo.get(`/staff/breaches/${breachId}`);
    assert.match(highPage.body, /data-qa="overall-risk">High risk</);
    assert.match(highPage.body, /3 × 3 = 9/);
    assert.match(highPage.body, /special category data \(Health, including social care records\)/);
    assert.match(highPage.body, /data-qa="clock-state">Overdue</);
    const assessed = (await auditActions(breachId)).filter((a) => a.action === 'breach.risk-assessed');
    assert.deepEqual(
      assessed.map((a) => a.details['overall']),
      ['none', 'high'],
    );
  });

  test('the ICO report from the record: printable page, PDF and JSON, each view audited', async () => {
    const html = await manager.get(`/staff/breaches/${breachId}/report`);
    assert.equal(html.statusCode, 200);
    assert.match(html.body, /<h1 class="govuk-heading-xl">Personal data breach report<\/h1>/);
    assert.match(html.body, /href="\/assets\/wardroom\/breach-report-print.css" media="print"/);
    const headings = [...html.body.matchAll(/<h2 class="govuk-heading-l">\d+\. ([^<]+)<\/h2>/g)].map((m) => m[1]);
    assert.deepEqual(headings, [
      'About the organisation',
      'What happened and when',
      'How it was discovered',
      'The data and the people',
      'Cyber incident',
      'Containment and recovery',
      'Likely consequences',
      'Telling the people affected',
      'Other organisations told',
    ]);
    for (const text of [
      'Westminster City Council',
      'Dana Officer',
      'dana.officer@westminster.example',
      'INC-2026-02-LAPTOP: Stolen laptop',
      '6 February 2026 at 2:30pm',
      'Yes: Health, including social care records',
      'Between 40 and 60',
      'Laptop wiped remotely. Password reset for the officer.',
      'High risk',
      'It was not encrypted after all.',
      'Metropolitan Police',
    ]) {
      assert.ok(html.body.includes(text), text);
    }

    const json = await manager.get(`/staff/breaches/${breachId}/report.json`);
    assert.equal(json.statusCode, 200);
    assert.equal(json.headers['content-type'], 'application/json; charset=utf-8');
    const report = JSON.parse(json.body) as IcoReport;
    assert.equal(report.format, 'wardroom-ico-breach-report/1');
    assert.equal(report.kind, 'draft');
    assert.equal(report.breachId, breachId);
    assert.equal(report.recordVersion, 5);
    assert.deepEqual(report.council, { name: 'Westminster City Council', slug: 'westminster' });
    assert.deepEqual(report.incident, { reference: 'INC-2026-02-LAPTOP', title: 'Stolen laptop' });
    assert.deepEqual(
      report.sections.map((s) => s.id),
      [
        'organisation',
        'what-happened',
        'discovery',
        'data-and-people',
        'cyber',
        'containment',
        'consequences',
        'telling-people',
        'other-bodies',
      ],
    );
    for (const section of report.sections) {
      for (const a of section.answers) assert.ok(typeof a.question === 'string' && typeof a.answer === 'string');
    }
    const answer = (section: string, question: string) =>
      report.sections.find((s) => s.id === section)?.answers.find((a) => a.question === question)?.answer;
    assert.equal(answer('cyber', 'Was personal data taken (exfiltrated)?'), 'Not known yet');
    assert.equal(answer('cyber', 'Did the attackers encrypt data (ransomware)?'), 'No');
    assert.equal(answer('data-and-people', 'Criminal offence data'), 'No');
    assert.equal(answer('consequences', 'Overall risk'), 'High risk');

    const pdf = await manager.get(`/staff/breaches/${breachId}/report.pdf`);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.headers['content-type'], 'application/pdf');
    assert.match(
      String(pdf.headers['content-disposition']),
      /^attachment; filename="breach-INC-2026-02-LAPTOP-westminster.pdf"$/,
    );
    const bytes = pdf.rawPayload;
    assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-');
    assert.match(bytes.subarray(-8).toString('latin1'), /%%EOF/);
    const text = pdfText(bytes);
    for (const expected of [
      'Personal data breach report',
      'Westminster City Council',
      'About the organisation',
      'Dana Officer',
    ]) {
      assert.ok(text.includes(expected), `the PDF says ${expected}`);
    }

    const viewed = (await auditActions(breachId)).filter((a) => a.action === 'breach.report-viewed');
    assert.deepEqual(
      viewed.map((a) => a.details['format']),
      ['html', 'json', 'pdf'],
    );
    assert.equal((await auditActions(breachId)).filter((a) => a.action === 'breach.record-viewed').length > 5, true);
  });

  test('reports sent to the ICO: a late initial report needs the reasons, a follow-up; each keeps what was sent', async () => {
    const form = await dpo.get(`/staff/breaches/${breachId}/submissions/new`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /<h1 class="govuk-heading-l">Record the initial report to the ICO<\/h1>/);
    const version = hidden(form.body, 'version');
    const sent = {
      'submittedAt-day': '7',
      'submittedAt-month': '2',
      'submittedAt-year': '2026',
      submittedTime: '10:00',
    };

    const late = await dpo.post(`/staff/breaches/${breachId}/submissions/new`, {
      version,
      ...sent,
      icoReference: 'IC-123456-A1B2',
      delayReason: '',
    });
    assert.equal(late.statusCode, 400);
    assert.match(
      late.body,
      /<a href="#delayReason">Enter the reasons for the delay: the report was sent more than 72 hours/,
    );
    const beforeAware = await dpo.post(`/staff/breaches/${breachId}/submissions/new`, {
      version,
      ...sent,
      'submittedAt-day': '1',
      delayReason: 'x',
    });
    assert.match(beforeAware.body, /The report must have been sent after the council became aware of the breach/);

    const recorded = await dpo.post(`/staff/breaches/${breachId}/submissions/new`, {
      version,
      ...sent,
      icoReference: 'IC-123456-A1B2',
      delayReason: 'We first believed the laptop was encrypted.',
      notes: 'Sent on the ICO website.',
    });
    assert.equal(recorded.statusCode, 303);
    assert.equal(recorded.headers.location, `/staff/breaches/${breachId}?done=reported#reports`);

    const page = await dpo.get(`/staff/breaches/${breachId}`);
    assert.match(page.body, /data-qa="clock-state">Reported late</);
    assert.match(
      page.body,
      /Reported to the ICO on 7 February 2026 at 10am, 19 hours 30 minutes after the 72 hours ended/,
    );
    assert.match(page.body, /IC-123456-A1B2/);
    const initialId = new RegExp(`/staff/breaches/${breachId}/submissions/([0-9a-f-]{36})">Initial report`).exec(
      page.body,
    )?.[1];
    assert.ok(initialId);

    // The record changes after the report was sent: the copy of what was sent does not.
    const edit = await dpo.get(`/staff/breaches/${breachId}/edit`);
    await dpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm({ description: 'Police found the laptop in a bin, unopened.' }),
      version: hidden(edit.body, 'version'),
    });
    const snapshot = await dpo.get(`/staff/breaches/${breachId}/submissions/${initialId}`);
    assert.equal(snapshot.statusCode, 200);
    assert.match(snapshot.body, /A laptop with case notes was stolen from a car./);
    assert.doesNotMatch(snapshot.body, /Police found the laptop/);
    assert.match(snapshot.body, /We first believed the laptop was encrypted./);
    assert.match(snapshot.body, /Initial report/);
    const live = await dpo.get(`/staff/breaches/${breachId}/report.json`);
    assert.match(live.body, /Police found the laptop in a bin, unopened./);
    assert.match(live.body, /more than 72 hours after becoming aware/);

    // A stale form cannot freeze a record the DPO did not see.
    const stale = await dpo.post(`/staff/breaches/${breachId}/submissions/new`, {
      version,
      ...sent,
      'submittedAt-day': '9',
    });
    assert.equal(stale.statusCode, 409);
    const followForm = await dpo.get(`/staff/breaches/${breachId}/submissions/new`);
    assert.match(followForm.body, /Record a follow-up report to the ICO/);
    assert.doesNotMatch(followForm.body, /name="delayReason"/);
    const followUp = await dpo.post(`/staff/breaches/${breachId}/submissions/new`, {
      version: hidden(followForm.body, 'version'),
      ...sent,
      'submittedAt-day': '9',
      icoReference: 'IC-123456-A1B2',
    });
    assert.equal(followUp.statusCode, 303);
    const rows = await database()
      .db.selectFrom('breach_submissions')
      .selectAll()
      .where('breach_id', '=', breachId)
      .orderBy('sequence')
      .execute();
    assert.deepEqual(
      rows.map((r) => [Number(r.sequence), Number(r.record_version)]),
      [
        [1, 5],
        [2, 6],
      ],
    );
    const first = JSON.parse(rows[0]!.report_snapshot) as IcoReport;
    const second = JSON.parse(rows[1]!.report_snapshot) as IcoReport;
    assert.equal(first.kind, 'initial');
    assert.equal(second.kind, 'follow-up');
    assert.match(JSON.stringify(second), /Police found the laptop/);
    const listed = await dpo.get(`/staff/breaches/${breachId}`);
    assert.match(listed.body, /Follow-up report/);
    const recordedEvents = (await auditActions(breachId)).filter((a) => a.action === 'breach.submission-recorded');
    assert.deepEqual(
      recordedEvents.map((a) => [a.details['kind'], a.details['onTime']]),
      [
        ['initial', false],
        ['follow-up', true],
      ],
    );
    assert.ok((await auditActions(breachId)).some((a) => a.action === 'breach.submission-viewed'));
  });

  test('the breach register lists every record, reported or not, and exports CSV safe for spreadsheets', async () => {
    // A record whose text would be a formula in a spreadsheet.
    const scope = await database()
      .db.selectFrom('breach_records')
      .select('version')
      .where('id', '=', breachId)
      .executeTakeFirstOrThrow();
    const edit = await dpo.get(`/staff/breaches/${breachId}/edit`);
    assert.equal(hidden(edit.body, 'version'), String(scope.version));
    await dpo.post(`/staff/breaches/${breachId}/edit`, {
      ...recordForm({ description: '=HYPERLINK("http://evil.example","Click"), then "more"' }),
      version: hidden(edit.body, 'version'),
    });

    const page = await dpo.get('/staff/breaches/register');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<span class="govuk-caption-l">Westminster City Council<\/span>/);
    assert.equal([...page.body.matchAll(/data-qa="register-entry"/g)].length, 2);
    assert.match(page.body, /INC-2025-11-WLC/);
    assert.match(page.body, /INC-2026-02-LAPTOP/);

    const csv = await dpo.get('/staff/breaches/register.csv?council=westminster');
    assert.equal(csv.statusCode, 200);
    assert.equal(csv.headers['content-type'], 'text/csv; charset=utf-8');
    assert.match(String(csv.headers['content-disposition']), /attachment; filename="breach-register-westminster.csv"/);
    assert.ok(csv.body.startsWith('\uFEFFIncident reference,Council,Became aware (UK time),Facts,Effects,'));
    const lines = csv.body.split('\r\n');
    assert.match(
      lines[0]!,
      /Reported to the ICO,Date reported \(UK time\),ICO case reference,Reported within 72 hours/,
    );
    assert.ok(
      csv.body.includes('"\'=HYPERLINK(""http://evil.example"",""Click""), then ""more""'),
      'the formula cell starts with a quote, and quotes inside are doubled',
    );
    assert.match(csv.body, /INC-2025-11-WLC,Westminster City Council,2025-11-25 09:00,/);
    assert.match(csv.body, /,Yes,2025-11-25 16:00,IC-DEMO-WCC,Yes,,\r\n/);
    assert.match(csv.body, /,Yes,2026-02-07 10:00,IC-123456-A1B2,No,We first believed the laptop was encrypted.,\r\n/);

    const events = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'organisation_id'])
      .where('action', 'like', 'breach.register-%')
      .orderBy('seq')
      .execute();
    assert.deepEqual(
      events.map((e) => [e.action, e.organisation_id]),
      [
        ['breach.register-viewed', wcc],
        ['breach.register-exported', wcc],
      ],
    );
  });

  test('a breach not reported to the ICO is in the register with the reason', async () => {
    // An incident affecting Kensington and Chelsea, assessed as unlikely to result in a risk.
    const incidentId = newId();
    await insertIncident(database().db, {
      id: incidentId,
      reference: 'INC-2026-03-EMAIL',
      title: 'Email to the wrong person',
      status: 'closed',
      severity: 'low',
      lead_organisation_id: rbkc,
      detected_at: '2026-03-01T10:00:00.000Z',
      declared_at: null,
      summary: 'A letter was emailed to the wrong resident.',
      data_affected: 'A name and address.',
      data_categories: '[]',
      advice: '',
      restoration_outlook: '',
      created_at: '2026-03-01T10:00:00.000Z',
      updated_at: '2026-03-01T10:00:00.000Z',
    });
    await linkOrganisation(database().db, incidentId, rbkc, 'affected');
    await rbkcDpo.get(`/staff/breaches/new?incident=${incidentId}&council=kensington-chelsea`);
    const created = await rbkcDpo.post('/staff/breaches/new', {
      incidentId,
      council: 'kensington-chelsea',
      ...recordForm({
        description: 'A letter was emailed to the wrong resident, who deleted it.',
        'awareAt-day': '1',
        'awareAt-month': '3',
        dataCategories: ['basic-identity', 'contact'],
        bodiesInformed: [],
        dpoEmail: 'dpo@rbkc.example',
      }),
    });
    assert.equal(created.statusCode, 303, created.body.slice(0, 300));
    const id = /\/staff\/breaches\/([0-9a-f-]{36})/.exec(String(created.headers.location))![1]!;
    const risk = await rbkcDpo.get(`/staff/breaches/${id}/risk`);
    await rbkcDpo.post(`/staff/breaches/${id}/risk`, {
      version: hidden(risk.body, 'version'),
      likelihood: 'remote',
      severity: 'minimal',
      reasoning: 'The resident deleted it and confirmed so.',
      notReportingReason: 'Unlikely to result in a risk: recipient confirmed deletion.',
    });
    const csv = await rbkcDpo.get('/staff/breaches/register.csv');
    assert.equal(csv.statusCode, 200, 'with one council, the register is that council’s');
    assert.match(csv.body, /INC-2026-03-EMAIL,Royal Borough of Kensington and Chelsea,2026-03-01 14:30,/);
    assert.match(csv.body, /,No,,,,,Unlikely to result in a risk: recipient confirmed deletion.\r\n/);
    assert.doesNotMatch(csv.body, /INC-2026-02-LAPTOP/, "another council's records are not in it");
    assert.equal((await verifyAuditChain(database().db)).ok, true);
  });
});
