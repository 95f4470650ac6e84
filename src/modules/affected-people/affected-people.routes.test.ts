import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { runImport } from './affected-import.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-fixtures');

describeEachDatabase('affected people pages', (database) => {
  let t: DemoApp;
  let base = '';
  let wcc = '';
  let rbkc = '';

  before(async () => {
    t = await createDemoApp(database());
    base = `/staff/incidents/${t.incidentId}/affected-people`;
    wcc = t.organisationId('westminster');
    rbkc = t.organisationId('kensington-chelsea');
  });
  after(async () => t.close());

  const importId = (location: string | undefined) => /imports\/([0-9a-f-]{36})$/.exec(location ?? '')![1]!;

  test('a DPO uploads a file, previews it, starts the import and sees what was refused', async () => {
    const dpo = await t.staffClient('dpo', wcc);
    await dpo.get(`${base}/imports/new`);
    const refused = await dpo.postFile(
      `${base}/imports/new`,
      { council: wcc },
      { field: 'file', name: 'w.csv', content: Buffer.alloc(0) },
    );
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Select the kinds of data in the file/);
    assert.match(refused.body, /The selected file is empty/);

    const content = readFileSync(path.join(fixtures, 'westminster-residents.csv'));
    const uploaded = await dpo.postFile(
      `${base}/imports/new`,
      { council: wcc, categories: ['contact', 'financial'] },
      { field: 'file', name: 'westminster-residents.csv', content },
    );
    assert.equal(uploaded.statusCode, 303, uploaded.body.slice(0, 500));
    const id = importId(uploaded.headers.location as string);
    const preview = await dpo.get(`${base}/imports/${id}`);
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /Smith, Jane/);
    assert.match(preview.body, /<option value="1" selected>Column 2: Email<\/option>/);
    const previewed = await database()
      .db.selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', id)
      .execute();
    assert.ok(
      previewed.some((e) => e.action === 'affected-import.previewed'),
      'looking at the rows is audited',
    );

    const started = await dpo.post(`${base}/imports/${id}/start`, {
      name: '0',
      email: '1',
      phone: '2',
      address1: '3',
      town: '4',
      postcode: '5',
    });
    assert.equal(started.statusCode, 303);
    const job = await database()
      .db.selectFrom('jobs')
      .select('kind')
      .where('kind', '=', 'affected-import.run')
      .execute();
    assert.equal(job.length, 1, 'the import runs as a job');
    await runImport(database(), id);
    const progress = await dpo.get(`${base}/imports/${id}`);
    assert.match(progress.body, /Finished/);
    const rejections = await dpo.get(`${base}/imports/${id}/rejections`);
    assert.match(rejections.body, /Line 6: the email address in column &#39;Email&#39; is not a valid email address/);
    const csv = await dpo.get(`${base}/imports/${id}/rejections.csv`);
    assert.match(csv.body, /^\uFEFFLine,Reason\r\n6,Line 6: the email address/);
    assert.doesNotMatch(csv.body, /not-an-email/, 'the refused value is never repeated');

    const found = await dpo.get(`${base}/people?q=${encodeURIComponent('ALEX@example.com')}`);
    assert.match(found.body, /Alex Example/);
    const personId = /people\/([0-9a-f-]{36})"/.exec(found.body)![1]!;
    const person = await dpo.get(`${base}/people/${personId}`);
    assert.match(person.body, /alex@example.com/);
    const viewed = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'actor_label'])
      .where('target_id', '=', personId)
      .execute();
    assert.deepEqual(
      viewed.map((e) => e.action),
      ['affected-person.viewed'],
    );

    // Another council's DPO and other roles cannot see Westminster's import or people.
    const rbkcDpo = await t.staffClient('dpo', rbkc);
    assert.equal((await rbkcDpo.get(`${base}/imports/${id}`)).statusCode, 404);
    assert.equal((await rbkcDpo.get(`${base}/people/${personId}`)).statusCode, 404);
    assert.doesNotMatch((await rbkcDpo.get(`${base}/people?q=alex%40example.com`)).body, /Alex Example/);
    for (const role of ['incident-manager', 'comms', 'agent'] as const) {
      const other = await t.staffClient(role, wcc);
      assert.equal((await other.get(`${base}/people/${personId}`)).statusCode, 403, role);
      assert.equal((await other.get(`${base}/imports/new`)).statusCode, 403, role);
    }
  });

  test('the export of people is safe to open in a spreadsheet', async () => {
    const dpo = await t.staffClient('dpo', wcc);
    const csv = await dpo.get(`${base}/people.csv`);
    assert.equal(csv.statusCode, 200);
    assert.match(csv.body, /^\uFEFFName,Email,Mobile,Address,Postcode,Councils,Kinds of data\r\n/);
    // The mobile number starts with +, which a spreadsheet would read as a formula.
    assert.match(csv.body, /'\+447700900001/);
  });

  test('an upload without the CSRF token is refused and nothing is kept', async () => {
    const dpo = await t.staffClient('dpo', wcc);
    await dpo.get(`${base}/imports/new`);
    dpo.csrfToken = 'wrong';
    const before = await database().db.selectFrom('affected_imports').select('id').execute();
    const response = await dpo.postFile(
      `${base}/imports/new`,
      { council: wcc, categories: 'contact' },
      { field: 'file', name: 'x.csv', content: Buffer.from('a,b\n1,2\n') },
    );
    assert.equal(response.statusCode, 403);
    assert.equal((await database().db.selectFrom('affected_imports').select('id').execute()).length, before.length);
  });

  test('a DPO cancels a running import: it stops after the batch it was storing, keeps what it stored, and is audited', async () => {
    const dpo = await t.staffClient('dpo', wcc);
    await dpo.get(`${base}/imports/new`);
    const uploaded = await dpo.postFile(
      `${base}/imports/new`,
      { council: wcc, categories: ['contact'] },
      {
        field: 'file',
        name: 'cancel-me.csv',
        content: readFileSync(path.join(fixtures, 'westminster-residents.csv')),
      },
    );
    const id = importId(uploaded.headers.location as string);
    await dpo.get(`${base}/imports/${id}`);
    await dpo.post(`${base}/imports/${id}/start`, {
      name: '0',
      email: '1',
      phone: '2',
      address1: '3',
      town: '4',
      postcode: '5',
    });
    const queued = await dpo.get(`${base}/imports/${id}`);
    assert.match(queued.body, /Cancel the import/);
    const storedPath = (
      await database()
        .db.selectFrom('affected_imports')
        .select('stored_path')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).stored_path;

    // Another council's DPO cannot cancel it, and a form without the CSRF token is refused.
    const rbkcDpo = await t.staffClient('dpo', rbkc);
    await rbkcDpo.get(`${base}/imports/new`);
    assert.equal((await rbkcDpo.post(`${base}/imports/${id}/cancel`, {})).statusCode, 404);
    const forged = await t.staffClient('dpo', wcc);
    await forged.get(`${base}/imports/new`);
    forged.csrfToken = 'wrong';
    assert.equal((await forged.post(`${base}/imports/${id}/cancel`, {})).statusCode, 403);

    let batches = 0;
    const ended = await runImport(database(), id, {
      batchRows: 2,
      onBatch: async () => {
        batches += 1;
        // The header, then two batches of two rows are stored; the DPO cancels before the next batch.
        if (batches === 3) assert.equal((await dpo.post(`${base}/imports/${id}/cancel`, {})).statusCode, 303);
      },
    });
    assert.equal(ended.status, 'cancelled');
    assert.equal(batches, 3, 'no batch is stored after the cancel');
    // Four rows (one of them refused; one runs over two lines): the file's first six lines.
    assert.deepEqual([ended.rows_accepted, ended.rows_rejected, ended.lines_done], [3, 1, 6]);
    const page = await dpo.get(`${base}/imports/${id}`);
    assert.match(page.body, /Cancelled/);
    assert.doesNotMatch(page.body, /Cancel the import/);
    const audit = await database()
      .db.selectFrom('audit_events')
      .select(['action', 'organisation_id'])
      .where('target_id', '=', id)
      .where('action', '=', 'affected-import.cancelled')
      .execute();
    assert.deepEqual(audit, [{ action: 'affected-import.cancelled', organisation_id: wcc }]);
    assert.equal(existsSync(storedPath), false, 'the uploaded file is removed');
    // Cancelling again changes nothing, and running the job again stores nothing more.
    await dpo.post(`${base}/imports/${id}/cancel`, {});
    const again = await runImport(database(), id);
    assert.deepEqual([again.status, again.rows_accepted], ['cancelled', 3]);
  });

  test('the rows not imported download as a streamed CSV', async () => {
    const dpo = await t.staffClient('dpo', wcc);
    const demoImport = await database()
      .db.selectFrom('affected_imports')
      .select('id')
      .where('file_name', '=', 'westminster-affected-people.csv')
      .executeTakeFirstOrThrow();
    const csv = await dpo.get(`${base}/imports/${demoImport.id}/rejections.csv`);
    assert.equal(csv.statusCode, 200);
    assert.equal(
      csv.body,
      '\uFEFFLine,Reason\r\n' +
        "6,Line 6: the email address in column 'Email' is not a valid email address\r\n" +
        '7,"Line 7: the row has no way to contact the person: no email address, mobile number or full postal address"\r\n',
    );
  });
});
