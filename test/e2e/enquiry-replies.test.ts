// Issue 4's journey, replies: a comms officer approves a reply template written by a colleague; a
// resident sends the contact form; an agent answers the case with that template and the resident
// gets the email over SMTP, with the reference in the subject and threaded under the
// acknowledgement; the resident answers it by SMTP and the answer joins the same case; then the
// agent answers every suspicious-call enquiry at once with a bulk reply. axe runs on every page.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import nodemailer from 'nodemailer';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const RESIDENT = 'alex.resident@example.com';
const FORM = '/westminster/cyber-incident/contact';
const CASE_PAGE = /^\/staff\/enquiries\/[\w-]+$/;
const HOUSING = 'Housing applications';

describeJourneys('enquiry replies journey', (e2e) => {
  let reference = '';

  test(
    'a comms officer approves a reply template a colleague wrote; a new one with a wrong placeholder is refused',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await signInAsDemo(journey, e2e.server().demo('comms'));
        await journey.goto('/staff/reply-templates');
        const list = await new PageAt(journey, 'Reply templates', '/staff/reply-templates').check();
        await journey.navigate(() => list.page.getByRole('link', { name: HOUSING }).click());
        const waiting = await new PageAt(
          journey,
          HOUSING,
          /^\/staff\/reply-templates\/[\w-]+$/,
          `Reply template: ${HOUSING}`,
        ).check();
        assert.equal(await waiting.page.locator('[data-qa="template-state"]').innerText(), 'Waiting for approval');
        await journey.navigate(() => waiting.page.locator('[data-qa="approve"]').click());
        const approved = await new PageAt(
          journey,
          HOUSING,
          /^\/staff\/reply-templates\/[\w-]+$/,
          `Reply template: ${HOUSING}`,
        ).check();
        assert.equal(await approved.page.locator('[data-qa="template-state"]').innerText(), 'Approved');

        await journey.goto('/staff/reply-templates/new');
        const form = await new PageAt(journey, 'Write a reply template', '/staff/reply-templates/new').check();
        await form.page.fill('#name', 'Bin collections');
        await form.page.fill('#subject', 'Your bin collection');
        await form.page.fill('#body', 'Collections for ((adress)) carry on as normal.');
        await journey.navigate(() => form.page.locator('[data-qa="save-template"]').click());
        const refused = await new PageAt(journey, 'Write a reply template', '/staff/reply-templates/new').check();
        const [problem] = await refused.errorSummary();
        assert.match(problem ?? '', /^The text has a placeholder we do not know: \(\(adress\)\)\./);
      }),
  );

  test('a resident sends the contact form and gets an acknowledgement', { timeout: JOURNEY_TIMEOUT_MS }, () =>
    e2e.journey(async (journey) => {
      await journey.goto(FORM);
      const form = await new PageAt(journey, 'Contact us about the cyber incident', FORM).check();
      await form.page.getByLabel('I’m worried about my personal data').check();
      await form.page.fill('#message', 'I sent my payslips with my housing application. Were they taken?');
      await form.page.fill('#name', 'Alex Resident');
      await form.page.getByLabel('Email', { exact: true }).check();
      await form.page.fill('#email', RESIDENT);
      await form.page.locator('#extraHelp-2').check();
      await journey.navigate(() => form.page.locator('[data-qa="continue"]').click());
      const check = await new PageAt(
        journey,
        'Check your answers before sending your enquiry',
        `${FORM}/check`,
      ).check();
      await check.page.getByLabel('I agree to the council using these details to answer my enquiry').check();
      await journey.navigate(() => check.page.locator('[data-qa="send"]').click());
      const sent = await new PageAt(journey, 'Enquiry sent', `${FORM}/sent`).check();
      reference = (await sent.page.locator('[data-qa="reference"]').innerText()).trim();
      await waitFor('the acknowledgement email', () =>
        e2e
          .server()
          .smtp.received.find((m) => m.envelopeTo.includes(RESIDENT) && m.header('subject')?.includes('received')),
      );
    }),
  );

  test(
    'an agent replies with the approved template and the resident receives it; then a bulk reply to every suspicious-call enquiry',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        assert.ok(reference, 'the resident journey ran first');
        const server = e2e.server();
        await signInAsDemo(journey, server.demo('agent'));
        await journey.goto(`/staff/enquiries?q=${reference}`);
        const queue = await new PageAt(journey, 'Enquiries', '/staff/enquiries').check();
        await journey.navigate(() => queue.page.getByRole('link', { name: reference }).click());
        const casePage = await new PageAt(journey, `Enquiry ${reference}`, CASE_PAGE).check();
        await journey.navigate(() => casePage.page.locator('[data-qa="reply"]').click());

        const form = await new PageAt(
          journey,
          'Reply by email',
          /^\/staff\/enquiries\/[\w-]+\/reply$/,
          `Reply to enquiry ${reference}`,
        ).check();
        await form.page.getByLabel(HOUSING).check();
        await form.page.fill('#personal', 'Thank you for your patience, ((name)).');
        await journey.navigate(() => form.page.locator('[data-qa="preview-reply"]').click());
        const preview = await new PageAt(
          journey,
          'Check the email before you send it',
          /^\/staff\/enquiries\/[\w-]+\/reply$/,
        ).check();
        const previewText = await preview.page.locator('[data-qa="email-text"]').innerText();
        assert.match(previewText, /^Dear Alex Resident,\s+Thank you for your patience, Alex Resident\./);
        await journey.navigate(() => preview.page.locator('[data-qa="send-reply"]').click());
        const replied = await new PageAt(journey, `Enquiry ${reference}`, CASE_PAGE).check();
        assert.match(await replied.page.locator('.govuk-notification-banner').innerText(), /Reply sent/);
        assert.match(await replied.page.locator('[data-qa="case-record"]').innerText(), /Waiting for resident/);

        const subject = `Your enquiry ${reference}: Your housing application and the cyber incident`;
        const reply = await waitFor('the reply email', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes(RESIDENT) && m.header('subject') === subject),
        );
        const ack = server.smtp.received.find(
          (m) => m.envelopeTo.includes(RESIDENT) && m.header('subject')?.startsWith('We have received'),
        );
        assert.ok(ack);
        assert.equal(reply.header('in-reply-to'), ack.header('message-id'), 'threaded under the acknowledgement');
        assert.equal(reply.header('references'), ack.header('message-id'));
        assert.equal(reply.header('reply-to'), 'cyberenquiry@westminster.gov.uk');
        assert.match(reply.text, /^Dear Alex Resident,\n\nThank you for your patience, Alex Resident\.\n\n/);
        assert.match(reply.text, /Verification reference: WR-[A-Z2-7]{8}\n/);
        assert.doesNotMatch(reply.text, /payslips/, 'what the resident wrote is not repeated back');

        // The resident answers the reply from their mail program (a real SMTP exchange with the
        // app's listener), and the answer joins the same case, which is open again.
        const replyId = reply.header('message-id') ?? '';
        await nodemailer
          .createTransport({ host: '127.0.0.1', port: server.mailInPort, secure: false, ignoreTLS: true })
          .sendMail({
            from: `"Alex Resident" <${RESIDENT}>`,
            to: reply.header('reply-to') ?? '',
            subject: `Re: ${subject}`,
            text: 'Thank you. I will wait for your letter about my housing application.',
            inReplyTo: replyId,
            references: [ack.header('message-id') ?? '', replyId],
          });
        await waitFor('the answer to be processed', async () => {
          const row = await server.database.db
            .selectFrom('inbound_mail')
            .select('status')
            .where('subject', '=', `Re: ${subject}`)
            .executeTakeFirst();
          return row?.status === 'processed' ? row : undefined;
        });
        await journey.goto(new URL(journey.page.url()).pathname);
        const answered = await new PageAt(journey, `Enquiry ${reference}`, CASE_PAGE).check();
        assert.match(await answered.page.locator('[data-qa="entries"]').innerText(), /I will wait for your letter/);
        assert.match(await answered.page.locator('[data-qa="case-record"]').innerText(), /In progress/);

        // Many at once: every open suspicious-call enquiry with the "it was not us" answer.
        await journey.goto('/staff/enquiries');
        const all = await new PageAt(journey, 'Enquiries', '/staff/enquiries').check();
        await journey.navigate(() => all.page.locator('[data-qa="bulk-reply"]').click());
        const choose = await new PageAt(journey, 'Reply to several enquiries', '/staff/enquiries/bulk-reply').check();
        await choose.page.selectOption('#topic', 'suspicious-contact');
        await journey.navigate(() => choose.page.locator('[data-qa="apply-filter"]').click());
        const filtered = await new PageAt(journey, 'Reply to several enquiries', '/staff/enquiries/bulk-reply').check();
        await journey.navigate(() => filtered.page.locator('[data-qa="select-all"]').click());
        const selected = await new PageAt(journey, 'Reply to several enquiries', '/staff/enquiries/bulk-reply').check();
        await selected.page.selectOption('#template', { label: 'Suspicious call: it was not us (suits this topic)' });
        await journey.navigate(() => selected.page.locator('[data-qa="bulk-continue"]').click());
        const confirm = await new PageAt(
          journey,
          'Check before you send 1 email',
          '/staff/enquiries/bulk-reply',
        ).check();
        assert.match(await confirm.page.locator('[data-qa="bulk-example"]').innerText(), /Dear Tom Okafor,/);
        await journey.navigate(() => confirm.page.locator('[data-qa="bulk-send"]').click());
        await new PageAt(
          journey,
          'Bulk reply: Suspicious call: it was not us',
          /^\/staff\/enquiries\/bulk-reply\/[\w-]+$/,
        ).check();
        const bulk = await waitFor('the bulk reply email', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes('tom.okafor@example.com')),
        );
        assert.match(
          bulk.header('subject') ?? '',
          /^Your enquiry WCC-[A-Z0-9-]+: The call you told us about was not from us$/,
        );
        await journey.goto(new URL(journey.page.url()).pathname);
        const done = await new PageAt(
          journey,
          'Bulk reply: Suspicious call: it was not us',
          /^\/staff\/enquiries\/bulk-reply\/[\w-]+$/,
        ).check();
        assert.match(await done.page.locator('[data-qa="bulk-cases"]').innerText(), /Sent/);
      }),
  );
});
