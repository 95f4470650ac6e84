// Page objects for the data protection officer's breach pages.
import { BasePage } from '../support/base-page.ts';

abstract class BreachPage extends BasePage {
  async clockState(): Promise<string> {
    return (await this.qa('clock-state').first().innerText()).trim();
  }

  async clockText(): Promise<string> {
    return (await this.qa('clock-text').first().innerText()).trim();
  }
}

export class BreachDashboardPage extends BreachPage {
  readonly heading = 'Personal data breaches';
  readonly path = '/staff/breaches';

  async councils(): Promise<string[]> {
    return (await this.qa('council').allInnerTexts()).map((c) => c.trim());
  }

  async openRecord(incidentTitle: string): Promise<void> {
    await this.journey.navigate(() => this.qa('breach-link').filter({ hasText: incidentTitle }).click());
  }

  async openRegister(): Promise<void> {
    await this.journey.navigate(() => this.qa('register-link').click());
  }
}

export class BreachRecordPage extends BreachPage {
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}$/;
  constructor(
    journey: BasePage['journey'],
    readonly council: string,
  ) {
    super(journey);
  }

  get heading(): string {
    return `Breach record: ${this.council}`;
  }

  async banner(): Promise<string> {
    return (await this.page.locator('.govuk-notification-banner').innerText()).replace(/\s+/g, ' ').trim();
  }

  async section(name: 'what-happened' | 'data-and-people' | 'risk' | 'telling-people'): Promise<string> {
    return (await this.qa(name).innerText()).replace(/\s+/g, ' ').trim();
  }

  async change(): Promise<void> {
    await this.journey.navigate(() => this.qa('edit-record').click());
  }

  async assessRisk(): Promise<void> {
    await this.journey.navigate(() => this.qa('assess-risk').click());
  }

  async openSentReport(kind: 'Initial report' | 'Follow-up report'): Promise<void> {
    await this.journey.navigate(() => this.qa('submissions').getByRole('link', { name: kind }).click());
  }

  async recordReport(): Promise<void> {
    await this.journey.navigate(() => this.qa('record-submission').click());
  }

  async openReport(): Promise<void> {
    await this.journey.navigate(() => this.qa('report-link').click());
  }
}

export class BreachRecordFormPage extends BasePage {
  readonly heading = 'Change the breach record';
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}\/edit$/;

  async save(): Promise<void> {
    await this.journey.navigate(() => this.qa('save-record').click());
  }
}

export class RiskAssessmentPage extends BasePage {
  readonly heading = 'Assess the risk to people';
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}\/risk$/;

  async save(): Promise<void> {
    await this.journey.navigate(() => this.qa('save-risk').click());
  }
}

/** A report as it was sent to the ICO. */
export class SentReportPage extends BasePage {
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}\/submissions\/[0-9a-f-]{36}$/;
  constructor(
    journey: BasePage['journey'],
    readonly heading: 'Initial report' | 'Follow-up report',
  ) {
    super(journey);
  }

  async report(): Promise<string> {
    return (await this.qa('report').innerText()).replace(/\s+/g, ' ').trim();
  }
}

export class RecordReportPage extends BasePage {
  readonly heading = 'Record a follow-up report to the ICO';
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}\/submissions\/new$/;
}

export class BreachReportPage extends BasePage {
  readonly heading = 'Personal data breach report';
  readonly path = /^\/staff\/breaches\/[0-9a-f-]{36}\/report$/;

  /** The section headings, as numbered on the page. */
  async sections(): Promise<string[]> {
    return (await this.qa('report-section').locator('h2').allInnerTexts()).map((h) => h.trim());
  }
}

export class BreachRegisterPage extends BasePage {
  readonly heading = 'Breach register';
  readonly path = '/staff/breaches/register';

  async entries(): Promise<number> {
    return this.qa('register-entry').count();
  }
}
