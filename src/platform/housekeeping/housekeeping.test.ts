import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as accounts from '../accounts/accounts.repository.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { describeEachDatabase } from '../db/test-databases.ts';
import { newId } from '../ids.ts';
import { HOUSEKEEPING_JOB, requestHousekeeping, runHousekeeping } from './housekeeping.ts';

const OLD = '2026-01-01T00:00:00.000Z';
const NOW = new Date('2026-03-01T00:00:00.000Z');
const RECENT = '2026-02-28T23:00:00.000Z';

describeEachDatabase('housekeeping', (database) => {
  test('deletes what has expired and keeps what is live; the audit log is untouched', async () => {
    const { db } = database();
    const user = await accounts.insertUser(db, {
      email: `hk-${newId()}@example.gov.uk`,
      displayName: 'H K',
      status: 'active',
    });
    const session = (id: string, absolute: string) => ({
      id,
      user_id: user.id,
      stage: 'active' as const,
      created_at: OLD,
      last_seen_at: OLD,
      idle_expires_at: absolute,
      absolute_expires_at: absolute,
      revoked_at: null,
      ip: null,
      user_agent: null,
    });
    await db
      .insertInto('sessions')
      .values([session('old-session', OLD), session('live-session', '2026-03-01T05:00:00.000Z')])
      .execute();
    await db
      .insertInto('sign_in_throttle')
      .values([
        { key: 'old', failures: 3, first_failure_at: OLD, locked_until: null, locks: 0 },
        { key: 'locked', failures: 9, first_failure_at: OLD, locked_until: '2026-03-01T00:30:00.000Z', locks: 1 },
        { key: 'recent', failures: 1, first_failure_at: RECENT, locked_until: null, locks: 0 },
      ])
      .execute();
    const job = (id: string, status: 'succeeded' | 'dead', finished: string) => ({
      id,
      kind: 'x',
      payload: '{}',
      idempotency_key: null,
      organisation_id: null,
      status,
      attempts: 1,
      max_attempts: 5,
      run_at: OLD,
      lease_owner: null,
      lease_expires_at: null,
      last_error: null,
      progress_done: 0,
      progress_total: null,
      created_at: OLD,
      updated_at: OLD,
      finished_at: finished,
    });
    await db
      .insertInto('jobs')
      .values([job('old-done', 'succeeded', OLD), job('old-dead', 'dead', OLD), job('new-done', 'succeeded', RECENT)])
      .execute();
    await db.insertInto('job_effects').values({ key: 'old-done:sent', job_id: 'old-done', created_at: OLD }).execute();
    const council = await accounts.upsertOrganisation(db, {
      slug: `hk-${newId().slice(-8)}`,
      name: 'Housekeeping Council',
      shortName: 'HK',
      kind: 'council',
      websiteUrl: null,
      officialDomains: [],
    });
    const subscription = (id: string, status: 'pending' | 'confirmed' | 'unsubscribed', at: string) => ({
      id,
      organisation_id: council.id,
      channel: 'email' as const,
      address: `${id}@example.com`,
      status,
      confirm_token_hash: null,
      confirm_expires_at: status === 'pending' ? at : null,
      confirm_sent_at: OLD,
      confirmed_at: status === 'pending' ? null : OLD,
      unsubscribed_at: status === 'unsubscribed' ? at : null,
      created_at: OLD,
      updated_at: at,
    });
    await db
      .insertInto('subscriptions')
      .values([
        subscription('left-long-ago', 'unsubscribed', OLD),
        subscription('left-recently', 'unsubscribed', RECENT),
        subscription('never-confirmed', 'pending', OLD),
        subscription('link-still-good', 'pending', RECENT),
        subscription('subscribed', 'confirmed', OLD),
      ])
      .execute();
    const draft = (token_hash: string, expires_at: string) => ({
      token_hash,
      organisation_id: council.id,
      answers: '{"name":"Someone"}',
      case_id: null,
      created_at: OLD,
      expires_at,
    });
    await db
      .insertInto('enquiry_drafts')
      .values([draft('expired', RECENT), draft('live', '2026-03-01T01:00:00.000Z')])
      .execute();
    await recordAudit(db, { userId: null, label: 'test' }, { action: 'test.kept' });
    const auditBefore = await db.selectFrom('audit_events').select('id').execute();

    const result = await runHousekeeping(db, NOW);
    assert.deepEqual(result, {
      sessions: 1,
      throttles: 1,
      tokens: 0,
      jobs: 1,
      subscriptions: 2,
      enquiryDrafts: 1,
      reportDrafts: 0,
      affectedChecks: 0,
    });
    assert.deepEqual(
      (await db.selectFrom('subscriptions').select('id').orderBy('id').execute()).map((r) => r.id),
      ['left-recently', 'link-still-good', 'subscribed'],
    );
    assert.deepEqual(
      (await db.selectFrom('enquiry_drafts').select('token_hash').execute()).map((r) => r.token_hash),
      ['live'],
    );
    assert.deepEqual(
      (await db.selectFrom('sessions').select('id').execute()).map((r) => r.id),
      ['live-session'],
    );
    assert.deepEqual(
      (await db.selectFrom('sign_in_throttle').select('key').orderBy('key').execute()).map((r) => r.key),
      ['locked', 'recent'],
    );
    assert.deepEqual(
      (await db.selectFrom('jobs').select('id').orderBy('id').execute()).map((r) => r.id),
      ['new-done', 'old-dead'],
      'dead jobs wait for a person',
    );
    assert.equal((await db.selectFrom('job_effects').select('key').execute()).length, 0);
    assert.deepEqual(await db.selectFrom('audit_events').select('id').execute(), auditBefore);
  });

  test('every instance asking in the same hour makes one job', async () => {
    const { db } = database();
    const a = await requestHousekeeping(db, '2026-03-01T10:05:00.000Z');
    const b = await requestHousekeeping(db, '2026-03-01T10:55:00.000Z');
    const c = await requestHousekeeping(db, '2026-03-01T11:00:00.000Z');
    assert.equal(a, b);
    assert.notEqual(a, c);
    const jobs = await db.selectFrom('jobs').select('id').where('kind', '=', HOUSEKEEPING_JOB).execute();
    assert.equal(jobs.length, 2);
  });
});
