import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { isId, newId, nowIso } from '../ids.ts';
import { toCount } from './database.ts';
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
