// Runs the migrations, one set for both dialects. SQLite DDL is not wrapped in a transaction by
// Kysely, so each migration is wrapped here; PostgreSQL migrations already run in one.
import { Migrator, sql, type Kysely, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Database } from './database.ts';
import * as m0001 from './migrations/0001-platform.ts';
import * as m0002 from './migrations/0002-pending-enrolment-key.ts';
import * as m0003 from './migrations/0003-incidents.ts';
import * as m0004 from './migrations/0004-public-updates.ts';
import * as m0005 from './migrations/0005-public-content-version.ts';
import * as m0006 from './migrations/0006-subscriptions.ts';
import * as m0007 from './migrations/0007-incident-translations.ts';
import * as m0009 from './migrations/0009-enquiries.ts';
import * as m0010 from './migrations/0010-inbound-mail.ts';
import * as m0011 from './migrations/0011-breaches.ts';
import * as m0012 from './migrations/0012-reply-templates.ts';
import * as m0013 from './migrations/0013-enquiry-callbacks.ts';
import * as m0014 from './migrations/0014-genuine-contact.ts';
import * as m0015 from './migrations/0015-incident-shares.ts';
import * as m0016 from './migrations/0016-affected-people.ts';
import * as m0017 from './migrations/0017-suspicious-reports.ts';
import * as m0020 from './migrations/0020-affected-people-postcode.ts';
import * as m0025 from './migrations/0025-notification-campaigns.ts';
import * as m0026 from './migrations/0026-campaign-provider-ids.ts';
import * as m0030 from './migrations/0030-scam-warnings.ts';
import * as m0035 from './migrations/0035-suspicious-report-intake.ts';
import * as m0040 from './migrations/0040-report-campaign-grouping.ts';

const migrations: Record<string, Migration> = {
  '0001-platform': m0001,
  '0002-pending-enrolment-key': m0002,
  '0003-incidents': m0003,
  '0004-public-updates': m0004,
  '0005-public-content-version': m0005,
  '0006-subscriptions': m0006,
  '0007-incident-translations': m0007,
  '0009-enquiries': m0009,
  '0010-inbound-mail': m0010,
  '0011-breaches': m0011,
  '0012-reply-templates': m0012,
  '0013-enquiry-callbacks': m0013,
  '0014-genuine-contact': m0014,
  '0015-incident-shares': m0015,
  '0016-affected-people': m0016,
  '0017-suspicious-reports': m0017,
  '0020-affected-people-postcode': m0020,
  '0025-notification-campaigns': m0025,
  '0026-campaign-provider-ids': m0026,
  '0030-scam-warnings': m0030,
  '0035-suspicious-report-intake': m0035,
  '0040-report-campaign-grouping': m0040,
};

function transactional(migration: Migration): Migration {
  const wrap =
    (step: (db: Kysely<unknown>) => Promise<void>) =>
    (db: Kysely<unknown>): Promise<void> =>
      db.isTransaction ? step(db) : db.transaction().execute((trx) => step(trx));
  return { up: wrap(migration.up), ...(migration.down ? { down: wrap(migration.down) } : {}) };
}

const provider: MigrationProvider = {
  getMigrations: () =>
    Promise.resolve(Object.fromEntries(Object.entries(migrations).map(([name, m]) => [name, transactional(m)]))),
};

export async function migrateToLatest(database: Pick<Database, 'db' | 'dialect'>): Promise<string[]> {
  const { db } = database;
  // On PostgreSQL, keep Kysely's bookkeeping tables in the schema the connection works in: without
  // this, its existence check sees the tables of another schema on the same server.
  const migrationTableSchema =
    database.dialect === 'postgres'
      ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema
      : undefined;
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  let result: MigrationResultSet = await migrator.migrateToLatest();
  // Kysely checks for its tables by listing every schema's tables; if another schema on the same
  // server is dropped at that moment (tests drop theirs; an operator might), PostgreSQL reports
  // that schema as missing. Nothing was applied (the check comes first), so asking again is safe.
  for (let attempt = 1; attempt < 3 && result.error && isVanishedSchema(result.error); attempt += 1) {
    result = await migrator.migrateToLatest();
  }
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const message = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${message}`, { cause: result.error });
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

function isVanishedSchema(error: unknown): boolean {
  return (error as { code?: unknown }).code === '3F000';
}
