// "Report a suspicious message": a resident finds the form from the incident page, meets the error
// summary, uploads the suspicious email they saved (.eml), checks their answers and sees the
// reference with advice; the acknowledgement reaches their inbox. With JavaScript and without; axe
// runs on every page.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';

const FORM = '/westminster/report-a-suspicious-message';
const EML = fileURLToPath(
  new URL(
    '../../src/modules/suspicious-messages/test-fixtures/corpus/scam/lookalike-westminster-omission.eml',
    import.meta.url,
  ),
);

describeJourneys('report a suspicious message journey', (e2e) => {
  for (const javaScriptEnabled of [true, false]) {
    test(
      `a resident uploads a suspicious email and sees the acknowledgement (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`,
      { timeout: JOURNEY_TIMEOUT_MS },
      () =>
        e2e.journey(
          async (journey) => {
            const email = `resident-${javaScriptEnabled ? 'js' : 'nojs'}@example.com`;
            await journey.goto('/westminster/cyber-incident');
            await journey.navigate(() => journey.page.locator('[data-qa="report-suspicious"] a').click());
            const form = await new PageAt(journey, 'Report a suspicious message', FORM).check();

            // Sent with nothing filled in: the error summary, linked to the fields.
            await journey.navigate(() => form.page.locator('[data-qa="continue"]').click());
            // axe runs on a page a POST returned only with JavaScript on (see Journey.axe).
            const mistakesPage = new PageAt(journey, 'Report a suspicious message', FORM);
            const mistakes = javaScriptEnabled ? await mistakesPage.check() : mistakesPage;
            assert.deepEqual(await mistakes.errorSummary(), [
              'Select what you received',
              'Enter who it said it was from, or ‘I do not know’',
              'Enter what the message said, or upload the email or a screenshot',
            ]);

            await mistakes.page.locator('#kind').check();
            await mistakes.page.locator('#emailFile').setInputFiles(EML);
            await mistakes.page.fill('#claimedSender', 'Westminster City Council');
            await mistakes.page.fill('#receivedOn-day', '2');
            await mistakes.page.fill('#receivedOn-month', '12');
            await mistakes.page.fill('#receivedOn-year', '2025');
            await mistakes.page.fill('#email', email);
            await mistakes.page.locator('#wantsOutcome').check();
            await journey.navigate(() => mistakes.page.locator('[data-qa="continue"]').click());

            const check = await new PageAt(
              journey,
              'Check your answers before sending your report',
              `${FORM}/check`,
            ).check();
            const answers = (await check.page.locator('[data-qa="report-answers"]').innerText()).replace(/\s+/g, ' ');
            assert.match(answers, /An email/);
            assert.match(answers, /2 December 2025/);
            assert.match(answers, /lookalike-westminster-omission\.eml/);
            assert.match(answers, new RegExp(email));
            await journey.navigate(() => check.page.locator('[data-qa="send"]').click());

            const sent = await new PageAt(journey, 'Report sent', `${FORM}/sent`).check();
            const reference = (await sent.page.locator('[data-qa="reference"]').innerText()).trim();
            assert.match(reference, /^SR-[ACDEFGHJKMNPQRTWXY34679]{8}$/);
            const advice = await sent.page.locator('[data-qa="advice"]').innerText();
            assert.match(advice, /7726/);
            assert.match(advice, /report@phishing\.gov\.uk/);
            assert.match(advice, /020 7641 1919/);

            const ack = await waitFor(`the acknowledgement to ${email}`, () =>
              e2e
                .server()
                .smtp.received.find(
                  (m) => m.envelopeTo.includes(email) && (m.header('subject') ?? '').includes(reference),
                ),
            );
            assert.match(ack.text, /We will email you again when we have looked at what you reported/);
          },
          { javaScriptEnabled },
        ),
    );
  }
});
