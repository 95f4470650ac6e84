// A reported email built to attack whoever opens it: script, inline event handlers, a javascript:
// link and remote images (an <img> and a CSS background) pointing at a local HTTP server this test
// runs. A resident uploads it through the public form, the worker groups it, and the demo analyst
// opens the queue, the campaign and the report: nothing from the email runs, loads or opens a
// dialog, links are shown defanged, and axe finds nothing on the console pages.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { waitFor } from '../../src/platform/jobs/test-fixtures/wait-for.ts';
import { signInAsDemo } from './support/demo-sign-in.ts';
import { describeJourneys, JOURNEY_TIMEOUT_MS } from './support/e2e-suite.ts';
import { PageAt } from './support/page-at.ts';

const FORM = '/westminster/report-a-suspicious-message';

function hostileEmail(tracker: string): string {
  const html = [
    '<html><head><style>body { background: url(' + tracker + '/background.png) }</style>',
    '<script>document.title = "pwned"; window.__pwned = true; alert("script")</script></head>',
    '<body onload="window.__pwned = true; alert(\'onload\')">',
    '<p>Dear resident, your council tax refund of £318.60 is ready.</p>',
    '<p><a href="https://wcc-tax-rebate.top/claim?ref=5521">Claim your refund</a> today.</p>',
    '<p><a href="javascript:window.__pwned=true;alert(1)">Check your account</a></p>',
    '<img src="' + tracker + '/pixel.png" width="1" height="1" alt="">',
    '<img src="x" onerror="window.__pwned = true; alert(\'onerror\')">',
    '<div style="background-image: url(\'' + tracker + '/div.png\')">Westminster City Council</div>',
    '</body></html>',
  ].join('\r\n');
  return [
    'From: Westminster City Council <refunds@wcc-tax-rebate.top>',
    'To: resident@example.com',
    'Subject: Council tax refund waiting <b onmouseover="alert(1)">now</b>',
    'Date: Tue, 2 Dec 2025 10:00:00 +0000',
    'Message-ID: <hostile-1@wcc-tax-rebate.top>',
    'MIME-Version: 1.0',
    'Content-Type: text/html; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    html,
    '',
  ].join('\r\n');
}

describeJourneys('a hostile reported email in the analyst console', (e2e) => {
  let tracker: Server;
  let trackerUrl: string;
  const hits: string[] = [];
  let dir: string;

  before(async () => {
    tracker = createServer((request, response) => {
      hits.push(`${request.method} ${request.url}`);
      response.writeHead(200, { 'content-type': 'image/png' }).end();
    });
    await new Promise<void>((resolve) => tracker.listen(0, '127.0.0.1', resolve));
    trackerUrl = `http://127.0.0.1:${(tracker.address() as AddressInfo).port}`;
    dir = mkdtempSync(path.join(tmpdir(), 'wardroom-hostile-'));
  });
  after(async () => {
    await new Promise<void>((resolve) => tracker.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    'nothing in it runs, loads or opens; links are defanged; axe finds nothing',
    { timeout: JOURNEY_TIMEOUT_MS },
    () =>
      e2e.journey(async (journey) => {
        const dialogs: string[] = [];
        journey.page.on('dialog', (dialog) => {
          dialogs.push(`${dialog.type()}: ${dialog.message()}`);
          void dialog.dismiss();
        });
        const eml = path.join(dir, 'refund.eml');
        writeFileSync(eml, hostileEmail(trackerUrl));

        // The resident's report, through the public form.
        await journey.goto(FORM);
        const form = await new PageAt(journey, 'Report a suspicious message', FORM).check();
        await form.page.locator('#kind').check();
        await form.page.locator('#emailFile').setInputFiles(eml);
        await form.page.fill('#claimedSender', 'Westminster City Council');
        await journey.navigate(() => form.page.locator('[data-qa="continue"]').click());
        const check = await new PageAt(
          journey,
          'Check your answers before sending your report',
          `${FORM}/check`,
        ).check();
        await journey.navigate(() => check.page.locator('[data-qa="send"]').click());
        const sent = await new PageAt(journey, 'Report sent', `${FORM}/sent`).check();
        const reference = (await sent.page.locator('[data-qa="reference"]').innerText()).trim();

        const { db } = e2e.server().database;
        const report = await waitFor(`report ${reference} grouped by the worker`, async () => {
          const row = await db
            .selectFrom('suspicious_reports')
            .innerJoin('report_campaigns', 'report_campaigns.id', 'suspicious_reports.campaign_id')
            .select(['suspicious_reports.id', 'suspicious_reports.campaign_id', 'report_campaigns.title'])
            .where('reference', '=', reference)
            .executeTakeFirst();
          return row ?? undefined;
        });

        await signInAsDemo(journey, e2e.server().demo('analyst'));
        await journey.goto('/staff/reports');
        const queue = await new PageAt(journey, 'Reported messages', '/staff/reports').check();
        assert.equal(await queue.page.locator(`a[href="/staff/reports/campaigns/${report.campaign_id}"]`).count(), 1);

        await journey.navigate(() =>
          queue.page.locator(`a[href="/staff/reports/campaigns/${report.campaign_id}"]`).first().click(),
        );
        const campaign = await new PageAt(
          journey,
          report.title.replace(/\s+/g, ' ').trim(),
          `/staff/reports/campaigns/${report.campaign_id}`,
          report.title.replace(/\s+/g, ' ').trim(),
        ).check();
        await expectInert(campaign.page);

        await journey.goto(`/staff/reports/${report.id}`);
        const shown = await new PageAt(journey, `Report ${reference}`, `/staff/reports/${report.id}`).check();
        await expectInert(shown.page);
        const text = await shown.page.locator('[data-qa="message-text"]').innerText();
        assert.match(text, /hxxps:\/\/wcc-tax-rebate\[\.\]top\/claim/, 'the link is shown defanged');
        assert.doesNotMatch(text, /https:\/\/wcc-tax-rebate\.top/);
        const indicators = await shown.page.locator('main').innerText();
        assert.doesNotMatch(indicators, /(?<!hxx)https?:\/\/wcc-tax-rebate\.top/);
        assert.match(indicators, /<b onmouseover="alert\(1\)">now<\/b>/, 'the subject’s markup is shown as text');

        assert.deepEqual(dialogs, [], 'no dialog opened');
        assert.deepEqual(hits, [], 'nothing was fetched from the tracker');
        // The tracker does answer: had the browser asked, it would have been counted.
        await fetch(`${trackerUrl}/probe.png`);
        assert.deepEqual(hits, ['GET /probe.png']);
      }),
  );

  async function expectInert(page: Page): Promise<void> {
    assert.equal(await page.evaluate('window.__pwned === undefined'), true, 'no script from the email ran');
    assert.notEqual(await page.title(), 'pwned');
    assert.equal(await page.locator(`img[src^="${trackerUrl}"], [style*="${trackerUrl}"]`).count(), 0);
    assert.equal(await page.locator('main a[href^="javascript:"], main a[href*="wcc-tax-rebate"]').count(), 0);
    assert.equal(await page.locator('main [onerror], main [onload], main [onmouseover]').count(), 0);
    // Every script on the page is the app's own file.
    const scripts = await page.locator('script').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('src')));
    assert.ok(
      scripts.every((src) => src !== null && src.startsWith('/')),
      JSON.stringify(scripts),
    );
  }
});
