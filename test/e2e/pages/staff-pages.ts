// Page objects for the staff side, behind sign-in.
import { BasePage } from '../support/base-page.ts';

abstract class StaffPage extends BasePage {
  /** "Signed in as Name (email)" above every staff page. */
  async signedInAs(): Promise<string> {
    return (await this.page.getByText('Signed in as').innerText()).replace(/\s+/g, ' ').trim();
  }

  async signOut(): Promise<void> {
    await this.journey.navigate(() => this.qa('sign-out').click());
  }
}

export class IncidentRoomPage extends StaffPage {
  readonly heading = 'Incident room';
  readonly path = '/staff';

  /** Each row of "Your roles": organisation and role. */
  async roles(): Promise<string[][]> {
    const rows = this.page.locator('table tbody tr');
    const out: string[][] = [];
    for (const row of await rows.all()) out.push((await row.locator('td, th').allInnerTexts()).map((c) => c.trim()));
    return out;
  }
}

export class StaffAccountsPage extends StaffPage {
  readonly heading = 'Staff accounts';
  readonly path = '/staff/admin/users';
}
