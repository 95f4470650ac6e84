import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { sql } from 'kysely';
import { describeEachDatabase } from '../db/test-databases.ts';
import { canonicalJson, hashEvent } from './audit-chain.ts';
import { recordAudit, verifyAuditChain } from './audit.service.ts';

const actor = { userId: null, label: 'test', ip: '127.0.0.1', userAgent: 'node' };

describeEachDatabase('audit log', (database) => {
  test('events chain and verify, including many written at once', async () => {
    const { db } = database();
    assert.deepEqual(await verifyAuditChain(db), { ok: true, events: 0, head: { seq: 0, hash: '0'.repeat(64) } });
    await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        recordAudit(db, actor, { action: 'test.concurrent', targetType: 'thing', targetId: String(i), details: { i } }),
      ),
    );
    const result = await verifyAuditChain(db);
    assert.ok(result.ok);
    assert.equal(result.events, 25);
    assert.equal(result.head.seq, 25);
    const seqs = (await db.selectFrom('audit_events').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
    assert.deepEqual(
      seqs,
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
  });

  test('an event is stored only if the transaction it belongs to commits', async () => {
    const { db } = database();
    const before = await verifyAuditChain(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await recordAudit(trx, actor, { action: 'test.rolled-back' });
        throw new Error('the action failed');
      }),
    );
    const after = await verifyAuditChain(db);
    assert.deepEqual(after, before);
  });

  test('changing one stored event makes verification fail and name it', async () => {
    const { db } = database();
    await recordAudit(db, actor, { action: 'test.one', details: { amount: 1 } });
    const target = await recordAudit(db, actor, { action: 'test.two', details: { amount: 2 } });
    await recordAudit(db, actor, { action: 'test.three' });
    await sql`update audit_events set details = ${JSON.stringify({ amount: 200 })} where seq = ${target.seq}`.execute(
      db,
    );
    const result = await verifyAuditChain(db);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.seq === target.seq && result.id === target.id);
    assert.ok(!result.ok && /does not match its hash/.test(result.reason));
    // Put it back: the chain is whole again.
    await sql`update audit_events set details = ${JSON.stringify({ amount: 2 })} where seq = ${target.seq}`.execute(db);
    assert.equal((await verifyAuditChain(db)).ok, true);
  });

  test('removing the last events is noticed through the chain head', async () => {
    const { db } = database();
    const last = await recordAudit(db, actor, { action: 'test.last' });
    await sql`delete from audit_events where seq = ${last.seq}`.execute(db);
    const result = await verifyAuditChain(db);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && /removed from the end/.test(result.reason));
    // Move the head back to the event before, so the suite's later tests start from a whole chain.
    await sql`update audit_head set seq = ${last.seq - 1}, hash = ${last.prev_hash} where id = 1`.execute(db);
    assert.equal((await verifyAuditChain(db)).ok, true);
  });

  test('someone who rebuilds the whole chain is caught by an anchor kept outside the database', async () => {
    const { db } = database();
    for (let i = 0; i < 3; i += 1) await recordAudit(db, actor, { action: 'test.anchored', details: { i } });
    const before = await verifyAuditChain(db);
    assert.ok(before.ok);
    const anchor = before.head;

    // The attacker changes an old event and recomputes every hash after it, and the head.
    const rows = await db.selectFrom('audit_events').selectAll().orderBy('seq').execute();
    let prev = '0'.repeat(64);
    for (const row of rows) {
      const details = Number(row.seq) === 2 ? { forged: true } : (JSON.parse(row.details) as unknown);
      const fields = { ...row, seq: Number(row.seq), details, prev_hash: prev };
      const { hash: _old, ...rest } = fields;
      const hash = hashEvent(rest);
      await sql`update audit_events set details = ${JSON.stringify(details)}, prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`.execute(
        db,
      );
      prev = hash;
    }
    await sql`update audit_head set hash = ${prev} where id = 1`.execute(db);

    assert.equal((await verifyAuditChain(db)).ok, true, 'without an anchor the rebuilt chain looks whole');
    const checked = await verifyAuditChain(db, [anchor]);
    assert.equal(checked.ok, false);
    assert.ok(!checked.ok && checked.seq === anchor.seq && /anchor/.test(checked.reason));
  });

  test('too much detail is refused rather than stored', async () => {
    await assert.rejects(
      recordAudit(database().db, actor, { action: 'test.big', details: { blob: 'x'.repeat(20_000) } }),
      /exceed/,
    );
  });
});

describeEachDatabase('wardroom audit verify (the CLI)', (database) => {
  test('exits 0 on an intact chain and 1 naming the first changed event', async () => {
    const { db } = database();
    const connection = database().connection;
    // On PostgreSQL the suite has a schema of its own: point the CLI's search_path at it.
    const url = connection.schema
      ? `${connection.url}?options=${encodeURIComponent(`-c search_path=${connection.schema}`)}`
      : connection.url;
    for (let i = 0; i < 5; i += 1) await recordAudit(db, actor, { action: 'test.cli', details: { i } });
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'audit', 'verify'], {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url, SESSION_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' },
      });
    const ok = run();
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /5 events, chain intact/);
    const anchor = /Anchor: (\d+:[0-9a-f]{64})/.exec(ok.stdout)?.[1];
    assert.ok(anchor, 'verify prints an anchor to keep');
    const victim = await db
      .selectFrom('audit_events')
      .select(['seq', 'id'])
      .where('seq', '=', 3)
      .executeTakeFirstOrThrow();
    await sql`update audit_events set actor_label = 'someone else' where seq = 3`.execute(db);
    const bad = run();
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`FAILED at event 3 \\(${victim.id}\\)`));
  });
});

test('canonical JSON sorts keys at every depth', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 2 }], c: null } }),
    '{"a":{"c":null,"d":[2,{"e":2,"f":1}]},"b":1}',
  );
});
