// What a resident forwarded to the report mailbox: the suspicious email inside the forward. Mail
// programs forward either as an attachment (message/rfc822, which is the original exactly as it
// arrived, headers and all) or inline, quoting the original's From, Date, Subject and To above its
// text. An inline forward loses the original's real headers: what is recovered is what the quoted
// block says, so the analysis of it is weaker, and the report says so.
import type { ParsedInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';

export type Unwrapped =
  | { how: 'attachment'; original: Buffer; note: string }
  | { how: 'inline'; original: Buffer; note: string }
  | { how: 'none'; note: string };

/** The lines mail programs put above an inline forward or a quoted original. */
const FORWARD_MARKERS = [
  /^-{2,}\s*Forwarded message\s*-{2,}\s*$/i, // Gmail
  /^Begin forwarded message:\s*$/i, // Apple Mail
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i, // Outlook, older
  /^-{2,}\s*Forwarded by .*$/i,
  /^_{10,}\s*$/, // Outlook: a rule, then "From: …"
];

const HEADER_NAMES: Record<string, 'from' | 'date' | 'subject' | 'to'> = {
  from: 'from',
  sent: 'date',
  date: 'date',
  subject: 'subject',
  to: 'to',
};

/**
 * The original inside a forward: an attached message first, else an inline block. `raw` is the
 * forward as it arrived: a message/rfc822 part marked inline is folded into the text by the mail
 * parser, so parts are looked for in the raw message too.
 */
export function unwrapForward(mail: ParsedInboundMail, raw?: Buffer): Unwrapped {
  const attached =
    mail.attachments.find(
      (a) =>
        a.content !== null &&
        a.content.length > 0 &&
        (a.contentType.toLowerCase() === 'message/rfc822' || /\.eml$/i.test(a.filename ?? '')),
    )?.content ?? (raw ? attachedMessage(raw) : undefined);
  if (attached) {
    return {
      how: 'attachment',
      original: attached,
      note: 'Forwarded as an attachment: the original message was analysed with its own headers.',
    };
  }
  const inline = recoverInlineForward(mail.text);
  if (inline) {
    return {
      how: 'inline',
      original: inline,
      note: 'Forwarded inline: the original’s From, Date, Subject and To were recovered from the quoted text; its real headers (and so its authentication) were lost.',
    };
  }
  return {
    how: 'none',
    note: 'Not recognisably a forward: the message was analysed as it arrived, and its sender was not acknowledged (it may be the suspicious sender itself).',
  };
}

/**
 * An inline-forwarded original rebuilt as a plain-text message from the quoted header block and
 * the text below it, or undefined when the text has no forward block. Best effort: the fields are
 * what the forwarding program wrote, which the reader (and the analyser) should not take as proof.
 */
export function recoverInlineForward(text: string): Buffer | undefined {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = unquote(lines[i]!).trim();
    if (!FORWARD_MARKERS.some((marker) => marker.test(line))) continue;
    const fields: Partial<Record<'from' | 'date' | 'subject' | 'to', string>> = {};
    let j = i + 1;
    // Blank lines may sit between the marker and the header block.
    while (j < lines.length && unquote(lines[j]!).trim() === '') j++;
    for (; j < lines.length; j++) {
      const current = unquote(lines[j]!).trim();
      if (current === '') break;
      const match = /^\*?([A-Za-z]+)\*?:\s*(.*)$/.exec(current);
      if (!match) {
        // A long value wrapped onto the next line.
        const last = Object.keys(fields).at(-1) as keyof typeof fields | undefined;
        if (last && Object.keys(fields).length > 0) {
          fields[last] = `${fields[last]} ${current}`;
          continue;
        }
        break;
      }
      const name = HEADER_NAMES[match[1]!.toLowerCase()];
      if (name && fields[name] === undefined) fields[name] = match[2]!;
      else if (!name && Object.keys(fields).length === 0) break;
    }
    if (!fields.from) continue;
    const body = lines
      .slice(j + 1)
      .map(unquote)
      .join('\n')
      .trim();
    const header = (name: string, value: string | undefined) =>
      value === undefined ? '' : `${name}: ${headerValue(name === 'From' ? outlookAddress(value) : value)}\r\n`;
    return Buffer.from(
      header('From', fields.from) +
        header('To', fields.to) +
        header('Subject', fields.subject) +
        header('Date', fields.date && dateHeader(fields.date)) +
        'X-Wardroom-Recovered: inline forward\r\n' +
        'MIME-Version: 1.0\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Transfer-Encoding: 8bit\r\n' +
        '\r\n' +
        body.replace(/\r?\n/g, '\r\n') +
        '\r\n',
      'utf8',
    );
  }
  return undefined;
}

