import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { isId, newId, nowIso } from '../ids.ts';
import {
  BACKGROUND_CHECKPOINT_BACKSTOP_PAGES,
  openDatabase,
  sqliteReads,
  sqliteTransaction,
  toCount,
  withSmallPageCache,
} from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { describeEachDatabase } from './test-databases.ts';

describeEachDatabase('database', (database) => {
  test('migrations are applied once and running them again changes nothing', async () => {
    const again = await migrateToLatest(database());
    assert.deepEqual(again, []);
  });

  test('ids and timestamps round-trip and sort the same way on both dialects', async () => {
    const { db } = database();
    const ids = Array.from({ length: 50 }, () => newId());
    const at = nowIso();
    for (const [i, id] of ids.entries()) {
      await db
        .insertInto('organisations')
        .values({
          id,
          slug: `org-${i}`,
          name: `Organisation ${i}`,
          short_name: `O${i}`,
          kind: 'council',
          website_url: null,
          official_domains: JSON.stringify([`o${i}.gov.uk`]),
          created_at: at,
          updated_at: at,
        })
        .execute();
    }
    const rows = await db.selectFrom('organisations').select(['id', 'created_at']).orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => r.id),
      [...ids].sort(),
    );
    assert.ok(ids.every(isId));
    assert.equal(rows[0]?.created_at, at);
    const count = await db
      .selectFrom('organisations')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    assert.equal(toCount(count.n), 50);
  });

  test('hand-prepared statements are offered only inside a transaction on SQLite, and commit or roll back with it', async () => {
    const { db, dialect } = database();
    assert.equal(sqliteTransaction(db), undefined, 'never outside a transaction');
    const insertHandPrepared = (id: string, at: string) =>
      db.transaction().execute(async (trx) => {
        const sqlite = sqliteTransaction(trx);
        assert.equal(sqlite !== undefined, dialect === 'sqlite');
        if (!sqlite) return false;
        sqlite.prepare('insert into hand_prepared_probe (id, at) values (?, ?)').run(id, at);
        return true;
      });
    if (dialect !== 'sqlite') {
      assert.equal(await insertHandPrepared(newId(), nowIso()), false);
      return;
    }
    await sql`create table hand_prepared_probe (id text primary key, at text not null)`.execute(db);
    const kept = newId();
    await insertHandPrepared(kept, nowIso());
    // A transaction kept past its end offers none.
    let ended: Parameters<typeof sqliteTransaction>[0] | undefined;
    await db.transaction().execute(async (trx) => {
      ended = trx;
    });
    assert.equal(sqliteTransaction(ended!), undefined);
    // A transaction that fails after a hand-prepared write leaves nothing behind.
    const lost = newId();
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        sqliteTransaction(trx)?.prepare('insert into hand_prepared_probe (id, at) values (?, ?)').run(lost, nowIso());
        // Kysely's own statements in the same transaction see the hand-prepared write.
        const seen = await sql<{ n: number }>`select count(*) as n from hand_prepared_probe`.execute(trx);
        assert.equal(seen.rows[0]?.n, 2);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    const rows = await sql<{ id: string }>`select id from hand_prepared_probe`.execute(db);
    assert.deepEqual(
      rows.rows.map((r) => r.id),
      [kept],
    );
    await sql`drop table hand_prepared_probe`.execute(db);
  });

  test('hand-prepared reads outside a transaction: committed data at once, even while a transaction holds the connection', async () => {
    const { db, dialect } = database();
    await db.transaction().execute(async (trx) => {
      assert.equal(sqliteReads(trx), undefined, 'never inside a transaction, whose reads must see its writes');
    });
    const reads = sqliteReads(db);
    assert.equal(reads !== undefined, dialect === 'sqlite');
    if (!reads) return;
    await sql`create table reads_probe (id text primary key, note text not null)`.execute(db);
    try {
      await sql`insert into reads_probe (id, note) values ('committed', 'before')`.execute(db);
      const read = () => reads.get<{ note: string }>('select note from reads_probe where id = ?', 'committed')?.note;
      assert.equal(read(), 'before');
      let whileHeld: Array<string | undefined> = [];
      await db.transaction().execute(async (trx) => {
        await sql`update reads_probe set note = 'uncommitted' where id = 'committed'`.execute(trx);
        // The app's one connection is held by this transaction: a Kysely read would wait for it.
        whileHeld = [
          read(),
          reads.get<{ n: number }>('select count(*) as n from reads_probe')?.n === 1 ? 'one' : 'other',
        ];
      });
      assert.deepEqual(whileHeld, ['before', 'one'], 'the last committed state, without waiting');
      assert.equal(read(), 'uncommitted', 'and the commit as soon as it is made');
      assert.equal(reads.get('select note from reads_probe where id = ?', 'missing'), undefined);
      assert.throws(
        () => reads.get("insert into reads_probe (id, note) values ('x', 'y')"),
        /readonly|read-only|does not return data/i,
      );
    } finally {
      await sql`drop table reads_probe`.execute(db);
    }
  });

  test('foreign keys are enforced', async () => {
    const { db } = database();
    await assert.rejects(
      db
        .insertInto('memberships')
        .values({ user_id: newId(), organisation_id: newId(), role: 'agent', created_at: nowIso() })
        .execute(),
    );
  });
});

test('SQLite: an in-memory database offers no hand-prepared reads (another connection would see another database)', async () => {
  const database = openDatabase({ kind: 'sqlite', file: ':memory:' });
  try {
    assert.equal(sqliteReads(database.db), undefined);
  } finally {
    await database.close();
  }
});

