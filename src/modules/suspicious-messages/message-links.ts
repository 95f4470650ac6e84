// Links in a message's text (and in text made from its HTML, where html-to-text writes a link as
// "words [address]"): where each goes, and whether the words show a different address.
import { hostInfo, type HostInfo } from './lookalike-domains.ts';

export interface FoundLink {
  url: string;
  host: HostInfo;
  scheme: string;
  /** What the reader sees, when it is itself an address that differs from the target. */
  shownAs: string | undefined;
  /** user@host tricks: https://westminster.gov.uk@evil.example/… */
  userinfo: string | undefined;
  path: string;
}

export const URL_SHORTENERS = new Set([
  'bit.ly',
  'bitly.com',
  'tinyurl.com',
  't.co',
  'goo.gl',
  'ow.ly',
  'is.gd',
  'buff.ly',
  'rebrand.ly',
  'cutt.ly',
  'shorturl.at',
  'rb.gy',
  'tiny.cc',
  'bl.ink',
  't.ly',
  'short.io',
  'v.gd',
  'qrco.de',
  's.id',
  'lnkd.in',
  'shorturl.com',
  'urlz.fr',
  'surl.li',
  'tiny.one',
  'x.co',
  'bit.do',
  'clck.ru',
  'u.to',
  'linktr.ee',
]);

const URL_PATTERN =
  /\b((?:https?|hxxps?|ftp):\/\/[^\s<>"'\])]+|www\.[^\s<>"'\])]+|(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,62}[a-z0-9\u00a1-\uffff])?\.)+(?:[a-z]{2,24}|xn--[a-z0-9-]{2,30})(?::\d{2,5})?\/[^\s<>"'\])]*)/giu;
const BARE_DOMAIN =
  /(?:^|[\s(:])((?:[a-z0-9-]{1,63}\.)+(?:com|net|org|info|xyz|top|site|online|live|co\.uk|uk|io|me|app|link|click|support|help|icu|shop|buzz|vip|cc|ru|cn)(?![\w.-]))/gi;
const SHOWN_AND_TARGET =
  /((?:https?:\/\/)?(?:[\w\u00a1-\uffff-]+\.)+[a-z]{2,24}[^\s[\]]*)\s*\[((?:https?|hxxps?):\/\/[^\]\s]+)\]/giu;

export function findLinks(text: string): FoundLink[] {
  const sample = (text.length > 300_000 ? text.slice(0, 300_000) : text).replace(/\[\.\]/g, '.');
  const links: FoundLink[] = [];
  const seen = new Set<string>();
  const shownFor = new Map<string, string>();
  for (const match of sample.matchAll(SHOWN_AND_TARGET)) {
    const shown = match[1]!;
    const target = match[2]!;
    const shownHost = hostOf(shown.includes('://') ? shown : `http://${shown}`);
    const targetHost = hostOf(target);
    if (shownHost && targetHost && shownHost.registrable !== targetHost.registrable) shownFor.set(target, shown);
  }
  const add = (raw: string) => {
    if (links.length >= 50) return;
    const cleaned = raw.replace(/[.,;:!?)]+$/, '').replace(/^hxxp/i, 'http');
    const withScheme = /^[a-z]+:\/\//i.test(cleaned) ? cleaned : `http://${cleaned}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      return;
    }
    if (!url.hostname.includes('.') && !/^\d+$/.test(url.hostname)) return;
    const key = url.href;
    if (seen.has(key)) return;
    seen.add(key);
    const host = hostInfo(url.hostname.replace(/^\[|\]$/g, ''));
    links.push({
      url: url.href,
      host,
      scheme: url.protocol.replace(':', ''),
      shownAs: shownFor.get(raw) ?? shownFor.get(cleaned),
      userinfo: url.username ? decodeURIComponent(url.username) : undefined,
      path: url.pathname + url.search,
    });
  };
  for (const match of sample.matchAll(URL_PATTERN)) add(match[1]!);
  for (const match of sample.matchAll(BARE_DOMAIN)) {
    const candidate = match[1]!;
    if (/@/.test(sample.slice(Math.max(0, (match.index ?? 0) - 1), (match.index ?? 0) + 1))) continue;
    if ([...seen].some((s) => s.includes(candidate.toLowerCase()))) continue;
    add(candidate);
  }
  return links;
}

function hostOf(url: string): HostInfo | undefined {
  try {
    return hostInfo(new URL(url.replace(/^hxxp/i, 'http')).hostname);
  } catch {
    return undefined;
  }
}

/** The shape of a path with per-victim tokens taken out: /claim/ab12cd34 → /claim/*. */
export function pathShape(path: string): string {
  return path
    .split('?')[0]!
    .split('/')
    .map((segment) => (/\d/.test(segment) || segment.length > 16 ? '*' : segment.toLowerCase()))
    .join('/');
}
