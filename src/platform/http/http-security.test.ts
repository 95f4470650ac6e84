import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import { createOrganisation, createTestApp, TestClient, type TestApp } from '../testing/test-app.ts';

describeEachDatabase('HTTP security', (database) => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp(database());
    await createOrganisation(database(), 'westminster');
  });
  after(async () => t.close());

  test('a state-changing POST without a CSRF token gets 403, and so does one with a token from another browser', async () => {
    const client = new TestClient(t.app);
    await client.get('/sign-in');
    const none = await client.post('/sign-in', {
      _csrf: null,
      email: 'a@example.gov.uk',
      password: 'whatever-whatever',
    });
    assert.equal(none.statusCode, 403);
    assert.match(none.body, /This form has expired/);

    const other = new TestClient(t.app);
    await other.get('/sign-in');
    const forged = await client.post('/sign-in', {
      _csrf: other.csrfToken,
      email: 'a@example.gov.uk',
      password: 'whatever-whatever',
    });
    assert.equal(forged.statusCode, 403);

    const good = await client.post('/sign-in', { email: 'a@example.gov.uk', password: 'whatever-whatever' });
    assert.equal(good.statusCode, 400, 'with its own token the form is processed');
  });

  test('every page has a Content Security Policy that allows no inline script, and no page has one', async () => {
    const client = new TestClient(t.app);
    for (const url of ['/', '/westminster', '/sign-in', '/accessibility', '/no-such-page']) {
      const response = await client.get(url);
      const csp = String(response.headers['content-security-policy']);
      const scriptSrc = /script-src ([^;]+)/.exec(csp)?.[1] ?? '';
      assert.equal(scriptSrc.trim(), "'self'", url);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, url);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      const inline = [...response.body.matchAll(/<script(?![^>]*\bsrc=)[^>]*>/g)];
      assert.equal(inline.length, 0, `${url} has an inline script`);
      assert.doesNotMatch(response.body, /\sstyle="/, `${url} has an inline style`);
    }
  });

  test('staff and sign-in pages are never cached; cookies are HttpOnly and SameSite', async () => {
    const client = new TestClient(t.app);
    const page = await client.get('/sign-in');
    assert.equal(page.headers['cache-control'], 'no-store');
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Lax/);
  });

  test('404 is a GOV.UK page for people and problem JSON for the API', async () => {
    const client = new TestClient(t.app);
    const page = await client.get('/nowhere/at/all');
    assert.equal(page.statusCode, 404);
    assert.match(page.body, /Page not found/);
    assert.match(page.body, /govuk-template/);
    const api = await client.get('/api/v1/nothing');
    assert.equal(api.statusCode, 404);
    assert.equal(api.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(JSON.parse(api.body).status, 404);
  });

  test('public forms are rate limited per client', async () => {
    const limited = await createTestApp(database(), { rateLimitPolicies: { 'sign-in': { max: 3, windowMs: 60_000 } } });
    try {
      const client = new TestClient(limited.app, '10.9.9.9');
      await client.get('/sign-in');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i += 1)
        statuses.push(
          (await client.post('/sign-in', { email: 'a@example.gov.uk', password: 'whatever-whatever' })).statusCode,
        );
      assert.deepEqual(statuses, [400, 400, 400, 429, 429]);
      const other = new TestClient(limited.app, '10.9.9.10');
      await other.get('/sign-in');
      assert.equal(
        (await other.post('/sign-in', { email: 'a@example.gov.uk', password: 'whatever-whatever' })).statusCode,
        400,
      );
    } finally {
      await limited.close();
    }
  });

  test('PUBLIC_FORM_MAX_PER_MINUTE sets how often one address may send a public form', async () => {
    const limited = await createTestApp(database(), {
      env: { PUBLIC_FORM_MAX_PER_MINUTE: '2' },
      rateLimitPolicies: {},
    });
    try {
      const client = new TestClient(limited.app, '10.9.9.11');
      await client.get('/westminster/cyber-incident/contact');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1)
        statuses.push((await client.post('/westminster/cyber-incident/contact', { topic: '' })).statusCode);
      assert.deepEqual(statuses.slice(2), [429]);
      assert.notEqual(statuses[1], 429);
    } finally {
      await limited.close();
    }
  });

  test('over https the site cookies are __Host- cookies, Secure, and a CSRF token only works with its own session', async () => {
    const secure = await createTestApp(database(), { env: { PUBLIC_BASE_URL: 'https://incident.westminster.gov.uk' } });
    try {
      const client = new TestClient(secure.app);
      const page = await client.get('/sign-in');
      const cookie = String(page.headers['set-cookie']);
      assert.match(cookie, /^__Host-wardroom_csrf=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax/);
      assert.match(String(page.headers['strict-transport-security']), /max-age=31536000/);

      // A token made for one session cookie is refused when another session cookie comes with it.
      client.cookies.set('__Host-wardroom_session', 'planted-session-token');
      const refused = await client.post('/sign-in', { email: 'a@example.gov.uk', password: 'whatever-whatever' });
      assert.equal(refused.statusCode, 403);
    } finally {
      await secure.close();
    }
  });

  test('behind one trusted proxy the client address comes from X-Forwarded-For, and a forged extra hop is not believed', async () => {
    const proxied = await createTestApp(database(), { env: { TRUST_PROXY: '1' } });
    try {
      const client = new TestClient(proxied.app, '10.0.0.1');
      await client.get('/sign-in');
      const email = `proxy-${Date.now()}@example.gov.uk`;
      await client.post(
        '/sign-in',
        { email, password: 'whatever-whatever' },
        { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' },
      );
      const event = await database()
        .db.selectFrom('audit_events')
        .select('ip')
        .where('action', '=', 'auth.sign-in.password-rejected')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      assert.equal(event.ip, '203.0.113.9', 'the address the proxy saw, not the one the client claimed');
    } finally {
      await proxied.close();
    }
  });

  test('every state-changing route refuses a request without a CSRF token', async () => {
    const unsafe = t.app.registeredRoutes.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method));
    assert.ok(unsafe.length >= 10, 'the app has state-changing routes to check');
    // The only opt-outs, each with its reason. RFC 8058 one-click unsubscribe is posted by a mail
    // program, which has no token; the 256-bit token in the address authorises it instead. The
    // suspicious-report API takes JSON from partner tools, uses no cookie or session, and can do
    // nothing a stranger could not do with the public form. GOV.UK Notify's delivery-status
    // callbacks carry no cookies; the bearer token set in Notify authorises them.
    assert.deepEqual(
      unsafe
        .filter((r) => !r.csrf)
        .map((r) => `${r.method} ${r.url}`)
        .sort(),
      [
        'POST /:council/cyber-incident/unsubscribe/:token',
        'POST /api/v1/councils/:council/suspicious-reports',
        'POST /notify/delivery-status',
      ],
      'only the known routes have opted out',
    );
    const client = new TestClient(t.app);
    await client.get('/sign-in');
    for (const route of unsafe.filter((r) => r.csrf)) {
      const url = route.url.replace(/:(\w+)/g, (_m, name: string) =>
        name === 'token' ? 'x'.repeat(43) : '01a2b3c4-0000-7000-8000-000000000000',
      );
      const response = await t.app.inject({
        method: route.method as 'POST',
        url,
        payload: 'anything=1',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: `wardroom_csrf=${client.cookies.get('wardroom_csrf')}`,
        },
      });
      assert.equal(response.statusCode, 403, `${route.method} ${route.url}`);
    }
  });
});
