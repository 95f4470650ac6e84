// Residents' journeys on the public site: find your council, read the statements, get lost, and
// all of it without JavaScript too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CouncilPage, HomePage, InformationPage, NotFoundPage } from './pages/public-pages.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const COUNCILS = [
  'Hammersmith & Fulham Council',
  'Royal Borough of Kensington and Chelsea',
  'Westminster City Council',
];

describeJourneys('public site journeys', (e2e) => {
  test('the home page lists the three councils and each leads to its own page', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      assert.equal((await journey.goto('/')).status(), 200);
      const home = await new HomePage(journey).check();
      assert.deepEqual([...(await home.councils())].sort(), COUNCILS);

      const westminster = await home.openCouncil('Westminster City Council');
      assert.equal(new URL(journey.page.url()).pathname, '/westminster');
      assert.deepEqual(await westminster.officialDomains(), ['westminster.gov.uk']);

      for (const name of ['Royal Borough of Kensington and Chelsea', 'Hammersmith & Fulham Council']) {
        await journey.goto('/');
        await (await new HomePage(journey).check()).openCouncil(name);
      }
    }),
  );

  test(
    'the accessibility statement and privacy notice, for the site and for a council',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        for (const [path, heading] of [
          ['/accessibility', 'Accessibility statement'],
          ['/privacy', 'Privacy notice'],
        ] as const) {
          assert.equal((await journey.goto(path)).status(), 200);
          await new InformationPage(journey, heading, path).check();
        }

        assert.equal((await journey.goto('/hammersmith-fulham')).status(), 200);
        const council = await new CouncilPage(journey, 'Hammersmith & Fulham Council').check();
        await council.followFooterLink('Accessibility statement');
        await new InformationPage(journey, 'Accessibility statement', '/hammersmith-fulham/accessibility').check();
        assert.match(await journey.page.locator('main').innerText(), /pages of Hammersmith & Fulham Council/);

        await council.followFooterLink('Privacy notice');
        await new InformationPage(journey, 'Privacy notice', '/hammersmith-fulham/privacy').check();
        assert.match(
          await journey.page.locator('main').innerText(),
          /Hammersmith & Fulham Council is the data controller/,
        );
      }),
  );

  test('an address that does not exist gets a GOV.UK "Page not found" page', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      // A made-up address, and an organisation that is not a council.
      for (const path of ['/no-such-page', '/met-police', '/westminster/no-such-page']) {
        const response = await journey.goto(path);
        assert.equal(response.status(), 404, path);
        assert.match(response.headers()['content-type'] ?? '', /^text\/html/);
        const notFound = await new NotFoundPage(journey, path).check();
        const main = await notFound.page.locator('main').innerText();
        assert.match(main, /If you typed the web address, check it is correct\./);
        assert.equal(
          await notFound.page.getByRole('link', { name: 'Go to the Wardroom home page' }).getAttribute('href'),
          '/',
        );
      }
    }),
  );

  test('the home page works with JavaScript turned off', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(
      async (journey) => {
        assert.equal((await journey.goto('/')).status(), 200);
        const home = await new HomePage(journey).check();
        assert.deepEqual([...(await home.councils())].sort(), COUNCILS);
        const council = await home.openCouncil('Royal Borough of Kensington and Chelsea');
        assert.deepEqual(await council.officialDomains(), ['rbkc.gov.uk']);
      },
      { javaScriptEnabled: false },
    ),
  );
});
