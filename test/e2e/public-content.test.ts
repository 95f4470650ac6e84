// Issue 3's translations and questions and answers: comms adds an Arabic (right to left) and a
// Polish translation and a resident reads the incident page in each and in English; comms adds a
// question, moves it up without JavaScript, and a resident sees it. Every page passes axe.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { PageAt } from './support/page-at.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import type { Journey } from './support/journey.ts';

/** The one browser function used here (the tests are compiled without the DOM library). */
interface BrowserWindow {
  getComputedStyle(element: unknown): { direction: string };
}

const INCIDENT = 'Cyber attack on shared IT systems';
const TRANSLATIONS: Array<{
  code: string;
  name: string;
  nativeName: string;
  dir: 'ltr' | 'rtl';
  summary: string;
  advice: string;
}> = [
  {
    code: 'ar',
    name: 'Arabic',
    nativeName: 'العربية',
    dir: 'rtl',
    summary: 'هاجم مجرمون أنظمة تكنولوجيا المعلومات التي نتشاركها.\n\nأوقفنا الأنظمة لحمايتها.',
    advice: 'كن حذراً من المكالمات والرسائل غير المتوقعة.',
  },
  {
    code: 'pl',
    name: 'Polish',
    nativeName: 'Polski',
    dir: 'ltr',
    summary: 'Przestępcy zaatakowali wspólne systemy informatyczne.',
    advice: 'Uważaj na nieoczekiwane telefony i wiadomości.',
  },
];

