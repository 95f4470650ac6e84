// What an outgoing email may be, whichever transport sends it. After a breach the council's own
// messages are what scammers copy, so the shape is deliberately narrow: one recipient, plain text
// (HTML optional), a short subject, a few list and threading headers, a verification reference
// that carries no personal data, and no attachments at all. Everything that ends up in a header is
// checked for CR and LF, so nothing a resident typed can add a header or a recipient.

export interface OutboundMessage {
  /** One bare address (`name@example.gov.uk`), never a list and never a display name. */
  to: string;
  subject: string;
  text: string;
  html?: string | undefined;
  /** Only the headers in ALLOWED_HEADERS, such as List-Unsubscribe or In-Reply-To. */
  headers?: Record<string, string> | undefined;
  /** The verification reference the public "Is this really from the council?" check confirms. */
  reference: string;
  /** `Name <address>` or a bare address; the transport's own sender when not given. */
  from?: string | undefined;
  replyTo?: string | undefined;
  /** `<unique@domain>`, for replies that later messages thread under. */
  messageId?: string | undefined;
}

export const MAX_SUBJECT_LENGTH = 200;
/** Text and HTML together. Wardroom's messages are short notices that link to the full story. */
export const MAX_BODY_BYTES = 256 * 1024;
const MAX_HEADER_VALUE_LENGTH = 2000;
const MAX_DISPLAY_NAME_LENGTH = 100;
const MAX_MESSAGE_ID_LENGTH = 250;

/**
 * Headers a caller may add, keyed by their lower-case name. An allow-list rather than a deny-list:
 * Cc, Bcc, Sender, Content-Type and the like would change who gets the message or how it is read.
 */
export const ALLOWED_HEADERS: ReadonlyMap<string, string> = new Map(
  ['List-Unsubscribe', 'List-Unsubscribe-Post', 'List-Id', 'In-Reply-To', 'References', 'Auto-Submitted'].map(
    (name) => [name.toLowerCase(), name],
  ),
);

const MESSAGE_FIELDS = new Set([
  'to',
  'subject',
  'text',
  'html',
  'headers',
  'reference',
  'from',
  'replyTo',
  'messageId',
]);

/** Letters, digits and hyphens: nothing that can hold an email address, a space or a header break. */
const REFERENCE = /^[A-Za-z0-9-]{4,64}$/;
/** Ten or more digits in a row is a phone, NHS or account number, not a reference. */
const LONG_DIGIT_RUN = /\d{10,}/;
/** A National Insurance number as one hyphen-separated part of a reference. */
const NATIONAL_INSURANCE_NUMBER = /(?:^|-)[A-Za-z]{2}\d{6}[A-Da-d](?:-|$)/;

/** CR and LF end a header; the others are treated as line ends by some mail software. */
const LINE_BREAK = /[\r\n\u0085\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TOP_LEVEL_DOMAIN = /^(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;
const MESSAGE_ID = /^<[^<>\s@]+@[^<>\s@]+>$/;

/** Thrown when a message, or a request to a provider, could never be sent as it is. */
export class InvalidMessageError extends Error {
  constructor(readonly problems: string[]) {
    super(`The message cannot be sent: ${problems.join('; ')}`);
    this.name = 'InvalidMessageError';
  }
}

/**
 * Checks a message and returns a clean copy with header names in their usual spelling. Takes
 * `unknown` because queued messages come back from the database as parsed JSON. Error messages
 * name the field that is wrong but never repeat its value, which may be personal data and may
 * end up in a job's recorded error.
 */
export function parseOutboundMessage(input: unknown): OutboundMessage {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidMessageError(['a message must be an object']);
  }
  const fields = input as Record<string, unknown>;
  const problems: string[] = [];

  for (const key of Object.keys(fields)) {
    if (key === 'attachments') {
      problems.push('attachments are not allowed: link to a page on the council’s own website instead');
    } else if (!MESSAGE_FIELDS.has(key)) {
      problems.push(`"${key}" is not a message field`);
    }
  }

  const text = (name: string, required: boolean): string | undefined => {
    const value = fields[name];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'string' || value.length === 0) {
      problems.push(`${name} must be ${required ? 'given as ' : ''}a non-empty string`);
      return undefined;
    }
    return value;
  };

  const to = text('to', true);
  if (to !== undefined && !isEmailAddress(to)) {
    problems.push('to must be one email address, such as name@example.gov.uk');
  }

  const subject = text('subject', true);
  if (subject !== undefined) {
    if (subject.trim() === '') problems.push('subject must not be blank');
    if ([...subject].length > MAX_SUBJECT_LENGTH) {
      problems.push(`subject must be at most ${MAX_SUBJECT_LENGTH} characters`);
    }
    checkHeaderValue('subject', subject, problems);
  }

  const body = text('text', true);
  const html = text('html', false);
  const bodyBytes = Buffer.byteLength(body ?? '', 'utf8') + Buffer.byteLength(html ?? '', 'utf8');
  if (bodyBytes > MAX_BODY_BYTES) {
    problems.push(`the text and HTML together must be at most ${MAX_BODY_BYTES / 1024} KiB, not ${bodyBytes} bytes`);
  }

  const reference = text('reference', true);
  if (reference !== undefined) problems.push(...referenceProblems(reference));

  const from = text('from', false);
  if (from !== undefined && parseMailbox(from) === undefined) {
    problems.push('from must be an email address, optionally with a name: Council name <name@example.gov.uk>');
  }
  const replyTo = text('replyTo', false);
  if (replyTo !== undefined && parseMailbox(replyTo) === undefined) {
    problems.push('replyTo must be an email address, optionally with a name: Council name <name@example.gov.uk>');
  }

  const messageId = text('messageId', false);
  if (messageId !== undefined && (messageId.length > MAX_MESSAGE_ID_LENGTH || !MESSAGE_ID.test(messageId))) {
    problems.push('messageId must look like <unique-part@domain>');
  }

  const headers = parseHeaders(fields['headers'], problems);

  if (problems.length > 0) throw new InvalidMessageError(problems);
  return {
    to: to as string,
    subject: subject as string,
    text: body as string,
    ...(html === undefined ? {} : { html }),
    ...(headers === undefined ? {} : { headers }),
    reference: reference as string,
    ...(from === undefined ? {} : { from }),
    ...(replyTo === undefined ? {} : { replyTo }),
    ...(messageId === undefined ? {} : { messageId }),
  };
}

