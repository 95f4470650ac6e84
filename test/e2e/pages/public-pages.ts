// Page objects for the public site: what residents see, with no sign-in.
import type { Journey } from '../support/journey.ts';
import { BasePage } from '../support/base-page.ts';

export class HomePage extends BasePage {
  readonly heading = 'Council cyber incident information';
  readonly path = '/';
  override get title(): string {
    return 'Find your council';
  }

  /** The councils as listed, in order. */
  async councils(): Promise<string[]> {
    return (await this.qa('council-list').getByRole('link').allInnerTexts()).map((name) => name.trim());
  }

  async openCouncil(name: string): Promise<CouncilPage> {
    await this.journey.navigate(() => this.qa('council-list').getByRole('link', { name, exact: true }).click());
    return new CouncilPage(this.journey, name).check();
  }
}

export class CouncilPage extends BasePage {
  readonly path = /^\/[a-z0-9-]+$/;
  constructor(
    journey: Journey,
    readonly heading: string,
  ) {
    super(journey);
  }

  async officialDomains(): Promise<string[]> {
    return (await this.qa('official-domains').locator('li').allInnerTexts()).map((d) => d.trim());
  }

  /** The footer link every public page has, e.g. "Accessibility statement". */
  async followFooterLink(text: 'Accessibility statement' | 'Privacy notice'): Promise<void> {
    await this.journey.navigate(() =>
      this.page.locator('footer').getByRole('link', { name: text, exact: true }).click(),
    );
  }
}

/** The accessibility statement and privacy notice, site-wide or for one council. */
export class InformationPage extends BasePage {
  constructor(
    journey: Journey,
    readonly heading: 'Accessibility statement' | 'Privacy notice',
    readonly path: string,
  ) {
    super(journey);
  }
}

export class NotFoundPage extends BasePage {
  readonly heading = 'Page not found';
  constructor(
    journey: Journey,
    readonly path: string,
  ) {
    super(journey);
  }
}

/** A council's cyber incident page. */
export class IncidentPage extends BasePage {
  constructor(
    journey: Journey,
    readonly heading: string,
    readonly path: string,
  ) {
    super(journey);
  }

  async contacts(): Promise<string> {
    return this.qa('contacts').innerText();
  }

  /** The service names in the status table, as shown. */
  async services(): Promise<string[]> {
    return this.qa('services').locator('tbody tr td:first-child').allInnerTexts();
  }

  async filterBy(group: string): Promise<void> {
    await this.page
      .getByRole('navigation', { name: 'Filter services by type' })
      .getByRole('link', { name: group })
      .click();
  }

  async openService(name: string): Promise<void> {
    await this.qa('services').getByRole('link', { name }).click();
  }
}

export class ServicePage extends BasePage {
  constructor(
    journey: Journey,
    readonly heading: string,
    readonly path: string,
  ) {
    super(journey);
  }
}
