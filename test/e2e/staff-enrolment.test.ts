// A new member of staff: invited on the command line, sets a password from the one-time link,
// sets up an authenticator app, saves recovery codes, then signs out and back in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AuthenticatorCodePage,
  AuthenticatorSetUpPage,
  CreatePasswordPage,
  RecoveryCodesPage,
  SignedOutPage,
  SignInPage,
} from './pages/sign-in-pages.ts';
import { IncidentRoomPage } from './pages/staff-pages.ts';
import { Authenticator } from './support/authenticator.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

describeJourneys('staff enrolment journey', (e2e) => {
  test(
    'an invited agent sets up their account and authenticator app, then signs in again',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        const email = 'sam.agent@westminster.gov.uk';
        const password = 'lantern-quarry-biscuit-47';

        const printed = await server.cli(['user', 'add', '--email', email, '--org', 'westminster', '--role', 'agent']);
        assert.match(
          printed,
          /Account created for sam\.agent@westminster\.gov\.uk \(agent at Westminster City Council\)/,
        );
        const link = /^(http:\/\/\S+\/sign-in\/set-up\/\S+)$/m.exec(printed)?.[1];
        assert.ok(
          link && link.startsWith(`${server.baseUrl}/sign-in/set-up/`),
          `no set-up link for this server in:\n${printed}`,
        );

        // Create a password: too short first.
        assert.equal((await journey.goto(link)).status(), 200);
        const create = await new CreatePasswordPage(journey).check();
        assert.match(
          await journey.page.locator('main').innerText(),
          /setting up the account for sam\.agent@westminster\.gov\.uk/,
        );
        await create.create('too-short');
        assert.equal(journey.lastDocument?.status, 400);
        await create.check();
        assert.deepEqual(await create.errorSummary(), ['Password must be 12 characters or more']);
        assert.equal(await create.fieldError('password'), 'Password must be 12 characters or more');
        await create.create(password);

        // Set up the authenticator app, with the key in text (as for someone who cannot scan the QR code).
        const setUp = await new AuthenticatorSetUpPage(journey).check();
        const key = await setUp.key();
        assert.match(key, /^[A-Z2-7]{32}$/, 'a 160-bit base32 key');
        const app = new Authenticator(key);
        await setUp.enterCode(app.wrongCode());
        assert.equal(journey.lastDocument?.status, 400);
        await setUp.check();
        assert.deepEqual(await setUp.errorSummary(), [
          'The code is not correct. Check your app and enter the newest code',
        ]);
        assert.equal(await setUp.key(), key, 'the same key is shown again');
        await setUp.enterCode(await app.nextCode());

        const recovery = await new RecoveryCodesPage(journey).check();
        const codes = await recovery.codes();
        assert.equal(codes.length, 10);
        assert.equal(new Set(codes).size, 10, 'the recovery codes are all different');
        await recovery.continue();

        const room = await new IncidentRoomPage(journey).check();
        assert.match(await room.signedInAs(), /\(sam\.agent@westminster\.gov\.uk\)/);
        assert.deepEqual(await room.roles(), [['Westminster City Council', 'Contact-centre agent']]);

        // Sign out, and back in with the password and a new code.
        await room.signOut();
        await new SignedOutPage(journey).check();
        assert.equal((await journey.goto('/staff')).status(), 200);
        const signIn = await new SignInPage(journey).check();
        await signIn.signIn(email, password);

        const code = await new AuthenticatorCodePage(journey).check();
        await code.enterCode(app.wrongCode());
        assert.equal(journey.lastDocument?.status, 400);
        await code.check();
        assert.deepEqual(await code.errorSummary(), ['The code is not correct. Enter the newest code from your app']);
        assert.equal(await code.fieldError('code'), 'The code is not correct. Enter the newest code from your app');
        await code.enterCode(await app.nextCode());

        const again = await new IncidentRoomPage(journey).check();
        assert.match(await again.signedInAs(), /\(sam\.agent@westminster\.gov\.uk\)/);
      }),
  );
});
