// Issue 4's journey, first part: a resident sends the contact form, checks the answers, gets a
// reference on screen and by email over SMTP, and replies to that email (SMTP to the app's own
// listener); a contact-centre agent finds the case in the queue, urgent and with its reason, opens
// it, takes it on, adds a note, and sees the emailed reply on the case. axe runs on every page. (The
// form without JavaScript is tested through HTTP in enquiries.routes.test.ts: axe with JavaScript
// off cannot check a page a POST returned, such as the form with its errors.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const RESIDENT = 'sam.resident@example.com';
const FORM = '/westminster/cyber-incident/contact';

describeJourneys('resident enquiry journey', (e2e) => {
  let reference = '';

  test(
    'a resident sends the contact form and gets a reference on screen and by email',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        await journey.goto(FORM);
        const form = await new PageAt(journey, 'Contact us about the cyber incident', FORM).check();
        await journey.navigate(() => form.page.locator('[data-qa="continue"]').click());
        const wrong = await new PageAt(journey, 'Contact us about the cyber incident', FORM).check();
        assert.deepEqual(await wrong.errorSummary(), [
          'Select what your enquiry is about',
          'Enter your message',
          'Enter your full name',
          'Select how you would like us to reply',
          'Select yes if you need extra help from us',
        ]);
        await wrong.page.getByLabel('I cannot use a council service').check();
        await wrong.page.fill('#message', 'My care visits stopped and I have run out of medication.');
        await wrong.page.fill('#name', 'Sam Resident');
        await wrong.page.getByLabel('Email', { exact: true }).check();
        await wrong.page.fill('#email', RESIDENT);
        await wrong.page.locator('#extraHelp-2').check();
        await wrong.page.getByLabel('I get social care from the council, or care for someone who does').check();
        await journey.navigate(() => wrong.page.locator('[data-qa="continue"]').click());

        const check = await new PageAt(
          journey,
          'Check your answers before sending your enquiry',
          `${FORM}/check`,
        ).check();
        assert.match(await check.page.locator('[data-qa="enquiry-answers"]').innerText(), /run out of medication/);
        await journey.navigate(() => check.page.locator('[data-qa="send"]').click());
        const refused = await new PageAt(
          journey,
          'Check your answers before sending your enquiry',
          `${FORM}/check`,
        ).check();
        assert.deepEqual(await refused.errorSummary(), [
          'Select that you agree to us using your details to answer your enquiry',
        ]);
        await refused.page.getByLabel('I agree to the council using these details to answer my enquiry').check();
        await journey.navigate(() => refused.page.locator('[data-qa="send"]').click());

        const sent = await new PageAt(journey, 'Enquiry sent', `${FORM}/sent`).check();
        reference = (await sent.page.locator('[data-qa="reference"]').innerText()).trim();
        assert.match(reference, /^WCC-[A-Z0-9]{4}-[A-Z0-9]{4}$/);

        const email = await waitFor('the acknowledgement email', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes(RESIDENT)),
        );
        assert.equal(email.header('subject'), `We have received your enquiry (reference ${reference})`);
        assert.match(email.text, /^Dear Sam Resident,/);

        // The resident answers the acknowledgement from their mail program: a real SMTP exchange
        // with the app's own listener, to the address the acknowledgement asked replies to go to.
        const ackId = email.header('message-id') ?? '';
        assert.match(ackId, /^<wcc-/i);
        const replyTo = email.header('reply-to') ?? '';
        assert.equal(replyTo, 'cyberenquiry@westminster.gov.uk');
        await nodemailer
          .createTransport({ host: '127.0.0.1', port: server.mailInPort, secure: false, ignoreTLS: true })
          .sendMail({
            from: `"Sam Resident" <${RESIDENT}>`,
            to: replyTo,
            subject: `Re: ${email.header('subject') ?? ''}`,
            text: 'Thank you. The care agency says they have not been paid either.',
            inReplyTo: ackId,
            references: [ackId],
          });
        const processed = await waitFor('the reply to be processed', async () => {
          const row = await server.database.db
            .selectFrom('inbound_mail')
            .select(['status', 'reason'])
            .where('subject', 'like', 'Re: We have received your enquiry%')
            .executeTakeFirst();
          return row && row.status !== 'received' ? row : undefined;
        });
        assert.equal(processed.status, 'processed', processed.reason ?? '');
      }),
  );

  test(
    'an agent finds the urgent case in the queue, reads why, takes it on and adds a note',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        assert.ok(reference, 'the resident journey ran first');
        await signInAsDemo(journey, e2e.server().demo('agent'));
        await journey.goto('/staff/enquiries');
        const queue = await new PageAt(journey, 'Enquiries', '/staff/enquiries').check();
        const row = queue.page.locator('[data-qa="queue"] tbody tr', { hasText: reference });
        assert.match(await row.innerText(), /Urgent/);
        await journey.navigate(() => row.getByRole('link', { name: reference }).click());
        const casePage = await new PageAt(journey, `Enquiry ${reference}`, /^\/staff\/enquiries\/[\w-]+$/).check();
        const reasons = await casePage.page.locator('[data-qa="urgent-reasons"]').innerText();
        assert.match(reasons, /Gets social care/);
        assert.match(reasons, /Safeguarding: mentions no medication/);
        await casePage.page.selectOption('#assignee', { label: 'Demo agent' });
        await journey.navigate(() => casePage.page.locator('[data-qa="assign"]').click());
        const assigned = await new PageAt(journey, `Enquiry ${reference}`, /^\/staff\/enquiries\/[\w-]+$/).check();
        assert.match(await assigned.page.locator('[data-qa="case-record"]').innerText(), /In progress/);
        await assigned.page.fill('#note', 'Rang the care provider; visits restart tomorrow.');
        await journey.navigate(() => assigned.page.locator('[data-qa="add-note"]').click());
        const noted = await new PageAt(journey, `Enquiry ${reference}`, /^\/staff\/enquiries\/[\w-]+$/).check();
        const history = await noted.page.locator('[data-qa="entries"]').innerText();
        assert.match(history, /visits restart tomorrow/);
        assert.match(
          history,
          /The care agency says they have not been paid either/,
          'the emailed reply joined the case',
        );

        // The dashboard: the chart is an SVG image with a table of the same figures.
        await journey.goto('/staff/enquiries/dashboard');
        const dashboard = await new PageAt(journey, 'Enquiries dashboard', '/staff/enquiries/dashboard').check();
        assert.equal(await dashboard.page.locator('svg[role="img"]').count(), 1);
        assert.match(await dashboard.page.locator('[data-qa="open-by-age"]').innerText(), /Urgent/);
      }),
  );

  test(
    'an incident manager shares the council’s enquiries with a neighbouring council',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await signInAsDemo(journey, e2e.server().demo('incident-manager'));
        await journey.goto('/staff/incidents');
        await journey.navigate(() =>
          journey.page.getByRole('link', { name: 'Cyber attack on shared IT systems' }).click(),
        );
        await journey.navigate(() => journey.page.locator('[data-qa="sharing-link"]').click());
        const sharing = await new PageAt(journey, 'Share enquiries', /\/sharing$/).check();
        await sharing.page.selectOption('#organisation', { label: 'Royal Borough of Kensington and Chelsea' });
        await journey.navigate(() => sharing.page.locator('[data-qa="share"]').click());
        const shared = await new PageAt(journey, 'Share enquiries', /\/sharing$/).check();
        assert.match(
          await shared.page.locator('[data-qa="shares"]').innerText(),
          /Royal Borough of Kensington and Chelsea/,
        );
      }),
  );
});
