import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
const ctx = await browser.newContext({ javaScriptEnabled: false });
const page = await ctx.newPage();
page.on('crash', () => console.log('CRASH'));
page.on('close', () => console.log('CLOSE'));
await page.setContent('<h1>hi</h1><ul><li>a</li></ul>');
try { console.log(await page.evaluate('1+1')); } catch (e) { console.log('eval1', (e as Error).message); }
try { await page.evaluate(axeSource); console.log(await page.evaluate('typeof axe')); } catch (e) { console.log('eval2', (e as Error).message); }
try { console.log(await page.evaluate('axe.run(document).then(r=>r.passes.length)')); } catch (e) { console.log('eval3', (e as Error).message); }
await browser.close();
