// A synchronous, one-pass MIME reader for analysing suspicious mail: the same result as
// `parseInboundMail` (mailparser's `simpleParser`) for what the analyser and the report intake use,
// at a fraction of the cost. mailparser streams every message through a chain of Transform streams
// with a `setImmediate` per MIME node, decodes every header and renders every address list as HTML;
// here the raw bytes are split once, in place (bodies stay views of the input until decoded), and
// only the headers that are used are decoded.
//
// It follows the structure rules of mailparser's splitter (@zone-eu/mailsplit) so both find the same
// parts: a delimiter line of any open ancestor multipart ends everything below it, a closing
// delimiter puts the rest of that multipart in its epilogue, message/rfc822 parts marked inline are
// read as part of the text (with their From, Subject, Date and To above it) and other rfc822 parts
// are attachments, and the line break before a delimiter belongs to the delimiter. Text is chosen as
// mailparser chooses it (text parts joined, the HTML only when there is no text). libmime does the
// header-level decoding (RFC 2047 words, RFC 2231 parameters, charsets through iconv-lite), as it
// does under mailparser.
//
// Everything is bounded, since mail comes from anyone: at most MAX_PARTS parts (the rest of the
// message is left unread and the problem recorded), at most MAX_HEADER_BYTES of header kept for one
// part, and the caps of `ParseLimits` on what is returned. Each line is looked at once; a delimiter
// line is matched against the open multiparts with one lookup however deep they nest.
import libmime from 'libmime';
import { decode as decodeCharset } from 'libmime/lib/charset.js';
import { domainToUnicode } from 'node:url';
import addressparser from 'nodemailer/lib/addressparser';
import {
  clean,
  DEFAULT_PARSE_LIMITS,
  finishInboundMail,
  InboundMailParseError,
  prepareRawMessage,
  type MessageAddress,
  type MessageContent,
  type ParsedInboundMail,
  type ParseLimits,
} from './inbound-mail-parser.ts';

/** The most parts read from one message (mailparser rejects a message with more than 1,000). */
const MAX_PARTS = 1000;
/** Header bytes kept for one part; a longer header section is read past but not kept. */
const MAX_HEADER_BYTES = 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;
const DASH = 0x2d;

interface MimePart {
  parent: MimePart | undefined;
  /** The multipart whose delimiters also end this part: the parent, or past an rfc822 wrapper its parent. */
  owner: MimePart | undefined;
  /** Header lines of this part as written (latin1), folds kept; filled when the header section ends. */
  headerLines: HeaderLine[] | undefined;
  headerStart: number;
  headerEnd: number;
  headerTruncated: boolean;
  bodyStart: number;
  bodyEnd: number;
  children: MimePart[];
  contentType: string | false;
  charset: string | false;
  encoding: string;
  /** As written (lower case, RFC 2047 words decoded), false when missing. */
  disposition: string | false;
  filename: string | false;
  flowed: boolean;
  delSp: boolean;
  /** Latin1, as the delimiter lines are compared. */
  boundary: string | undefined;
  /** A message/rfc822 part read as part of the message (marked inline): its child is the message. */
  messageNode: boolean;
}

interface HeaderLine {
  /** Lower case, as mailsplit keys it. */
  key: string;
  line: string;
}

/**
 * Reads a raw message into the same `ParsedInboundMail` that `parseInboundMail` gives, synchronously.
 * A malformed message is read as far as it goes, what was left out said in `problems`; should reading
 * fail all the same, the error is an `InboundMailParseError`, as from `parseInboundMail`.
 */
export function readInboundMail(raw: Buffer, limits: Partial<ParseLimits> = {}): ParsedInboundMail {
  const limit = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const problems: string[] = [];
  try {
    const source = prepareRawMessage(raw, problems);
    const parts = splitMessage(source, problems);
    return finishInboundMail(messageContent(source, parts), limit, problems);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InboundMailParseError(`The message could not be read: ${clean(reason).slice(0, 500)}`, { cause: error });
  }
}

// Splitting: mailsplit's line state machine, run over offsets into one buffer.

