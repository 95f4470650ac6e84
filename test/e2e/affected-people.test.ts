// Issue 6, the data protection officer's side. Westminster's DPO uploads a council's file of
// affected people saved by Excel (Windows-1252, with a £ and an é), matches the columns on the
// preview, starts the import, follows its progress until the job worker has finished, reads the
// row it refused (its line and why, never the value), finds a person by email and opens their
// record. Then a breach notice: the DPO starts a campaign, sees the Article 34 parts the email
// misses, fixes them, previews, sends a test that arrives over SMTP, and cannot approve their own
// campaign; a second DPO, invited on the command line, approves it; the author queues it and follows
// the progress bar to the end, the notice reaches a person imported earlier, and the letters' print
// file downloads. axe runs on every page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { AuthenticatorSetUpPage, CreatePasswordPage, RecoveryCodesPage } from './pages/sign-in-pages.ts';
import { IncidentRoomPage } from './pages/staff-pages.ts';
import { Authenticator } from './support/authenticator.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const WESTMINSTER = 'Westminster City Council';
const PEOPLE = /^\/staff\/incidents\/[0-9a-f-]{36}\/affected-people$/;
const IMPORT = /^\/staff\/incidents\/[0-9a-f-]{36}\/affected-people\/imports\/[0-9a-f-]{36}$/;
const FILE_NAME = 'westminster-housing-e2e.csv';

// Two columns have names the import cannot guess, so the DPO matches them by hand. Line 4 has an
// email address that is not one.
const CSV = [
  'Resident,Contact,Mobile,Address 1,Postcode',
  'Renée Dubois,renee.dubois@example.org,07700 900123,1 Café Row,SW1P 3JX',
  'Harry Holt,harry.holt@example.org,,2 £ Lane,SW1P 3JY',
  'Broken Row,not-an-email-address,,,',
  'Ian Irving,ian.irving@example.org,,,',
  '',
].join('\r\n');

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

const INCIDENT = 'Cyber attack on shared IT systems';
const CAMPAIGNS = /^\/staff\/incidents\/[0-9a-f-]{36}\/campaigns$/;
const CAMPAIGN = 'Notice to Westminster residents (journey)';
const TEST_TO = 'dpo.test-send@westminster.gov.uk';
const SECOND_DPO = 'sam.second@westminster.gov.uk';
// Says what happened, what could follow and whom to contact; not what the council is doing or what to do.
const EMAIL_MISSING_PARTS = [
  'Dear ((name)),',
  '',
  'Criminals copied data in a cyber attack on IT systems shared by ((councils)).',
  'It included your ((data categories)). Criminals could use it to send convincing scam messages.',
  '',
  'Our data protection officer answers questions on the helpline: 020 7641 6000.',
  '',
  'Your reference is ((reference)).',
].join('\n');
const EMAIL_FIX =
  'We have secured the systems and the police are investigating. Be wary of calls, emails and texts that mention the attack.';

