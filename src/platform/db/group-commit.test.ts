import assert from 'node:assert/strict';
import { before, beforeEach, test } from 'node:test';
import { sql, type Transaction } from 'kysely';
import { createGroupCommit, type GroupCommitOptions } from './group-commit.ts';
import type { DB } from './schema.ts';
import { describeEachDatabase } from './test-databases.ts';

describeEachDatabase('group commit', (database) => {
  before(async () => {
    const { db } = database();
    await sql`create table gc_parents (id text primary key)`.execute(db);
    // Checked at commit, not at insert: lets a test make a commit fail.
    await sql`create table gc_rows (id text primary key, parent_id text references gc_parents (id) deferrable initially deferred)`.execute(
      db,
    );
  });
  beforeEach(async () => {
    await sql`delete from gc_rows`.execute(database().db);
  });

  const insert =
    (id: string, parentId: string | null = null) =>
    async (trx: Transaction<DB>) => {
      await sql`insert into gc_rows (id, parent_id) values (${id}, ${parentId})`.execute(trx);
      return id;
    };
  const stored = async () =>
    (await sql<{ id: string }>`select id from gc_rows order by id`.execute(database().db)).rows.map((r) => r.id);
  const groupCommit = (options: GroupCommitOptions = {}) => {
    const batches: Array<{ size: number; split: boolean }> = [];
    const writes = createGroupCommit(database().db, { ...options, onBatch: (b) => batches.push(b) });
    return { writes, batches };
  };

  test('work from concurrent callers is written in one transaction, and each hears after it committed', async () => {
    const { writes, batches } = groupCommit();
    const ids = Array.from({ length: 20 }, (_, i) => `row-${String(i).padStart(2, '0')}`);
    const seenAtAnswer: number[] = [];
    const results = await Promise.all(
      ids.map((id) =>
        writes.run(insert(id)).then(async (result) => {
          // Read outside the batch's transaction: on PostgreSQL another pooled connection, which
          // sees only what has been committed.
          seenAtAnswer.push((await stored()).length);
          return result;
        }),
      ),
    );
    assert.deepEqual(results, ids);
    assert.deepEqual(batches, [{ size: 20, split: false }]);
    assert.ok(seenAtAnswer.every((n) => n === 20));
    assert.deepEqual(await stored(), ids);
  });

  test('one piece of work that throws fails alone: the others are stored, its writes are not', async () => {
    const { writes, batches } = groupCommit();
    const outcomes = await Promise.allSettled([
      writes.run(insert('a')),
      writes.run(insert('b')),
      writes.run(async (trx) => {
        await insert('bad')(trx);
        throw new Error('this one went wrong');
      }),
      writes.run(insert('c')),
    ]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
      ['a', 'b', 'this one went wrong', 'c'],
    );
    assert.deepEqual(await stored(), ['a', 'b', 'c']);
    assert.deepEqual(batches, [{ size: 4, split: true }]);
  });

  test('when the commit itself fails, the batch is split so that only the work that cannot commit fails', async () => {
    const { writes } = groupCommit();
    await sql`insert into gc_parents (id) values ('parent')`.execute(database().db);
    const outcomes = await Promise.allSettled([
      writes.run(insert('child-ok', 'parent')),
      // Fine when inserted; the deferred foreign key fails the commit.
      writes.run(insert('orphan', 'no-such-parent')),
      writes.run(insert('plain')),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(await stored(), ['child-ok', 'plain']);
  });

  test('work that arrives while a batch is written waits for the next one, up to the batch size', async () => {
    const { writes, batches } = groupCommit({ maxBatch: 3 });
    const ids = Array.from({ length: 7 }, (_, i) => `row-${i}`);
    await Promise.all(ids.map((id) => writes.run(insert(id))));
    assert.deepEqual(
      batches.map((b) => b.size),
      [3, 3, 1],
    );
    const late = writes.run(insert('late'));
    await writes.drain();
    assert.equal(await late, 'late');
    assert.deepEqual(await stored(), [...ids, 'late'].sort());
  });
});
