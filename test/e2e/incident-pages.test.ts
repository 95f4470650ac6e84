// A resident reads their council's cyber incident page: what happened, what to do, who to call,
// which services work, and a service's own page; with and without JavaScript.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CouncilPage, IncidentPage, ServicePage } from './pages/public-pages.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

describeJourneys('incident page journeys', (e2e) => {
  for (const javaScriptEnabled of [true, false]) {
    test(
      `a Westminster resident finds the incident page, filters services and opens one (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`,
      { timeout: JOURNEY_TIMEOUT_MS },
      () =>
        e2e.journey(
          async (journey) => {
            await journey.goto('/westminster');
            const council = await new CouncilPage(journey, 'Westminster City Council').check();
            await council.page.locator('[data-qa="incident-link"]').click();
            const incident = await new IncidentPage(
              journey,
              'Cyber attack on shared IT systems',
              '/westminster/cyber-incident',
            ).check();
            assert.match(await incident.contacts(), /020 7641 1919/);
            assert.match(await incident.contacts(), /cyberenquiry@westminster\.gov\.uk/);
            assert.ok((await incident.services()).includes('Report It (FixMyStreet)'));

            await incident.filterBy('Bins and waste');
            await incident.check();
            assert.deepEqual(await incident.services(), ['Waste: bags, missed and bulky collections']);

            await incident.openService('Waste: bags, missed and bulky collections');
            await new ServicePage(
              journey,
              'Waste: bags, missed and bulky collections',
              '/westminster/cyber-incident/services/waste',
            ).check();
            assert.match(await journey.page.locator('main').innerText(), /Veolia on 020 7641 6180/);
          },
          { javaScriptEnabled },
        ),
    );
  }
});
