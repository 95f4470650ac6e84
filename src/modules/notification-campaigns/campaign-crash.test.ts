// The crash test: a campaign sent by a worker process that is killed (SIGKILL: no clean-up) at five
// random points and started again must end with no person's message received twice by the mail
// server, and every person either messaged exactly once or flagged "unknown" for the DPO. The size is CAMPAIGN_CRASH_PEOPLE (2,000 in `npm test`; the documented run uses
// 50,000: CAMPAIGN_CRASH_PEOPLE=50000 npm test -- campaign-crash).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { before, test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { describeEachDatabase, type TestDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { waitFor } from '../../platform/jobs/test-fixtures/wait-for.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import * as repo from './campaigns.repository.ts';
import { insertEmailPeople, PASSING_TEMPLATE, withoutDemoPeople } from './test-support.ts';
import { startReferenceSink } from './test-fixtures/reference-sink.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { enqueueJob } from '../../platform/jobs/job-queue.ts';

const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
const PEOPLE = Number(process.env['CAMPAIGN_CRASH_PEOPLE'] ?? 2000);
const KILLS = 5;

function spawnWorker(t: TestContext, connection: TestDatabase['connection'], smtpPort: number): ChildProcess {
  const args = ['--url', connection.url, '--smtp-port', String(smtpPort), '--lease-ms', '1000'];
  if (connection.schema) args.push('--schema', connection.schema);
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/modules/notification-campaigns/test-fixtures/campaign-worker-process.ts', ...args],
    { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describeEachDatabase('a campaign whose worker is killed', (database) => {
  before(async () => {
    await seedDemo(database().db, { sessionSecret: TEST_SESSION_SECRET });
    await withoutDemoPeople(database().db);
  });

  test(
    `${PEOPLE.toLocaleString('en-GB')} people, ${KILLS} kills at random points: nobody messaged twice, nobody lost unflagged`,
    { timeout: 600_000 },
    async (t) => {
      const { db, connection } = database();
      const sink = await startReferenceSink();
      t.after(() => sink.close());
      const council = (await findOrganisationBySlug(db, 'kensington-chelsea'))!.id;
      const incidentId = (await db.selectFrom('incidents').select('id').executeTakeFirstOrThrow()).id;
      await insertEmailPeople(db, incidentId, council, PEOPLE);
      const id = newId();
      const now = nowIso();
      await db.transaction().execute(async (trx) => {
        await repo.insertCampaign(trx, {
          id,
          incident_id: incidentId,
          organisation_id: council,
          title: 'Crash test',
          status: 'queueing',
          version: 1,
          email_subject: PASSING_TEMPLATE.emailSubject,
          email_body: PASSING_TEMPLATE.emailBody,
          sms_body: PASSING_TEMPLATE.smsBody,
          letter_body: PASSING_TEMPLATE.letterBody,
          rate_per_minute: 100_000,
          created_at: now,
          created_by_user_id: null,
          created_by_label: 'test',
          updated_at: now,
          approved_at: now,
          approved_by_user_id: null,
          approved_by_label: 'test',
          queue_cursor: null,
          people_total: 0,
          queued_at: null,
          finished_at: null,
        });
        await enqueueJob(trx, { kind: 'campaign.queue', payload: { campaignId: id }, maxAttempts: 100 });
      });

      // Kill points: one while recipients are being made, the rest at random counts of messages received.
      const points = Array.from({ length: KILLS - 1 }, () => Math.floor(Math.random() * PEOPLE * 0.9)).sort(
        (a, b) => a - b,
      );
      let child = spawnWorker(t, connection, sink.port);
      const kill = async () => {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
        child = spawnWorker(t, connection, sink.port);
      };
      await waitFor('recipients to be made', async () => (await repo.countByStatus(db, id)).all.total > 0, {
        timeoutMs: 60_000,
        intervalMs: 5,
      });
      await kill();
      for (const point of points) {
        await waitFor(`${point} messages`, () => sink.received() >= point, { timeoutMs: 120_000, intervalMs: 2 });
        await kill();
      }
      await waitFor('the campaign to finish', async () => (await repo.findCampaign(db, id))?.status === 'done', {
        timeoutMs: 300_000,
        intervalMs: 100,
      });

      const rows = await repo.listRecipients(db, id, repo.RECIPIENT_STATUSES, PEOPLE + 1);
      assert.equal(rows.length, PEOPLE);
      const twice = [...sink.counts].filter(([, n]) => n > 1);
      assert.deepEqual(twice, [], 'no reference arrived twice');
      // Every person recorded as sent got exactly one message. A person whose message did not arrive
      // must be one the run could not be sure about ("unknown": killed between recording the
      // hand-over and the server taking the final dot, or the kernel dropping it as the killed
      // process's socket was reset): never sent again by itself, listed for the DPO to decide.
      // SMTP gives no way to ask a server what it took, so this is the guarantee over SMTP; over
      // GOV.UK Notify the unknown ones are looked up by reference instead (campaigns.test.ts).
      const sentButMissing = rows.filter((r) => r.status === 'sent' && sink.counts.get(r.reference) !== 1);
      assert.deepEqual(sentButMissing, [], 'every person recorded as sent got exactly one message');
      const missing = rows.filter((r) => !sink.counts.has(r.reference));
      assert.ok(
        missing.every((r) => r.status === 'unknown'),
        'a person whose message did not arrive is flagged for the DPO',
      );
      assert.equal(sink.received(), PEOPLE - missing.length);
      t.diagnostic(`messages that did not arrive, flagged unknown for the DPO: ${missing.length} of ${PEOPLE}`);
      const statuses = new Set(rows.map((r) => r.status));
      for (const s of statuses) assert.ok(s === 'sent' || s === 'unknown', `status ${s}`);
      t.diagnostic(
        `unknown after kills (handed over, answer not recorded): ${rows.filter((r) => r.status === 'unknown').length}`,
      );
    },
  );
});
