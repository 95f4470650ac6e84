import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { describeEachDatabase } from '../../platform/db/test-databases.ts';
import { createDemoApp, type DemoApp } from '../../platform/testing/demo-app.ts';

const API = '/api/v1/councils/westminster/suspicious-reports';
const corpus = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../suspicious-messages/test-fixtures/corpus/${name}`, import.meta.url)));

describeEachDatabase('the suspicious-report API', (database) => {
  let t: DemoApp;

  before(async () => {
    t = await createDemoApp(database(), {
      rateLimitPolicies: { 'sign-in': { max: 10_000, windowMs: 60_000 }, 'public-form': { max: 8, windowMs: 60_000 } },
    });
  });
  after(() => t.close());

  let nextIp = 1;
  const post = (payload: unknown, ip = `192.0.2.${nextIp++}`) =>
    t.app.inject({ method: 'POST', url: API, payload: payload as object, remoteAddress: ip });
  const count = async () =>
    Number(
      (
        await database()
          .db.selectFrom('suspicious_reports')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  test('a partner tool sends a raw email and gets the reference and advice, not the analysis', async () => {
    const eml = corpus('scam/lookalike-westminster-omission.eml');
    const response = await post({
      kind: 'email',
      rawEmail: eml.toString('base64'),
      reporterEmail: 'ana@example.com',
      wantsOutcome: true,
    });
    assert.equal(response.statusCode, 201, response.body);
    const body = response.json();
    assert.match(body.reference, /^SR-[ACDEFGHJKMNPQRTWXY34679]{8}$/);
    assert.equal(body.acknowledgementQueued, true);
    assert.ok(body.advice.some((line: string) => line.includes('7726')));
    assert.deepEqual(Object.keys(body).sort(), ['acknowledgementQueued', 'advice', 'reference']);
    const row = await database()
      .db.selectFrom('suspicious_reports')
      .selectAll()
      .where('reference', '=', body.reference)
      .executeTakeFirstOrThrow();
    assert.equal(row.channel, 'api');
    assert.equal(row.suggested_verdict, 'likely-scam');
    assert.deepEqual(Buffer.from(row.original_message!), eml);
    assert.equal(Number(row.wants_outcome), 1);
  });

  test('bad input is a 400 problem naming the field, and nothing is stored', async () => {
    const before = await count();
    for (const [payload, field] of [
      [{ kind: 'pigeon', text: 'x' }, 'kind'],
      [{ kind: 'text' }, 'text'],
      [{ kind: 'text', text: 'x'.repeat(10_001) }, 'text'],
      [{ kind: 'text', text: 'hello', reporterEmail: 'nope' }, 'reporterEmail'],
      [{ kind: 'email', rawEmail: '***not base64***' }, 'rawEmail'],
      [{ kind: 'email', rawEmail: Buffer.from('no headers at all, just words').toString('base64') }, 'rawEmail'],
      [{ kind: 'text', text: 'hi', receivedOn: '24/11/2025' }, 'receivedOn'],
    ] as const) {
      const response = await post(payload);
      assert.equal(response.statusCode, 400, `${field}: ${response.body}`);
      assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
      const problem = response.json();
      assert.equal(problem.status, 400);
      assert.ok(
        problem.errors.some((e: { field: string }) => e.field.includes(field)),
        `${field}: ${JSON.stringify(problem.errors)}`,
      );
    }
    const unknown = await post({ kind: 'text', text: 'x' }).then(() =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/councils/atlantis/suspicious-reports',
        payload: { kind: 'text', text: 'x' },
      }),
    );
    assert.equal(unknown.statusCode, 404);
    assert.equal(await count(), before + 1, 'only the one good report in between');
  });

  test('a raw email over 10 MB is refused', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 3, 0x41);
    const response = await post({ kind: 'email', rawEmail: big.toString('base64') });
    assert.ok([400, 413].includes(response.statusCode), String(response.statusCode));
    assert.match(response.headers['content-type'] as string, /^application\/problem\+json/);
  });

  test('each client is rate limited', async () => {
    const ip = '198.51.100.99';
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await post({ kind: 'text', text: `message ${i}` }, ip)).statusCode);
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 201, 201, 429, 429]);
    const other = await post({ kind: 'text', text: 'from someone else' });
    assert.equal(other.statusCode, 201);
  });

  test('the API is described in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json();
    const operation = doc.paths['/api/v1/councils/{council}/suspicious-reports'].post;
    assert.ok(operation.requestBody.content['application/json'].schema.properties.rawEmail);
    assert.ok(operation.responses['201']);
    assert.ok(operation.responses['400']);
  });
});
