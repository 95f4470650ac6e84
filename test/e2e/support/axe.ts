// axe-core in the page under test. The app's Content Security Policy allows only same-origin script
// files, so a <script> tag with axe in it (page.addScriptTag) would be blocked. Instead axe's source
// goes through the DevTools protocol (page.evaluate → Runtime.evaluate), which the page's CSP does
// not govern; the CSP stays on for the page's own scripts (no bypassCSP).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const axeVersion = (require('axe-core/package.json') as { version: string }).version;

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA: what UK public sector websites must meet. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] as const;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: string[]; summary: string }>;
}

export interface AxeReport {
  url: string;
  engine: string;
  /** How many rules passed: 0 would mean axe checked nothing. */
  passes: number;
  violations: AxeViolation[];
}

/** Runs the WCAG A and AA rules on the page as it is now. Throws if axe could not run. */
export async function runAxe(page: Page): Promise<AxeReport> {
  await page.evaluate(axeSource);
  const loaded = await page.evaluate(
    "typeof axe === 'object' && typeof axe.run === 'function' ? axe.version : 'axe is not loaded'",
  );
  if (loaded !== axeVersion) throw new Error(`axe-core ${axeVersion} did not load in ${page.url()}: ${String(loaded)}`);

  const report = (await page.evaluate(`
    axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(WCAG_TAGS)} }, resultTypes: ['violations'] })
      .then((r) => ({
        url: r.url,
        engine: r.testEngine.name + ' ' + r.testEngine.version,
        passes: r.passes.length,
        violations: r.violations.map((v) => ({
          id: v.id,
          impact: v.impact ?? null,
          help: v.help,
          helpUrl: v.helpUrl,
          nodes: v.nodes.map((n) => ({ target: n.target.map(String), summary: n.failureSummary || '' })),
        })),
      }))
  `)) as AxeReport;
  if (report.engine !== `axe-core ${axeVersion}` || report.passes === 0) {
    throw new Error(
      `axe did not check ${page.url()}: ${JSON.stringify({ engine: report.engine, passes: report.passes })}`,
    );
  }
  return report;
}

/** A list a person can act on: the rule, how bad, where, and what to do. */
export function formatViolations(report: AxeReport, title: string): string {
  const lines = [`axe found ${report.violations.length} accessibility violation(s) on ${report.url} ("${title}"):`];
  report.violations.forEach((v, i) => {
    lines.push(`  ${i + 1}. ${v.id} (${v.impact ?? 'no impact given'}): ${v.help}`);
    lines.push(`     ${v.helpUrl}`);
    for (const node of v.nodes) {
      lines.push(`     - ${node.target.join(' ')}`);
      for (const line of node.summary.split('\n').filter(Boolean)) lines.push(`         ${line.trim()}`);
    }
  });
  return lines.join('\n');
}
