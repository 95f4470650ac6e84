// Reads a raw message into a shape that is safe to store and show: addresses, subject, threading
// headers, plain text (HTML-only mail is turned into text; HTML itself is never kept, so nothing
// can render it), attachments within size caps, the authentication headers as they arrived, and
// the full header list. Mail comes from anyone: every string is cleaned of NUL and other control
// characters (PostgreSQL text cannot hold NUL), and everything has a limit.
//
// parseInboundMail reads with mailparser and is what the enquiry mailbox (mail-in) uses; the
// analysis of suspicious messages reads with mime-reader.ts, which gives the same result without
// mailparser's streams. Both end in finishInboundMail here.
import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type Attachment } from 'mailparser';
import { htmlToText } from './html-text.ts';

export interface MailAddress {
  /** The display name, '' when there is none. */
  name: string;
  /** Lower-case. */
  address: string;
}

export interface InboundAttachment {
  filename: string | undefined;
  /** As declared by the sender: never trust it for anything but display. */
  contentType: string;
  disposition: 'attachment' | 'inline' | undefined;
  contentId: string | undefined;
  size: number;
  sha256: string;
  /** Null when the attachment is over a cap; `omittedReason` says which. */
  content: Buffer | null;
  omittedReason: string | undefined;
}

export interface MailHeader {
  /** As written, such as `Subject`. */
  name: string;
  /** Unfolded, as written: RFC 2047 encoded words are left encoded. */
  value: string;
}

export interface ParsedInboundMail {
  from: MailAddress | undefined;
  /** Every address in From (a message may name several). */
  fromAll: MailAddress[];
  replyTo: MailAddress[];
  to: MailAddress[];
  cc: MailAddress[];
  /** Return-Path, lower-case, without angle brackets. */
  returnPath: string | undefined;
  /** Delivered-To and X-Original-To, which relays add for the mailbox the message reached. */
  deliveredTo: string[];
  subject: string;
  /** The Date header as UTC ISO-8601; undefined when missing or unreadable. */
  date: string | undefined;
  messageId: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  /** Plain text with LF line ends: the text part, or the HTML part turned into text. */
  text: string;
  textSource: 'text' | 'html' | 'none';
  textTruncated: boolean;
  attachments: InboundAttachment[];
  /** The headers that say how the message was authenticated, for later analysis. */
  authentication: {
    /** Authentication-Results headers (RFC 8601), newest first as in the message. */
    results: string[];
    arcResults: string[];
    receivedSpf: string[];
    dkimSignatures: Array<{ domain: string | undefined; selector: string | undefined }>;
  };
  headers: MailHeader[];
  /** What was odd about the message, in plain words (no header section, attachments left out, …). */
  problems: string[];
}

export interface ParseLimits {
  /** Largest attachment whose content is kept. */
  maxAttachmentBytes: number;
  /** Most attachment content kept for one message. */
  maxTotalAttachmentBytes: number;
  /** Longest text kept, in characters. */
  maxTextChars: number;
  /** Longest HTML turned into text, in characters; the rest is cut first. */
  maxHtmlChars: number;
  maxHeaders: number;
  maxHeaderValueChars: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxAttachmentBytes: 10 * 1024 * 1024,
  maxTotalAttachmentBytes: 20 * 1024 * 1024,
  maxTextChars: 1_000_000,
  maxHtmlChars: 1_000_000,
  maxHeaders: 1000,
  maxHeaderValueChars: 16_384,
};

export class InboundMailParseError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InboundMailParseError';
  }
}

/** A line that can start a header section: a field name and a colon. */
const HEADER_LINE = /^[\x21-\x39\x3b-\x7e]+:/;

export async function parseInboundMail(raw: Buffer, limits: Partial<ParseLimits> = {}): Promise<ParsedInboundMail> {
  const limit = { ...DEFAULT_PARSE_LIMITS, ...limits };
  const problems: string[] = [];
  const source = prepareRawMessage(raw, problems);

  let parsed;
  try {
    parsed = await simpleParser(source, {
      // Only what is needed: no HTML made from text, no links found in text, no images inlined.
      skipHtmlToText: true,
      skipTextToHtml: true,
      skipTextLinks: true,
      skipImageLinks: true,
      maxHtmlLengthToParse: limit.maxHtmlChars,
    });
  } catch (error) {
    throw new InboundMailParseError(
      `The message could not be read: ${clean(error instanceof Error ? error.message : String(error)).slice(0, 500)}`,
      { cause: error },
    );
  }

  const addressList = (field: AddressObject | AddressObject[] | undefined): MessageAddress[] =>
    [field ?? []].flat().flatMap((object) => object.value);
  return finishInboundMail(
    {
      headerLines: parsed.headerLines.map(({ line }) => line),
      subject: parsed.subject,
      from: addressList(parsed.from),
      replyTo: addressList(parsed.replyTo),
      to: addressList(parsed.to),
      cc: addressList(parsed.cc),
      date: parsed.date,
      messageId: parsed.messageId,
      inReplyTo: parsed.inReplyTo,
      references: [parsed.references ?? []].flat(),
      text: typeof parsed.text === 'string' ? parsed.text : undefined,
      html: typeof parsed.html === 'string' ? parsed.html : undefined,
      attachments: parsed.attachments.map((attachment: Attachment) => ({
        filename: attachment.filename,
        contentType: attachment.contentType,
        disposition: attachment.contentDisposition,
        contentId: attachment.contentId,
        content: Buffer.isBuffer(attachment.content) ? attachment.content : Buffer.alloc(0),
      })),
    },
    limit,
    problems,
  );
}