/** A line of quoted text without its "> " marks. */
function unquote(line: string): string {
  return line.replace(/^(?:\s*>)+ ?/, '');
}

/** One line, no control characters, so a recovered value cannot add a header of its own. */
function headerValue(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex -- removing control characters is the point
      .replace(/[\x00-\x1f\x7f]/g, ' ')
      .trim()
      .slice(0, 998)
  );
}

/** Outlook writes "Name [mailto:someone@example.com]" or "Name <someone@example.com>". */
function outlookAddress(value: string): string {
  const mailto = /^(.*?)\s*\[mailto:([^\]\s]+)\]\s*$/i.exec(value);
  if (mailto) return `${quoteName(mailto[1]!)} <${mailto[2]}>`;
  return value;
}

function quoteName(name: string): string {
  const trimmed = name.trim().replace(/^"|"$/g, '');
  return trimmed === '' ? '' : `"${trimmed.replace(/["\\]/g, '')}"`;
}

/** Quoted dates come in every program's own format; keep one a parser can read, else drop it. */
function dateHeader(value: string): string | undefined {
  const cleaned = value.replace(/\s+at\s+/i, ' ');
  const parsed = new Date(cleaned);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed.toUTCString().replace('GMT', '+0000');
}

/** The first message/rfc822 part of a raw message, decoded, looking into nested multiparts. */
export function attachedMessage(raw: Buffer, depth = 0): Buffer | undefined {
  if (depth > 5) return undefined;
  const text = raw.toString('latin1');
  const split = /\r?\n\r?\n/.exec(text);
  if (!split) return undefined;
  const headers = text.slice(0, split.index).replace(/\r?\n[ \t]+/g, ' ');
  const type = /^content-type:\s*([^;\s]+)([^\r\n]*)/im.exec(headers);
  // A message that is nothing but the attached original.
  if (depth === 0 && type?.[1]!.toLowerCase() === 'message/rfc822') {
    return decodePart(headers, text.slice(split.index + split[0].length));
  }
  if (!type || !type[1]!.toLowerCase().startsWith('multipart/')) return undefined;
  const boundary = /boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(type[2]!);
  if (!boundary) return undefined;
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const body = text.slice(split.index + split[0].length);
  for (const chunk of body.split(delimiter).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^[ \t]*\r?\n/, '').replace(/\r?\n$/, '');
    const partSplit = /\r?\n\r?\n/.exec(part);
    if (!partSplit) continue;
    const partHeaders = part.slice(0, partSplit.index).replace(/\r?\n[ \t]+/g, ' ');
    const partType = /^content-type:\s*([^;\s]+)/im.exec(partHeaders)?.[1]?.toLowerCase() ?? 'text/plain';
    const partBody = part.slice(partSplit.index + partSplit[0].length);
    if (partType === 'message/rfc822') return decodePart(partHeaders, partBody);
    if (partType.startsWith('multipart/')) {
      const nested = attachedMessage(Buffer.from(part, 'latin1'), depth + 1);
      if (nested) return nested;
    }
  }
  return undefined;
}

function decodePart(headers: string, body: string): Buffer | undefined {
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  const bytes = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : Buffer.from(body, 'latin1');
  return bytes.length > 0 ? bytes : undefined;
}
