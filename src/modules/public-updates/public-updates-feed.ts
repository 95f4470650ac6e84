// The Atom 1.0 feed (RFC 4287) of a council's published updates, so residents, journalists and the
// council's own website can follow them without visiting the page. Text is escaped here, never HTML.
import type { PublishedUpdate } from './public-updates.repository.ts';

export interface FeedCouncil {
  id: string;
  slug: string;
  name: string;
  websiteUrl: string | null;
  officialDomains: string[];
}

export const ATOM_CONTENT_TYPE = 'application/atom+xml; charset=utf-8';

// XML 1.0 forbids most control characters even when escaped; staff text pasted from elsewhere can carry them.
const NOT_XML =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(
      /[&<>"']/g,
      (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
    );
}

/**
 * A feed id must never change (RFC 4287 4.2.6): a tag URI minted from the council's own domain,
 * or the council's UUID where it has none.
 */
export function feedId(council: FeedCouncil): string {
  const domain = council.officialDomains[0];
  return domain ? `tag:${domain},2025:${council.slug}/cyber-incident/updates` : `urn:uuid:${council.id}`;
}

export function renderAtomFeed(input: {
  council: FeedCouncil;
  updates: PublishedUpdate[];
  /** Absolute URL of the site, without a trailing slash. */
  baseUrl: string;
  /** When the feed last changed if it has no entries (the feed must still say when). */
  emptySince: string;
}): string {
  const { council, updates, baseUrl } = input;
  const pageUrl = `${baseUrl}/${council.slug}/cyber-incident/updates`;
  const updated = updates.reduce((latest, u) => (u.lastPublishedAt > latest ? u.lastPublishedAt : latest), '');
  const entries = updates.map((u) =>
    [
      '  <entry>',
      // The same id through every correction: a feed reader replaces the entry rather than adding one.
      `    <id>urn:uuid:${escapeXml(u.id)}</id>`,
      `    <title type="text">${escapeXml(u.title)}</title>`,
      `    <link rel="alternate" type="text/html" href="${escapeXml(`${pageUrl}/${u.id}`)}"/>`,
      `    <published>${escapeXml(u.firstPublishedAt)}</published>`,
      `    <updated>${escapeXml(u.lastPublishedAt)}</updated>`,
      `    <content type="text">${escapeXml(u.body)}</content>`,
      '  </entry>',
    ].join('\n'),
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en-GB">',
    `  <id>${escapeXml(feedId(council))}</id>`,
    `  <title type="text">${escapeXml(`${council.name}: cyber incident updates`)}</title>`,
    `  <updated>${escapeXml(updated || input.emptySince)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(`${pageUrl}.atom`)}"/>`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(pageUrl)}"/>`,
    '  <author>',
    `    <name>${escapeXml(council.name)}</name>`,
    ...(council.websiteUrl ? [`    <uri>${escapeXml(council.websiteUrl)}</uri>`] : []),
    '  </author>',
    ...entries,
    '</feed>',
    '',
  ].join('\n');
}
