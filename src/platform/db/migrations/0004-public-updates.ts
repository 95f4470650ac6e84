// Frozen in time. Public updates with sign-off: an update belongs to an incident and is addressed
// to one or more councils; its text lives in versions, so a published version is never changed and
// a correction is a new version that goes through approval again.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('public_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // No foreign key: versions reference their update, and a cycle would need deferred constraints.
    .addColumn('published_version_id', 'text')
    .addColumn('first_published_at', 'text')
    .addColumn('last_published_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('public_updates_incident').on('public_updates').column('incident_id').execute();

  await db.schema
    .createTable('public_update_councils')
    .addColumn('update_id', 'text', (c) => c.notNull().references('public_updates.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addPrimaryKeyConstraint('public_update_councils_pk', ['update_id', 'organisation_id'])
    .execute();
  await db.schema
    .createIndex('public_update_councils_org')
    .on('public_update_councils')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('public_update_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('update_id', 'text', (c) => c.notNull().references('public_updates.id').onDelete('cascade'))
    .addColumn('version_number', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('draft', 'submitted', 'published')`))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('author_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('author_label', 'text', (c) => c.notNull())
    .addColumn('contributor_ids', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'text')
    .addColumn('submitted_by_label', 'text')
    .addColumn('rejected_at', 'text')
    .addColumn('rejected_by_label', 'text')
    .addColumn('rejection_reason', 'text')
    .addColumn('approved_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('approved_by_label', 'text')
    .addColumn('published_at', 'text')
    .addUniqueConstraint('public_update_versions_number', ['update_id', 'version_number'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['public_update_versions', 'public_update_councils', 'public_updates']) {
    await db.schema.dropTable(table).execute();
  }
}
