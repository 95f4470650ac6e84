// Frozen in time. What an incident manager shares with another organisation: for now the
// incident's resident enquiries (a neighbouring council's contact centre helping, say). Only the
// incident's affected councils' staff see its enquiries otherwise.
import type { Kysely } from 'kysely';
import { sql } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('incident_shares')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // The council whose records are shared (an incident spans several).
    .addColumn('owner_organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('organisation_id', 'text', (c) => c.notNull().references('organisations.id'))
    .addColumn('scope', 'text', (c) => c.notNull().check(sql`scope in ('enquiries')`))
    .addColumn('shared_by_user_id', 'text', (c) => c.references('users.id'))
    .addColumn('shared_by_label', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('incident_shares_pk', ['incident_id', 'owner_organisation_id', 'organisation_id', 'scope'])
    .execute();
  await db.schema
    .createIndex('incident_shares_with')
    .on('incident_shares')
    .columns(['organisation_id', 'scope'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('incident_shares').execute();
}