/**
 * The message as the MIME parser left it: header lines, the header fields already decoded, the text
 * and HTML bodies, and the attachments' bytes. Both readers (mailparser here, mime-reader.ts for
 * analysis) end in this shape, and `finishInboundMail` applies the caps and cleaning they share.
 */
export interface MessageContent {
  /** The top-level header lines as written (latin1, folds kept), in order. */
  headerLines: string[];
  /** RFC 2047 words decoded. */
  subject: string | undefined;
  from: MessageAddress[];
  replyTo: MessageAddress[];
  to: MessageAddress[];
  cc: MessageAddress[];
  date: Date | undefined;
  messageId: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  /** The text parts, joined; undefined when there are none. */
  text: string | undefined;
  html: string | undefined;
  attachments: Array<{
    filename: string | undefined;
    contentType: string | undefined;
    disposition: string | undefined;
    contentId: string | undefined;
    content: Buffer;
  }>;
}

/** An address or a group of them, as nodemailer's addressparser gives it, display names decoded. */
export interface MessageAddress {
  name?: string;
  address?: string;
  group?: MessageAddress[];
}

/**
 * Strips a leading mbox separator line, and marks text with no header section so that it is read as
 * a body: both readers take the message through here first.
 */
export function prepareRawMessage(raw: Buffer, problems: string[]): Buffer {
  // A message saved from an mbox starts with its "From sender date" separator line, which is not a
  // header: left in, it would make the whole message read as text with no headers.
  // Only when a header follows, so a headerless text that starts "From what I can tell" keeps it.
  if (raw.subarray(0, 5).toString('latin1') === 'From ') {
    const end = raw.indexOf(0x0a);
    const next = raw.subarray(end + 1, end + 1000).toString('latin1');
    if (end > 0 && end < 1000 && HEADER_LINE.test(next)) raw = raw.subarray(end + 1);
  }
  // Text with no header section would otherwise be read as (broken) headers and lose its body.
  const firstLine = raw.subarray(0, Math.min(raw.length, 1000)).toString('latin1').split(/\r?\n/, 1)[0] ?? '';
  if (raw.length > 0 && firstLine !== '' && !HEADER_LINE.test(firstLine)) {
    problems.push('The message has no header section; all of it was read as text');
    return Buffer.concat([Buffer.from('\r\n'), raw]);
  }
  return raw;
}