function newPart(parent: MimePart | undefined, start: number): MimePart {
  return {
    parent,
    owner: parent,
    headerLines: undefined,
    headerStart: start,
    headerEnd: start,
    headerTruncated: false,
    bodyStart: -1,
    bodyEnd: -1,
    children: [],
    contentType: false,
    charset: false,
    encoding: '',
    disposition: false,
    filename: false,
    flowed: false,
    delSp: false,
    boundary: undefined,
    messageNode: false,
  };
}

/**
 * The message's parts as a tree (the root returned), each part's children in document order. A part
 * whose header section was cut short by a delimiter of its own multipart is dropped, as mailsplit
 * drops it.
 */
function splitMessage(raw: Buffer, problems: string[]): MimePart {
  const root = newPart(undefined, 0);
  let node = root;
  let inHead = true;
  let inEpilogue = false;
  let count = 1;
  let stopped = false;
  const len = raw.length;
  // The boundaries of the multiparts whose delimiters end the current part, nearest first; rebuilt
  // when the current part changes, so a line is matched with one lookup however deep the nesting.
  let owners = new Map<string, MimePart>();
  let longestBoundary = 0;
  // A delimiter line may follow a bare CR (mail whose line ends were mangled to LF CR).
  const crDelimiters = raw.includes('\n\r--');

  const enter = (part: MimePart) => {
    node = part;
    owners = new Map();
    for (let owner = part.owner; owner; owner = owner.owner)
      if (owner.boundary !== undefined && !owners.has(owner.boundary)) owners.set(owner.boundary, owner);
  };
  const start = (parent: MimePart, at: number) => {
    enter(newPart(parent, at));
    inHead = true;
    inEpilogue = false;
    count++;
  };
  const endBody = (lineStart: number) => {
    // The line break before a delimiter belongs to the delimiter.
    if (!inHead && node.bodyStart >= 0 && node.bodyEnd < 0) {
      let end = lineStart;
      if (node.parent && end > node.bodyStart && raw[end - 1] === LF) {
        end--;
        if (end > node.bodyStart && raw[end - 1] === CR) end--;
      }
      node.bodyEnd = end;
    }
  };
  const closeHeader = (at: number) => {
    if (!node.headerTruncated) node.headerEnd = at;
    parsePartHeaders(raw, node);
    if (node.parent) node.parent.children.push(node);
    if (node.boundary !== undefined) longestBoundary = Math.max(longestBoundary, node.boundary.length);
    if (
      node.contentType === 'message/rfc822' &&
      (node.encoding === '' || node.encoding === '7bit' || node.encoding === '8bit' || node.encoding === 'binary') &&
      node.disposition === 'inline'
    ) {
      // The message inside goes on within its container, so the container's delimiters still apply.
      node.messageNode = true;
      const container = node;
      start(container, at);
      if (container.parent) {
        node.owner = container.parent;
        enter(node);
      }
      return;
    }
    inHead = false;
    node.bodyStart = at;
  };
  const closeHeaderOnly = (at: number) => {
    if (!node.headerTruncated) node.headerEnd = at;
    parsePartHeaders(raw, node);
    if (node.parent) node.parent.children.push(node);
    node.bodyStart = node.bodyEnd = at;
  };

  /** What a line that starts with "--" (or CR "--") delimits: mailsplit's checkBoundary. */
  const delimiterOf = (
    lineStart: number,
    lineEnd: number,
  ): { kind: 'next' | 'close' | 'sibling' | 'close-owner'; owner: MimePart } | undefined => {
    const at = raw[lineStart] === CR ? lineStart + 1 : lineStart;
    if (raw[at] !== DASH || raw[at + 1] !== DASH) return undefined;
    if (lineEnd - at > longestBoundary + 2 + 2 + 998 + 2) return undefined;
    let end = lineEnd;
    if (raw[end - 1] === LF) end--;
    while (end > at && raw[end - 1] === CR) end--;
    // Only the closing delimiter may end the input with no line break.
    const ended = end < lineEnd;
    while (end > at + 2 && (raw[end - 1] === 0x20 || raw[end - 1] === 0x09)) end--;
    const value = raw.toString('latin1', at + 2, end);
    const closing = value.endsWith('--') ? value.slice(0, -2) : undefined;
    if (!inEpilogue && node.boundary !== undefined) {
      if (ended && value === node.boundary) return { kind: 'next', owner: node };
      if (closing === node.boundary) return { kind: 'close', owner: node };
    }
    if (owners.size === 0) return undefined;
    const sibling = ended ? owners.get(value) : undefined;
    if (sibling) return { kind: 'sibling', owner: sibling };
    const closed = closing === undefined ? undefined : owners.get(closing);
    return closed ? { kind: 'close-owner', owner: closed } : undefined;
  };

  let pos = 0;
  while (pos < len) {
    // In a body, only a line that starts with "--" can change anything: skip straight to the next.
    if (!inHead && raw[pos] !== DASH && !(crDelimiters && raw[pos] === CR && raw[pos + 1] === DASH)) {
      let next = raw.indexOf('\n--', pos);
      if (crDelimiters) {
        const afterCr = raw.indexOf('\n\r--', pos);
        if (afterCr >= 0 && (next < 0 || afterCr < next)) next = afterCr;
      }
      pos = next < 0 ? len : next + 1;
      continue;
    }
    let lineEnd = raw.indexOf(LF, pos);
    lineEnd = lineEnd < 0 ? len : lineEnd + 1;
    const delimiter = delimiterOf(pos, lineEnd);
    if (delimiter) {
      if (count >= MAX_PARTS && (delimiter.kind === 'next' || delimiter.kind === 'sibling')) {
        problems.push(`Only the first ${MAX_PARTS} parts of the message were read`);
        endBody(pos);
        stopped = true;
        break;
      }
      endBody(pos);
      if (delimiter.kind === 'next') start(node, lineEnd);
      else if (delimiter.kind === 'sibling') start(delimiter.owner, lineEnd);
      else if (delimiter.kind === 'close-owner') {
        // A part closed while still in its header section is kept, with no body.
        if (inHead && pos > node.headerStart) closeHeaderOnly(pos);
        enter(delimiter.owner);
        inEpilogue = true;
        inHead = false;
      }
      pos = lineEnd;
      continue;
    }
    if (inHead) {
      const blank = lineEnd - pos === 1 || (lineEnd - pos === 2 && raw[pos] === CR && raw[pos + 1] === LF);
      if (blank) closeHeader(lineEnd);
      else if (lineEnd - node.headerStart > MAX_HEADER_BYTES && !node.headerTruncated) {
        node.headerTruncated = true;
        node.headerEnd = pos;
        problems.push('A part had more than 1 MB of header: the rest of its header was left out');
      }
    }
    pos = lineEnd;
  }
  if (!stopped) {
    // The end of the input ends whatever is open: a header section cut short is read as it is.
    if (inHead) closeHeaderOnly(len);
    else if (node.bodyStart >= 0 && node.bodyEnd < 0) node.bodyEnd = len;
  }
  return root;
}

