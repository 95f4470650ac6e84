// Links in a message's text (and in text made from its HTML, where platform/mail-in/html-text.ts
// writes a link as "words [address]", as html-to-text did before it): where each goes, and whether
// the words show a different address.
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

/** Each whitespace-separated token is tried on its own, so no pattern can backtrack across a long text. */
const URL_TOKEN =
  /^(?:(?:https?|hxxps?|ftp):\/\/\S+|www\.\S+|[^\s/@]+\.(?:[a-z]{2,24}|xn--[a-z0-9-]{2,30})(?::\d{2,5})?\/\S*)$/iu;
const BARE_DOMAIN =
  /^(?:[a-z0-9-]{1,63}\.)+(?:com|net|org|info|xyz|top|site|online|live|co\.uk|org\.uk|uk|io|me|app|link|click|support|help|icu|shop|buzz|vip|cc|ru|cn)$/i;
const MAX_TOKEN = 2048;

/**
 * The text's tokens, split at runs of white space and <>"'` (as `split(/[\s<>"'`]+/)` would), that
 * hold a dot, trimmed. Found from each dot outwards, so the text is not cut into every word: a
 * token with no dot keeps none once trimmed, and most tokens have none.
 */
function tokens(text: string): string[] {
  const found: string[] = [];
  for (let dot = text.indexOf('.'); dot >= 0;) {
    let start = dot;
    while (start > 0 && !isSeparator(text.charCodeAt(start - 1))) start--;
    let end = dot + 1;
    while (end < text.length && !isSeparator(text.charCodeAt(end))) end++;
    if (end - start >= 4) {
      const token = text
        .slice(start, end)
        .replace(/^[([{'"]+/, '')
        .replace(/[)\]}'".,;:!?]+$/, '');
      if (token.length >= 4 && token.length <= MAX_TOKEN && token.includes('.')) found.push(token);
    }
    dot = text.indexOf('.', end);
  }
  return found;
}

/** `[\s<>"'`]` for one UTF-16 unit: ECMAScript's white space and line terminators, and <>"'`. */
function isSeparator(code: number): boolean {
  if (code < 128)
    return (
      code === 32 ||
      (code >= 9 && code <= 13) ||
      code === 60 ||
      code === 62 ||
      code === 34 ||
      code === 39 ||
      code === 96
    );
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

export function findLinks(text: string): FoundLink[] {
  const sample = (text.length > 300_000 ? text.slice(0, 300_000) : text).replace(/\[\.\]/g, '.');
  const links: FoundLink[] = [];
  const seen = new Set<string>();
  // A link in HTML is written "words [address]" (html-text.ts): where the words are an address on another
  // registrable domain, the reader is being shown one place and sent to another.
  const shownFor = new Map<string, string>();
  for (let at = sample.indexOf(' [http'); at >= 0 && shownFor.size < 50; at = sample.indexOf(' [http', at + 6)) {
    const close = sample.indexOf(']', at);
    if (close < 0 || close - at > MAX_TOKEN) continue;
    const target = sample.slice(at + 2, close);
    const before = sample.slice(Math.max(0, at - MAX_TOKEN), at);
    const shown = (before.split(/\s+/).pop() ?? '').replace(/^[([{'"]+/, '');
    if (!/\.[a-z]{2,}/i.test(shown)) continue;
    const shownHost = hostOf(shown.includes('://') ? shown : `http://${shown}`);
    const targetHost = hostOf(target);
    if (shownHost && targetHost && shownHost.registrable !== targetHost.registrable) shownFor.set(target, shown);
  }
  const add = (raw: string) => {
    if (links.length >= 50) return;
    const cleaned = raw.replace(/^hxxp/i, 'http');
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
      userinfo: url.username ? safeDecode(url.username) : undefined,
      path: url.pathname + url.search,
    });
  };
  const bare: string[] = [];
  for (const token of tokens(sample)) {
    if (URL_TOKEN.test(token)) add(token);
    else if (token.length <= 253 && !token.includes('@') && BARE_DOMAIN.test(token)) bare.push(token);
  }
  for (const candidate of bare) if (![...seen].some((s) => s.includes(candidate.toLowerCase()))) add(candidate);
  return links;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
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
