// A council's report addresses, set in the browser: an incident manager finds the page in the staff
// navigation, is told what is wrong with an address that is not one, and adds an address that
// forwarded emails then go to. axe runs on every page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const LIST = '/staff/reports/settings';

describeJourneys('report addresses journey', (e2e) => {
  test(
    'an incident manager adds a report address; one that is not an address is refused',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await signInAsDemo(journey, e2e.server().demo('incident-manager'));
        await journey.goto('/staff');
        const home = journey.page;
        await journey.navigate(() => home.getByRole('link', { name: 'Report addresses' }).first().click());
        const list = await new PageAt(journey, 'Report addresses', LIST).check();
        assert.match(
          await list.page.locator('[data-qa="report-addresses-westminster"]').innerText(),
          /report-a-scam@westminster\.gov\.uk/,
        );
        await journey.navigate(() => list.page.locator('[data-qa="change-westminster"]').click());
        const FORM = /^\/staff\/reports\/settings\/[\w-]+$/;
        const form = await new PageAt(
          journey,
          'Report addresses',
          FORM,
          'Report addresses for Westminster City Council',
        ).check();
        await form.page.fill('#reportAddresses', 'report-a-scam@westminster.gov.uk\nscams at westminster');
        await journey.navigate(() => form.page.locator('[data-qa="save-report-addresses"]').click());
        const refused = await new PageAt(
          journey,
          'Report addresses',
          FORM,
          'Report addresses for Westminster City Council',
        ).check();
        const [problem] = await refused.errorSummary();
        assert.match(problem ?? '', /^These are not email addresses: scams, at, westminster/);
        await refused.page.fill('#reportAddresses', 'report-a-scam@westminster.gov.uk\nscams@westminster.gov.uk');
        await journey.navigate(() => refused.page.locator('[data-qa="save-report-addresses"]').click());
        const saved = await new PageAt(journey, 'Report addresses', LIST).check();
        assert.match(await saved.page.locator('.govuk-notification-banner').innerText(), /Report addresses saved/);
        assert.match(
          await saved.page.locator('[data-qa="report-addresses-westminster"]').innerText(),
          /report-a-scam@westminster\.gov\.uk, scams@westminster\.gov\.uk/,
        );
      }),
  );
});
