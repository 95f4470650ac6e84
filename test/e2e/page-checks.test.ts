// The page check itself must be able to fail: axe runs under the app's real CSP and reports what
// it finds, and console errors, CSP violations and script errors are caught. Made-up pages are
// served on the app's own address, with the app's CSP, so the browser treats them like its pages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../src/platform/http/security-headers.ts';
import { HomePage } from './pages/public-pages.ts';
import { runAxe } from './support/axe.ts';
import { BasePage } from './support/base-page.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import type { Journey } from './support/journey.ts';

class MadeUpPage extends BasePage {
  readonly heading = 'A made-up page';
  readonly path = '/__e2e/made-up';
}

/** Serves `body` at /__e2e/made-up on the app's address, with the app's CSP. */
async function serveMadeUpPage(journey: Journey, body: string): Promise<void> {
  await journey.context.route(`${journey.baseUrl}/__e2e/made-up`, (route) =>
    route.fulfill({
      status: 200,
      headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': CONTENT_SECURITY_POLICY },
      body: `<!DOCTYPE html><html lang="en"><head><title>A made-up page – Test</title>
        <link rel="stylesheet" href="/assets/govuk-frontend.min.css"></head>
        <body class="govuk-template__body"><script src="/assets/wardroom/js-enabled.js"></script>
        <main class="govuk-main-wrapper" id="main-content"><h1 class="govuk-heading-l">A made-up page</h1>${body}</main>
        </body></html>`,
    }),
  );
  await journey.context.route(`${journey.baseUrl}/__e2e/throws.js`, (route) =>
    route.fulfill({
      status: 200,
      contentType: 'text/javascript',
      body: "console.error('logged by the made-up script'); throw new Error('thrown by the made-up script');",
    }),
  );
  assert.equal((await journey.goto('/__e2e/made-up')).status(), 200);
}

describeJourneys('the page check', (e2e) => {
  test('axe runs on the real pages with their CSP in force', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      const response = await journey.goto('/');
      assert.equal(response.headers()['content-security-policy'], CONTENT_SECURITY_POLICY);
      assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
      await new HomePage(journey).check();
      const report = await runAxe(journey.page);
      assert.ok(report.passes > 5, `axe passed only ${report.passes} rules`);
      assert.deepEqual(report.violations, []);
    }),
  );

  test(
    'an accessibility violation fails the check, with the rule, impact, element and help',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await serveMadeUpPage(journey, '<img src="/assets/wardroom/favicon.svg"><input type="text" id="unlabelled">');
        await assert.rejects(new MadeUpPage(journey).check(), (err: Error) => {
          assert.match(
            err.message,
            /axe found 2 accessibility violation\(s\) on http:\/\/127\.0\.0\.1:\d+\/__e2e\/made-up/,
          );
          assert.match(err.message, /image-alt \(critical\): Images must have alternative text/);
          assert.match(err.message, /- img\n/);
          assert.match(err.message, /label \(critical\): Form elements must have labels/);
          assert.match(err.message, /- #unlabelled\n/);
          assert.match(err.message, /https:\/\/dequeuniversity\.com\/rules\/axe\/[\d.]+\/image-alt/);
          return true;
        });
      }),
  );

  test('a CSP violation, a console error and a script error fail the check', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      await serveMadeUpPage(
        journey,
        `<script>document.title = 'inline script ran'</script><script src="/__e2e/throws.js"></script>`,
      );
      assert.equal(await journey.page.title(), 'A made-up page – Test', 'the CSP blocked the inline script');
      await assert.rejects(new MadeUpPage(journey).check(), (err: Error) => {
        assert.match(
          err.message,
          /CSP violation: script-src-elem blocked inline on http:\/\/127\.0\.0\.1:\d+\/__e2e\/made-up/,
        );
        assert.match(
          err.message,
          /console error: Executing inline script violates the following Content Security Policy/,
        );
        assert.match(err.message, /console error: logged by the made-up script/);
        assert.match(err.message, /script error: thrown by the made-up script/);
        return true;
      });
    }),
  );

  test('a missing stylesheet fails the check', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      await serveMadeUpPage(journey, '<link rel="stylesheet" href="/assets/wardroom/no-such-file.css">');
      await assert.rejects(
        new MadeUpPage(journey).check(),
        /404 for GET http:\/\/127\.0\.0\.1:\d+\/assets\/wardroom\/no-such-file\.css/,
      );
    }),
  );
});
