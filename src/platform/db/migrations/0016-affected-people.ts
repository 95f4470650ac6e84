// Frozen in time. The people a council's data protection officer finds in the copied data: each
// import of a council's CSV file (kept on disk while it runs, with how far it got, so a stopped
// import carries on where it left off) and every row it refused, with the line and the reason; the
// people themselves, one per person per incident whichever councils' files name them, found again
// by any of their keys (email, mobile number, name and address); and, per council that holds their
// data, which categories of it were involved.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('affected_imports')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // The council whose data the file holds.
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('file_name', 'text', (c) => c.notNull()) // as uploaded, for display
    // Where the uploaded bytes are kept under the data directory until the import is done.
    .addColumn('stored_path', 'text', (c) => c.notNull())
    .addColumn('byte_size', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('encoding', 'text', (c) => c.notNull().check(sql`encoding in ('utf-8', 'windows-1252')`))
    // JSON object: field (name, email, phone, address lines, postcode, categories) → column index.
    .addColumn('column_map', 'text')
    .addColumn('has_header', 'integer', (c) => c.notNull())
    // JSON array of data category keys that apply to every row of the file.
    .addColumn('data_categories', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('uploaded', 'queued', 'importing', 'done', 'failed', 'cancelled')`),
    )
    // The checkpoint: the byte offset and line number after the last row whose effects are stored,
    // written in the same transaction as those rows.
    .addColumn('bytes_done', 'bigint', (c) => c.notNull())
    .addColumn('lines_done', 'integer', (c) => c.notNull())
    .addColumn('rows_accepted', 'integer', (c) => c.notNull())
    .addColumn('rows_rejected', 'integer', (c) => c.notNull())
    .addColumn('people_added', 'integer', (c) => c.notNull()) // accepted rows that were a new person
    .addColumn('failure', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('created_by_label', 'text', (c) => c.notNull())
    .addColumn('started_at', 'text')
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema
    .createIndex('affected_imports_incident')
    .on('affected_imports')
    .columns(['incident_id', 'organisation_id'])
    .execute();

  await db.schema
    .createTable('affected_import_rejections')
    .addColumn('import_id', 'text', (c) => c.notNull().references('affected_imports.id').onDelete('cascade'))
    .addColumn('line', 'integer', (c) => c.notNull()) // the file's line where the row starts, from 1
    .addColumn('reason', 'text', (c) => c.notNull()) // plain English, naming the column; never the value
    .addPrimaryKeyConstraint('affected_import_rejections_pk', ['import_id', 'line'])
    .execute();

  await db.schema
    .createTable('affected_people')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('full_name', 'text', (c) => c.notNull()) // '' when no file gave one
    .addColumn('email', 'text') // normalised: trimmed, domain lower-cased
    .addColumn('phone_e164', 'text') // a UK mobile number in E.164, the only kind a text can go to
    .addColumn('address_lines', 'text', (c) => c.notNull()) // JSON array of strings, [] when none
    .addColumn('postcode', 'text') // normalised: upper case, one space before the inward code
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('affected_people_incident')
    .on('affected_people')
    .columns(['incident_id', 'id'])
    .execute();

  // Every key a person is found by: `email:<address>`, `phone:<E.164>`, `address:<name|postcode|line 1>`.
  // A row of a later file that shares any key with a known person is that person.
  await db.schema
    .createTable('affected_person_keys')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text', (c) => c.notNull().references('affected_people.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('affected_person_keys_pk', ['incident_id', 'key'])
    .execute();
  await db.schema.createIndex('affected_person_keys_person').on('affected_person_keys').column('person_id').execute();

  // One row per council whose data names the person: the message they are sent names every one.
  await db.schema
    .createTable('affected_person_councils')
    .addColumn('person_id', 'text', (c) => c.notNull().references('affected_people.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('data_categories', 'text', (c) => c.notNull()) // JSON array of category keys, the union over files
    .addColumn('first_import_id', 'text', (c) => c.notNull().references('affected_imports.id'))
    .addPrimaryKeyConstraint('affected_person_councils_pk', ['person_id', 'organisation_id'])
    .execute();
  await db.schema
    .createIndex('affected_person_councils_council')
    .on('affected_person_councils')
    .columns(['organisation_id', 'person_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('affected_person_councils').execute();
  await db.schema.dropTable('affected_person_keys').execute();
  await db.schema.dropTable('affected_people').execute();
  await db.schema.dropTable('affected_import_rejections').execute();
  await db.schema.dropTable('affected_imports').execute();
}
