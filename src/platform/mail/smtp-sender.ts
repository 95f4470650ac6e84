// Sending through the council's own mail server (or relay) over SMTP, with nodemailer. Owns how
// a message becomes an SMTP transaction and how the server's replies map to temporary or
// permanent failures.
//
// Connections are pooled: a few are kept open and reused for message after message (a fresh
// connection, greeting, EHLO and, on a real relay, TLS and AUTH for each message would cost the
// job worker more than the message, and a council's relay would see thousands of connections in a
// surge of acknowledgements). A connection that has been idle for POOL_IDLE_MS, or has carried
// POOL_MAX_MESSAGES, is closed. The pool never sends a message again by itself when a connection
// drops: the job fails with a temporary error and the queue's own retry, with its back-off and
// limit, decides.
import nodemailer from 'nodemailer';
import type { SmtpConfig } from '../config.ts';
import { PermanentDeliveryError, TemporaryDeliveryError, type MailSender, type SentMail } from './mail-sender.ts';
import { InvalidMessageError, parseMailbox, parseOutboundMessage, type Mailbox } from './outbound-message.ts';

/** Carries the verification reference, so a message can be traced without any personal data. */
export const REFERENCE_HEADER = 'X-Wardroom-Reference';

export interface SmtpSenderOptions {
  /**
   * The longest wait for one step (connecting, the greeting, each reply). Nodemailer's own default
   * for a silent socket is ten minutes, which would hold a job and its lease far too long.
   */
  timeoutMs?: number | undefined;
  /** How many connections the pool keeps open at most; as many messages go at once. */
  maxConnections?: number | undefined;
}

/** The job worker runs two jobs at once by default; a little headroom for the rest. */
const POOL_MAX_CONNECTIONS = 4;
/** Relays often limit messages per connection; nodemailer's default, stated. */
const POOL_MAX_MESSAGES = 100;
/** Long enough to carry a burst, short enough not to sit on a relay's connection slots. */
const POOL_IDLE_MS = 10_000;

/** Error codes nodemailer uses for a problem with the request or the setup, not the network. */
const SETUP_ERROR_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EAUTH', 'ENOAUTH', 'ECONFIG', 'EMAXRECIPIENTS']);

export function createSmtpSender(smtp: SmtpConfig, options: SmtpSenderOptions = {}): MailSender {
  const defaultFrom = parseMailbox(smtp.from);
  if (defaultFrom === undefined) {
    throw new InvalidMessageError([`the SMTP sender address is not an email address: "${smtp.from}"`]);
  }
  const timeoutMs = options.timeoutMs ?? 30_000;
  const transport = nodemailer.createTransport({
    pool: true,
    maxConnections: options.maxConnections ?? POOL_MAX_CONNECTIONS,
    maxMessages: POOL_MAX_MESSAGES,
    idleTimeout: POOL_IDLE_MS,
    maxRequeues: 0,
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user === undefined ? undefined : { user: smtp.user, pass: smtp.password ?? '' },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    dnsTimeout: timeoutMs,
    // Belt and braces for "one recipient, no attachments": nodemailer may not read files or
    // fetch URLs into a message, and refuses a message with more than one recipient.
    disableFileAccess: true,
    disableUrlAccess: true,
    maxRecipients: 1,
  });

  return {
    async send(input): Promise<SentMail> {
      // Checked here as well as when queued: a sender can be used directly.
      const message = parseOutboundMessage(input);
      const from = message.from === undefined ? defaultFrom : (parseMailbox(message.from) as Mailbox);
      const replyTo = message.replyTo === undefined ? undefined : (parseMailbox(message.replyTo) as Mailbox);
      try {
        const info = await transport.sendMail({
          from: toAddress(from),
          to: message.to,
          ...(replyTo === undefined ? {} : { replyTo: toAddress(replyTo) }),
          subject: message.subject,
          text: message.text,
          ...(message.html === undefined ? {} : { html: message.html }),
          ...(message.messageId === undefined ? {} : { messageId: message.messageId }),
          headers: { ...message.headers, [REFERENCE_HEADER]: message.reference },
        });
        return { providerId: info.messageId };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
    async close(): Promise<void> {
      transport.close();
    },
  };
}

function toAddress(mailbox: Mailbox): string | { name: string; address: string } {
  return mailbox.name === undefined ? mailbox.address : { name: mailbox.name, address: mailbox.address };
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
}

/**
 * RFC 5321: a 4xx reply means "not now", a 5xx reply means "never". 503 (bad sequence of
 * commands) is the exception among 5xx: it is about the session, not the message. With no reply
 * at all, a problem with the setup or the envelope is permanent; anything else (refused
 * connection, timeout, dropped socket, DNS) is treated as temporary, and the job's limited
 * attempts stop it retrying for ever.
 */
export function classifySmtpError(error: unknown): TemporaryDeliveryError | PermanentDeliveryError {
  const fields: SmtpErrorFields = typeof error === 'object' && error !== null ? error : {};
  const reason = error instanceof Error ? error.message : String(error);
  const status = typeof fields.responseCode === 'number' ? fields.responseCode : undefined;
  const details = { provider: 'smtp' as const, status, cause: error };
  if (status !== undefined && status >= 500 && status < 600 && status !== 503) {
    return new PermanentDeliveryError(`The mail server refused the message: ${reason}`, details);
  }
  if (status !== undefined) {
    return new TemporaryDeliveryError(`The mail server could not take the message now: ${reason}`, details);
  }
  if (typeof fields.code === 'string' && SETUP_ERROR_CODES.has(fields.code)) {
    return new PermanentDeliveryError(`The message could not be sent by SMTP: ${reason}`, details);
  }
  return new TemporaryDeliveryError(`The mail server could not be reached: ${reason}`, details);
}
