// Page objects for setting an incident up: the staff incident page, adding a service, the public
// contacts and adding one, and the organisations on the incident.
import { BasePage } from '../support/base-page.ts';
import type { Journey } from '../support/journey.ts';

export class StaffIncidentPage extends BasePage {
  readonly path = /^\/staff\/incidents\/[\w-]+$/;
  constructor(
    journey: Journey,
    readonly heading: string,
  ) {
    super(journey);
  }

  async savedBanner(): Promise<string> {
    return this.page.locator('.govuk-notification-banner').innerText();
  }

  async addServiceFor(council: string): Promise<void> {
    await this.journey.navigate(() =>
      this.qa('add-service-links')
        .getByRole('link', { name: `Add a service for ${council}` })
        .click(),
    );
  }

  async openContacts(): Promise<void> {
    await this.journey.navigate(() => this.qa('contacts-link').click());
  }

  async changeOrganisations(): Promise<void> {
    await this.journey.navigate(() =>
      this.qa('incident-record').getByRole('link', { name: 'Change organisations on the incident' }).first().click(),
    );
  }

  async timeline(): Promise<string> {
    return this.qa('timeline').innerText();
  }
}

export class AddServicePage extends BasePage {
  readonly heading = 'Add a service';
  readonly path = /^\/staff\/incidents\/[\w-]+\/councils\/[\w-]+\/services\/new$/;
  constructor(
    journey: Journey,
    readonly council: string,
  ) {
    super(journey);
  }
  override get title(): string {
    return `Add a service for ${this.council}`;
  }

  async add(service: {
    name: string;
    group: string;
    status: string;
    workaround: string;
    expectedBack: string;
  }): Promise<void> {
    await this.page.getByLabel('Name of the service').fill(service.name);
    await this.page.getByLabel('Type of service').selectOption({ label: service.group });
    await this.page.getByRole('radio', { name: service.status, exact: true }).check();
    await this.page.getByLabel('What residents can do instead').fill(service.workaround);
    await this.page.getByLabel('Expected back (optional)').fill(service.expectedBack);
    await this.submit();
  }

  async submit(): Promise<void> {
    await this.journey.navigate(() => this.qa('add-service').click());
  }
}

export class ContactsPage extends BasePage {
  readonly heading = 'Public contacts';
  readonly path = /^\/staff\/incidents\/[\w-]+\/contacts$/;

  async contactsOf(councilSlug: string): Promise<string> {
    return this.qa(`contacts-${councilSlug}`).innerText();
  }

  async addPhoneNumberFor(councilSlug: string): Promise<void> {
    await this.journey.navigate(() =>
      this.qa(`add-contact-${councilSlug}`)
        .getByRole('link', { name: /^Add a phone number/ })
        .click(),
    );
  }
}

export class AddPhoneNumberPage extends BasePage {
  readonly heading = 'Add a phone number';
  readonly path = /^\/staff\/incidents\/[\w-]+\/councils\/[\w-]+\/contacts\/new\/phone$/;
  constructor(
    journey: Journey,
    readonly council: string,
  ) {
    super(journey);
  }
  override get title(): string {
    return `Add a phone number for ${this.council}`;
  }

  async add(label: string, number: string, hours: string): Promise<void> {
    await this.page.getByLabel('What it is for').fill(label);
    await this.page.getByLabel('Phone number').fill(number);
    await this.page.getByLabel('Opening hours (optional)').fill(hours);
    await this.journey.navigate(() => this.qa('save-contact').click());
  }
}

export class OrganisationsPage extends BasePage {
  readonly heading = 'Organisations on the incident';
  readonly path = /^\/staff\/incidents\/[\w-]+\/organisations$/;

  async organisations(): Promise<string> {
    return this.qa('organisations').innerText();
  }

  async add(name: string): Promise<void> {
    await this.page.getByLabel('Organisation', { exact: true }).selectOption({ label: name });
    await this.journey.navigate(() => this.qa('add-organisation').click());
  }
}
