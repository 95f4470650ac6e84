import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
import { createTestDatabase } from '../../src/platform/db/test-databases.ts';
import { seedDemo } from '../../src/platform/demo/seed-demo.ts';
import { createTestApp, TEST_SESSION_SECRET } from '../../src/platform/testing/test-app.ts';

const t0 = Date.now();
const db = await createTestDatabase('sqlite');
const seeded = await seedDemo(db.db, { sessionSecret: TEST_SESSION_SECRET });
console.log('seed', Date.now() - t0, seeded.credentials.length);
const ta = await createTestApp(db);
const addr = await ta.app.listen({ port: 0, host: '127.0.0.1' });
console.log(addr, Date.now() - t0);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
console.log('browser', Date.now() - t0, browser.version());
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
for (const js of [true, false]) {
  const ctx = await browser.newContext({ javaScriptEnabled: js });
  const page = await ctx.newPage();
  page.on('console', (m) => console.log('console', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.goto(addr + '/');
  console.log('title', await page.title());
  try {
    await page.evaluate(axeSource);
    const r = await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa'] } }).then(r => ({ v: r.violations.length, p: r.passes.length, ids: r.violations.map(v=>v.id) }))`);
    console.log('axe', js, JSON.stringify(r));
  } catch (e) { console.log('evaluate failed', js, (e as Error).message); }
  // Inline script should be blocked
  await page.setContent('<p>x</p>').catch((e) => console.log('setContent', e.message));
  await page.goto(addr + '/nope');
  console.log(await page.title());
  await ctx.close();
}
await browser.close();
await ta.close();
await db.close();
console.log('done', Date.now() - t0);
