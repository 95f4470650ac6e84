// A describe() for browser journeys: one server and one browser for the suite, opened before its
// first journey and always closed after the last, and a fresh browser context per journey.
import { after, before, describe } from 'node:test';
import type { Browser } from 'playwright-core';
import { startE2eServer, type E2eServer } from './e2e-server.ts';
import { Journey, launchBrowser, type JourneyOptions } from './journey.ts';

/**
 * Bounds for node:test. A journey waits at most one TOTP step (30 s) for a fresh code; the longest
 * journeys (set-up without JavaScript, where axe loads each page again) took 70–90 s on a slow
 * machine with two other test files running, so 90 s was not enough there.
 */
export const JOURNEY_TIMEOUT_MS = 180_000;
const SET_UP_TIMEOUT_MS = 60_000;

export interface E2eSuite {
  server(): E2eServer;
  /** Runs a journey in a fresh browser context, closed afterwards whatever happens. */
  journey(run: (journey: Journey) => Promise<void>, options?: JourneyOptions): Promise<void>;
}

export function describeJourneys(title: string, suite: (e2e: E2eSuite) => void): void {
  describe(title, () => {
    let server: E2eServer | undefined;
    let browser: Browser | undefined;
    before(
      async () => {
        server = await startE2eServer();
        browser = await launchBrowser();
      },
      { timeout: SET_UP_TIMEOUT_MS },
    );
    after(
      async () => {
        try {
          await browser?.close();
        } finally {
          await server?.close();
        }
      },
      { timeout: SET_UP_TIMEOUT_MS },
    );

    const opened = () => {
      if (!server || !browser) throw new Error('the journey server and browser are not running');
      return { server, browser };
    };
    suite({
      server: () => opened().server,
      async journey(run, options) {
        const { server: s, browser: b } = opened();
        const journey = await Journey.start(b, s.baseUrl, options);
        try {
          await run(journey);
        } finally {
          await journey.close();
        }
      },
    });
  });
}
