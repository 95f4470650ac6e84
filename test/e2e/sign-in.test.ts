// Staff sign-in: the page itself, wrong details, and coming back to the page that asked for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthenticatorCodePage, SignInPage } from './pages/sign-in-pages.ts';
import { StaffAccountsPage } from './pages/staff-pages.ts';
import { Authenticator } from './support/authenticator.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const WRONG_DETAILS = 'Enter a correct email address and password';

describeJourneys('staff sign-in journeys', (e2e) => {
  test('a wrong password and an unknown email get the same message', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      const comms = e2e.server().demo('comms');
      assert.equal((await journey.goto('/sign-in')).status(), 200);
      const signIn = await new SignInPage(journey).check();

      const seen: string[][] = [];
      for (const email of [comms.email, 'nobody-here@westminster.gov.uk']) {
        await signIn.signIn(email, 'not-the-password-at-all');
        assert.equal(journey.lastDocument?.status, 400);
        await signIn.check();
        const messages = await signIn.errorSummary();
        seen.push(messages);
        assert.deepEqual(messages, [WRONG_DETAILS]);
        assert.equal(await signIn.fieldError('email'), WRONG_DETAILS);
        assert.equal(await signIn.enteredEmail(), email, 'the email address typed is kept');
        assert.equal(
          await journey.page.getByLabel('Password', { exact: true }).inputValue(),
          '',
          'the password is not',
        );
      }
      assert.deepEqual(seen[0], seen[1], 'nobody can tell from the page whether an account exists');
    }),
  );

  test('a staff page visited signed out asks for sign-in, then returns there', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      const admin = e2e.server().demo('admin');
      const app = new Authenticator(admin.totpSecret);

      assert.equal((await journey.goto('/staff/admin/users')).status(), 200);
      const signIn = await new SignInPage(journey).check();
      await signIn.signIn(admin.email, admin.password);

      const code = await new AuthenticatorCodePage(journey).check();
      await code.enterCode(await app.nextCode());

      const accounts = await new StaffAccountsPage(journey).check();
      assert.match(await accounts.signedInAs(), /\(admin@demo\.wardroom\.test\)/);
      assert.match(await journey.page.locator('table').innerText(), /incident-manager@demo\.wardroom\.test/);
    }),
  );
});
