// Issue 5's scam warning: comms writes a warning, past the error summary, and cannot approve it; an
// incident manager approves it; residents see it under "Scams to look out for" near the top of the
// council's incident page, with JavaScript on and off. Every page passes axe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { PageAt } from './support/page-at.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const TITLE = 'Texts about a council tax refund';
const INCIDENT_TITLE = 'Cyber attack on shared IT systems';

describeJourneys('scam warning journey', (e2e) => {
  test(
    'comms writes a warning, an incident manager approves it, residents see it',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        await signInAsDemo(journey, server.demo('comms'));
        await journey.goto('/staff/incidents');
        await journey.navigate(() => journey.page.getByRole('link', { name: INCIDENT_TITLE }).click());
        await new PageAt(journey, INCIDENT_TITLE, /^\/staff\/incidents\/[\w-]+$/).check();
        await journey.navigate(() => journey.page.locator('[data-qa="scam-warnings-link"]').click());
        await new PageAt(journey, 'Scam warnings', /\/scam-warnings$/).check();
        await journey.navigate(() => journey.page.locator('[data-qa="new-warning"]').click());
        const form = await new PageAt(journey, 'New scam warning', /\/scam-warnings\/new$/).check();
        const westminster = form.page.getByLabel('Westminster City Council');
        if (await westminster.count()) await westminster.check();
        await form.page.fill('#title', TITLE);
        await journey.navigate(() => form.page.locator('[data-qa="save-warning"]').click());
        const wrong = await new PageAt(journey, 'New scam warning', /\/scam-warnings\/new$/).check();
        assert.deepEqual(await wrong.errorSummary(), [
          'Enter what the scam looks like',
          'Enter how to spot it',
          'Enter what to do',
        ]);
        await wrong.page.fill('#summary', 'Texts saying you are owed a council tax refund and linking to a website.');
        await wrong.page.fill(
          '#howToSpot',
          'We never text about refunds. The link is not to a westminster.gov.uk address.',
        );
        await wrong.page.fill(
          '#whatToDo',
          'Do not click the link. Forward the text to 7726. Call us on 020 7641 1919.',
        );
        await journey.navigate(() => wrong.page.locator('[data-qa="save-warning"]').click());
        const drafted = await new PageAt(journey, TITLE, /\/scam-warnings\/[\w-]+$/).check();
        assert.equal(await drafted.page.locator('[data-qa="review"]').count(), 0, 'comms is not offered approval');
        const warningPath = new URL(journey.page.url()).pathname;
        assert.equal((await journey.goto(`${warningPath}/approve`)).status(), 404, 'comms cannot approve');
        await journey.goto('/staff');
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        await signInAsDemo(journey, server.demo('incident-manager'));
        await journey.goto(warningPath);
        await new PageAt(journey, TITLE, warningPath).check();
        await journey.navigate(() => journey.page.locator('[data-qa="review"]').click());
        await new PageAt(journey, 'Approve a scam warning', `${warningPath}/approve`).check();
        await journey.navigate(() => journey.page.locator('[data-qa="approve"]').click());
        const published = await new PageAt(journey, TITLE, warningPath).check();
        assert.equal(await published.page.locator('[data-qa="state"]').innerText(), 'Published');
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        await journey.goto('/westminster/cyber-incident');
        const incident = await new PageAt(journey, INCIDENT_TITLE, '/westminster/cyber-incident').check();
        const warnings = await incident.page.locator('[data-qa="scam-warnings"]').innerText();
        assert.match(warnings, new RegExp(TITLE));
        assert.match(warnings, /Do not click the link/);
      }),
  );

  test('the incident page with a warning, without JavaScript', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(
      async (journey) => {
        await journey.goto('/westminster/cyber-incident');
        const incident = await new PageAt(journey, INCIDENT_TITLE, '/westminster/cyber-incident').check();
        assert.match(await incident.page.locator('[data-qa="scam-warnings"]').innerText(), new RegExp(TITLE));
      },
      { javaScriptEnabled: false },
    ),
  );
});