/** The caps, cleaning and derived fields every reader shares: see `ParsedInboundMail`. */
export function finishInboundMail(content: MessageContent, limit: ParseLimits, problems: string[]): ParsedInboundMail {
  const headers: MailHeader[] = [];
  for (const line of content.headerLines) {
    if (headers.length >= limit.maxHeaders) {
      problems.push(`Only the first ${limit.maxHeaders} headers were kept`);
      break;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({
      name: clean(line.slice(0, colon)).trim(),
      value: clean(line.slice(colon + 1).replace(/\r?\n[ \t]/g, ' '))
        .trim()
        .slice(0, limit.maxHeaderValueChars),
    });
  }
  // Names lower-cased once, not once for each header looked up.
  const names = headers.map((h) => h.name.toLowerCase());
  const values = (name: string) => {
    const wanted = name.toLowerCase();
    const found: string[] = [];
    for (let i = 0; i < names.length; i++) if (names[i] === wanted) found.push(headers[i]!.value);
    return found;
  };

  let text = '';
  let textSource: ParsedInboundMail['textSource'] = 'none';
  if (content.text !== undefined && content.text.trim() !== '') {
    text = content.text;
    textSource = 'text';
  } else if (content.html !== undefined && content.html.trim() !== '') {
    text = htmlToPlainText(content.html, limit.maxHtmlChars, problems, limit.maxTextChars);
    textSource = 'html';
  }
  text = clean(text.replace(/\r\n?/g, '\n'), true);
  const textTruncated = text.length > limit.maxTextChars;
  if (textTruncated) {
    text = text.slice(0, limit.maxTextChars);
    problems.push(`The text was cut to its first ${limit.maxTextChars} characters`);
  }

  const attachments: InboundAttachment[] = [];
  let kept = 0;
  for (const attachment of content.attachments) {
    const bytes = attachment.content;
    let omittedReason: string | undefined;
    if (bytes.length > limit.maxAttachmentBytes) {
      omittedReason = `It is ${formatBytes(bytes.length)}; the limit for one attachment is ${formatBytes(limit.maxAttachmentBytes)}`;
    } else if (kept + bytes.length > limit.maxTotalAttachmentBytes) {
      omittedReason = `The message's attachments are over the ${formatBytes(limit.maxTotalAttachmentBytes)} limit for one message`;
    } else kept += bytes.length;
    if (omittedReason) problems.push(`An attachment was left out: ${omittedReason}`);
    const disposition = attachment.disposition?.toLowerCase();
    attachments.push({
      filename: attachment.filename === undefined ? undefined : clean(attachment.filename).slice(0, 255),
      contentType: clean(attachment.contentType || 'application/octet-stream').slice(0, 255),
      disposition: disposition === 'attachment' || disposition === 'inline' ? disposition : undefined,
      contentId: attachment.contentId === undefined ? undefined : clean(attachment.contentId).slice(0, 255),
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      content: omittedReason === undefined ? bytes : null,
      omittedReason,
    });
  }

  const date = content.date instanceof Date && !Number.isNaN(content.date.getTime()) ? content.date : undefined;
  const fromAll = addresses(content.from);
  return {
    from: fromAll[0],
    fromAll,
    replyTo: addresses(content.replyTo),
    to: addresses(content.to),
    cc: addresses(content.cc),
    returnPath: values('Return-Path')
      .map((v) => v.replace(/^<|>$/g, '').trim().toLowerCase())
      .find((v) => v !== ''),
    deliveredTo: [...values('Delivered-To'), ...values('X-Original-To')]
      .map((v) => v.replace(/^<|>$/g, '').trim().toLowerCase())
      .filter((v) => v !== ''),
    subject: clean(content.subject ?? '').slice(0, 1000),
    date: date?.toISOString(),
    messageId: optional(content.messageId),
    inReplyTo: optional(content.inReplyTo),
    references: content.references
      .flatMap((r) => r.split(/\s+/))
      .map((r) => clean(r).slice(0, 998))
      .filter((r) => r !== '')
      .slice(0, 100),
    text,
    textSource,
    textTruncated,
    attachments,
    authentication: {
      results: values('Authentication-Results'),
      arcResults: values('ARC-Authentication-Results'),
      receivedSpf: values('Received-SPF'),
      dkimSignatures: values('DKIM-Signature').map((v) => ({
        domain: tagOf(v, 'd'),
        selector: tagOf(v, 's'),
      })),
    },
    headers,
    problems,
  };
}

/**
 * HTML to text with no trace of what a browser would run or fetch: scripts, styles, forms and
 * embedded objects are dropped; a link keeps its address beside its words, so a mismatch between
 * the two stays visible to whoever reads it. See html-text.ts.
 */
export function htmlToPlainText(html: string, maxChars: number, problems: string[], maxTextChars: number): string {
  if (html.length > maxChars) problems.push(`Only the first ${maxChars} characters of the HTML were turned into text`);
  // One character over the text limit, so that the caller sees the text was longer and says so.
  const converted = htmlToText(html.slice(0, maxChars), { maxDepth: MAX_HTML_DEPTH, maxChars: maxTextChars + 1 });
  if (converted.droppedTags > 0)
    problems.push(
      `The HTML was nested deeper than ${MAX_HTML_DEPTH} levels: ${converted.droppedTags} tags were left out`,
    );
  return converted.text;
}

const MAX_HTML_DEPTH = 100;

function addresses(entries: MessageAddress[]): MailAddress[] {
  const out: MailAddress[] = [];
  const visit = (list: MessageAddress[]) => {
    for (const entry of list) {
      if (entry.group) visit(entry.group);
      else if (entry.address)
        out.push({ name: clean(entry.name ?? '').slice(0, 500), address: clean(entry.address).toLowerCase() });
    }
  };
  visit(entries);
  return out.slice(0, 500);
}

function optional(value: string | undefined): string | undefined {
  const cleaned = value === undefined ? '' : clean(value).trim().slice(0, 998);
  return cleaned === '' ? undefined : cleaned;
}

function tagOf(signature: string, tag: string): string | undefined {
  const match = new RegExp(`(?:^|;)\\s*${tag}\\s*=\\s*([^;\\s]+)`, 'i').exec(signature);
  return match?.[1]?.toLowerCase();
}

/** Removes NUL and other control characters; `keepLines` keeps line feeds and tabs. */
export function clean(value: string, keepLines = false): string {
  // Most values have none: testing first spares building a copy of each.
  // eslint-disable-next-line no-control-regex
  if (!/[\x00-\x1f\x7f]/.test(value)) return value;
  // eslint-disable-next-line no-control-regex
  return keepLines ? value.replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '') : value.replace(/[\x00-\x1f\x7f]/g, ' ');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}
