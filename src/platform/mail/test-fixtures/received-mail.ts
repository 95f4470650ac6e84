// Reads a raw message the way a mail client would, as far as tests need: unfolded headers,
// RFC 2047 encoded words decoded, and the plain-text part with its transfer encoding undone.
// Written here rather than taken from a parser package, which the project does not depend on.

export interface ReceivedMail {
  raw: string;
  /** The decoded value of the first header with this name, case-insensitive. */
  header(name: string): string | undefined;
  /** Every header name in the message, lower-case, in order. */
  headerNames: string[];
  /** The text/plain part, decoded, with CRLF turned into LF. */
  text: string;
  /** The text/html part, decoded, when there is one. */
  html: string | undefined;
}

interface Part {
  headers: Array<[string, string]>;
  body: string;
}

export function parseReceivedMail(raw: string): ReceivedMail {
  const top = splitPart(raw);
  const parts = leafParts(top);
  const textPart = parts.find((part) => contentType(part).startsWith('text/plain'));
  const htmlPart = parts.find((part) => contentType(part).startsWith('text/html'));
  return {
    raw,
    header: (name) => {
      const found = top.headers.find(([key]) => key === name.toLowerCase());
      return found === undefined ? undefined : decodeEncodedWords(found[1]);
    },
    headerNames: top.headers.map(([key]) => key),
    text: textPart === undefined ? '' : decodeBody(textPart),
    html: htmlPart === undefined ? undefined : decodeBody(htmlPart),
  };
}

function splitPart(raw: string): Part {
  const end = raw.indexOf('\r\n\r\n');
  const head = end === -1 ? raw : raw.slice(0, end);
  const body = end === -1 ? '' : raw.slice(end + 4);
  const headers: Array<[string, string]> = [];
  for (const line of head.split('\r\n')) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last !== undefined) {
      // Unfolding removes only the line break; the value is trimmed once it is whole.
      last[1] = `${last[1]} ${line.trim()}`.trim();
    } else {
      const colon = line.indexOf(':');
      if (colon > 0) headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
  }
  return { headers, body };
}

function headerOf(part: Part, name: string): string {
  return part.headers.find(([key]) => key === name)?.[1] ?? '';
}

function contentType(part: Part): string {
  return (headerOf(part, 'content-type') || 'text/plain').toLowerCase();
}

function leafParts(part: Part): Part[] {
  const type = headerOf(part, 'content-type');
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!type.toLowerCase().startsWith('multipart/') || boundary === undefined) return [part];
  return (
    part.body
      .split(`--${boundary}`)
      .slice(1)
      .filter((chunk) => !chunk.startsWith('--'))
      // The line break before a boundary belongs to the boundary, not to the part.
      .flatMap((chunk) => leafParts(splitPart(chunk.replace(/^\r\n/, '').replace(/\r\n$/, ''))))
  );
}

function decodeBody(part: Part): string {
  const encoding = headerOf(part, 'content-transfer-encoding').toLowerCase();
  // SMTP ends a message with a line break, so text sent without one comes back with one: tests
  // send text that ends with a line break, and compare it exactly.
  const body = part.body;
  let bytes: Buffer;
  if (encoding === 'base64') bytes = Buffer.from(body.replace(/\s+/g, ''), 'base64');
  else if (encoding === 'quoted-printable') bytes = decodeQuotedPrintable(body);
  else bytes = Buffer.from(body, 'utf8');
  return bytes.toString('utf8').replace(/\r\n/g, '\n');
}

function decodeQuotedPrintable(text: string): Buffer {
  const unwrapped = text.replace(/=\r\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i += 1) {
    const char = unwrapped[i] as string;
    const hex = unwrapped.slice(i + 1, i + 3);
    if (char === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(char, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

/** `=?UTF-8?Q?…?=` and `=?UTF-8?B?…?=`; whitespace between two encoded words is dropped. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/(\?=)\s+(=\?)/g, '$1$2')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_match, _charset: string, kind: string, data: string) => {
      if (kind.toUpperCase() === 'B') return Buffer.from(data, 'base64').toString('utf8');
      return decodeQuotedPrintable(data.replace(/_/g, ' ')).toString('utf8');
    });
}
