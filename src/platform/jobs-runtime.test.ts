import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CAMPAIGN_DISPATCH_JOB, CAMPAIGN_QUEUE_JOB } from '../modules/notification-campaigns/campaign-jobs.ts';
import { loadConfig } from './config.ts';
import { createJobHandlers, platformJobDeps } from './jobs-runtime.ts';

const base = { NODE_ENV: 'test', SESSION_SECRET: 'x'.repeat(40), PUBLIC_BASE_URL: 'http://localhost:3000' };
const NOTIFY_KEY = `test-${'1'.repeat(8)}-1111-1111-1111-${'1'.repeat(12)}-${'2'.repeat(8)}-2222-2222-2222-${'2'.repeat(12)}`;
const TEMPLATE = '3f0c4b5e-1d2a-4c3b-9a8e-7f6d5c4b3a21';

test('the running app sends campaigns: email over SMTP when only SMTP is set, texts only with Notify', async () => {
  const deps = platformJobDeps(
    loadConfig({ ...base, SMTP_HOST: '127.0.0.1', SMTP_PORT: '2525', SMTP_FROM: 'dpo@example.gov.uk' }),
  );
  const kinds = createJobHandlers(deps).kinds();
  assert.ok(kinds.includes(CAMPAIGN_QUEUE_JOB) && kinds.includes(CAMPAIGN_DISPATCH_JOB));
  assert.equal(deps.campaignSenders?.email?.provider, 'smtp');
  assert.equal(deps.campaignSenders?.sms, undefined);
  await deps.campaignSenders?.email?.close();
});

test('with Notify and its templates set, both channels go through Notify', async () => {
  const deps = platformJobDeps(
    loadConfig({
      ...base,
      NOTIFY_API_KEY: NOTIFY_KEY,
      NOTIFY_EMAIL_TEMPLATE_ID: TEMPLATE,
      NOTIFY_SMS_TEMPLATE_ID: TEMPLATE,
      NOTIFY_BASE_URL: 'http://127.0.0.1:9',
    }),
  );
  assert.equal(deps.campaignSenders?.email?.provider, 'notify');
  assert.equal(deps.campaignSenders?.sms?.provider, 'notify');
  assert.ok(createJobHandlers(deps).kinds().includes(CAMPAIGN_DISPATCH_JOB));
});
