import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { AuditActor } from '../../platform/audit/audit.service.ts';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { newId } from '../../platform/ids.ts';
import { createOrganisation } from '../../platform/testing/test-app.ts';
import { insertIncident, linkOrganisation } from '../incidents/incidents.repository.ts';
import { runImport } from './affected-import.ts';
import { guessColumnMap } from './affected-rows.ts';
import { firstRecords } from './affected-import.ts';
import { registerImport, startImport } from './affected-people.service.ts';
import type { Database } from '../../platform/db/database.ts';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'test-fixtures');
const actor: AuditActor = { userId: null, label: 'dpo@council.example' };

const WESTMINSTER_REJECTED = [
  [6, "Line 6: the email address in column 'Email' is not a valid email address"],
  [
    7,
    "Line 7: the phone number in column 'Mobile' is not a mobile number, so it cannot get texts, and the row has no email address or full postal address",
  ],
  [9, 'Line 9: the row has 2 fields but the file has 6 columns'],
  [11, 'Line 11: the row has no way to contact the person: no email address, mobile number or full postal address'],
  [12, "Line 12: the postcode in column 'Postcode' is not a valid UK postcode"],
];
const KENSINGTON_REJECTED = [
  [4, "Line 4: the phone number in column 'Phone' is not a valid phone number"],
  [5, 'Line 5: a quoted field is not closed: the file ends before its closing quote mark'],
];

/** Registers and starts an import of a fixture (copied, as an upload would be) with the header's guessed columns. */
async function startFixture(
  database: Database,
  incidentId: string,
  organisationId: string,
  fixture: string,
  dir: string,
) {
  const file = path.join(dir, `${newId()}.csv`);
  copyFileSync(path.join(fixtures, fixture), file);
  const row = await registerImport(database.db, actor, {
    incidentId,
    organisationId,
    fileName: fixture,
    storedPath: file,
    categories: ['contact', 'financial'],
    hasHeader: true,
  });
  const header = (await firstRecords(file, row.encoding, 1))[0]!.fields;
  const started = await startImport(database.db, actor, row.id, guessColumnMap(header), true, { enqueue: false });
  assert.ok(started.ok, JSON.stringify(started));
  return row.id;
}

