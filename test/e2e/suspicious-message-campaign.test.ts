// Issue 5's journey end to end: a resident uploads a suspicious .eml and sees the acknowledgement;
// an analyst opens the campaign the report was grouped into, marks it a scam (the resident, who
// asked, hears the outcome by email) and drafts a scam warning; an incident manager signs it off;
// the warning appears on the council's public incident page. axe runs on every page.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const FORM = '/westminster/report-a-suspicious-message';
const EML = fileURLToPath(
  new URL('../../src/modules/suspicious-messages/test-fixtures/corpus/scam/refund-campaign-1.eml', import.meta.url),
);
const INCIDENT_TITLE = 'Cyber attack on shared IT systems';
const WARNING = 'Emails offering a council tax refund';

describeJourneys('suspicious message to scam warning journey', (e2e) => {
  test(
    'a resident reports an email; an analyst marks its campaign a scam and a signed-off warning goes public',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        const resident = 'refund-reporter@example.com';

        // The resident reports what they received.
        await journey.goto(FORM);
        const form = await new PageAt(journey, 'Report a suspicious message', FORM).check();
        await form.page.locator('#kind').check();
        await form.page.locator('#emailFile').setInputFiles(EML);
        await form.page.fill('#claimedSender', 'Westminster City Council');
        await form.page.fill('#email', resident);
        await form.page.locator('#wantsOutcome').check();
        await journey.navigate(() => form.page.locator('[data-qa="continue"]').click());
        const check = await new PageAt(
          journey,
          'Check your answers before sending your report',
          `${FORM}/check`,
        ).check();
        await journey.navigate(() => check.page.locator('[data-qa="send"]').click());
        const sent = await new PageAt(journey, 'Report sent', `${FORM}/sent`).check();
        const reference = (await sent.page.locator('[data-qa="reference"]').innerText()).trim();
        await waitFor(`the acknowledgement of ${reference}`, () =>
          server.smtp.received.find(
            (m) => m.envelopeTo.includes(resident) && (m.header('subject') ?? '').includes(reference),
          ),
        );

        // The analyst finds the report, waits for it to be grouped, and opens its campaign.
        await signInAsDemo(journey, server.demo('analyst'));
        await journey.goto('/staff/reports/all');
        await new PageAt(journey, 'Reported messages', '/staff/reports/all', 'Reported messages: every report').check();
        await journey.navigate(() => journey.page.getByRole('link', { name: reference }).click());
        const reportPath = new URL(journey.page.url()).pathname;
        const campaignLink = journey.page.locator('.govuk-summary-list a[href^="/staff/reports/campaigns/"]');
        await waitFor(
          `${reference} to join a campaign`,
          async () => {
            await journey.goto(reportPath);
            return (await campaignLink.count()) > 0;
          },
          { timeoutMs: 15_000, intervalMs: 250 },
        );
        await new PageAt(journey, `Report ${reference}`, reportPath).check();
        const campaignTitle = (await campaignLink.first().innerText()).trim();
        const campaignPath = (await campaignLink.first().getAttribute('href')) ?? '';
        await journey.navigate(() => campaignLink.first().click());
        const campaign = await new PageAt(journey, campaignTitle, campaignPath).check();
        assert.match(await campaign.page.locator('[data-qa="message-text"]').innerText(), /hxxps?:\/\/\S+\[\.\]/);

        // The verdict applies to the whole campaign; the resident asked to hear it.
        await campaign.page.locator('input[name="verdict"][value="scam"]').check();
        await journey.navigate(() => campaign.page.locator('[data-qa="save-verdict"]').click());
        await new PageAt(journey, campaignTitle, campaignPath).check();
        const outcome = await waitFor(`the outcome for ${resident}`, () =>
          server.smtp.received.find(
            (m) =>
              m.envelopeTo.includes(resident) &&
              (m.header('subject') ?? '').startsWith('What we found about your report'),
          ),
        );
        assert.match(outcome.text, /scam/i);

        // The analyst drafts a warning from the campaign, for sign-off.
        await journey.navigate(() => journey.page.locator('[data-qa="publish-warning"]').click());
        const warningForm = await new PageAt(journey, 'Publish a scam warning', `${campaignPath}/warning`).check();
        assert.match(await warningForm.page.locator('#howToSpot').inputValue(), /\[\.\]/);
        await warningForm.page.fill('#title', WARNING);
        await journey.navigate(() => warningForm.page.locator('[data-qa="draft-warning"]').click());
        await new PageAt(journey, campaignTitle, campaignPath).check();
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        // An incident manager signs it off.
        await signInAsDemo(journey, server.demo('incident-manager'));
        await journey.goto('/staff/incidents');
        await journey.navigate(() => journey.page.getByRole('link', { name: INCIDENT_TITLE }).click());
        await journey.navigate(() => journey.page.locator('[data-qa="scam-warnings-link"]').click());
        await new PageAt(journey, 'Scam warnings', /\/scam-warnings$/).check();
        await journey.navigate(() => journey.page.getByRole('link', { name: WARNING }).click());
        const warningPath = new URL(journey.page.url()).pathname;
        await new PageAt(journey, WARNING, warningPath).check();
        await journey.navigate(() => journey.page.locator('[data-qa="review"]').click());
        await new PageAt(journey, 'Approve a scam warning', `${warningPath}/approve`).check();
        await journey.navigate(() => journey.page.locator('[data-qa="approve"]').click());
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        // Residents see it on the council's incident page.
        await journey.goto('/westminster/cyber-incident');
        const incident = await new PageAt(journey, INCIDENT_TITLE, '/westminster/cyber-incident').check();
        assert.match(await incident.page.locator('[data-qa="scam-warnings"]').innerText(), new RegExp(WARNING));
      }),
  );
});
