// The platform's SMTP listener for inbound mail. It is meant to sit behind the council's MX relay,
// which does the internet-facing work (spam and virus filtering, SPF, DKIM and DMARC checks, and
// its Authentication-Results header); so it asks for no authentication. It is never an open relay:
// a recipient is accepted only if a registered mailbox takes it (550 otherwise), and the message is
// stored, with its processing queued, before the 250 reply, so accepted mail cannot be lost.
//
// Limits: the message size (advertised with SIZE; 552 over it), recipients per message, concurrent
// connections, messages a minute per client address, idle time, and optionally which client
// addresses may connect at all (the relay's).
import { readFileSync } from 'node:fs';
import { BlockList, isIPv6, type AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { MailInSmtpConfig } from '../config.ts';
import type { DB } from '../db/schema.ts';
import type { JobLogger } from '../jobs/job-worker.ts';
import { CappedMessageBuffer, storeInboundMail } from './inbound-mail-intake.ts';
import { formatBytes } from './inbound-mail-parser.ts';
import { normaliseAddress, type InboundMailboxes } from './inbound-mailboxes.ts';

export const MAX_RECIPIENTS_PER_MESSAGE = 100;
const MAX_CLIENTS = 100;
const SOCKET_TIMEOUT_MS = 60_000;

export interface SmtpListenerOptions {
  db: Kysely<DB>;
  mailboxes: InboundMailboxes;
  config: MailInSmtpConfig;
  maxBytes: number;
  logger: JobLogger;
}

export interface SmtpListener {
  port: number;
  host: string;
  /** Stops taking connections and waits (briefly) for open ones to finish. */
  stop(): Promise<void>;
}

/** An SMTP reply for smtp-server: the code and the text after it. */
function reply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

export async function startSmtpListener(options: SmtpListenerOptions): Promise<SmtpListener> {
  const { db, mailboxes, config, maxBytes, logger } = options;
  const allowed = allowList(config.allowedClients);
  const rate = new PerMinuteLimit(config.maxMessagesPerMinute);
  const tls =
    config.tlsKeyFile && config.tlsCertFile
      ? { key: readFileSync(config.tlsKeyFile), cert: readFileSync(config.tlsCertFile) }
      : undefined;

  const server = new SMTPServer({
    name: hostname(),
    banner: 'Wardroom inbound mail',
    size: maxBytes,
    authOptional: true,
    // No AUTH: nothing here may be used to send mail onwards. STARTTLS only with a certificate.
    disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    ...(tls ?? {}),
    maxClients: MAX_CLIENTS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    closeTimeout: 5_000,
    logger: false,
    // A DNS lookup per connection buys nothing here (the client is the relay) and costs time.
    disableReverseLookup: true,

    onConnect(session, callback) {
      if (allowed && !allowed.check(session.remoteAddress, isIPv6(session.remoteAddress) ? 'ipv6' : 'ipv4')) {
        logger.warn({ client: session.remoteAddress }, 'Inbound mail: connection refused, not an allowed client');
        callback(reply(554, '5.7.1 This server takes mail only from the council mail relay'));
        return;
      }
      callback();
    },

    onMailFrom(_address, session, callback) {
      if (!rate.take(session.remoteAddress)) {
        callback(reply(451, '4.7.1 Too many messages from your address; try again later'));
        return;
      }
      callback();
    },

    onRcptTo(address, session, callback) {
      if (session.envelope.rcptTo.length >= MAX_RECIPIENTS_PER_MESSAGE) {
        callback(reply(452, '4.5.3 Too many recipients'));
        return;
      }
      const normalised = normaliseAddress(address.address);
      if (normalised === undefined) {
        callback(reply(553, '5.1.3 That is not a valid mailbox address'));
        return;
      }
      mailboxes.forAddress(normalised, db).then(
        (mailbox) => {
          if (mailbox) callback();
          else callback(reply(550, '5.1.1 No such mailbox here'));
        },
        (err: unknown) => {
          logger.error({ err }, 'Inbound mail: could not check a recipient');
          callback(reply(451, '4.3.0 Temporary problem; try again later'));
        },
      );
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const buffer = new CappedMessageBuffer(maxBytes);
      let failed = false;
      stream.on('data', (chunk: Buffer) => buffer.push(chunk));
      stream.on('error', (err: unknown) => {
        failed = true;
        logger.warn({ err }, 'Inbound mail: the message stream failed');
      });
      stream.on('end', () => {
        if (failed) {
          callback(reply(451, '4.3.0 The message was not received completely; try again'));
          return;
        }
        const envelopeFrom = session.envelope.mailFrom === false ? undefined : session.envelope.mailFrom.address;
        const envelopeTo = session.envelope.rcptTo.map((r) => normaliseAddress(r.address) ?? r.address);
        storeInboundMail(
          db,
          { source: 'smtp', envelopeFrom, envelopeTo, raw: buffer.bytes(), size: buffer.size },
          { maxBytes },
        ).then(
          (stored) => {
            if (stored.status === 'rejected') {
              logger.warn(
                { mailId: stored.id, size: buffer.size, client: session.remoteAddress },
                'Inbound mail: refused a message over the size limit (its start is kept)',
              );
              callback(reply(552, `5.3.4 The message is too big: the limit is ${formatBytes(maxBytes)}`));
              return;
            }
            logger.info(
              { mailId: stored.id, size: buffer.size, recipients: envelopeTo.length },
              'Inbound mail: message received',
            );
            callback(null, `2.0.0 Queued as ${stored.id}`);
          },
          (err: unknown) => {
            logger.error({ err }, 'Inbound mail: could not store a message');
            callback(reply(451, '4.3.0 Temporary problem storing the message; try again later'));
          },
        );
      });
    },
  });
  server.on('error', (err) => logger.error({ err }, 'Inbound mail: SMTP listener error'));

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    const listening = server.listen(config.port, config.host, () => {
      server.removeListener('error', reject);
      resolve((listening.address() as AddressInfo).port);
    });
  });
  logger.info(
    {
      port,
      host: config.host,
      starttls: tls !== undefined,
      allowedClients: config.allowedClients.length ? config.allowedClients : 'any',
    },
    'Inbound mail: SMTP listener started',
  );
  if (!allowed && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
    logger.warn(
      { host: config.host },
      'Inbound mail: the SMTP listener takes connections from anywhere; set MAIL_IN_SMTP_ALLOWED_CLIENTS to the mail relay',
    );
  }

  return {
    port,
    host: config.host,
    stop: () =>
      new Promise<void>((resolve) => {
        rate.stop();
        server.close(() => resolve());
      }),
  };
}

function allowList(entries: string[]): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const type = isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return list;
}

/** Counts messages per client address in one-minute windows. */
class PerMinuteLimit {
  readonly #counts = new Map<string, { window: number; count: number }>();
  readonly #sweep: NodeJS.Timeout;

  constructor(readonly max: number) {
    // Forget addresses whose window has passed, so the map cannot grow without end.
    this.#sweep = setInterval(() => {
      const window = Math.floor(Date.now() / 60_000);
      for (const [key, value] of this.#counts) if (value.window < window) this.#counts.delete(key);
    }, 60_000);
    this.#sweep.unref();
  }

  take(address: string): boolean {
    const window = Math.floor(Date.now() / 60_000);
    const entry = this.#counts.get(address);
    if (!entry || entry.window !== window) {
      this.#counts.set(address, { window, count: 1 });
      return true;
    }
    entry.count += 1;
    return entry.count <= this.max;
  }

  stop(): void {
    clearInterval(this.#sweep);
  }
}