describeEachDatabase('importing affected people', (database) => {
  let incidentId = '';
  let westminster = '';
  let kensington = '';
  let dir = '';

  const newIncident = async () => {
    const id = newId();
    const now = new Date().toISOString();
    await insertIncident(database().db, {
      id,
      reference: `INC-${id.slice(-6)}`,
      title: 'Import test',
      status: 'investigating',
      severity: 'high',
      lead_organisation_id: westminster,
      detected_at: now,
      declared_at: null,
      summary: 'Something happened.',
      data_affected: '',
      data_categories: '[]',
      advice: '',
      restoration_outlook: '',
      created_at: now,
      updated_at: now,
    });
    await linkOrganisation(database().db, id, westminster, 'affected');
    await linkOrganisation(database().db, id, kensington, 'affected');
    return id;
  };

  const rejections = async (importId: string) =>
    (
      await database()
        .db.selectFrom('affected_import_rejections')
        .select(['line', 'reason'])
        .where('import_id', '=', importId)
        .orderBy('line')
        .execute()
    ).map((r) => [r.line, r.reason]);

  const people = async (incident: string) =>
    database()
      .db.selectFrom('affected_people')
      .selectAll()
      .where('incident_id', '=', incident)
      .orderBy('full_name')
      .execute();

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'wardroom-affected-'));
    westminster = (await createOrganisation(database(), 'import-wcc')).id;
    kensington = (await createOrganisation(database(), 'import-rbkc')).id;
    incidentId = await newIncident();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("Westminster's file: the exact rows accepted and refused, with the reasons", async () => {
    const importId = await startFixture(database(), incidentId, westminster, 'westminster-residents.csv', dir);
    const done = await runImport(database(), importId, { batchRows: 3 });
    assert.equal(done.status, 'done');
    assert.equal(done.encoding, 'utf-8');
    assert.deepEqual(
      [done.rows_accepted, done.rows_rejected, done.people_added],
      [8, 5, 7],
      'lines 2, 3, 4, 8, 10, 13, 14 and 15 accepted; 13 is the person of line 2 again',
    );
    assert.deepEqual(await rejections(importId), WESTMINSTER_REJECTED);
    const found = await people(incidentId);
    const byName = new Map(found.map((p) => [p.full_name, p]));
    assert.equal(byName.get('Smith, Jane')?.email, 'Jane.Smith@example.com');
    assert.equal(byName.get('Sam Person')?.phone_e164, '+447700900003');
    assert.deepEqual(JSON.parse(byName.get('Sam Person')!.address_lines), ['Flat 2 10 High Street', 'London']);
    assert.equal(byName.get('Sam Person')?.postcode, 'W2 1AA');
    assert.equal(byName.get('Landline And Email')?.phone_e164, null, 'a landline is not kept as the mobile');
    assert.ok(byName.has('Pat "Paddy" Jones'));
    assert.ok(byName.has('Zoë Émile'));
    assert.equal(byName.get('Letter Only')?.postcode, 'SW1A 2AA');
    assert.ok(!byName.has('Alex Again'), 'line 13 is Alex Example again');
  });

  test("Kensington and Chelsea's Windows-1252 file: Alex is one person named by both councils", async () => {
    const importId = await startFixture(database(), incidentId, kensington, 'kensington-residents-1252.csv', dir);
    const done = await runImport(database(), importId);
    assert.equal(done.encoding, 'windows-1252');
    assert.deepEqual([done.rows_accepted, done.rows_rejected, done.people_added], [2, 2, 1]);
    assert.deepEqual(await rejections(importId), KENSINGTON_REJECTED);
    const found = await people(incidentId);
    const renee = found.find((p) => p.full_name === 'Renée Café');
    assert.ok(renee);
    assert.deepEqual(JSON.parse(renee.address_lines), ['3 Rue £ Lane']);
    const alex = found.filter((p) => p.full_name === 'Alex Example');
    assert.equal(alex.length, 1);
    const councils = await database()
      .db.selectFrom('affected_person_councils')
      .select(['organisation_id', 'data_categories'])
      .where('person_id', '=', alex[0]!.id)
      .orderBy('organisation_id')
      .execute();
    assert.deepEqual(
      councils.map((c) => c.organisation_id).sort(),
      [westminster, kensington].sort(),
      'both councils are recorded against the one person',
    );
    assert.deepEqual(JSON.parse(councils[0]!.data_categories), ['contact', 'financial']);
  });

  test('importing the same file again adds nobody', async () => {
    const before = (await people(incidentId)).length;
    const importId = await startFixture(database(), incidentId, westminster, 'westminster-residents.csv', dir);
    const done = await runImport(database(), importId);
    assert.deepEqual([done.rows_accepted, done.rows_rejected, done.people_added], [8, 5, 0]);
    assert.equal((await people(incidentId)).length, before);
  });

  test('an import stopped after some batches carries on to the same result as a clean run', async () => {
    const clean = await newIncident();
    const cleanId = await startFixture(database(), clean, westminster, 'westminster-residents.csv', dir);
    await runImport(database(), cleanId, { batchRows: 2 });

    const resumed = await newIncident();
    const importId = await startFixture(database(), resumed, westminster, 'westminster-residents.csv', dir);
    const controller = new AbortController();
    let batches = 0;
    await assert.rejects(
      runImport(database(), importId, {
        batchRows: 2,
        signal: controller.signal,
        onBatch: () => {
          batches += 1;
          if (batches === 3) controller.abort();
        },
      }),
    );
    const part = await database()
      .db.selectFrom('affected_imports')
      .selectAll()
      .where('id', '=', importId)
      .executeTakeFirstOrThrow();
    assert.equal(part.status, 'importing');
    assert.ok(
      Number(part.bytes_done) > 0 && Number(part.lines_done) > 1,
      'the checkpoint moved with the stored batches',
    );
    const done = await runImport(database(), importId, { batchRows: 2 });
    const reference = await database()
      .db.selectFrom('affected_imports')
      .selectAll()
      .where('id', '=', cleanId)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [done.rows_accepted, done.rows_rejected, done.people_added, Number(done.bytes_done)],
      [reference.rows_accepted, reference.rows_rejected, reference.people_added, Number(reference.bytes_done)],
    );
    assert.deepEqual(await rejections(importId), await rejections(cleanId));
    const shape = (rows: Awaited<ReturnType<typeof people>>) =>
      rows.map((p) => [p.full_name, p.email, p.phone_e164, p.address_lines, p.postcode]);
    assert.deepEqual(shape(await people(resumed)), shape(await people(clean)));
  });

  test('batches larger than one statement: every row stored once, and a second council finds them all again', async () => {
    // 1,267 rows in batches of 733: statements of several sizes, and key look-ups longer than one
    // IN list. Every tenth row names the person of seven rows before again by mobile number alone.
    const incident = await newIncident();
    const lines = ['Full name,Email,Mobile'];
    for (let i = 0; i < 1267; i += 1) {
      const n = i % 10 === 9 ? i - 7 : i;
      const mobile = `0771${String(n).padStart(7, '0')}`;
      lines.push(i % 10 === 9 ? `,,${mobile}` : `Person ${n},person${n}@example.com,${mobile}`);
    }
    const file = path.join(dir, `${newId()}-many.csv`);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const startMany = async (organisationId: string) => {
      const copy = path.join(dir, `${newId()}.csv`);
      copyFileSync(file, copy);
      const row = await registerImport(database().db, actor, {
        incidentId: incident,
        organisationId,
        fileName: 'many.csv',
        storedPath: copy,
        categories: ['contact'],
        hasHeader: true,
      });
      const started = await startImport(database().db, actor, row.id, { name: 0, email: 1, phone: 2 }, true, {
        enqueue: false,
      });
      assert.ok(started.ok, JSON.stringify(started));
      return row.id;
    };
    const first = await runImport(database(), await startMany(westminster), { batchRows: 733 });
    const repeats = Math.floor((1267 - 9) / 10) + 1;
    assert.deepEqual([first.rows_accepted, first.rows_rejected, first.people_added], [1267, 0, 1267 - repeats]);
    assert.equal((await people(incident)).length, 1267 - repeats);
    const keys = await database()
      .db.selectFrom('affected_person_keys')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('incident_id', '=', incident)
      .executeTakeFirstOrThrow();
    assert.equal(Number(keys.n), 2 * (1267 - repeats), 'an email address and a mobile number each');

    const second = await runImport(database(), await startMany(kensington), { batchRows: 733 });
    assert.deepEqual([second.rows_accepted, second.people_added], [1267, 0]);
    const links = await database()
      .db.selectFrom('affected_person_councils')
      .select((eb) => eb.fn.countAll().as('n'))
      .where('organisation_id', '=', kensington)
      .where('first_import_id', '=', second.id)
      .executeTakeFirstOrThrow();
    assert.equal(Number(links.n), 1267 - repeats, 'every person is linked to the second council once');
  });
});
