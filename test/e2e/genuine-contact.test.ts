// "Is this really from the council?": a resident checks the helpline number a caller gave them and
// is told it is genuine, checks a lookalike domain and is told it is not the council's, and an
// agent on a call gives a one-time code that the resident confirms on the same page. axe runs on
// every page, including the answers (the page a POST returns, with JavaScript on). A comms officer
// adds a number to the register, past the error summary, and the check answers from it at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import type { Journey } from './support/journey.ts';
import { PageAt } from './support/page-at.ts';

const CHECK = '/westminster/is-this-really-us';

async function checkContact(journey: Journey, typed: string): Promise<string> {
  const page = await new PageAt(journey, 'Is this really from us?', CHECK).check();
  await page.page.fill('#contact', typed);
  await journey.navigate(() => page.page.locator('[data-qa="check"]').click());
  const answered = await new PageAt(journey, 'Is this really from us?', CHECK).check();
  return (await answered.page.locator('[data-qa="check-answer"]').innerText()).replace(/\s+/g, ' ');
}

describeJourneys('is this really from the council? journey', (e2e) => {
  let code = '';

  test(
    'a resident finds the check from the incident page and checks the helpline number and a lookalike domain',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await journey.goto('/westminster/cyber-incident');
        const incident = journey.page.locator('[data-qa="is-this-really-us"] a');
        await journey.navigate(() => incident.click());
        const page = await new PageAt(journey, 'Is this really from us?', CHECK).check();
        assert.match(await page.page.locator('[data-qa="register"]').innerText(), /020 7641 1919/);
        assert.match(await page.page.locator('[data-qa="never-ask"]').innerText(), /bank details/);

        const helpline = await checkContact(journey, '020 7641 1919');
        assert.match(helpline, /This is a genuine Westminster City Council contact/);
        assert.match(helpline, /Cyber incident helpline/);
        assert.doesNotMatch(helpline, /\bsafe\b/i);

        const lookalike = await checkContact(journey, 'https://westminster-gov.uk/council-tax-refund');
        assert.match(lookalike, /This is not a Westminster City Council contact/);
        assert.match(lookalike, /Do not reply, and report it/);
      }),
  );

  test('an agent on a call gives a code, shown once in large characters', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      await signInAsDemo(journey, e2e.server().demo('agent'));
      await journey.goto('/staff/genuine-contact/call-code');
      const form = await new PageAt(journey, 'Give a caller a code', '/staff/genuine-contact/call-code').check();
      await journey.navigate(() => form.page.locator('[data-qa="issue-code"]').click());
      const issued = await new PageAt(
        journey,
        'Read this code to the caller',
        '/staff/genuine-contact/call-code',
      ).check();
      code = (await issued.page.locator('[data-qa="call-code"]').innerText()).replace(/\s/g, '');
      assert.match(code, /^\d{6}$/);
    }),
  );

  test(
    'the resident enters the code and is told the caller is from the council; the code works once',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        assert.ok(code, 'the agent journey ran first');
        await journey.goto(CHECK);
        const confirmed = await checkContact(journey, code);
        assert.match(confirmed, /This is a genuine Westminster City Council contact/);
        assert.match(confirmed, /the person who gave it to you is from Westminster City Council/);
        const again = await checkContact(journey, code);
        assert.match(again, /We cannot confirm this/);
        assert.match(again, /Call us on 020 7641 1919/);
      }),
  );

  test(
    'a comms officer adds a number to the register and the check knows it at once',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await signInAsDemo(journey, e2e.server().demo('comms'));
        await journey.goto('/staff/genuine-contact');
        const register = await new PageAt(journey, 'Genuine contact', '/staff/genuine-contact').check();
        await journey.navigate(() => register.page.locator('[data-qa="add-westminster"]').click());
        const form = await new PageAt(journey, 'Add an entry', /^\/staff\/genuine-contact\/[\w-]+\/new$/).check();
        await journey.navigate(() => form.page.locator('[data-qa="save-entry"]').click());
        const wrong = await new PageAt(journey, 'Add an entry', /^\/staff\/genuine-contact\/[\w-]+\/new$/).check();
        assert.deepEqual(await wrong.errorSummary(), [
          'Select how we contact people this way',
          'Select what kind of contact this is',
          'Enter the address, number, name, domain or format',
          'Enter what this contact is for, like Cyber incident helpline',
          'Enter the date it is in use from, like 2025-11-24',
        ]);
        await wrong.page.locator('#channel-3').check();
        await wrong.page.locator('#kind-4').check();
        await wrong.page.fill('#value', '020 7641 3000');
        await wrong.page.fill('#description', 'Council tax');
        await wrong.page.fill('#activeFrom', '2025-11-24');
        await journey.navigate(() => wrong.page.locator('[data-qa="save-entry"]').click());
        const saved = await new PageAt(journey, 'Genuine contact', '/staff/genuine-contact').check();
        assert.match(await saved.page.locator('[data-qa="register-westminster"]').innerText(), /020 7641 3000/);

        await journey.goto(CHECK);
        assert.match(await checkContact(journey, '020 7641 3000'), /Council tax/);
      }),
  );
});
