// Frozen in time. The incident record: one incident spans several councils and agencies; each
// council has its own public contacts and resident-facing services; a timeline records what
// happened and every change.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incidents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('investigating', 'contained', 'recovering', 'closed')`),
    )
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('low', 'medium', 'high', 'critical')`))
    .addColumn('lead_organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('detected_at', 'text', (c) => c.notNull())
    .addColumn('declared_at', 'text')
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('data_affected', 'text', (c) => c.notNull())
    .addColumn('data_categories', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('advice', 'text', (c) => c.notNull())
    .addColumn('restoration_outlook', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('incident_organisations')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('relationship', 'text', (c) =>
      c.notNull().check(sql`relationship in ('affected', 'investigating', 'provider')`),
    )
    .addPrimaryKeyConstraint('incident_organisations_pk', ['incident_id', 'organisation_id', 'relationship'])
    .execute();
  await db.schema
    .createIndex('incident_organisations_org')
    .on('incident_organisations')
    .column('organisation_id')
    .execute();

  await db.schema
    .createTable('public_contacts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('phone', 'email', 'web')`))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('hours', 'text')
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('public_contacts_incident_org')
    .on('public_contacts')
    .columns(['incident_id', 'organisation_id'])
    .execute();

  await db.schema
    .createTable('services')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('service_group', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('working', 'disrupted', 'unavailable', 'restored')`),
    )
    .addColumn('workaround', 'text', (c) => c.notNull())
    .addColumn('expected_restoration', 'text')
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('services_incident_org_slug', ['incident_id', 'organisation_id', 'slug'])
    .execute();

  await db.schema
    .createTable('timeline_entries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('organisation_id', 'text', (c) => c.references('organisations.id'))
    .addColumn('kind', 'text', (c) =>
      c.notNull().check(sql`kind in ('event', 'decision', 'action', 'note', 'record-change', 'service-change')`),
    )
    .addColumn('occurred_at', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('author_user_id', 'text')
    .addColumn('author_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('timeline_entries_incident')
    .on('timeline_entries')
    .columns(['incident_id', 'occurred_at'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['timeline_entries', 'services', 'public_contacts', 'incident_organisations', 'incidents']) {
    await db.schema.dropTable(table).execute();
  }
}
