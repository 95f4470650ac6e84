// Issue 3's sign-off journey: a resident signs up for email updates and confirms from the email;
// comms drafts an update and sends it for approval, cannot approve it themselves, an incident
// manager approves it, and a resident sees it on the council's incident page, in the list of
// updates and in the Atom feed; the subscriber gets it by email (a real SMTP exchange) and
// unsubscribes with the link in it. Every page passes axe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { PageAt } from './support/page-at.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const TITLE = 'Bin collections are back to normal';
const SUBSCRIBER = 'jo.resident@example.com';
const BODY = 'Collections are running on the usual days again.\n\nBulky waste bookings open on Monday.';

describeJourneys('public update sign-off journey', (e2e) => {
  test(
    'comms drafts, cannot approve their own update, a manager approves, and residents see it',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        const signInAs = (role: 'comms' | 'incident-manager') => signInAsDemo(journey, server.demo(role));

        // A resident asks for email updates and confirms from the email. The email is only an
        // address to open: the confirming is done by the button on the page.
        await journey.goto('/westminster/cyber-incident/get-updates');
        const signUp = await new PageAt(
          journey,
          'Get email updates',
          '/westminster/cyber-incident/get-updates',
        ).check();
        await signUp.page.fill('#email', 'not an address');
        await journey.navigate(() => signUp.page.locator('[data-qa="subscribe"]').click());
        const wrong = await new PageAt(journey, 'Get email updates', '/westminster/cyber-incident/get-updates').check();
        assert.deepEqual(await wrong.errorSummary(), [
          'Enter an email address in the correct format, like name@example.com',
        ]);
        await wrong.page.fill('#email', SUBSCRIBER);
        await journey.navigate(() => wrong.page.locator('[data-qa="subscribe"]').click());
        await new PageAt(
          journey,
          'Check your email',
          '/westminster/cyber-incident/get-updates/check-your-email',
        ).check();
        const confirmation = await waitFor('the confirmation email', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes(SUBSCRIBER)),
        );
        const confirmLink = /^(http:\/\/\S+\/get-updates\/confirm\/\S+)$/m.exec(confirmation.text)?.[1];
        assert.ok(confirmLink && confirmLink.startsWith(`${server.baseUrl}/`), confirmation.text);
        await journey.goto(confirmLink.slice(server.baseUrl.length));
        const confirmPage = await new PageAt(journey, 'Confirm you want updates', /\/get-updates\/confirm\//).check();
        await journey.navigate(() => confirmPage.page.locator('[data-qa="confirm"]').click());
        await new PageAt(journey, 'You’re subscribed', /\/get-updates\/confirm\//).check();

        await signInAs('comms');
        await journey.goto('/staff/incidents');
        await new PageAt(journey, 'Incidents', '/staff/incidents').check();
        await journey.navigate(() =>
          journey.page.getByRole('link', { name: 'Cyber attack on shared IT systems' }).click(),
        );
        await new PageAt(journey, 'Cyber attack on shared IT systems', /^\/staff\/incidents\/[\w-]+$/).check();
        await journey.navigate(() => journey.page.locator('[data-qa="updates-link"]').click());
        await new PageAt(journey, 'Public updates', /\/updates$/).check();
        await journey.navigate(() => journey.page.locator('[data-qa="new-update"]').click());
        const form = await new PageAt(journey, await journey.page.locator('h1').innerText(), /\/updates\/new$/).check();
        const westminster = form.page.getByLabel('Westminster City Council');
        if (await westminster.count()) await westminster.check();
        await form.page.fill('#title', TITLE);
        await form.page.fill('#body', BODY);
        await journey.navigate(() => form.page.locator('[data-qa="save-draft"]').click());
        await new PageAt(journey, TITLE, /\/updates\/[\w-]+$/).check();
        await journey.navigate(() => journey.page.locator('[data-qa="submit"]').click());
        const submitted = await new PageAt(journey, TITLE, /\/updates\/[\w-]+$/).check();
        assert.equal(
          await submitted.page.locator('[data-qa="review"]').count(),
          0,
          'the author is not offered approval',
        );
        const updatePath = new URL(journey.page.url()).pathname;
        const ownApproval = await journey.goto(`${updatePath}/approve`);
        assert.equal(ownApproval.status(), 403, 'comms cannot approve');
        await journey.goto('/staff');
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        await signInAs('incident-manager');
        await journey.goto(updatePath);
        await new PageAt(journey, TITLE, updatePath).check();
        await journey.navigate(() => journey.page.locator('[data-qa="review"]').click());
        await new PageAt(journey, 'Approve a public update', `${updatePath}/approve`).check();
        await journey.navigate(() => journey.page.locator('[data-qa="approve"]').click());
        await new PageAt(journey, TITLE, updatePath).check();
        await journey.navigate(() => journey.page.locator('[data-qa="sign-out"]').click());

        // A resident.
        await journey.goto('/westminster/cyber-incident');
        const incident = await new PageAt(
          journey,
          'Cyber attack on shared IT systems',
          '/westminster/cyber-incident',
        ).check();
        assert.match(await incident.page.locator('[data-qa="latest-updates"]').innerText(), new RegExp(TITLE));
        await journey.navigate(() => incident.page.getByRole('link', { name: 'All updates' }).click());
        const list = await new PageAt(
          journey,
          await journey.page.locator('h1').innerText(),
          '/westminster/cyber-incident/updates',
        ).check();
        assert.match(await list.page.locator('main').innerText(), /Bulky waste bookings open on Monday/);
        const feed = await journey.page.request.get(`${server.baseUrl}/westminster/cyber-incident/updates.atom`);
        assert.equal(feed.status(), 200);
        assert.match(feed.headers()['content-type'] ?? '', /application\/atom\+xml/);
        assert.match(await feed.text(), new RegExp(`<title[^>]*>${TITLE}</title>`));

        // The subscriber's email, sent by the job queue over SMTP, with a working unsubscribe link.
        const update = await waitFor('the update email', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes(SUBSCRIBER) && m.header('subject') === TITLE),
        );
        assert.match(update.text, /Bulky waste bookings open on Monday/);
        const unsubscribeLink = /^<(.+)>$/.exec(update.header('list-unsubscribe') ?? '')?.[1];
        assert.ok(
          unsubscribeLink && unsubscribeLink.startsWith(`${server.baseUrl}/westminster/cyber-incident/unsubscribe/`),
        );
        assert.equal(update.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
        assert.ok(update.text.includes(unsubscribeLink), 'the link is in the text as well as the header');
        await journey.goto(unsubscribeLink.slice(server.baseUrl.length));
        const unsubscribe = await new PageAt(journey, 'Stop getting updates', /\/unsubscribe\//).check();
        await journey.navigate(() => unsubscribe.page.locator('[data-qa="unsubscribe"]').click());
        await new PageAt(journey, 'You’ve unsubscribed', /\/unsubscribe\//).check();
      }),
  );
});
