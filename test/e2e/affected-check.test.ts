// "Were you affected?": a resident finds the check from the incident page, makes a mistake the
// error summary points out, and is sent to the same neutral page they would see whatever the answer;
// the answer arrives by email. axe runs on every page, with JavaScript on and off.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const FORM = '/westminster/cyber-incident/were-you-affected';
const HEADING = 'Find out if your details were in the copied data';

describeJourneys('were you affected? journey', (e2e) => {
  for (const javaScriptEnabled of [true, false]) {
    test(
      `a resident asks whether their email address was in the copied data (JavaScript ${javaScriptEnabled ? 'on' : 'off'})`,
      { timeout: JOURNEY_TIMEOUT_MS },
      () =>
        e2e.journey(
          async (journey) => {
            const address = `resident-${javaScriptEnabled ? 'js' : 'nojs'}@example.org`;
            await journey.goto('/westminster/cyber-incident');
            await journey.navigate(() => journey.page.locator('[data-qa="were-you-affected"] a').click());
            const form = await new PageAt(journey, HEADING, FORM).check();

            await form.page.fill('#email', 'not an email address');
            await journey.navigate(() => form.page.locator('[data-qa="send-answer"]').click());
            // axe without JavaScript checks a page by getting it again, which a POST's answer cannot be;
            // the same page with its error summary is checked with JavaScript on.
            const wrong = new PageAt(journey, HEADING, FORM);
            if (javaScriptEnabled) await wrong.check();
            assert.deepEqual(await wrong.errorSummary(), [
              'Enter an email address in the correct format, like name@example.com',
            ]);
            assert.equal(
              await wrong.fieldError('email'),
              'Enter an email address in the correct format, like name@example.com',
            );

            await wrong.page.fill('#email', address);
            await journey.navigate(() => wrong.page.locator('[data-qa="send-answer"]').click());
            const sent = await new PageAt(journey, 'Check your email', `${FORM}/check-your-email`).check();
            const text = await sent.page.locator('main').innerText();
            assert.match(text, /We are sending the answer to the email address you gave us/);
            assert.match(text, /What to do now, whatever the answer/);
            assert.doesNotMatch(text, new RegExp(address));

            const mail = await waitFor(`the answer to ${address}`, () =>
              e2e.server().smtp.received.find((m) => m.envelopeTo.includes(address)),
            );
            assert.match(mail.text, /We did not find this email address in the data we hold/);
          },
          { javaScriptEnabled },
        ),
    );
  }
});