// Headers.

/** mailsplit's header line split: folds joined with CRLF, an mbox or HTTP first line set aside. */
function headerLinesOf(block: string): HeaderLine[] {
  let end = block.length;
  while (end > 0 && (block.charCodeAt(end - 1) === LF || block.charCodeAt(end - 1) === CR)) end--;
  const rawLines = block.slice(0, end).split(/\r?\n/);
  const lines: HeaderLine[] = [];
  let i = 1;
  let first = rawLines[0]!;
  while (i < rawLines.length && isFold(rawLines[i]!)) first += '\r\n' + rawLines[i++];
  if (!/^From /i.test(first) && !/^POST /i.test(first))
    lines.push({ key: keyOf(first.slice(0, Math.max(0, first.indexOf(':')))), line: first });
  let keyPending = false;
  for (; i < rawLines.length; i++) {
    const current = rawLines[i]!;
    if (isFold(current)) {
      const entry = lines[lines.length - 1];
      if (!entry) continue;
      if (keyPending) {
        const colon = current.indexOf(':');
        if (colon >= 0) {
          entry.key = keyOf(entry.line + '\r\n' + current.slice(0, colon));
          keyPending = false;
        }
      }
      entry.line += '\r\n' + current;
    } else {
      const colon = current.indexOf(':');
      lines.push({ key: keyOf(colon < 0 ? '' : current.slice(0, colon)), line: current });
      keyPending = colon < 0;
    }
  }
  return lines;
}