/**
 * Why a verification reference is not acceptable; empty when it is. A pattern cannot prove that a
 * string holds no personal data, so this only catches the likely mistakes (an email address, a
 * phone or NHS number, a National Insurance number). References must be made by the platform,
 * never from what a person gave us.
 */
export function referenceProblems(reference: string): string[] {
  if (!REFERENCE.test(reference)) {
    return ['reference must be 4 to 64 letters, digits and hyphens'];
  }
  if (LONG_DIGIT_RUN.test(reference) || NATIONAL_INSURANCE_NUMBER.test(reference)) {
    return ['reference looks like it holds personal data (a long number or a National Insurance number)'];
  }
  return [];
}

/** A single bare address with the syntax mail servers accept; no display name, no list. */
export function isEmailAddress(value: string): boolean {
  if (value.length > 254) return false;
  const at = value.lastIndexOf('@');
  if (at <= 0) return false;
  const local = value.slice(0, at);
  const labels = value.slice(at + 1).split('.');
  return (
    local.length <= 64 &&
    LOCAL_PART.test(local) &&
    labels.length >= 2 &&
    labels.every((label) => DOMAIN_LABEL.test(label)) &&
    TOP_LEVEL_DOMAIN.test(labels[labels.length - 1] as string)
  );
}

export interface Mailbox {
  name: string | undefined;
  address: string;
}

/**
 * Reads `Name <address>`, `"Name" <address>` or a bare address. The name is returned unquoted so
 * the mail library can encode it; undefined when the value is not a single mailbox.
 */
export function parseMailbox(value: string): Mailbox | undefined {
  if (LINE_BREAK.test(value) || CONTROL_CHARACTER.test(value)) return undefined;
  const trimmed = value.trim();
  const named = /^(.*?)\s*<([^<>]+)>$/.exec(trimmed);
  if (!named) return isEmailAddress(trimmed) ? { name: undefined, address: trimmed } : undefined;
  let name = (named[1] as string).trim();
  const address = (named[2] as string).trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim();
  if (name.length > MAX_DISPLAY_NAME_LENGTH || /[<>"]/.test(name) || !isEmailAddress(address)) return undefined;
  return { name: name === '' ? undefined : name, address };
}

function parseHeaders(value: unknown, problems: string[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('headers must be an object of header names and values');
    return undefined;
  }
  const headers: Record<string, string> = {};
  for (const [name, headerValue] of Object.entries(value as Record<string, unknown>)) {
    const canonical = ALLOWED_HEADERS.get(name.toLowerCase());
    if (canonical === undefined) {
      problems.push(
        `the header "${printable(name)}" is not allowed (allowed: ${[...ALLOWED_HEADERS.values()].join(', ')})`,
      );
      continue;
    }
    if (canonical in headers) {
      problems.push(`the header ${canonical} is given more than once`);
      continue;
    }
    if (typeof headerValue !== 'string' || headerValue.trim() === '') {
      problems.push(`the header ${canonical} must have a non-empty string value`);
      continue;
    }
    if (headerValue.length > MAX_HEADER_VALUE_LENGTH) {
      problems.push(`the header ${canonical} must be at most ${MAX_HEADER_VALUE_LENGTH} characters`);
    }
    checkHeaderValue(`the header ${canonical}`, headerValue, problems);
    headers[canonical] = headerValue;
  }
  return headers;
}

function checkHeaderValue(name: string, value: string, problems: string[]): void {
  if (LINE_BREAK.test(value)) problems.push(`${name} must not contain a line break`);
  else if (CONTROL_CHARACTER.test(value)) problems.push(`${name} must not contain control characters`);
}

/** A header name as it may be shown in an error: without what could break a log line. */
function printable(name: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const clean = name.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 39)}…` : clean;
}