test('SQLite: a writer waits for another connection’s write lock without stopping the event loop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-lock-'));
  const file = path.join(dir, 'locks.sqlite');
  // Two connections to one file, as two HTTP processes of `serve` have.
  const first = openDatabase({ kind: 'sqlite', file });
  const second = openDatabase({ kind: 'sqlite', file });
  try {
    await sql`create table counters (id integer primary key, n integer not null)`.execute(first.db);
    await sql`insert into counters (id, n) values (1, 0)`.execute(first.db);

    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding: () => void = () => {};
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    const firstWrite = first.db.transaction().execute(async (trx) => {
      await sql`update counters set n = n + 1 where id = 1`.execute(trx);
      holding();
      await held;
    });
    await isHolding;

    // Reads, then writes: with a plain BEGIN this failed at once ("database is locked") once the
    // other connection had committed, and SQLite's own busy wait stopped the event loop meanwhile.
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 5);
    const secondWrite = second.db.transaction().execute(async (trx) => {
      const row = await sql<{ n: number }>`select n from counters where id = 1`.execute(trx);
      await sql`update counters set n = ${(row.rows[0]?.n ?? 0) + 10} where id = 1`.execute(trx);
    });
    await new Promise((r) => setTimeout(r, 100));
    const ticksWhileWaiting = ticks;
    release();
    await firstWrite;
    await secondWrite;
    clearInterval(ticker);

    assert.ok(ticksWhileWaiting >= 5, `the event loop ran ${ticksWhileWaiting} times while the second writer waited`);
    const { rows } = await sql<{ n: number }>`select n from counters where id = 1`.execute(first.db);
    // The second transaction read after the first committed: no update was lost.
    assert.equal(Number(rows[0]?.n), 11);
  } finally {
    await first.close();
    await second.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a statement run again reuses its prepared statement and still sees schema changes', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-statements-'));
  const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'statements.sqlite') });
  try {
    await sql`create table notes (id integer primary key, body text not null)`.execute(database.db);
    for (let i = 0; i < 3; i += 1) await sql`insert into notes (body) values (${`note ${i}`})`.execute(database.db);
    const before = await sql<Record<string, unknown>>`select * from notes order by id`.execute(database.db);
    assert.deepEqual(Object.keys(before.rows[0] ?? {}), ['id', 'body']);
    await sql`alter table notes add column pinned integer not null default 0`.execute(database.db);
    const { rows } = await sql<{ n: number }>`select count(*) as n from notes where pinned = 0`.execute(database.db);
    assert.equal(Number(rows[0]?.n), 3);
    const all = await sql<Record<string, unknown>>`select * from notes order by id`.execute(database.db);
    assert.deepEqual(Object.keys(all.rows[0] ?? {}), ['id', 'body', 'pinned']);
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: a bulk job runs with a small page cache, and the platform’s comes back when the last one ends', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-cache-'));
  const database = openDatabase({ kind: 'sqlite', file: path.join(dir, 'cache.sqlite') });
  const cacheSize = async () =>
    (await sql<{ cache_size: number }>`pragma cache_size`.execute(database.db)).rows[0]!.cache_size;
  try {
    assert.equal(await cacheSize(), -65536);
    let release!: () => void;
    const first = withSmallPageCache(database, 8192, async () => {
      assert.equal(await cacheSize(), -8192);
      await new Promise<void>((resolve) => (release = resolve));
    });
    await withSmallPageCache(database, 8192, async () => assert.equal(await cacheSize(), -8192));
    // The first job still runs: the cache stays small.
    assert.equal(await cacheSize(), -8192);
    release();
    await first;
    assert.equal(await cacheSize(), -65536);
    await assert.rejects(
      withSmallPageCache(database, 8192, () => Promise.reject(new Error('the job failed'))),
      /the job failed/,
    );
    assert.equal(await cacheSize(), -65536);
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite: with background checkpoints, a thread copies the log into the database file; commits checkpoint only past a backstop', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'wardroom-checkpoint-'));
  const file = path.join(dir, 'checkpoints.sqlite');
  const errors: string[] = [];
  const database = openDatabase(
    { kind: 'sqlite', file },
    { walCheckpoints: 'background', onCheckpointError: (message) => errors.push(message) },
  );
  try {
    const { db } = database;
    const threshold = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db);
    assert.equal(threshold.rows[0]?.wal_autocheckpoint, BACKGROUND_CHECKPOINT_BACKSTOP_PAGES);
    await sql`create table filler (id integer primary key, body text not null)`.execute(db);
    const sizeBefore = statSync(file).size;
    // About 2 MB: far past SQLite's usual threshold of 1,000 pages, far below the backstop.
    for (let batch = 0; batch < 20; batch += 1) {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < 100; i += 1) await sql`insert into filler (body) values (${'x'.repeat(1000)})`.execute(trx);
      });
    }
    // Only a checkpoint writes pages into the database file; the commits above went to the log.
    // (SQLite's own threshold, 1,000 pages, is not reached here: without the thread it never grows.)
    const giveUpAt = Date.now() + 30_000;
    while (statSync(file).size <= sizeBefore + 1_000_000 && Date.now() < giveUpAt)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(statSync(file).size > sizeBefore + 1_000_000, 'the log was not checkpointed');
    const count = await sql<{ n: number }>`select count(*) as n from filler`.execute(db);
    assert.equal(count.rows[0]?.n, 2000);
    assert.deepEqual(errors, []);
  } finally {
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