function isFold(line: string): boolean {
  const c = line.charCodeAt(0);
  return c === 0x20 || c === 0x09;
}

function keyOf(name: string): string {
  return name.toLowerCase().trim();
}

/** A header line's value, unfolded and trimmed (libmime's decodeHeader). */
function unfoldedValue(line: string): string {
  const found = /^\s*([^:]+):(.*)$/.exec(line.replace(/(?:\r?\n|\r)[ \t]*/g, ' ').trim());
  return found ? found[2]!.trim() : '';
}

/** The value as the splitter reads MIME fields: UTF-8 where the bytes are valid UTF-8, else latin1. */
function headerValue(line: string): string {
  const value = unfoldedValue(line);
  if (!HIGH_BYTE.test(value)) return value;
  const utf8 = Buffer.from(value, 'latin1').toString('utf8');
  return utf8.includes('\uFFFD') ? value : utf8;
}

/** The value as mailparser keeps the fields it decodes: its bytes read as UTF-8. */
function decodedHeaderValue(line: string): string {
  const value = unfoldedValue(line);
  return HIGH_BYTE.test(value) ? Buffer.from(value, 'latin1').toString('utf8') : value;
}

const HIGH_BYTE = /[\x80-\xff]/;

function firstHeader(part: MimePart, key: string): string {
  const line = part.headerLines!.find((l) => l.key === key);
  return line ? headerValue(line.line) : '';
}

/** The non-empty values of a header, decoded as mailparser decodes them, in order. */
function headerValues(part: MimePart, key: string): string[] {
  const out: string[] = [];
  for (const line of part.headerLines!) {
    if (line.key !== key) continue;
    const value = decodedHeaderValue(line.line);
    if (value !== '') out.push(value);
  }
  return out;
}

function parsePartHeaders(raw: Buffer, part: MimePart): void {
  part.headerLines = headerLinesOf(raw.toString('latin1', part.headerStart, part.headerEnd));
  const disposition = libmime.parseHeaderValue(firstHeader(part, 'content-disposition'), { stripComments: true });
  let contentHeader: string | undefined;
  if (part.headerLines.some((l) => l.key === 'content-type')) contentHeader = firstHeader(part, 'content-type');
  else {
    const named = disposition.params.filename;
    const extension = named ? /\.([^./\\]*)$/.exec(named)?.[1] : undefined;
    if (extension) contentHeader = libmime.detectMimeType(extension);
    contentHeader ||= /^attachment$/i.test(disposition.value) ? 'application/octet-stream' : 'text/plain';
  }
  const contentType = libmime.parseHeaderValue(contentHeader, { stripComments: true });
  part.encoding = stripComments(firstHeader(part, 'content-transfer-encoding')).toLowerCase().trim();
  part.contentType = (contentType.value || '').toLowerCase().trim() || false;
  part.charset = contentType.params.charset || false;
  part.disposition = (disposition.value || '').toLowerCase().trim() || false;
  if (part.disposition) part.disposition = decodeWords(part.disposition);
  const filename = disposition.params.filename || contentType.params.name || false;
  if (filename) {
    const decoded = disposition.params.filename
      ? disposition.decodedParams?.includes('filename')
      : contentType.decodedParams?.includes('name');
    part.filename = decoded ? filename : decodeWords(filename);
  }
  if (part.contentType === 'text/plain' && contentType.params.format?.toLowerCase().trim() === 'flowed') {
    part.flowed = true;
    part.delSp = contentType.params.delsp?.toLowerCase().trim() === 'yes';
  }
  // Any part with a boundary is split by it, as mailsplit splits it, multipart or not: a part whose
  // type is mangled ("multipar/mixed") keeps its text parts, and its own content is what comes
  // before the first delimiter.
  const boundary = (contentType.params.boundary || '').trimEnd();
  // A boundary is ASCII (RFC 2046): one that is not matches no delimiter, as in Python's reader.
  // eslint-disable-next-line no-control-regex -- ASCII is the test
  if (boundary && !/[^\x00-\x7f]/.test(boundary)) part.boundary = boundary;
}

