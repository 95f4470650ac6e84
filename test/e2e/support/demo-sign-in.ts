// Signing in as one of the demo staff through the real pages: password, then a code from the
// authenticator. One authenticator per account for the whole test file, so no code is used twice
// (the server refuses a code it has seen).
import type { DemoCredential } from '../../../src/platform/demo/seed-demo.ts';
import { AuthenticatorCodePage, SignInPage } from '../pages/sign-in-pages.ts';
import { Authenticator } from './authenticator.ts';
import type { Journey } from './journey.ts';

const authenticators = new Map<string, Authenticator>();

export async function signInAsDemo(journey: Journey, who: DemoCredential): Promise<void> {
  let authenticator = authenticators.get(who.totpSecret);
  if (!authenticator) {
    authenticator = new Authenticator(who.totpSecret);
    authenticators.set(who.totpSecret, authenticator);
  }
  await journey.goto('/sign-in');
  await (await new SignInPage(journey).check()).signIn(who.email, who.password);
  await (await new AuthenticatorCodePage(journey).check()).enterCode(await authenticator.nextCode());
}
