// Issue 6's breach record: Westminster's data protection officer signs in, opens the breach
// dashboard, sees the 72-hour clock, corrects the breach record (after an error the form explains),
// looks at the risk assessment, reads the ICO report as a page and as it prints, and the breach
// register. Every page passes axe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BreachDashboardPage,
  BreachRecordFormPage,
  BreachRecordPage,
  BreachRegisterPage,
  BreachReportPage,
  RecordReportPage,
  RiskAssessmentPage,
  SentReportPage,
} from './pages/breach-pages.ts';
import { AuthenticatorCodePage, SignInPage } from './pages/sign-in-pages.ts';
import { IncidentRoomPage } from './pages/staff-pages.ts';
import { Authenticator } from './support/authenticator.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';

const WESTMINSTER = 'Westminster City Council';
const INCIDENT = 'Cyber attack on shared IT systems';

describeJourneys('breach record journey', (e2e) => {
  test(
    'a DPO sees the clock, changes the breach record, and reads the ICO report and the register',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const dpo = e2e.server().demo('dpo');
        await journey.goto('/sign-in');
        await (await new SignInPage(journey).check()).signIn(dpo.email, dpo.password);
        await (
          await new AuthenticatorCodePage(journey).check()
        ).enterCode(await new Authenticator(dpo.totpSecret).nextCode());
        const home = await new IncidentRoomPage(journey).check();

        await journey.navigate(() =>
          home.page.getByRole('navigation').getByRole('link', { name: 'Data breaches' }).click(),
        );
        const dashboard = await new BreachDashboardPage(journey).check();
        assert.deepEqual(await dashboard.councils(), [WESTMINSTER], 'a DPO sees only their own council');
        assert.equal(await dashboard.clockState(), 'Reported on time');
        assert.equal(await dashboard.clockText(), 'Reported to the ICO on 25 November 2025 at 4pm, within 72 hours.');

        await dashboard.openRecord(INCIDENT);
        const record = await new BreachRecordPage(journey, WESTMINSTER).check();
        assert.equal(await record.clockState(), 'Reported on time');
        await record.change();

        const form = await new BreachRecordFormPage(journey).check();
        await form.page.fill('#description', '');
        await form.save();
        const withError = await new BreachRecordFormPage(journey).check();
        assert.deepEqual(await withError.errorSummary(), ['Enter what happened']);
        assert.equal(await withError.fieldError('description'), 'Enter what happened');
        await withError.page.fill(
          '#description',
          'Criminals copied data from IT systems we share with the Royal Borough of Kensington and Chelsea.',
        );
        await withError.page
          .getByRole('group', { name: 'How many people are affected?' })
          .getByLabel('Approximately')
          .check();
        await withError.page.getByLabel('Number of people', { exact: true }).fill('12,000');
        await withError.save();

        const saved = await new BreachRecordPage(journey, WESTMINSTER).check();
        assert.match(await saved.banner(), /Breach record saved/);
        assert.match(await saved.section('what-happened'), /Criminals copied data from IT systems we share/);
        assert.match(await saved.section('data-and-people'), /People affected About 12,000/);
        assert.equal(
          await saved.clockState(),
          'Reported on time',
          'the clock still counts from when the council became aware',
        );

        await saved.assessRisk();
        const risk = await new RiskAssessmentPage(journey).check();
        assert.ok(await risk.page.getByLabel('Possible').isChecked(), 'the saved assessment is filled in');
        await risk.page.getByLabel('Severe', { exact: true }).check();
        await risk.save();
        const assessed = await new BreachRecordPage(journey, WESTMINSTER).check();
        assert.match(await assessed.section('risk'), /Overall risk High risk/);

        // What was sent to the ICO in November is kept as it was sent.
        await assessed.openSentReport('Initial report');
        const sent = await new SentReportPage(journey, 'Initial report').check();
        assert.doesNotMatch(await sent.report(), /About 12,000/);
        assert.match(await sent.report(), /Approximate number of people affected Not known yet/);
        await journey.page.goBack();
        const back = await new BreachRecordPage(journey, WESTMINSTER).check();
        await back.recordReport();
        await new RecordReportPage(journey).check();
        await journey.page.goBack();
        await new BreachRecordPage(journey, WESTMINSTER).check();

        await assessed.openReport();
        const report = await new BreachReportPage(journey).check();
        assert.deepEqual(await report.sections(), [
          '1. About the organisation',
          '2. What happened and when',
          '3. How it was discovered',
          '4. The data and the people',
          '5. Cyber incident',
          '6. Containment and recovery',
          '7. Likely consequences',
          '8. Telling the people affected',
          '9. Other organisations told',
        ]);
        assert.match(await report.page.locator('main').innerText(), /About 12,000/);
        // Printed, only the report is left: no header, navigation, sign-out or links back.
        await report.page.emulateMedia({ media: 'print' });
        for (const selector of [
          '.govuk-header',
          '.govuk-service-navigation',
          '.govuk-footer',
          '[data-qa="sign-out"]',
          '.govuk-back-link',
        ]) {
          assert.equal(await report.page.locator(selector).isVisible(), false, `${selector} is not printed`);
        }
        assert.equal(await report.page.locator('[data-qa="report"]').isVisible(), true);
        await report.page.emulateMedia({ media: 'screen' });

        await journey.goto('/staff/breaches');
        await (await new BreachDashboardPage(journey).check()).openRegister();
        const register = await new BreachRegisterPage(journey).check();
        assert.equal(await register.entries(), 1);
      }),
  );
});
