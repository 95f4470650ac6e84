// The base of every page object. A page check asserts the person is on the page they expect, that
// axe finds no WCAG 2.2 A or AA violation on it, and that nothing went wrong in the browser.
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import { formatViolations } from './axe.ts';
import type { Journey } from './journey.ts';

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

export abstract class BasePage {
  /** The page's one h1, as a person reads it. */
  abstract readonly heading: string;
  /** The path the page lives at. */
  abstract readonly path: string | RegExp;

  constructor(readonly journey: Journey) {}

  get page(): Page {
    return this.journey.page;
  }

  /** The start of the <title>; most pages use their heading. */
  get title(): string {
    return this.heading;
  }

  protected qa(name: string): Locator {
    return this.page.locator(`[data-qa="${name}"]`);
  }

  /** The page check: run it on every page a journey reaches. */
  async check(): Promise<this> {
    // A click that navigates returns once the new page is committed, which may be before it is
    // parsed: the address is already new while the document is still empty.
    await this.page.waitForLoadState('load');
    const url = new URL(this.page.url());
    if (typeof this.path === 'string') assert.equal(url.pathname, this.path, `expected to be on ${this.path}`);
    else assert.match(url.pathname, this.path);

    const headings = await this.page.locator('h1').allInnerTexts();
    assert.deepEqual(headings.map(squash), [this.heading], `the h1 on ${url.pathname}`);
    const title = await this.page.title();
    assert.ok(
      title.replace(/^Error: /, '').startsWith(`${this.title} – `),
      `the title of ${url.pathname} should start with "${this.title}", not "${title}"`,
    );

    // With JavaScript on, the page's own scripts must have run under the CSP; with it off, none.
    const bodyClass = (await this.page.locator('body').getAttribute('class')) ?? '';
    if (this.journey.javaScriptEnabled) {
      assert.match(bodyClass, /\bgovuk-frontend-supported\b/, 'js-enabled.js did not run');
    } else {
      assert.doesNotMatch(bodyClass, /\bjs-enabled\b/, 'a script ran with JavaScript disabled');
    }

    const report = await this.journey.axe();
    assert.equal(report.violations.length, 0, formatViolations(report, title));
    this.journey.expectNoProblems();
    return this;
  }

  /** The GOV.UK error summary: its messages, after checking it is shown the GOV.UK way. */
  async errorSummary(): Promise<string[]> {
    const summary = this.page.locator('.govuk-error-summary');
    assert.equal(await summary.count(), 1, 'there should be one error summary');
    assert.equal(squash(await summary.locator('.govuk-error-summary__title').innerText()), 'There is a problem');
    assert.match(await this.page.title(), /^Error: /, 'the title should start with "Error: "');
    if (this.journey.javaScriptEnabled) {
      // govuk-frontend moves focus to the summary so screen reader users hear it first.
      assert.equal(await this.page.locator('.govuk-error-summary:focus').count(), 1, 'the error summary has focus');
    }
    const items = summary.locator('.govuk-error-summary__list a');
    const messages = (await items.allInnerTexts()).map(squash);
    for (const [i, message] of messages.entries()) {
      const target = (await items.nth(i).getAttribute('href')) ?? '';
      assert.match(target, /^#[\w-]+$/, `"${message}" should link to its field`);
      assert.equal(
        await this.page.locator(target).count(),
        1,
        `"${message}" links to ${target}, which is not on the page`,
      );
    }
    return messages;
  }

  /** The message shown beside a field (without the hidden "Error:" prefix). */
  async fieldError(fieldId: string): Promise<string> {
    const message = this.page.locator(`#${fieldId}-error`);
    return squash((await message.innerText()).replace(/^Error:\s*/, ''));
  }
}