describeJourneys('affected people import journey', (e2e) => {
  test(
    'a DPO imports an Excel CSV, follows its progress, reads the refused row and finds a person',
    { timeout: JOURNEY_TIMEOUT_MS * 2 },
    async () => {
      const folder = mkdtempSync(path.join(tmpdir(), 'wardroom-e2e-affected-'));
      const file = path.join(folder, FILE_NAME);
      writeFileSync(file, Buffer.from(CSV, 'latin1'));
      try {
        await e2e.journey(async (journey) => {
          await signInAsDemo(journey, e2e.server().demo('dpo'));
          await journey.navigate(() =>
            journey.page.getByRole('navigation').getByRole('link', { name: 'Affected people' }).click(),
          );
          const people = await new PageAt(journey, 'Affected people', PEOPLE).check();
          const base = new URL(people.page.url()).pathname;

          await journey.navigate(() => people.page.locator('[data-qa="new-import"]').click());
          const upload = await new PageAt(journey, 'Import a file of affected people', `${base}/imports/new`).check();
          // Forgetting the kinds of data and the file is explained before anything is stored.
          await upload.page.getByLabel(WESTMINSTER).check();
          await journey.navigate(() => upload.page.locator('[data-qa="upload"]').click());
          const refused = await new PageAt(journey, 'Import a file of affected people', `${base}/imports/new`).check();
          assert.deepEqual(await refused.errorSummary(), ['Select the kinds of data in the file', 'Select a CSV file']);
          assert.equal(await refused.fieldError('file'), 'Select a CSV file');

          await refused.page.getByLabel(WESTMINSTER).check();
          await refused.page.getByLabel('Contact details, such as address, email address and phone number').check();
          await refused.page.getByLabel('Financial or payment details, such as bank or card details').check();
          await refused.page.locator('#file').setInputFiles(file);
          await journey.navigate(() => refused.page.locator('[data-qa="upload"]').click());

          const preview = await new PageAt(journey, 'Check the file and match its columns', IMPORT).check();
          const importPath = new URL(preview.page.url()).pathname;
          assert.match(await preview.page.locator('main').innerText(), /windows-1252/);
          const previewRows = (await preview.page.locator('[data-qa="preview"] tbody tr').allInnerTexts()).map(squash);
          assert.equal(previewRows.length, 4);
          assert.match(previewRows[0]!, /^2 Renée Dubois renee\.dubois@example\.org 07700 900123 1 Café Row SW1P 3JX$/);
          assert.match(previewRows[1]!, /2 £ Lane/, 'the pound sign is read from Windows-1252');
          // The guessed columns are chosen already; the two with unusual names are not.
          assert.equal(await preview.page.locator('#phone').inputValue(), '2');
          assert.equal(await preview.page.locator('#postcode').inputValue(), '4');
          assert.equal(await preview.page.locator('#address1').inputValue(), '3');
          assert.equal(await preview.page.locator('#name').inputValue(), '');
          assert.equal(await preview.page.locator('#email').inputValue(), '');
          await preview.page.locator('#name').selectOption({ label: 'Column 1: Resident' });
          await preview.page.locator('#email').selectOption({ label: 'Column 2: Contact' });
          await journey.navigate(() => preview.page.locator('[data-qa="start-import"]').click());

          // The job worker imports the file; the DPO refreshes the page until it says it has finished.
          const progressHeading = `Import of ${FILE_NAME}`;
          const status = async () =>
            squash(
              await journey.page
                .locator('[data-qa="import-progress"] .govuk-summary-list__row')
                .filter({ hasText: 'Status' })
                .locator('.govuk-summary-list__value')
                .innerText(),
            );
          await new PageAt(journey, progressHeading, importPath).check();
          await waitFor(
            'the import to finish',
            async () => {
              if ((await status()) === 'Finished') return true;
              await delay(250);
              await journey.navigate(() => journey.page.locator('[data-qa="refresh"]').click());
              return false;
            },
            { timeoutMs: 60_000, intervalMs: 0 },
          );
          const done = await new PageAt(journey, progressHeading, importPath).check();
          const summary = squash(await done.page.locator('[data-qa="import-progress"]').innerText());
          assert.match(summary, /Rows imported 3 /);
          assert.match(summary, /Rows not imported 1 /);
          assert.match(summary, /New people 3 /);
          assert.match(summary, /Read so far 100% of \d+ bytes, to line 5 /);
          assert.match(
            summary,
            /Kinds of data Contact details, such as address, email address and phone number; Financial or payment details/,
          );
          assert.equal(await done.page.locator('[data-qa="refresh"]').count(), 0, 'nothing left to refresh for');

          await journey.navigate(() =>
            done.page.getByRole('link', { name: 'See the rows that were not imported, and why' }).click(),
          );
          const rejections = await new PageAt(
            journey,
            'Rows that were not imported',
            `${importPath}/rejections`,
          ).check();
          const refusedRows = (await rejections.page.locator('[data-qa="rejections"] tbody tr').allInnerTexts()).map(
            squash,
          );
          assert.deepEqual(refusedRows, [
            "4 Line 4: the email address in column 'Contact' is not a valid email address",
          ]);
          assert.doesNotMatch(
            await rejections.page.locator('main').innerText(),
            /not-an-email-address/,
            'the refused value is never shown',
          );

          // Back to the incident's affected people, and a search by email address.
          await journey.goto(base);
          const after = await new PageAt(journey, 'Affected people', base).check();
          const imports = (await after.page.locator('[data-qa="imports"] tbody tr').allInnerTexts()).map(squash);
          assert.ok(
            imports.some((row) => row === `${FILE_NAME} done 3 1 3`),
            `the import is listed: ${imports.join(' | ')}`,
          );
          await journey.navigate(() => after.page.locator('[data-qa="find-people"]').click());
          const search = await new PageAt(journey, 'Find affected people', `${base}/people`).check();
          await search.page.getByLabel('Email address, mobile number or postcode').fill('Renee.Dubois@EXAMPLE.org');
          await journey.navigate(() => search.page.locator('[data-qa="search"]').click());
          const found = await new PageAt(journey, 'Find affected people', `${base}/people`).check();
          assert.equal(squash(await found.page.locator('[data-qa="total"]').innerText()), '1 person');
          assert.deepEqual((await found.page.locator('[data-qa="people"] tbody tr').allInnerTexts()).map(squash), [
            `Renée Dubois SW1P 3JX ${WESTMINSTER}`,
          ]);

          await journey.navigate(() => found.page.getByRole('link', { name: 'Renée Dubois' }).click());
          const person = await new PageAt(
            journey,
            'Renée Dubois',
            new RegExp(`^${base}/people/[0-9a-f-]{36}$`),
          ).check();
          const details = squash(await person.page.locator('[data-qa="person"]').innerText());
          assert.match(details, /Email address renee\.dubois@example\.org/);
          assert.match(details, /Mobile number \+447700900123/);
          assert.match(details, /Address 1 Café Row/);
          assert.match(details, /Postcode SW1P 3JX/);
          assert.deepEqual((await person.page.locator('[data-qa="councils"] li').allInnerTexts()).map(squash), [
            `${WESTMINSTER}: Contact details, such as address, email address and phone number; Financial or payment details, such as bank or card details`,
          ]);
        });
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    },
  );

  test(
    'a DPO drafts a breach notice, fixes what the checks find missing, tests it, and a second DPO approves it before it is sent',
    { timeout: JOURNEY_TIMEOUT_MS * 2 },
    () =>
      e2e.journey(async (journey) => {
        const server = e2e.server();
        const dpo = server.demo('dpo');
        await signInAsDemo(journey, dpo);
        await journey.navigate(() =>
          journey.page.getByRole('navigation').getByRole('link', { name: 'Breach notices' }).click(),
        );
        const all = await new PageAt(journey, 'Breach notices to people affected', '/staff/campaigns').check();
        await journey.navigate(() => all.page.locator('[data-qa="incident-campaigns"]').first().click());
        const reference = squash(await journey.page.locator('.govuk-caption-l').innerText());
        const incident = await new PageAt(
          journey,
          `Breach notices: ${INCIDENT}`,
          CAMPAIGNS,
          `Breach notices: ${reference}`,
        ).check();
        const campaignsPath = new URL(incident.page.url()).pathname;
        const westminster = incident.page.getByLabel(WESTMINSTER);
        if ((await westminster.count()) > 0) await westminster.check();
        await incident.page.getByLabel('Name of the campaign (for staff only)').fill(CAMPAIGN);
        await journey.navigate(() => incident.page.locator('[data-qa="start-campaign"]').click());

        const CAMPAIGN_PAGE = new RegExp(`^${campaignsPath}/[0-9a-f-]{36}$`);
        const started = await new PageAt(journey, CAMPAIGN, CAMPAIGN_PAGE).check();
        const campaignPath = new URL(started.page.url()).pathname;
        assert.match(
          await started.page.locator('[data-qa="banner"]').innerText(),
          /Campaign started from the breach record/,
        );
        assert.equal(squash(await started.page.locator('[data-qa="status"]').innerText()), 'Draft');

        // An email that leaves out what the council is doing and what the person should do.
        await journey.navigate(() => started.page.locator('[data-qa="edit"]').click());
        const form = await new PageAt(journey, 'Change the message', `${campaignPath}/edit`).check();
        await form.page.getByLabel('Email subject').fill('Your details were in data copied from the council');
        await form.page.getByLabel('Email', { exact: true }).fill(EMAIL_MISSING_PARTS);
        await journey.navigate(() => form.page.locator('[data-qa="save-campaign"]').click());
        const saved = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        const problems = (await saved.page.locator('[data-qa="problems"] li').allInnerTexts()).map(squash);
        assert.deepEqual(problems, [
          'The email does not say: what the council has done and is doing about it',
          'The email does not say: what the person should do to protect themselves',
        ]);
        // Each row is headed by its part (a row header), then email, text message and letter.
        const emailColumn = async (part: string) =>
          squash(
            await saved.page
              .locator('[data-qa="article34"] tbody tr')
              .filter({ has: saved.page.locator('th[scope="row"]', { hasText: part }) })
              .locator('td')
              .first()
              .innerText(),
          );
        assert.equal(await emailColumn('What happened: the nature of the breach'), 'Present');
        assert.equal(await emailColumn('What the council has done and is doing about it'), 'Missing');
        assert.equal(await emailColumn('What the person should do to protect themselves'), 'Missing');
        assert.match(
          await saved.page.locator('[data-qa="cannot-approve"]').innerText(),
          /You started this campaign, so another data protection officer of the council must approve it/,
        );

        await journey.navigate(() => saved.page.locator('[data-qa="edit"]').click());
        const fix = await new PageAt(journey, 'Change the message', `${campaignPath}/edit`).check();
        await fix.page.getByLabel('Email', { exact: true }).fill(`${EMAIL_MISSING_PARTS}\n\n${EMAIL_FIX}`);
        await journey.navigate(() => fix.page.locator('[data-qa="save-campaign"]').click());
        const fixed = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        assert.match(await fixed.page.locator('[data-qa="banner"]').innerText(), /Campaign saved/);
        assert.equal(await fixed.page.locator('[data-qa="problems"]').count(), 0);
        assert.match(await fixed.page.locator('[data-qa="checks-pass"]').innerText(), /passes every check/);

        await journey.navigate(() => fixed.page.locator('[data-qa="preview"]').click());
        const preview = await new PageAt(journey, 'Preview the message', `${campaignPath}/preview`).check();
        assert.equal(
          await preview.page.locator('[data-qa="email-subject"]').innerText(),
          'Your details were in data copied from the council',
        );
        const body = await preview.page.locator('[data-qa="email-body"]').innerText();
        assert.match(body, /^Dear Alex Sample,/);
        assert.match(body, /Your reference is WR-ABCD2345\./);
        // This server has no GOV.UK Notify: the text message option says so, and choosing it is explained.
        await preview.page.getByLabel('Text message', { exact: true }).check();
        await preview.page.getByLabel('Email address or mobile number').fill('07700 900999');
        await journey.navigate(() => preview.page.locator('[data-qa="send-test"]').click());
        const noSms = await new PageAt(journey, 'Preview the message', `${campaignPath}/test`).check();
        assert.deepEqual(await noSms.errorSummary(), [
          'Text messages cannot be sent: GOV.UK Notify is not set up for them',
        ]);
        await noSms.page.getByLabel('Email', { exact: true }).check();
        await noSms.page.getByLabel('Email address or mobile number').fill(TEST_TO);
        await journey.navigate(() => noSms.page.locator('[data-qa="send-test"]').click());
        const tested = await new PageAt(journey, 'Preview the message', `${campaignPath}/test`).check();
        const result = await tested.page.locator('[data-qa="test-result"]').innerText();
        const testReference = /Test message sent, with the reference (WR-[A-Z0-9]+)/.exec(result)?.[1];
        assert.ok(testReference, `the test was sent: ${result}`);
        const mail = await waitFor(
          `the test message to ${TEST_TO}`,
          () => server.smtp.received.find((m) => m.envelopeTo.includes(TEST_TO)),
          { timeoutMs: 20_000 },
        );
        assert.equal(mail.header('subject'), '[TEST] Your details were in data copied from the council');
        assert.match(mail.text, /^This is a test of a breach notice\./);
        assert.match(mail.text, /Dear Alex Sample,/);
        assert.match(mail.text, new RegExp(`Your reference is ${testReference}\\.`));
        assert.match(mail.text, /We have secured the systems/);

        // Back on the campaign: still a draft, and the page says why its author cannot approve it.
        await journey.goto(campaignPath);
        const own = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        assert.equal(squash(await own.page.locator('[data-qa="status"]').innerText()), 'Draft');
        assert.equal(await own.page.locator('[data-qa="approve"]').count(), 0, 'no approve button for the author');
        assert.equal(
          squash(await own.page.locator('[data-qa="cannot-approve"]').innerText()),
          'You started this campaign, so another data protection officer of the council must approve it: a second pair of eyes on every message sent in the council’s name.',
        );

        // A second Westminster DPO, invited on the command line, sets up their account and approves it.
        const printed = await server.cli([
          'user',
          'add',
          '--email',
          SECOND_DPO,
          '--org',
          'westminster',
          '--role',
          'dpo',
          '--name',
          'Sam Second',
        ]);
        const link = /^(http:\/\/\S+\/sign-in\/set-up\/\S+)$/m.exec(printed)?.[1];
        assert.ok(link, `no set-up link in:\n${printed}`);
        await e2e.journey(async (second) => {
          await second.goto(link);
          await (await new CreatePasswordPage(second).check()).create('harbour-lantern-pebble-93');
          const setUp = await new AuthenticatorSetUpPage(second).check();
          const app = new Authenticator(await setUp.key());
          await setUp.enterCode(await app.nextCode());
          await (await new RecoveryCodesPage(second).check()).continue();
          await new IncidentRoomPage(second).check();

          await second.goto(campaignPath);
          const toApprove = await new PageAt(second, CAMPAIGN, campaignPath).check();
          assert.equal(await toApprove.page.locator('[data-qa="cannot-approve"]').count(), 0);
          await second.navigate(() => toApprove.page.locator('[data-qa="approve"]').click());
          const approved = await new PageAt(second, CAMPAIGN, campaignPath).check();
          assert.match(await approved.page.locator('[data-qa="banner"]').innerText(), /Campaign approved/);
          assert.equal(squash(await approved.page.locator('[data-qa="status"]').innerText()), 'Approved');
          assert.match(
            squash(await approved.page.locator('main').innerText()),
            /Approved by sam\.second@westminster\.gov\.uk, \d+ \w+ \d{4}/,
          );
        });

        // The author queues it and follows the progress bar until every message is sent or printed.
        await journey.goto(campaignPath);
        const ready = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        await journey.navigate(() => ready.page.locator('[data-qa="queue"]').click());
        const queued = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        assert.match(await queued.page.locator('[data-qa="banner"]').innerText(), /Campaign queued/);
        await waitFor(
          'the campaign to finish',
          async () => {
            if (squash(await journey.page.locator('[data-qa="status"]').innerText()) === 'Finished') return true;
            await delay(500);
            await journey.goto(campaignPath);
            return false;
          },
          { timeoutMs: 90_000, intervalMs: 0 },
        );
        const finished = await new PageAt(journey, CAMPAIGN, campaignPath).check();
        const bar = finished.page.locator('[data-qa="progress"]');
        const total = Number(await bar.getAttribute('max'));
        assert.ok(total >= 3, `the campaign reaches Westminster's people (${total})`);
        assert.equal(await bar.getAttribute('value'), String(total));
        assert.match(
          await finished.page.locator('label[for="campaign-progress"]').innerText(),
          new RegExp(`^${total} of ${total} done \\(100%\\)$`),
        );
        const notice = await waitFor('the notice to Renée Dubois', () =>
          server.smtp.received.find((m) => m.envelopeTo.includes('renee.dubois@example.org')),
        );
        assert.equal(notice.header('subject'), 'Your details were in data copied from the council');
        assert.match(notice.text, /^Dear Renée Dubois,/);
        assert.match(notice.text, /Your reference is WR-[A-Z0-9]+\./);

        // Someone with only a postal address is sent a letter: a print file to download.
        const batch = finished.page.locator('[data-qa="letter-batch"]').first();
        assert.match(await batch.innerText(), /^Print file 1: \d+ letters? \(PDF\)$/);
        const pdf = await journey.context.request.get((await batch.getAttribute('href')) ?? '');
        assert.equal(pdf.status(), 200);
        assert.equal(pdf.headers()['content-type'], 'application/pdf');
        assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
      }),
  );
});
