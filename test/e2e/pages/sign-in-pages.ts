// Page objects for signing in: password, setting up an account from its link, the authenticator
// app, recovery codes and signing out.
import { BasePage } from '../support/base-page.ts';

export class SignInPage extends BasePage {
  readonly heading = 'Sign in';
  readonly path = '/sign-in';

  async signIn(email: string, password: string): Promise<void> {
    await this.page.getByLabel('Email address', { exact: true }).fill(email);
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.journey.navigate(() => this.qa('sign-in').click());
  }

  async enteredEmail(): Promise<string> {
    return this.page.getByLabel('Email address', { exact: true }).inputValue();
  }
}

export class CreatePasswordPage extends BasePage {
  readonly heading = 'Create your password';
  readonly path = /^\/sign-in\/set-up\/[^/]+$/;

  async create(password: string, confirmation = password): Promise<void> {
    await this.page.getByLabel('Password', { exact: true }).fill(password);
    await this.page.getByLabel('Confirm password', { exact: true }).fill(confirmation);
    await this.journey.navigate(() => this.qa('create-password').click());
  }
}

export class AuthenticatorSetUpPage extends BasePage {
  readonly heading = 'Set up your authenticator app';
  readonly path = '/sign-in/mfa/set-up';

  /** The key shown for typing into an app, as the app wants it (no spaces). */
  async key(): Promise<string> {
    return (await this.qa('totp-key').innerText()).replace(/\s+/g, '');
  }

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel('Code from your app', { exact: true }).fill(code);
    await this.journey.navigate(() => this.qa('confirm-code').click());
  }
}

export class RecoveryCodesPage extends BasePage {
  readonly heading = 'Save your recovery codes';
  readonly path = '/sign-in/recovery-codes';

  async codes(): Promise<string[]> {
    return (await this.qa('recovery-codes').locator('li').allInnerTexts()).map((c) => c.trim());
  }

  async continue(): Promise<void> {
    await this.journey.navigate(() => this.page.getByRole('button', { name: 'I have saved my codes' }).click());
  }
}

export class AuthenticatorCodePage extends BasePage {
  readonly heading = 'Enter the code from your authenticator app';
  readonly path = '/sign-in/mfa';

  async enterCode(code: string): Promise<void> {
    await this.page.getByLabel(this.heading, { exact: true }).fill(code);
    await this.journey.navigate(() => this.qa('confirm-code').click());
  }
}

export class SignedOutPage extends BasePage {
  readonly heading = 'You have signed out';
  readonly path = '/signed-out';
}