/** Content-Transfer-Encoding comments: from the first "(" to the last ")" of the value. */
function stripComments(value: string): string {
  const open = value.indexOf('(');
  if (open < 0) return value;
  const close = value.lastIndexOf(')');
  return close > open ? value.slice(0, open) + value.slice(close + 1) : value;
}

function decodeWords(value: string): string {
  if (!value.includes('=?')) return value;
  try {
    return libmime.decodeWords(value);
  } catch {
    return value;
  }
}

const ENCODED_WORD = /[=]\?[^?]+\?[BbQq]\?[^?]*\?[=]/;

/** An address header's addresses, display names decoded (nodemailer's parser, as mailparser uses). */
function addressesOf(value: string): MessageAddress[] {
  const parsed = addressparser(value) as MessageAddress[];
  decodeAddresses(parsed);
  return parsed;
}

function decodeAddresses(list: MessageAddress[]): void {
  for (const address of list) {
    address.name = (address.name || '').toString().trim();
    if (address.name) address.name = decodeWords(address.name);
    // RFC 2047 keeps encoded words out of an address: one that hides one counts only when it
    // decodes to a plain local@domain.
    if (address.address && ENCODED_WORD.test(address.address)) {
      const decoded = decodeWords(address.address);
      address.address = /^[^\s@]+@[^\s@]+$/.test(decoded) && !/[=]\?/.test(decoded) ? decoded : '';
    }
    if (address.address && /@xn--/.test(address.address)) {
      const at = address.address.lastIndexOf('@');
      const unicode = domainToUnicode(address.address.slice(at + 1));
      if (unicode) address.address = address.address.slice(0, at + 1) + unicode;
    }
    if (address.group) decodeAddresses(address.group);
  }
}

function messageId(value: string): string {
  let id = decodeWords(value);
  if (!id.startsWith('<')) id = '<' + id;
  if (!id.endsWith('>')) id += '>';
  return id;
}

// Content.

const TEXT_TYPES = new Set(['text/plain', 'text/html', 'message/delivery-status']);

