import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TestClient } from '../../platform/testing/test-app.ts';
import { jpegWithExif, pngWithText } from './test-images.ts';

const FORM = '/westminster/report-a-suspicious-message';
const REFERENCE = /SR-[ACDEFGHJKMNPQRTWXY34679]{8}/;
const corpus = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../suspicious-messages/test-fixtures/corpus/${name}`, import.meta.url)));
const SECRET = 'Flat 3, 10 Example Street';

describeEachDatabase('reporting a suspicious message', (database) => {
  let t: DemoApp;
  let wcc: string;

  before(async () => {
    t = await createDemoApp(database(), {
      rateLimitPolicies: {
        'sign-in': { max: 10_000, windowMs: 60_000 },
        'public-form': { max: 10_000, windowMs: 60_000 },
      },
    });
    wcc = t.organisationId('westminster');
  });
  after(() => t.close());

  const db = () => database().db;
  const count = async (table: 'suspicious_reports' | 'jobs' | 'sent_references') =>
    Number(
      (
        await db()
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const reportByReference = (reference: string) =>
    db().selectFrom('suspicious_reports').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  const jobsFor = (reportId: string) =>
    db()
      .selectFrom('jobs')
      .select(['kind', 'payload', 'idempotency_key'])
      .where((eb) =>
        eb.or([
          eb('idempotency_key', '=', `suspicious-report.group:${reportId}`),
          eb('idempotency_key', '=', `mail.send:suspicious-report-ack:${reportId}`),
        ]),
      )
      .orderBy('kind')
      .execute();
  const send = async (client: TestClient, fields: Record<string, string>, files = {}) => {
    await client.get(FORM);
    const answered = await client.postMultipart(FORM, fields, files);
    assert.equal(answered.statusCode, 303, answered.body.slice(0, 3000));
    assert.equal(answered.headers.location, `${FORM}/check`);
    const check = await client.get(`${FORM}/check`);
    assert.equal(check.statusCode, 200);
    const sent = await client.post(`${FORM}/check`);
    assert.equal(sent.statusCode, 303);
    const page = await client.get(`${FORM}/sent`);
    const reference = REFERENCE.exec(page.body)?.[0];
    assert.ok(reference, 'the confirmation shows a reference');
    return { check, page, reference };
  };

  test('the incident page links to the form', async () => {
    const client = new TestClient(t.app);
    const incident = await client.get('/westminster/cyber-incident');
    assert.match(incident.body, /href="\/westminster\/report-a-suspicious-message"/);
    const form = await client.get(FORM);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /enctype="multipart\/form-data"/);
    assert.match(form.body, /What did you receive\?/);
  });

  test('a pasted text is analysed and stored, with the grouping job and an acknowledgement; the page gives the reference and advice', async () => {
    const client = new TestClient(t.app);
    const { check, page, reference } = await send(client, {
      kind: 'text',
      claimedSender: 'Westminster Council',
      sender: '07700 900123',
      'receivedOn-day': '24',
      'receivedOn-month': '11',
      'receivedOn-year': '2025',
      text: 'Westminster Council: your council tax refund of £131.20 is ready. Claim now at https://westminster-refund.top/claim?id=8812 before it expires.',
      email: 'Jo@Example.com',
      wantsOutcome: 'yes',
    });
    assert.match(check.body, /A text message/);
    assert.match(check.body, /24 November 2025/);
    assert.match(page.body, /7726/);
    assert.match(page.body, /report@phishing\.gov\.uk/);
    assert.match(page.body, /020 7641 1919/, 'the council’s published number');
    const row = await reportByReference(reference);
    assert.equal(row.organisation_id, wcc);
    assert.equal(row.channel, 'web');
    assert.equal(row.kind, 'text');
    assert.equal(row.received_on, '2025-11-24');
    assert.equal(row.claimed_sender, 'Westminster Council');
    assert.equal(row.reporter_email, 'jo@example.com');
    assert.equal(Number(row.wants_outcome), 1);
    assert.ok(row.acknowledged_at);
    assert.equal(row.status, 'new');
    assert.equal(row.campaign_id, null);
    assert.ok(['likely-scam', 'suspicious'].includes(row.suggested_verdict), row.suggested_verdict);
    assert.ok(Number(row.score) >= 30);
    const indicators = JSON.parse(row.indicators);
    assert.deepEqual(indicators.links, ['https://westminster-refund.top/claim?id=8812']);
    assert.ok(indicators.domains.includes('westminster-refund.top'));
    assert.ok(indicators.phoneNumbers.includes('+447700900123'));
    assert.ok(JSON.parse(row.campaign_keys).some((k: string) => k.startsWith('link:westminster-refund.top')));
    assert.equal(Buffer.from(row.text_signature!).length, 64 * 4);
    assert.ok(JSON.parse(row.reasons).length > 0);
    const jobs = await jobsFor(row.id);
    assert.deepEqual(
      jobs.map((j) => j.kind),
      ['mail.send', 'suspicious-report.group'],
    );
    assert.deepEqual(JSON.parse(jobs[1]!.payload), { reportId: row.id });
    const mail = JSON.parse(jobs[0]!.payload);
    assert.equal(mail.to, 'jo@example.com');
    assert.match(mail.subject, new RegExp(reference));
    assert.match(mail.text, /7726/);
    assert.ok(!mail.text.includes('westminster-refund'), 'the scam is not repeated back');
    assert.deepEqual(mail.text.match(/https?:\/\/\S+/g), ['http://localhost:3000/westminster/cyber-incident']);

    // Sending again (the back button) makes no second report.
    const before = await count('suspicious_reports');
    await client.post(`${FORM}/check`);
    assert.equal(await count('suspicious_reports'), before);
  });

  test('an uploaded .eml is analysed with its own headers and kept as the original', async () => {
    const eml = corpus('scam/lookalike-westminster-omission.eml');
    const client = new TestClient(t.app);
    const { check, reference } = await send(
      client,
      { kind: 'email', claimedSender: 'Westminster City Council', text: '' },
      { emailFile: { filename: 'refund.eml', contentType: 'message/rfc822', data: eml } },
    );
    assert.match(check.body, /refund\.eml/);
    const row = await reportByReference(reference);
    assert.equal(row.kind, 'email');
    assert.equal(row.sender, 'Westminster City Council <no-reply@wetminster.co.uk>');
    assert.equal(row.subject, 'Council tax refund: action required');
    assert.match(row.body_text, /owed a council tax refund/);
    assert.deepEqual(Buffer.from(row.original_message!), eml);
    assert.equal(row.suggested_verdict, 'likely-scam');
    assert.ok(JSON.parse(row.reasons).some((r: { code: string }) => r.code.startsWith('sender-lookalike')));
    assert.ok(JSON.parse(row.campaign_keys).includes('sender:no-reply@wetminster.co.uk'));
    assert.equal(row.reporter_email, null);
    assert.equal(row.acknowledged_at, null);
    assert.deepEqual(
      (await jobsFor(row.id)).map((j) => j.kind),
      ['suspicious-report.group'],
      'no email address, no acknowledgement',
    );
  });

  test('screenshots are stored without their metadata', async () => {
    for (const [image, type] of [
      [pngWithText(SECRET), 'image/png'],
      [jpegWithExif(SECRET), 'image/jpeg'],
    ] as const) {
      const client = new TestClient(t.app);
      const { reference } = await send(
        client,
        { kind: 'website', claimedSender: 'Council tax', text: '' },
        { screenshot: { filename: 'IMG_2231.jpg', contentType: 'application/octet-stream', data: image } },
      );
      const row = await reportByReference(reference);
      assert.equal(row.screenshot_type, type);
      const stored = Buffer.from(row.screenshot!);
      assert.ok(stored.length > 20 && stored.length < image.length);
      assert.ok(!stored.includes(Buffer.from(SECRET)), `${type}: the metadata is gone`);
    }
  });

  test('mistakes are shown in an error summary, with what was typed kept and nothing stored', async () => {
    const before = await count('suspicious_reports');
    const client = new TestClient(t.app);
    await client.get(FORM);
    const empty = await client.postMultipart(FORM, { kind: '', claimedSender: '', text: '' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /There is a problem/);
    assert.match(empty.body, /href="#kind">Select what you received/);
    assert.match(empty.body, /href="#claimedSender"/);
    assert.match(empty.body, /href="#text">Enter what the message said, or upload the email or a screenshot/);

    const wrong = await client.postMultipart(
      FORM,
      {
        kind: 'email',
        claimedSender: 'The council',
        'receivedOn-day': '31',
        'receivedOn-month': '2',
        'receivedOn-year': '2025',
        text: 'x'.repeat(10_001),
        email: 'not-an-address',
        wantsOutcome: 'yes',
      },
      {
        emailFile: {
          filename: 'notes.eml',
          contentType: 'message/rfc822',
          data: Buffer.from('just some words\nno headers'),
        },
        screenshot: { filename: 'a.gif', contentType: 'image/gif', data: Buffer.from('GIF89a......') },
      },
    );
    assert.equal(wrong.statusCode, 400);
    for (const message of [
      'The date you received it must be a real date',
      'What the message said must be 10,000 characters or fewer',
      'Enter an email address in the correct format',
      'The selected file must be an email saved as a .eml file',
      'The screenshot must be a PNG or JPEG image',
    ]) {
      assert.ok(wrong.body.includes(message), message);
    }
    assert.match(wrong.body, /value="The council"/);
    assert.match(wrong.body, /value="not-an-address"/);

    const outcomeWithoutEmail = await client.postMultipart(FORM, {
      kind: 'letter',
      claimedSender: 'Council',
      text: 'A letter asking me to pay a fine',
      wantsOutcome: 'yes',
    });
    assert.match(outcomeWithoutEmail.body, /Enter your email address so that we can tell you what we find/);
    assert.equal(await count('suspicious_reports'), before);
  });

  test('files over the caps are refused with a message', async () => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    const eml = corpus('scam/lookalike-westminster-omission.eml');
    const big = Buffer.concat([eml, Buffer.alloc(10 * 1024 * 1024 + 1 - eml.length, 0x41)]);
    const png = pngWithText('x');
    const bigImage = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024, 0)]);
    const response = await client.postMultipart(
      FORM,
      { kind: 'email', claimedSender: 'Council', text: '' },
      {
        emailFile: { filename: 'big.eml', contentType: 'message/rfc822', data: big },
        screenshot: { filename: 'big.png', contentType: 'image/png', data: bigImage },
      },
    );
    assert.equal(response.statusCode, 400);
    assert.match(response.body, /The email must be smaller than 10 MB/);
    assert.match(response.body, /The screenshot must be smaller than 5 MB/);
  });

  test('a good upload is kept while another answer is corrected', async () => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    const first = await client.postMultipart(
      FORM,
      { kind: 'email', claimedSender: '', text: '' },
      { emailFile: { filename: 'scam.eml', contentType: 'message/rfc822', data: corpus('scam/fake-helpline-1.eml') } },
    );
    assert.equal(first.statusCode, 400);
    assert.match(first.body, /You uploaded <strong>scam\.eml<\/strong>/);
    const second = await client.postMultipart(
      FORM,
      { kind: 'email', claimedSender: 'Cyber helpline', text: '' },
      { emailFile: null },
    );
    assert.equal(second.statusCode, 303);
    await client.get(`${FORM}/check`);
    await client.post(`${FORM}/check`);
    const reference = REFERENCE.exec((await client.get(`${FORM}/sent`)).body)![0];
    const row = await reportByReference(reference);
    assert.match(row.sender, /westminster\.cyberhelp@outlook\.com/);
  });

  test('the form needs its CSRF token', async () => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    const response = await client.postMultipart(FORM, { _csrf: 'forged', kind: 'text', claimedSender: 'x', text: 'y' });
    assert.equal(response.statusCode, 403);
  });

  test('nothing is half-stored when the transaction fails', async () => {
    const client = new TestClient(t.app);
    await client.get(FORM);
    await client.postMultipart(FORM, {
      kind: 'text',
      claimedSender: 'Council',
      text: 'Pay your fine at https://pay-fines.example/x',
      email: 'a@example.com',
    });
    const counts = async () => [await count('suspicious_reports'), await count('jobs'), await count('sent_references')];
    const before = await counts();
    // The acknowledgement's verification reference is the last write; make the database refuse it,
    // after the report and its grouping job are written in the same transaction.
    const { dialect } = database();
    if (dialect === 'sqlite') {
      await sql`create trigger refuse_references before insert on sent_references begin select raise(abort, 'refused'); end`.execute(
        db(),
      );
    } else {
      await sql`create function refuse_references() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`.execute(
        db(),
      );
      await sql`create trigger refuse_references before insert on sent_references for each row execute function refuse_references()`.execute(
        db(),
      );
    }
    try {
      const response = await client.post(`${FORM}/check`);
      assert.equal(response.statusCode, 500);
      assert.deepEqual(await counts(), before);
    } finally {
      if (dialect === 'sqlite') await sql`drop trigger refuse_references`.execute(db());
      else {
        await sql`drop trigger refuse_references on sent_references`.execute(db());
        await sql`drop function refuse_references()`.execute(db());
      }
    }
    // Once the database takes it again, the same draft is sent.
    assert.equal((await client.post(`${FORM}/check`)).statusCode, 303);
    assert.equal(await count('suspicious_reports'), before[0]! + 1);
  });
});
