import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { seedDemo } from '../../platform/demo/seed-demo.ts';
import { findOrganisationBySlug } from '../../platform/accounts/accounts.repository.ts';
import { newId, nowIso } from '../../platform/ids.ts';
import { TEST_SESSION_SECRET } from '../../platform/testing/test-app.ts';
import { runCampaignProgress, textBar } from './campaign-progress-command.ts';
import * as repo from './campaigns.repository.ts';
import { insertEmailPeople, PASSING_TEMPLATE, withoutDemoPeople } from './test-support.ts';

test('the text bar', () => {
  assert.equal(textBar(0, 0, 10), '[----------]   0%');
  assert.equal(textBar(1, 4, 10), '[##--------]  25%');
  assert.equal(textBar(4, 4, 10), '[##########] 100%');
});

describeEachDatabase('wardroom campaign progress', (database) => {
  let campaignId: string;
  before(async () => {
    const { db } = database();
    await seedDemo(db, { sessionSecret: TEST_SESSION_SECRET });
    await withoutDemoPeople(db);
    const westminster = (await findOrganisationBySlug(db, 'westminster'))!.id;
    const incidentId = (await db.selectFrom('incidents').select('id').executeTakeFirstOrThrow()).id;
    await insertEmailPeople(db, incidentId, westminster, 4);
    const people = await repo.peopleAfter(db, incidentId, westminster, null, 10);
    campaignId = newId();
    const now = nowIso();
    await repo.insertCampaign(db, {
      id: campaignId,
      incident_id: incidentId,
      organisation_id: westminster,
      title: 'Progress',
      status: 'sending',
      version: 1,
      email_subject: PASSING_TEMPLATE.emailSubject,
      email_body: PASSING_TEMPLATE.emailBody,
      sms_body: PASSING_TEMPLATE.smsBody,
      letter_body: PASSING_TEMPLATE.letterBody,
      rate_per_minute: 60,
      created_at: now,
      created_by_user_id: null,
      created_by_label: 'test',
      updated_at: now,
      approved_at: now,
      approved_by_user_id: null,
      approved_by_label: 'test',
      queue_cursor: null,
      people_total: 4,
      queued_at: now,
      finished_at: null,
    });
    await db.transaction().execute((trx) =>
      repo.insertRecipients(
        trx,
        campaignId,
        people.map((p, i) => ({
          personId: p.id,
          channel: 'email',
          reference: `WR-PROGRES${'ABCD'[i]}`,
          status: i === 0 ? 'delivered' : 'queued',
        })),
        now,
      ),
    );
  });

  test('prints the figures and a bar; --watch prints again until the campaign is finished', async () => {
    const { db } = database();
    let out = '';
    let prints = 0;
    const code = await runCampaignProgress(db, campaignId, {
      watch: true,
      viaNotify: true,
      intervalMs: 10,
      write: (text) => {
        out += text;
        prints += 1;
        // The send finishes while the operator watches.
        if (prints === 2) {
          void db
            .updateTable('campaign_recipients')
            .set({ status: 'sent' })
            .where('campaign_id', '=', campaignId)
            .where('status', '=', 'queued')
            .execute()
            .then(() => repo.setCampaignStatus(db, campaignId, 'done'));
        }
      },
    });
    assert.equal(code, 0);
    assert.match(out, /\[##########-{30}\] {2}25% {2}1 of 4 done/);
    assert.match(out, /time to finish: About 1 minute\n/);
    assert.match(out, /\[#{40}\] 100% {2}4 of 4 done/);
    assert.match(out, /Progress \(done\)\n/);

    let missing = '';
    assert.equal(
      await runCampaignProgress(db, newId(), { watch: false, viaNotify: true, write: (t) => (missing += t) }),
      1,
    );
    assert.match(missing, /No campaign/);
    assert.equal(
      await runCampaignProgress(db, 'nonsense', { watch: false, viaNotify: true, write: () => undefined }),
      2,
    );
  });
});
