// Issue 6, the data protection officer's side: Westminster's DPO uploads a council's file of
// affected people saved by Excel (Windows-1252, with a £ and an é), matches the columns on the
// preview, starts the import, follows its progress until the job worker has finished, reads the
// row it refused (its line and why, never the value), finds a person by email and opens their
// record. axe runs on every page.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
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
          assert.deepEqual(await refused.errorSummary(), [
            'Select the kinds of data in the file',
            'Select a CSV file that is not empty',
          ]);
          assert.equal(await refused.fieldError('file'), 'Select a CSV file that is not empty');

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
});
