// One person's visit: a fresh browser context (its own cookies) and everything that went wrong in
// it that a page does not show — console errors, Content Security Policy violations, script
// errors, failed or broken sub-resources — so that a journey fails on them.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page, type Response } from 'playwright-core';
import { runAxe, type AxeReport } from './axe.ts';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Browser journeys need Chromium at ${CHROMIUM}: apt-get install chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface JourneyOptions {
  javaScriptEnabled?: boolean;
}

interface DocumentSeen {
  url: string;
  method: string;
  status: number;
}

const CONTEXT_OPTIONS = {
  locale: 'en-GB',
  timezoneId: 'Europe/London',
  viewport: { width: 1280, height: 900 },
} as const;

export class Journey {
  private readonly consoleErrors: Array<{ text: string; url: string }> = [];
  /** Documents the server answered with an error status: their page object checks that status. */
  private readonly errorDocuments = new Set<string>();
  /** The last page the main frame showed, as the server answered it. */
  lastDocument: DocumentSeen | undefined;

  private constructor(
    private readonly browser: Browser,
    readonly baseUrl: string,
    readonly context: BrowserContext,
    readonly javaScriptEnabled: boolean,
    readonly page: Page,
    private readonly problems: string[],
  ) {}

  static async start(browser: Browser, baseUrl: string, options: JourneyOptions = {}): Promise<Journey> {
    const javaScriptEnabled = options.javaScriptEnabled ?? true;
    const context = await browser.newContext({ ...CONTEXT_OPTIONS, baseURL: baseUrl, javaScriptEnabled });
    context.setDefaultTimeout(10_000);
    context.setDefaultNavigationTimeout(15_000);
    const problems: string[] = [];
    if (javaScriptEnabled) {
      // The browser reports CSP violations to the console too; this listener does not depend on
      // console wording. Both the binding and the init script come in through the DevTools
      // protocol, so the page's CSP does not block them.
      await context.exposeBinding('__wardroomCspViolation', (_source, text: unknown) => {
        problems.push(`CSP violation: ${String(text)}`);
      });
      await context.addInitScript(`
        addEventListener('securitypolicyviolation', (e) => {
          window.__wardroomCspViolation(e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') +
            ' on ' + e.documentURI + (e.lineNumber ? ' line ' + e.lineNumber : ''));
        }, true);
      `);
    }
    const page = await context.newPage();
    const journey = new Journey(browser, baseUrl, context, javaScriptEnabled, page, problems);
    journey.watch(page);
    return journey;
  }

  private watch(page: Page): void {
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleErrors.push({ text: message.text(), url: message.location().url });
    });
    page.on('pageerror', (error) => this.problems.push(`script error: ${error.message}`));
    page.on('crash', () => this.problems.push('the page crashed'));
    page.on('requestfailed', (request) => {
      const reason = request.failure()?.errorText ?? 'unknown';
      // A navigation cancels what the old page was still loading; that is not a fault.
      if (reason !== 'net::ERR_ABORTED')
        this.problems.push(`request failed: ${request.method()} ${request.url()} (${reason})`);
    });
    page.on('response', (response) => {
      const request = response.request();
      const status = response.status();
      if (request.isNavigationRequest() && response.frame() === page.mainFrame()) {
        if (status >= 300 && status < 400) return;
        this.lastDocument = { url: response.url(), method: request.method(), status };
        if (status >= 400) this.errorDocuments.add(response.url());
      } else if (status >= 400) {
        this.problems.push(`${status} for ${request.method()} ${response.url()}`);
      }
    });
  }

  /** Opens a path on the server, as if typed into the address bar. */
  async goto(path: string): Promise<Response> {
    const response = await this.page.goto(path, { waitUntil: 'load' });
    if (!response) throw new Error(`no response for ${path}`);
    return response;
  }

  /** Does something that loads a new page (a link, a form) and waits until that page has loaded. */
  async navigate(action: () => Promise<unknown>): Promise<Response> {
    const mainFrame = this.page.mainFrame();
    const [response] = await Promise.all([
      this.page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.frame() === mainFrame && (r.status() < 300 || r.status() >= 400),
      ),
      this.page.waitForEvent('load'),
      action(),
    ]);
    return response;
  }

  /** Hands over what went wrong since the last call, and forgets it. */
  takeProblems(): string[] {
    const found = [
      ...this.problems.splice(0),
      ...this.consoleErrors
        .splice(0)
        // The browser logs every error status, including pages that are meant to be a 404 or a form with errors.
        .filter((e) => !(e.text.startsWith('Failed to load resource') && this.errorDocuments.has(e.url)))
        .map((e) => `console error: ${e.text}${e.url ? ` (${e.url})` : ''}`),
    ];
    return found;
  }

  expectNoProblems(): void {
    const found = this.takeProblems();
    assert.deepEqual(
      found,
      [],
      `${found.length} problem(s) in the browser by ${this.page.url()}:\n  - ${found.join('\n  - ')}`,
    );
  }

  /** axe on the current page. Without JavaScript see axeWithoutScripts. */
  async axe(): Promise<AxeReport> {
    return this.javaScriptEnabled ? runAxe(this.page) : this.axeWithoutScripts();
  }

  /**
   * Chromium cannot run axe in a context with JavaScript disabled (axe needs timers, and a timer
   * there takes the whole browser down), so the same page is loaded again in a context where
   * every script file is answered empty: the same HTML, CSS, CSP and cookies, and no page script.
   */
  private async axeWithoutScripts(): Promise<AxeReport> {
    const seen = this.lastDocument;
    if (!seen || seen.method !== 'GET') {
      throw new Error(`axe without JavaScript can only check a page got by GET, not ${JSON.stringify(seen)}`);
    }
    const mirror = await this.browser.newContext({ ...CONTEXT_OPTIONS, baseURL: this.baseUrl });
    try {
      await mirror.addCookies(await this.context.cookies());
      await mirror.route('**/*', (route) =>
        route.request().resourceType() === 'script'
          ? route.fulfill({ status: 200, contentType: 'text/javascript', body: '' })
          : route.continue(),
      );
      const page = await mirror.newPage();
      const response = await page.goto(seen.url, { waitUntil: 'load' });
      assert.equal(response?.status(), seen.status, `the page without scripts answered differently: ${seen.url}`);
      const bodyClass = (await page.locator('body').getAttribute('class')) ?? '';
      assert.doesNotMatch(bodyClass, /js-enabled/, 'a page script ran in the no-JavaScript copy');
      return await runAxe(page);
    } finally {
      await mirror.close();
    }
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
