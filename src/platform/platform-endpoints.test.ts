import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from './db/test-databases.ts';
import { createOrganisation, createTestApp, type TestApp } from './testing/test-app.ts';

describeEachDatabase('health, metrics and OpenAPI', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database());
    await createOrganisation(database(), 'westminster');
  });
  after(async () => t.close());

  test('/healthz and /readyz', async () => {
    const health = await t.app.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await t.app.inject('/readyz');
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().database, database().label);
  });

  test('/metrics has request histograms labelled by route pattern, not raw path', async () => {
    await t.app.inject('/westminster');
    await t.app.inject('/no-such-council-1');
    await t.app.inject('/no-such-council-2');
    const metrics = await t.app.inject('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /wardroom_http_request_duration_seconds_bucket\{[^}]*route="\/:council"/);
    assert.doesNotMatch(metrics.body, /no-such-council/);
    assert.match(metrics.body, /wardroom_process_cpu_user_seconds_total/);
    assert.match(metrics.body, /wardroom_jobs\{status="queued"\} \d+/);
    assert.match(metrics.body, /wardroom_jobs\{status="dead"\} \d+/);
  });

  test('/api/openapi.json describes the JSON API, and the councils endpoint matches it', async () => {
    const spec = (await t.app.inject('/api/openapi.json')).json();
    assert.equal(spec.openapi, '3.0.3');
    assert.ok(spec.paths['/api/v1/councils']);
    assert.ok(!spec.paths['/staff'], 'pages are not part of the API description');
    const councils = (await t.app.inject('/api/v1/councils')).json();
    assert.equal(councils.councils[0].slug, 'westminster');
    assert.match(councils.councils[0].pageUrl, /\/westminster$/);
  });
});