describeJourneys('translations and questions and answers', (e2e) => {
  const signInAsComms = (journey: Journey) => signInAsDemo(journey, e2e.server().demo('comms'));
  /** From the incident list to the council's public page content. */
  const openPublicContent = async (journey: Journey) => {
    await journey.goto('/staff/incidents');
    await new PageAt(journey, 'Incidents', '/staff/incidents').check();
    await journey.navigate(() => journey.page.getByRole('link', { name: INCIDENT }).click());
    await new PageAt(journey, INCIDENT, /^\/staff\/incidents\/[\w-]+$/).check();
    await journey.navigate(() => journey.page.locator('[data-qa="public-content-link"]').click());
    return new PageAt(journey, 'Public page content', /\/public-content$/).check();
  };

  test(
    'comms adds right-to-left and left-to-right translations, and a resident reads the page in each and in English',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        await signInAsComms(journey);
        const content = await openPublicContent(journey);
        await journey.navigate(() =>
          content.page.getByRole('link', { name: 'Change translations for Westminster City Council' }).click(),
        );
        const translationsPath = /\/councils\/westminster\/translations$/;
        await new PageAt(journey, 'Translations', translationsPath).check();

        for (const translation of TRANSLATIONS) {
          await journey.navigate(() => journey.page.locator('[data-qa="add-translation"]').click());
          const form = await new PageAt(journey, 'Add a translation', /\/translations\/new$/).check();
          if (translation.code === 'ar') {
            await journey.navigate(() => form.page.locator('[data-qa="save-translation"]').click());
            const invalid = await new PageAt(journey, 'Add a translation', /\/translations\/new$/).check();
            assert.deepEqual(await invalid.errorSummary(), ['Select a language']);
          }
          await form.page.selectOption('#language', translation.code);
          await form.page.fill('#summary', translation.summary);
          await form.page.fill('#advice', translation.advice);
          await journey.navigate(() => form.page.locator('[data-qa="save-translation"]').click());
          const list = await new PageAt(journey, 'Translations', translationsPath).check();
          assert.match(await list.page.locator('[data-qa="translations"]').innerText(), new RegExp(translation.name));
        }

        // The change and remove pages, left without changing anything.
        await journey.navigate(() => journey.page.getByRole('link', { name: 'Change the Arabic translation' }).click());
        const change = await new PageAt(journey, 'Change the Arabic translation', /\/translations\/ar\/edit$/).check();
        assert.equal(await change.page.locator('#summary').getAttribute('dir'), 'rtl');
        await journey.navigate(() => change.page.getByRole('link', { name: 'Cancel' }).click());
        await new PageAt(journey, 'Translations', translationsPath).check();
        await journey.navigate(() => journey.page.getByRole('link', { name: 'Remove the Polish translation' }).click());
        const remove = await new PageAt(
          journey,
          'Remove the Polish translation?',
          /\/translations\/pl\/remove$/,
        ).check();
        await journey.navigate(() => remove.page.getByRole('link', { name: 'Cancel' }).click());
        await new PageAt(journey, 'Translations', translationsPath).check();

        // A resident.
        await journey.goto('/westminster/cyber-incident');
        const english = await new PageAt(journey, INCIDENT, '/westminster/cyber-incident').check();
        const picker = english.page.getByRole('navigation', { name: 'Languages' });
        assert.deepEqual(
          (await picker.locator('li').allInnerTexts()).map((t) => t.trim()),
          ['English', 'العربية', 'Polski'],
        );
        assert.equal(await english.page.locator('[data-qa="translated-summary"]').count(), 0);

        for (const translation of TRANSLATIONS) {
          const link = journey.page
            .getByRole('navigation', { name: 'Languages' })
            .getByRole('link', { name: translation.nativeName });
          assert.equal(await link.getAttribute('lang'), translation.code);
          assert.equal(await link.getAttribute('hreflang'), translation.code);
          await journey.navigate(() => link.click());
          const page = await new PageAt(journey, INCIDENT, '/westminster/cyber-incident').check();
          assert.equal(new URL(page.page.url()).search, `?lang=${translation.code}`);
          assert.equal(await page.page.locator('html').getAttribute('lang'), 'en', 'the page stays English');
          for (const block of ['translated-summary', 'translated-advice']) {
            const translated = page.page.locator(`[data-qa="${block}"]`);
            assert.equal(await translated.getAttribute('lang'), translation.code);
            assert.equal(await translated.getAttribute('dir'), translation.dir);
          }
          assert.match(
            await page.page.locator('[data-qa="translated-advice"]').innerText(),
            new RegExp(translation.advice),
          );
          const direction = await page.page
            .locator('[data-qa="translated-summary"] p')
            .first()
            .evaluate((p) => (globalThis as unknown as BrowserWindow).getComputedStyle(p).direction);
          assert.equal(direction, translation.dir, 'the browser lays the text out in its own direction');
          assert.match(
            await page.page.locator('[data-qa="translation-note"]').innerText(),
            /Westminster City Council provides this translation. The rest of this page is in English./,
          );
        }

        await journey.navigate(() => journey.page.getByRole('link', { name: 'Read this page in English' }).click());
        const back = await new PageAt(journey, INCIDENT, '/westminster/cyber-incident').check();
        assert.equal(new URL(back.page.url()).search, '');
        assert.equal(await back.page.locator('[data-qa="translated-summary"]').count(), 0);
      }),
  );

  test(
    'comms adds a question and moves it up without JavaScript, and a resident sees it in that place',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(
        async (journey) => {
          const question = 'Can I still book a bulky waste collection?';
          await signInAsComms(journey);
          const content = await openPublicContent(journey);
          await journey.navigate(() =>
            content.page
              .getByRole('link', { name: 'Change questions and answers for Westminster City Council' })
              .click(),
          );
          const faqPath = /\/councils\/westminster\/faq$/;
          await new PageAt(journey, 'Questions and answers', faqPath).check();
          await journey.navigate(() => journey.page.locator('[data-qa="add-question"]').click());
          const form = await new PageAt(journey, 'Add a question', /\/faq\/new$/).check();
          await form.page.getByLabel('Question', { exact: true }).fill(question);
          await form.page
            .getByLabel('Answer', { exact: true })
            .fill('Yes. Call Veolia on 020 7641 6180 to book one.\n\nYou cannot book online at the moment.');
          await journey.navigate(() => form.page.locator('[data-qa="save-question"]').click());
          const list = await new PageAt(journey, 'Questions and answers', faqPath).check();
          const listed = async () =>
            (await list.page.locator('[data-qa="question"]').allInnerTexts()).map((q) => q.trim());
          assert.equal((await listed()).at(-1), question);

          const entry = list.page.locator('[data-qa="faq-entries"] > li').last();
          await journey.navigate(() => entry.locator('[data-qa="move-up"]').click());
          await new PageAt(journey, 'Questions and answers', faqPath).check();
          assert.equal((await listed()).at(-2), question);
          const order = await listed();

          // A resident.
          await journey.goto('/westminster/cyber-incident');
          const incident = await new PageAt(journey, INCIDENT, '/westminster/cyber-incident').check();
          const faq = incident.page.locator('[data-qa="faq"]');
          assert.deepEqual(
            (await faq.locator('h3').allInnerTexts()).map((q) => q.trim()),
            order,
          );
          assert.match(await faq.innerText(), /You cannot book online at the moment\./);
        },
        { javaScriptEnabled: false },
      ),
  );
});
