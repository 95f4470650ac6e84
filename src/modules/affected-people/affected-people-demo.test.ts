import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';

describeEachDatabase('demo affected people', (database) => {
  let t: DemoApp;
  before(async () => {
    t = await createDemoApp(database());
  });
  after(async () => t.close());

  const imports = () =>
    database()
      .db.selectFrom('affected_imports')
      .select(['organisation_id', 'file_name', 'status', 'rows_accepted', 'rows_rejected', 'people_added'])
      .where('incident_id', '=', t.incidentId)
      .orderBy('file_name')
      .execute();

  test('each council’s demo file is imported through the import, with refused rows', async () => {
    const rows = (await imports()).map((r) => [
      r.organisation_id,
      r.file_name,
      r.status,
      Number(r.rows_accepted),
      Number(r.rows_rejected),
      Number(r.people_added),
    ]);
    assert.deepEqual(rows, [
      [t.organisationId('kensington-chelsea'), 'kensington-chelsea-affected-people.csv', 'done', 3, 1, 2],
      [t.organisationId('westminster'), 'westminster-affected-people.csv', 'done', 5, 2, 5],
    ]);
    const refused = await database()
      .db.selectFrom('affected_import_rejections')
      .select(['line', 'reason'])
      .orderBy('reason')
      .execute();
    assert.deepEqual(
      refused.map((r) => r.reason),
      [
        "Line 5: the phone number in column 'Phone' is not a valid phone number",
        "Line 6: the email address in column 'Email' is not a valid email address",
        'Line 7: the row has no way to contact the person: no email address, mobile number or full postal address',
      ],
    );
  });

  test('Priya Sharma is one person, named by both councils', async () => {
    const priya = await database()
      .db.selectFrom('affected_people')
      .select(['id', 'email', 'phone_e164', 'postcode'])
      .where('incident_id', '=', t.incidentId)
      .where('full_name', '=', 'Priya Sharma')
      .execute();
    assert.equal(priya.length, 1);
    assert.deepEqual(
      [priya[0]!.email, priya[0]!.phone_e164, priya[0]!.postcode],
      ['priya.sharma@example.com', '+447700900101', 'W2 1AA'],
    );
    const councils = await database()
      .db.selectFrom('affected_person_councils')
      .select(['organisation_id', 'data_categories'])
      .where('person_id', '=', priya[0]!.id)
      .execute();
    assert.deepEqual(
      new Map(councils.map((c) => [c.organisation_id, JSON.parse(c.data_categories) as string[]])),
      new Map([
        [t.organisationId('westminster'), ['basic-identity', 'contact']],
        [t.organisationId('kensington-chelsea'), ['basic-identity', 'contact', 'financial']],
      ]),
    );
    const people = await database()
      .db.selectFrom('affected_people')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('incident_id', '=', t.incidentId)
      .executeTakeFirstOrThrow();
    assert.equal(Number(people.n), 7);
  });

  test('seeding again imports nothing more', async () => {
    const before = await imports();
    await seedDemo(database().db, { sessionSecret: TEST_SESSION_SECRET });
    assert.deepEqual(await imports(), before);
  });
});
