// Nunjucks with the GOV.UK Design System templates. Templates are found by path from src/platform,
// src/modules (e.g. "auth/views/sign-in.njk", "public-site/views/home.njk") and govuk-frontend.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { speedUpNunjucks, trim } from './nunjucks-speed.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const srcDir = path.resolve(here, '../..');
export const govukFrontendDist = path.resolve(srcDir, '../node_modules/govuk-frontend/dist');

export type ViewContext = Record<string, unknown>;

export interface ViewEnvironmentOptions {
  watch?: boolean;
  /** Nunjucks as published, without nunjucks-speed.ts: only for the test that compares the two. */
  plainNunjucks?: boolean;
}

export function createViewEnvironment(options: ViewEnvironmentOptions = {}): nunjucks.Environment {
  if (!options.plainNunjucks) speedUpNunjucks();
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(
      [path.join(here, 'templates'), path.join(srcDir, 'platform'), path.join(srcDir, 'modules'), govukFrontendDist],
      { watch: options.watch ?? false, noCache: false },
    ),
    { autoescape: true, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true },
  );
  if (!options.plainNunjucks) env.addFilter('trim', trim);
  env.addFilter('date', (iso: unknown) => formatDateTime(iso));
  env.addFilter('dateOnly', (iso: unknown) => formatDate(iso));
  env.addFilter('paragraphs', (text: unknown) => new nunjucks.runtime.SafeString(paragraphs(text)));
  return env;
}

const LONDON = 'Europe/London';
// Made once: an Intl.DateTimeFormat is costly to make, and a page may format many dates.
// hourCycle, not hour12: en-GB with hour12 counts 0 to 11, which printed noon as "0pm".
const TIME = new Intl.DateTimeFormat('en-GB', {
  hour: 'numeric',
  minute: '2-digit',
  hourCycle: 'h12',
  timeZone: LONDON,
});
const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: LONDON });

/** "26 November 2026 at 2:15pm" (or "at midday"), the GOV.UK style for dates and times, in UK time. */
export function formatDateTime(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const time = TIME.format(d).replace(' ', '').replace(':00', '').toLowerCase();
  // GOV.UK style says midday and midnight rather than 12pm and 12am.
  return `${formatDate(iso)} at ${time === '12pm' ? 'midday' : time === '12am' ? 'midnight' : time}`;
}

export function formatDate(iso: unknown): string {
  if (typeof iso !== 'string' || iso === '') return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return DATE.format(d);
}

/** Plain text typed by staff, as GOV.UK paragraphs: escaped, a blank line starts a new paragraph. */
export function paragraphs(text: unknown): string {
  if (typeof text !== 'string' || text.trim() === '') return '';
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((p) => `<p class="govuk-body">${escapeHtml(p.trim()).replace(/\n/g, '<br>')}</p>`)
    .join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}