function messageContent(raw: Buffer, root: MimePart): MessageContent {
  const lines = root.headerLines ?? [];
  const first = (key: string) => headerValues(root, key)[0];
  const every = (key: string) => headerValues(root, key);
  const subject = first('subject');
  const date = first('date');
  const parsedDate = date === undefined ? undefined : new Date(date);

  const attachments: MessageContent['attachments'] = [];
  const text: string[] = [];
  const html: string[] = [];
  // What every inline text part decodes to, found first: whether the message has text (or HTML)
  // anywhere decides what each part adds, as in mailparser.
  const texts = new Map<MimePart, string>();
  let hasText = false;
  let hasHtml = false;
  const visit = (part: MimePart) => {
    if ((part.contentType && part.contentType.startsWith('multipart/')) || part.messageNode) {
      for (const child of part.children) visit(child);
      return;
    }
    readLeaf(part);
    for (const child of part.children) visit(child);
  };
  const readLeaf = (part: MimePart) => {
    const contentType = part.contentType || (part === root ? 'text/plain' : false);
    let disposition = part.disposition;
    if (disposition && disposition !== 'attachment' && disposition !== 'inline') disposition = 'attachment';
    if (!disposition) disposition = contentType && TEXT_TYPES.has(contentType) ? 'inline' : 'attachment';
    const body =
      part.bodyStart >= 0 ? raw.subarray(part.bodyStart, Math.max(part.bodyStart, part.bodyEnd)) : raw.subarray(0, 0);
    if (!contentType || !TEXT_TYPES.has(contentType) || disposition !== 'inline') {
      let type: string | false = contentType;
      if (type === 'application/octet-stream' && part.filename) type = libmime.detectMimeType(part.filename) || type;
      const contentId = headerValues(part, 'content-id')[0];
      attachments.push({
        filename: part.filename || undefined,
        contentType: type || undefined,
        disposition: part.disposition || undefined,
        contentId,
        content: transferDecode(body, part.encoding),
      });
      return;
    }
    if (contentType === 'text/html') hasHtml = true;
    else hasText = true;
    texts.set(part, textOf(body, part));
  };
  visit(root);

  // The header block mailparser writes above a message/rfc822 part read inline.
  const meta = (part: MimePart) => {
    const entries: Array<{ key: string; text: string; html: string }> = [];
    for (const key of ['From', 'Subject', 'Date', 'To', 'Cc', 'Bcc']) {
      const name = key.toLowerCase();
      if (key === 'Subject' || key === 'Date') {
        const value = headerValues(part, name)[0];
        if (value === undefined) continue;
        if (key === 'Subject') {
          const subject = decodeWords(value);
          if (subject !== '') entries.push({ key, text: subject, html: `<strong>${escapeHtml(subject)}</strong>` });
          continue;
        }
        const date = new Date(value);
        // mailparser writes the time of reading for a date it cannot read: nothing is written here.
        if (!Number.isNaN(date.getTime())) entries.push({ key, text: date.toUTCString(), html: date.toUTCString() });
        continue;
      }
      const lines = part.headerLines!.filter((l) => l.key === name);
      if (lines.length === 0) continue;
      // One From counts (the first); of the others, the last.
      const line = key === 'From' ? lines[0]! : lines[lines.length - 1]!;
      const addresses = addressesOf(decodedHeaderValue(line.line));
      entries.push({ key, text: addressesText(addresses), html: addressesHtml(addresses) });
    }
    return entries;
  };

  const collect = (part: MimePart, alternative: boolean, parent: MimePart | undefined) => {
    if (parent?.contentType === 'message/rfc822') {
      const entries = meta(part);
      if (hasHtml)
        html.push(
          '<table class="mp_head">' +
            entries
              .map(
                (e) =>
                  `<tr><td class="mp_head_key">${escapeHtml(e.key)}:</td><td class="mp_head_value">${e.html}<td></tr>`,
              )
              .join('\n') +
            '<table>',
        );
      if (hasText) text.push('\n' + entries.map((e) => `${e.key}: ${e.text}`).join('\n') + '\n');
    }
    const content = texts.get(part);
    if (content) {
      if (part.contentType === 'text/html') {
        if ((!alternative && hasText) || (part === root && !hasText)) text.push('');
        html.push(content);
      } else {
        text.push(content);
        if (!alternative && hasHtml) html.push('');
      }
    }
    const inAlternative = alternative || part.contentType === 'multipart/alternative';
    for (const child of part.children) collect(child, inAlternative, part);
  };
  collect(root, false, undefined);

  return {
    headerLines: lines.map((l) => l.line),
    subject: subject === undefined ? undefined : decodeWords(subject),
    from: fromHeader(root, 'from'),
    replyTo: fromHeader(root, 'reply-to'),
    to: every('to').flatMap(addressesOf),
    cc: every('cc').flatMap(addressesOf),
    date: parsedDate && !Number.isNaN(parsedDate.getTime()) ? parsedDate : undefined,
    messageId: first('message-id') === undefined ? undefined : messageId(first('message-id')!),
    inReplyTo: first('in-reply-to') === undefined ? undefined : messageId(first('in-reply-to')!),
    references: every('references').flatMap((value) =>
      decodeWords(value)
        .split(/\s+/)
        .filter((id) => id !== '')
        .map(messageId),
    ),
    text: text.length > 0 ? text.join('\n') : undefined,
    html: html.length > 0 ? html.join('<br/>\n') : undefined,
    attachments,
  };
}

/** The first header of the name only, as mailparser keeps one From and one Reply-To. */
function fromHeader(root: MimePart, key: string): MessageAddress[] {
  const line = root.headerLines?.find((l) => l.key === key);
  return line ? addressesOf(decodedHeaderValue(line.line)) : [];
}

