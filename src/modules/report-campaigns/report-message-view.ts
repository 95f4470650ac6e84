// A reported message as analysts see it: always as text (intake keeps the text part, or the HTML
// turned into text), with every link and linked domain defanged (hxxps://example[.]com) so that
// nothing in it is a live link, and the original's headers as written. Hostile HTML is never
// rendered: the original bytes are only parsed for their headers here, and nunjucks escapes the rest.
import { readInboundMail } from '../../platform/mail-in/mime-reader.ts';
import { defang } from '../suspicious-messages/message-analysis.ts';
import { findLinks } from '../suspicious-messages/message-links.ts';

/** Links and linked hosts in a text, defanged. */
export function defangText(text: string): string {
  let out = text.replace(/\b(?:https?|ftp):\/\/[^\s<>"'\])]+/gi, (url) => defang(url));
  const hosts = new Set(findLinks(text).map((l) => l.host.host));
  for (const host of [...hosts].sort((a, b) => b.length - a.length)) {
    if (!host.includes('.')) continue;
    out = out.split(host).join(host.replace(/\./g, '[.]'));
  }
  // A host defanged twice ([[.]]) where a URL's host was also found on its own.
  return out.replace(/\[\[\.\]\]/g, '[.]');
}

/** Defangs one indicator for display: a URL, or a bare domain or address. */
export function defangIndicator(value: string): string {
  return /^(?:https?|ftp):\/\//i.test(value) ? defang(value) : value.replace(/\./g, '[.]');
}

const SHOWN_HEADERS = new Set([
  'from',
  'reply-to',
  'return-path',
  'to',
  'subject',
  'date',
  'message-id',
  'authentication-results',
  'received-spf',
  'received',
  'x-mailer',
  'x-originating-ip',
]);

/** The headers an analyst reads, as written, each capped. */
export async function messageHeaders(original: Buffer | null): Promise<Array<{ name: string; value: string }>> {
  if (!original) return [];
  try {
    const mail = readInboundMail(original);
    return mail.headers
      .filter((h) => SHOWN_HEADERS.has(h.name.toLowerCase()))
      .slice(0, 40)
      .map((h) => ({ name: h.name, value: h.value.slice(0, 2000) }));
  } catch {
    return [];
  }
}
