import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createOrganisation } from '../../platform/testing/test-app.ts';
import { corpusEml } from './report-fixtures.test-support.ts';
import { reportRow } from './report-recording.ts';

// `wardroom reports group`: the backlog grouped by the command in a process of its own.
describeEachDatabase('wardroom reports group', (database) => {
  test('groups the council’s reports in no campaign, and a second run finds none left', async () => {
    const { db } = database();
    const slug = `cli-group-${Date.now()}`;
    const council = await createOrganisation(database(), slug);
    const ids: string[] = [];
    for (const eml of ['scam/refund-campaign-1.eml', 'scam/refund-campaign-2.eml', 'scam/fake-helpline-1.eml']) {
      const row = await reportRow({ organisationId: council.id, message: { eml: corpusEml(eml) } });
      await db.insertInto('suspicious_reports').values(row).execute();
      ids.push(row.id);
    }
    const connection = database().connection;
    const url = connection.schema
      ? `${connection.url}?options=${encodeURIComponent(`-c search_path=${connection.schema}`)}`
      : connection.url;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'reports', 'group', ...args], {
        encoding: 'utf8',
        env: { ...process.env, DATABASE_URL: url, SESSION_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent' },
      });

    const unknown = run('--council', `${slug}-nowhere`);
    assert.equal(unknown.status, 2, unknown.stderr);
    assert.match(unknown.stderr, /No council/);

    const first = run('--council', slug);
    assert.equal(first.status, 0, first.stderr);
    assert.equal(first.stdout, 'Reports grouped into campaigns: 3.\n');
    assert.match(first.stderr, /grouped 3 of 3/);
    const rows = await db
      .selectFrom('suspicious_reports')
      .select(['id', 'campaign_id'])
      .where('id', 'in', ids)
      .execute();
    const campaign = new Map(rows.map((r) => [r.id, r.campaign_id]));
    assert.ok(ids.every((id) => campaign.get(id)));
    assert.equal(campaign.get(ids[0]!), campaign.get(ids[1]!), 'two refund emails, one campaign');
    assert.notEqual(campaign.get(ids[2]!), campaign.get(ids[0]!));

    const second = run('--council', slug);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, 'Reports grouped into campaigns: 0.\n');
  });
});