/** A text part's content as a string: transfer encoding, format=flowed and charset undone. */
function textOf(body: Buffer, part: MimePart): string {
  let bytes = transferDecode(body, part.encoding);
  if (part.flowed) bytes = Buffer.from(libmime.decodeFlowed(bytes.toString('latin1'), part.delSp), 'latin1');
  const charset = part.charset || 'utf-8';
  const plain = charset.toLowerCase().replace(/[^a-z0-9]+/g, '');
  let text: string;
  if (plain === 'ascii' || plain === 'usascii' || plain === 'utf8') text = bytes.toString('utf8');
  else {
    // Through UTF-8 and back, as mailparser's streams do, so a lone surrogate becomes U+FFFD.
    text = Buffer.from(decodeCharset(bytes, charset), 'utf8').toString('utf8');
  }
  return text.includes('\r') ? text.replace(/\r?\n/g, '\n') : text;
}

function transferDecode(body: Buffer, encoding: string): Buffer {
  if (encoding === 'base64') return decodeBase64(body);
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

/**
 * Base64 as libbase64 reads it: anything that is not a base64 character is skipped, and padding
 * in the middle (every line padded on its own) restarts the decoding after it.
 */
function decodeBase64(body: Buffer): Buffer {
  let text = body.toString('latin1');
  if (/[^a-zA-Z0-9+/=]/.test(text)) text = text.replace(/[^a-zA-Z0-9+/=]+/g, '');
  const pad = text.indexOf('=');
  if (pad < 0 || !/[a-zA-Z0-9+/]/.test(text.slice(pad))) return Buffer.from(text, 'base64');
  const output = Buffer.alloc(Math.floor((text.length * 3) / 4));
  let length = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('=', start);
    if (end < 0) end = text.length;
    if (end > start) length += output.write(text.substring(start, end), length, 'base64');
    start = end + 1;
  }
  return output.subarray(0, length);
}

/**
 * Quoted-printable as libqp reads it: blanks at the end of a line dropped, then `=` at the end of a
 * line (a soft break) dropped with the line break, then `=XX` decoded; any other `=` is kept.
 */
function decodeQuotedPrintable(body: Buffer): Buffer {
  const len = body.length;
  const out = Buffer.allocUnsafe(len);
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = body[i]!;
    if (c === 0x20 || c === 0x09) {
      let j = i + 1;
      while (j < len && (body[j] === 0x20 || body[j] === 0x09)) j++;
      if (j < len && body[j] !== CR && body[j] !== LF) while (i < j) out[o++] = body[i++]!;
      i = j - 1;
      continue;
    }
    out[o++] = c;
  }
  // Then soft breaks, then escapes, each in place: what is written never runs ahead of what is read.
  let w = 0;
  for (let i = 0; i < o; i++) {
    const c = out[i]!;
    if (c === 0x3d) {
      if (i + 1 === o) break;
      if (out[i + 1] === LF) {
        i++;
        continue;
      }
      if (out[i + 1] === CR && out[i + 2] === LF) {
        i += 2;
        continue;
      }
    }
    out[w++] = c;
  }
  let r = 0;
  for (let i = 0; i < w; i++) {
    const c = out[i]!;
    if (c === 0x3d && i + 2 < w) {
      const hi = hexValue(out[i + 1]!);
      const lo = hexValue(out[i + 2]!);
      if (hi >= 0 && lo >= 0) {
        out[r++] = hi * 16 + lo;
        i += 2;
        continue;
      }
    }
    out[r++] = c;
  }
  return out.subarray(0, r);
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function addressesText(list: MessageAddress[]): string {
  return list
    .map((address) => {
      let out = '';
      if (address.name) out += `"${address.name.replace(/["\\]/g, '\\$&')}"` + (address.group ? ': ' : '');
      if (address.address) out += address.name ? ` <${address.address}>` : address.address;
      if (address.group) out += addressesText(address.group) + ';';
      return out;
    })
    .join(', ');
}

function addressesHtml(list: MessageAddress[]): string {
  return list
    .map((address) => {
      let out = '<span class="mp_address_group">';
      if (address.name)
        out += `<span class="mp_address_name">${escapeHtml(address.name)}${address.group ? ': ' : ''}</span>`;
      if (address.address) {
        const link = `<a href="mailto:${escapeHtml(address.address)}" class="mp_address_email">${escapeHtml(address.address)}</a>`;
        out += address.name ? ` &lt;${link}&gt;` : link;
      }
      if (address.group) out += addressesHtml(address.group) + ';';
      return out + '</span>';
    })
    .join(', ');
}
