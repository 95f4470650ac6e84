// Test support: runs a suite once on a fresh SQLite file and, when TEST_DATABASE_URL is set, once
// on PostgreSQL in a schema of its own (so test files can run in parallel).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { testDatabaseUrl } from '../config.ts';
import { openDatabase, type Database } from './database.ts';
import { migrateToLatest } from './migrate.ts';

export interface TestDatabase extends Database {
  label: string;
  /** How another process opens the same database (a DATABASE_URL and, on PostgreSQL, a schema). */
  connection: { url: string; schema?: string };
}

export async function createTestDatabase(kind: 'sqlite' | 'postgres'): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-test-'));
    const file = path.join(dir, 'test.sqlite');
    const database = openDatabase({ kind: 'sqlite', file });
    await migrateToLatest(database);
    return {
      ...database,
      label: 'sqlite',
      connection: { url: `sqlite:${file}` },
      close: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = testDatabaseUrl();
  if (!url) throw new Error('TEST_DATABASE_URL is not set');
  // Migrating a fresh schema while other test files create and drop theirs has, rarely, failed in
  // PostgreSQL's catalogue (seen once in CI as a column "not existing" in the table just created).
  // Nothing is shared between schemas, so a second fresh schema is tried before giving up; the
  // first failure is reported on stderr so that it stays visible.
  let database: Database | undefined;
  let schema = '';
  for (let attempt = 1; !database; attempt += 1) {
    schema = `test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const opened = openDatabase({ kind: 'postgres', url }, { schema, poolSize: 5 });
    try {
      await migrateToLatest(opened);
      database = opened;
    } catch (err) {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(opened.db);
      await opened.close();
      if (attempt >= 2) throw err;
      process.stderr.write(`migrating test schema ${schema} failed, trying a fresh one: ${String(err)}\n`);
    }
  }
  return {
    ...database,
    label: 'postgres',
    connection: { url, schema },
    close: async () => {
      await sql`drop schema ${sql.id(schema)} cascade`.execute(database.db);
      await database.close();
    },
  };
}

export function testDatabaseKinds(): Array<'sqlite' | 'postgres'> {
  return testDatabaseUrl() ? ['sqlite', 'postgres'] : ['sqlite'];
}

/**
 * describe() once per database. The callback receives a getter: the database exists only while
 * the suite runs.
 */
export function describeEachDatabase(title: string, suite: (database: () => TestDatabase) => void): void {
  for (const kind of testDatabaseKinds()) {
    describe(`${title} [${kind}]`, () => {
      let current: TestDatabase | undefined;
      before(async () => {
        current = await createTestDatabase(kind);
      });
      suite(() => {
        if (!current) throw new Error('the test database is not open yet');
        return current;
      });
      // Registered after the suite's own hooks, because node:test runs `after` hooks in the order
      // they were registered: the suite's (stopping a job worker, closing the app) must finish
      // before the database goes. Dropping a PostgreSQL schema under a worker still polling it
      // deadlocks.
      after(async () => {
        await current?.close();
      });
    });
  }
}
