import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { describeEachDatabase } from '../db/test-databases.ts';
import {
  createOrganisation,
  createStaff,
  createTestApp,
  signIn,
  TestClient,
  type TestApp,
} from '../testing/test-app.ts';
import { countAttempt } from './auth.repository.ts';
import { totpCode, totpStep } from './totp.ts';

describeEachDatabase('staff sign-in', (database) => {
  let t: TestApp;
  let orgId: string;
  before(async () => {
    t = await createTestApp(database());
    orgId = (await createOrganisation(database(), 'westminster')).id;
  });
  after(async () => t.close());

  const staffAt = (role: 'agent' | 'admin' = 'agent') =>
    createStaff(database(), { roles: [{ organisationId: orgId, role }] });
  const auditActions = async (userId: string) =>
    (
      await database()
        .db.selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', userId)
        .orderBy('seq')
        .execute()
    ).map((r) => r.action);

  test('a password alone does not reach staff pages: MFA is demanded, then the person is signed in', async () => {
    const staff = await staffAt();
    const client = new TestClient(t.app);
    await client.get('/sign-in');
    const afterPassword = await client.post('/sign-in', { email: staff.email, password: staff.password });
    assert.equal(afterPassword.statusCode, 303);
    assert.equal(afterPassword.headers.location, '/sign-in/mfa');
    const pendingToken = client.cookies.get('wardroom_session');

    const staffPage = await client.get('/staff');
    assert.equal(staffPage.statusCode, 303, 'a session that has not passed MFA is not signed in');
    assert.equal(staffPage.headers.location, '/sign-in');

    const mfaPage = await client.get('/sign-in/mfa');
    assert.match(mfaPage.body, /Enter the code from your authenticator app/);
    const done = await client.post('/sign-in/mfa', { code: staff.nextCode() });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/staff');
    assert.notEqual(client.cookies.get('wardroom_session'), pendingToken, 'the session id is rotated at sign-in');

    const home = await client.get('/staff');
    assert.equal(home.statusCode, 200);
    assert.match(home.body, /Incident room/);
    assert.match(home.body, /Contact-centre agent/);
    assert.deepEqual(await auditActions(staff.id), ['auth.sign-in.password-accepted', 'auth.sign-in.completed']);

    // The pre-MFA session token is dead.
    const old = new TestClient(t.app);
    old.cookies.set('wardroom_session', pendingToken as string);
    assert.equal((await old.get('/staff')).statusCode, 303);
  });

  test('every staff page and action sends someone who is not signed in to sign in', async () => {
    const staffRoutes = t.app.registeredRoutes.filter((r) => r.url.startsWith('/staff') && r.method !== 'HEAD');
    assert.ok(staffRoutes.length >= 10);
    const client = new TestClient(t.app);
    await client.get('/sign-in');
    for (const route of staffRoutes) {
      const url = route.url.replace(/:(\w+)/g, '01a2b3c4-0000-7000-8000-000000000000');
      const response = route.method === 'GET' ? await client.get(url) : await client.post(url);
      assert.equal(response.statusCode, 303, `${route.method} ${route.url}`);
      assert.match(String(response.headers.location), /^\/sign-in/, `${route.method} ${route.url}`);
    }
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const staff = await staffAt();
    const client = new TestClient(t.app, '10.0.0.2');
    await client.get('/sign-in');
    const wrong = await client.post('/sign-in', { email: staff.email, password: 'not-the-password-at-all' });
    const unknown = await client.post('/sign-in', {
      email: 'nobody-here@example.gov.uk',
      password: 'not-the-password-at-all',
    });
    assert.equal(wrong.statusCode, 400);
    assert.equal(unknown.statusCode, 400);
    const message = (body: string) => /govuk-error-summary__list[\s\S]*?<a href="#email">([^<]+)<\/a>/.exec(body)?.[1];
    assert.equal(message(wrong.body), 'Enter a correct email address and password');
    assert.equal(message(unknown.body), message(wrong.body));
    assert.match(wrong.body, /value="[^"]*@example.gov.uk"/, 'what the person typed is kept');
    assert.match(wrong.body, /id="email-error"/);
    assert.doesNotMatch(wrong.body, /id="password-error"/, 'the message is not repeated on the password field');
  });

  test('after five failures an account is locked even for the right password, and so is an unknown address', async () => {
    const staff = await staffAt();
    const client = new TestClient(t.app, '10.0.0.3');
    await client.get('/sign-in');
    for (let i = 0; i < 5; i += 1)
      await client.post('/sign-in', { email: staff.email, password: `wrong-password-${i}-xx` });
    const locked = await client.post('/sign-in', { email: staff.email, password: staff.password });
    assert.equal(locked.statusCode, 400);
    assert.match(locked.body, /Too many attempts. Wait \d+ minutes? and try again./);
    assert.equal(client.cookies.has('wardroom_session'), false);

    for (let i = 0; i < 5; i += 1)
      await client.post('/sign-in', { email: 'ghost@example.gov.uk', password: `wrong-password-${i}-xx` });
    const ghost = await client.post('/sign-in', { email: 'ghost@example.gov.uk', password: 'anything-at-all-here' });
    assert.match(
      ghost.body,
      /Too many attempts. Wait \d+ minutes? and try again./,
      'unknown addresses lock the same way',
    );
  });

  test('a code is never accepted twice, and a wrong code says so', async () => {
    const staff = await staffAt();
    const first = new TestClient(t.app);
    await signIn(first, staff);
    const reused = totpCode(staff.totpSecret, totpStep() - 1);
    const second = new TestClient(t.app);
    await second.get('/sign-in');
    await second.post('/sign-in', { email: staff.email, password: staff.password });
    await second.get('/sign-in/mfa');
    const replay = await second.post('/sign-in/mfa', { code: reused });
    assert.equal(replay.statusCode, 400);
    assert.match(replay.body, /The code is not correct/);
    const empty = await second.post('/sign-in/mfa', { code: '' });
    assert.match(empty.body, /Enter the 6-digit code from your authenticator app/);
  });

  test('an idle session times out; a form posted after it goes to sign in and back to the form', async () => {
    const staff = await staffAt('admin');
    const client = new TestClient(t.app);
    await signIn(client, staff);
    await client.get('/staff/admin/users/invite');
    await database()
      .db.updateTable('sessions')
      .set({ idle_expires_at: '2000-01-01T00:00:00.000Z' })
      .where('user_id', '=', staff.id)
      .execute();
    const posted = await client.post(
      '/staff/admin/users/invite',
      { email: 'x@example.gov.uk' },
      { referer: 'http://localhost:80/staff/admin/users/invite' },
    );
    assert.equal(posted.statusCode, 303);
    assert.equal(posted.headers.location, '/sign-in?timedOut=1');
    const page = await client.get('/sign-in?timedOut=1');
    assert.match(page.body, /You were signed out because you had not used the service for 30 minutes/);
    await client.post('/sign-in', { email: staff.email, password: staff.password });
    await client.get('/sign-in/mfa');
    const back = await client.post('/sign-in/mfa', { code: staff.nextCode() });
    assert.equal(back.headers.location, '/staff/admin/users/invite');
  });

  test('signing out ends the session on the server', async () => {
    const staff = await staffAt();
    const client = new TestClient(t.app);
    await signIn(client, staff);
    const token = client.cookies.get('wardroom_session') as string;
    await client.get('/staff');
    const out = await client.post('/sign-out');
    assert.equal(out.headers.location, '/signed-out');
    const replay = new TestClient(t.app);
    replay.cookies.set('wardroom_session', token);
    assert.equal((await replay.get('/staff')).statusCode, 303);
    assert.ok((await auditActions(staff.id)).includes('auth.sign-out'));
  });

  test('a set-up link: password rules, MFA enrolment with QR code and key, recovery codes that work once', async () => {
    const staff = await createStaff(database(), { roles: [{ organisationId: orgId, role: 'comms' }], enrolled: false });
    await database()
      .db.updateTable('users')
      .set({ status: 'invited', password_hash: null })
      .where('id', '=', staff.id)
      .execute();
    const { token } = await t.app.services.auth.issueSetupLink(staff.id, null);
    const client = new TestClient(t.app);
    const form = await client.get(`/sign-in/set-up/${token}`);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /Create your password/);

    const short = await client.post(`/sign-in/set-up/${token}`, { password: 'short', confirmPassword: 'short' });
    assert.match(short.body, /Password must be 12 characters or more/);
    const common = await client.post(`/sign-in/set-up/${token}`, {
      password: 'password1234',
      confirmPassword: 'password1234',
    });
    assert.match(common.body, /on a list of common passwords/);
    const mismatch = await client.post(`/sign-in/set-up/${token}`, {
      password: 'teapot-river-lantern',
      confirmPassword: 'teapot-river-lantren',
    });
    assert.match(mismatch.body, /The passwords do not match/);
    const ok = await client.post(`/sign-in/set-up/${token}`, {
      password: 'teapot-river-lantern',
      confirmPassword: 'teapot-river-lantern',
    });
    assert.equal(ok.headers.location, '/sign-in/mfa/set-up');
    assert.equal((await new TestClient(t.app).get(`/sign-in/set-up/${token}`)).statusCode, 410, 'the link works once');

    const enrol = await client.get('/sign-in/mfa/set-up');
    assert.match(enrol.body, /<svg[\s\S]*<\/svg>/, 'a QR code');
    const key = /data-qa="totp-key">([A-Z2-7 ]+)</.exec(enrol.body)?.[1]?.replace(/ /g, '');
    assert.ok(key && key.length === 32, 'the key in text');
    const wrong = await client.post('/sign-in/mfa/set-up', {
      code: '000000' === totpCode(key, totpStep()) ? '111111' : '000000',
    });
    assert.match(wrong.body, /The code is not correct/);
    const enrolled = await client.post('/sign-in/mfa/set-up', { code: totpCode(key, totpStep()) });
    assert.equal(enrolled.headers.location, '/sign-in/recovery-codes');
    const codesPage = await client.get('/sign-in/recovery-codes');
    const codes = [...codesPage.body.matchAll(/<li>([a-z0-9]{5}-[a-z0-9]{5})<\/li>/g)].map((m) => m[1] as string);
    assert.equal(codes.length, 10);
    assert.equal((await client.get('/sign-in/recovery-codes')).headers.location, '/staff', 'codes are shown once');
    const stored = await database()
      .db.selectFrom('recovery_codes')
      .select('code_hash')
      .where('user_id', '=', staff.id)
      .execute();
    assert.equal(stored.length, 10);
    assert.ok(
      stored.every((r) => !codes.includes(r.code_hash)),
      'only hashes are stored',
    );

    const useCode = async (code: string) => {
      const c = new TestClient(t.app);
      await c.get('/sign-in');
      await c.post('/sign-in', { email: staff.email, password: 'teapot-river-lantern' });
      await c.get('/sign-in/recovery');
      return c.post('/sign-in/recovery', { code });
    };
    assert.equal((await useCode(codes[0] as string)).headers.location, '/staff');
    assert.equal((await useCode(codes[0] as string)).statusCode, 400, 'a recovery code works once');
  });

  test('five wrong MFA codes end the part-signed-in session and lock the account', async () => {
    const staff = await staffAt();
    const client = new TestClient(t.app, '10.0.0.7');
    await client.get('/sign-in');
    await client.post('/sign-in', { email: staff.email, password: staff.password });
    await client.get('/sign-in/mfa');
    const valid = new Set([-1, 0, 1].map((d) => totpCode(staff.totpSecret, totpStep() + d)));
    const wrongCodes = ['000000', '111111', '222222', '333333', '444444', '555555', '666666'].filter(
      (c) => !valid.has(c),
    );
    let last;
    for (const code of wrongCodes.slice(0, 5)) last = await client.post('/sign-in/mfa', { code });
    assert.equal(last?.statusCode, 429);
    assert.match(last?.body ?? '', /Too many attempts/);
    assert.equal(client.cookies.has('wardroom_session'), false);
    await client.get('/sign-in');
    const again = await client.post('/sign-in', { email: staff.email, password: staff.password });
    assert.match(again.body, /Too many attempts/, 'the right password is refused while locked');
  });

  test('a password alone never enrols an authenticator, and the key offered belongs to the sign-in attempt', async () => {
    const staff = await createStaff(database(), { roles: [{ organisationId: orgId, role: 'agent' }], enrolled: false });
    const client = new TestClient(t.app);
    await client.get('/sign-in');
    const refused = await client.post('/sign-in', { email: staff.email, password: staff.password });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /Your account is not set up yet/);
    assert.equal(client.cookies.has('wardroom_session'), false);

    const { token } = await t.app.services.auth.issueSetupLink(staff.id, null);
    await client.get(`/sign-in/set-up/${token}`);
    await client.post(`/sign-in/set-up/${token}`, {
      password: 'lantern-teapot-river',
      confirmPassword: 'lantern-teapot-river',
    });
    const page = await client.get('/sign-in/mfa/set-up');
    assert.match(page.body, /data-qa="totp-key"/);
    const user = await database()
      .db.selectFrom('users')
      .select(['totp_secret_box', 'totp_enrolled_at'])
      .where('id', '=', staff.id)
      .executeTakeFirstOrThrow();
    assert.equal(user.totp_secret_box, null, 'the offered key is not stored on the account until confirmed');
    assert.equal(user.totp_enrolled_at, null);
  });
});

describeEachDatabase('sign-in throttle', (database) => {
  test('attempts sent at the same moment are each counted once', async () => {
    const at = new Date().toISOString();
    const counts = await Promise.all(
      Array.from({ length: 20 }, () =>
        countAttempt(database().db, 'parallel', { at, freshAfter: '2000-01-01T00:00:00.000Z', limit: 5 }),
      ),
    );
    assert.deepEqual(
      counts.map((c) => c.failures).sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });
});
